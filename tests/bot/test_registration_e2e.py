"""New-user registration in the chat, end to end over REST against a real stack.

林晓 (README demo people) has no account. Without logging in she asks to register
in the chat, gives her details the way people type them, the backend's bank check
passes and the SMS code lands in the development outbox (``GET /dev/sms-outbox``),
she types it, and the chat gives a one-time link. The page at that link (plain HTML
form) is filled and posted as a browser would, and she logs in with the new
password. The password never appears in the conversation: the stored tracker is
read back through Rasa's (token-protected) API and searched for it, and for her
numbers in clear. A second stack-sharing test types a wrong code: refused with
the backend's reason, no link, no account; then she cancels.
"""

from __future__ import annotations

import html
import re
from itertools import count
from typing import Any, Dict, List
from urllib.parse import urljoin

import pytest
import requests

pytest.importorskip("rasa")

from stack import Stack  # noqa: E402

PHONE = "13800138014"
LINK = re.compile(r"(http\S+/accounts/setup\?t=[\w-]+)")
PASSWORD = "Linxiao2026"
_senders = count(1)


class Chat:
    """A visitor who is not logged in (no auth_token in the metadata)."""

    def __init__(self, st: Stack) -> None:
        self.st, self.sender = st, f"e2e-register-{next(_senders)}"
        self.log: List[str] = []

    def say(self, text: str) -> str:
        r = requests.post(
            f"{self.st.rasa}/webhooks/rest/webhook", json={"sender": self.sender, "message": text}, timeout=60
        )
        assert r.status_code == 200, r.text
        reply = "\n".join(m["text"] for m in r.json() if m.get("text"))
        self.log += [f"> {text}", reply]
        return reply

    def transcript(self) -> str:
        return "\n".join(self.log)


def _latest_code(st: Stack, before: int) -> str:
    r = requests.get(f"{st.backend}/dev/sms-outbox", params={"phone": PHONE}, timeout=10)
    assert r.status_code == 200, r.text
    messages = r.json()["messages"]
    assert len(messages) > before, messages
    return re.search(r"验证码(\d{6})", messages[0]["text"]).group(1)


def _outbox_count(st: Stack) -> int:
    return len(requests.get(f"{st.backend}/dev/sms-outbox", params={"phone": PHONE}, timeout=10).json()["messages"])


def _form(page: str) -> Dict[str, Any]:
    action = re.search(r'<form method="post" action="([^"]+)"', page).group(1)
    hidden = dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)"', page))
    return {"action": action, "fields": {k: html.unescape(v) for k, v in hidden.items()}}


def _give_details(chat: Chat, bank_account: str = "6225 8802 1111 2222") -> str:
    reply = chat.say("我还没有账号，想注册一个新用户")
    assert "姓名" in reply and "密码" in reply, chat.transcript()  # says a password is not set here
    assert "身份证" in chat.say("我叫林晓"), chat.transcript()
    reply = chat.say("440304199801202601")
    assert "哪家银行" in reply, chat.transcript()
    assert "卡号" in chat.say("招行"), chat.transcript()
    assert "手机" in chat.say(f"卡号是{bank_account}"), chat.transcript()
    return chat.say("138 0013 8014")


def test_cancel_leaves_the_registration_and_keeps_nothing(stack: Stack) -> None:
    chat = Chat(stack)
    chat.say("新用户注册")
    assert "身份证" in chat.say("林晓"), chat.transcript()
    reply = chat.say("取消")
    assert "已取消" in reply, chat.transcript()
    tracker = requests.get(stack.api(f"/conversations/{chat.sender}/tracker"), timeout=10).json()
    assert tracker["active_loop"] in ({}, None) or not tracker["active_loop"].get("name"), tracker["active_loop"]
    assert tracker["slots"].get("registration_name") is None


def test_registers_in_the_chat_a_wrong_code_first_then_sets_the_password_on_the_page_and_logs_in(stack: Stack) -> None:
    chat = Chat(stack)
    before = _outbox_count(stack)
    chat.say("新用户注册")
    chat.say("林晓")
    # a wrong ID number first: the backend's reason, asked again, nothing lost
    bad = chat.say("440304199801202600")
    assert "身份证" in bad and "哪家银行" not in bad, chat.transcript()
    assert "哪家银行" in chat.say("440304199801202601"), chat.transcript()
    # a bank that does not cooperate: the reason names the banks that do
    assert "招商银行" in chat.say("浦发银行"), chat.transcript()
    assert "卡号" in chat.say("招商银行"), chat.transcript()
    assert "手机" in chat.say("6225880211112222"), chat.transcript()
    reply = chat.say("13800138014")
    assert "银行核验通过" in reply and "138****8014" in reply and "验证码" in reply, chat.transcript()
    code = _latest_code(stack, before)

    # the wrong code: the backend's reason, no link, nothing registered
    wrong = f"{(int(code) + 1) % 10**6:06d}"
    reply = chat.say(wrong)
    assert "验证码不正确或已失效" in reply and "重新发送" in reply and "http" not in reply, chat.transcript()
    assert "6位" in chat.say("嗯我看一下"), chat.transcript()
    assert (
        requests.post(
            f"{stack.backend}/auth/login", json={"username": "linxiao98", "password": PASSWORD}, timeout=10
        ).status_code
        == 401
    )

    reply = chat.say(f"验证码是{code}")
    link = LINK.search(reply)
    assert link, chat.transcript()
    assert "密码" in reply and "一次" in reply

    page = requests.get(link.group(1), timeout=10)
    assert page.status_code == 200 and "林*" in page.text and "************2222" in page.text, page.text
    form = _form(page.text)
    target = urljoin(link.group(1), form["action"])
    weak = requests.post(
        target,
        data={**form["fields"], "username": "linxiao98", "password": "12345678", "password_again": "12345678"},
        timeout=10,
    )
    assert weak.status_code == 422 and "字母和数字" in weak.text
    done = requests.post(
        target,
        data={**_form(weak.text)["fields"], "username": "linxiao98", "password": PASSWORD, "password_again": PASSWORD},
        timeout=10,
    )
    assert done.status_code == 200 and "注册成功" in done.text, done.text

    login = requests.post(
        f"{stack.backend}/auth/login", json={"username": "linxiao98", "password": PASSWORD}, timeout=10
    )
    assert login.status_code == 200, login.text
    me = requests.get(f"{stack.backend}/me", headers={"Authorization": f"Bearer {login.json()['token']}"}, timeout=10)
    assert me.status_code == 200 and "林晓" in me.text
    assert requests.get(link.group(1), timeout=10).status_code == 403  # the link works once

    # the conversation holds no password, and her numbers are not stored in clear (the tracker store)
    stored = requests.get(stack.api(f"/conversations/{chat.sender}/tracker"), timeout=10).text
    assert PASSWORD not in stored
    raw = b"".join(p.read_bytes() for p in stack.tmp.glob("tracker.sqlite3*")).decode("utf-8", "replace")
    assert raw and "6225880211112222" not in raw and "440304199801202601" not in raw and PASSWORD not in raw

    # registering again, the way people type: the backend's reason (already registered), the form ends
    again = Chat(stack)
    reply = _give_details(again)
    assert "已注册" in reply and "登录" in reply, again.transcript()
    tracker = requests.get(stack.api(f"/conversations/{again.sender}/tracker"), timeout=10).json()
    assert not (tracker.get("active_loop") or {}).get("name"), tracker.get("active_loop")
