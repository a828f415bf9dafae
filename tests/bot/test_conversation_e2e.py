"""Whole conversations over Rasa's REST channel, against the real running assistant.

One stack per module (tests/bot/stack.py): the real backend (temporary SQLite,
demo people, clock pinned to a working day), the action server, and ``rasa run``
with the trained model and a credentials file enabling the REST channel. A
resident's browser session is played by ``Resident``: it logs in at the
backend (``POST /auth/login``, the demo password) and sends each message to
``POST /webhooks/rest/webhook`` with the token as ``metadata.auth_token``, the
way the website passes it (bot/actions/identity.py reads it per turn). Nothing
is stubbed: NLU, policies, actions and backend decide every reply, and the
backend's state is checked through its own API with the same token.

Demo people (README), one per test since the backend is shared:
- 李娜 (lina), guardian of 李小明 (enrolled child), 李小红 (student) and 李小乐
  (not enrolled; the hukou registry has no settle-in date, so his first
  enrolment fails the comparison and becomes a pre-application): the
  acceptance conversation;
- 陈静 (chenjing) and 何丽 (heli): leaving a form and a confirmation;
- 张伟 (zhangwei): the English conversation.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from itertools import count
from typing import Any, Dict, List, Optional

import pytest
import requests

pytest.importorskip("rasa")

from channel_fixtures import PASSWORD  # noqa: E402
from stack import Stack  # noqa: E402

from bot.language_detection import classify_language  # noqa: E402

SERIAL = re.compile(r"SZ\d{14}")
PRE_APP = re.compile(r"预申请号：(YS\d{13})")
FORM_LINK = re.compile(r"打印申请表：(http\S+/documents/(YS\d{13})\.pdf\?\S+)")
CERT_LINK = re.compile(r"(?:下载打印|Download and print)：?:? ?(http\S+/documents/(ZM\d{14})\.pdf\?\S+)")
PAYMENT_HOURS_ZH = "工作日的9:00到17:00"
PAYMENT_HOURS_EN = "working days from 09:00 to 17:00"
LOGIN_ZH = "请先登录"

_senders = count(1)


# ======================================================================================
# The stack and a resident talking to it
# ======================================================================================
def login(st: Stack, username: str) -> str:
    r = requests.post(f"{st.backend}/auth/login", json={"username": username, "password": PASSWORD}, timeout=10)
    assert r.status_code == 200, r.text
    return r.json()["token"]


def backend_get(st: Stack, token: str, path: str) -> Dict[str, Any]:
    r = requests.get(f"{st.backend}{path}", headers={"Authorization": f"Bearer {token}"}, timeout=10)
    assert r.status_code == 200, f"GET {path}: {r.status_code} {r.text}"
    return r.json()


def child(profile: Dict[str, Any], name: str) -> Dict[str, Any]:
    return next(c for c in profile["children"] if c["name"] == name)


def pdf_text(st: Stack, url: str) -> str:
    """GET a link from a reply: it must be a PDF of the stack's backend; its text when pdftotext is there."""
    assert url.startswith(f"{st.backend}/documents/"), url
    r = requests.get(url, timeout=20)
    assert r.status_code == 200, f"{url}: {r.status_code} {r.text[:300]}"
    assert r.headers["content-type"].startswith("application/pdf"), r.headers
    assert r.content.startswith(b"%PDF-"), r.content[:20]
    if shutil.which("pdftotext") is None:
        return ""
    out = subprocess.run(["pdftotext", "-q", "-", "-"], input=r.content, capture_output=True, timeout=30)
    return out.stdout.decode("utf-8", "replace")


class Resident:
    """One conversation (one sender id) over the REST channel, logged in when ``token`` is given."""

    def __init__(self, st: Stack, token: Optional[str], who: str) -> None:
        self.st, self.token = st, token
        self.sender = f"e2e-conv-{who}-{next(_senders)}"
        self.log: List[str] = []
        self.last: List[Dict[str, Any]] = []

    def send(self, message: str) -> str:
        """Send a message (typed text or a button payload); returns the reply texts joined."""
        body: Dict[str, Any] = {"sender": self.sender, "message": message}
        if self.token:
            body["metadata"] = {"auth_token": self.token}
        r = requests.post(f"{self.st.rasa}/webhooks/rest/webhook", json=body, timeout=60)
        assert r.status_code == 200, r.text
        self.last = r.json()
        texts = [m["text"] for m in self.last if m.get("text")]
        shown = "\n".join(texts)
        buttons = " | ".join(f"[{b['title']}]" for b in self.buttons())
        self.log += [f"> {message}", shown + (f"\n  {buttons}" if buttons else "")]
        for text in texts:  # the actions' signal payloads never appear as text
            assert "signal" not in text and '{"' not in text, self.transcript
        return shown

    def buttons(self) -> List[Dict[str, str]]:
        return [b for m in self.last for b in m.get("buttons") or []]

    def button(self, title: str) -> Dict[str, str]:
        found = [b for b in self.buttons() if b["title"] == title]
        assert len(found) == 1, f"no button {title!r}:\n{self.transcript}"
        return found[0]

    def signals(self) -> List[Dict[str, Any]]:
        return [m["custom"] for m in self.last if isinstance(m.get("custom"), dict)]

    def tracker_events(self) -> List[Dict[str, Any]]:
        r = requests.get(self.st.api(f"/conversations/{self.sender}/tracker"), timeout=10)
        r.raise_for_status()
        return r.json()["events"]

    def actions(self) -> List[str]:
        return [e["name"] for e in self.tracker_events() if e.get("event") == "action"]

    @property
    def transcript(self) -> str:
        return "\n".join(self.log)


# ======================================================================================
# 1. The demo guardian
# ======================================================================================
@pytest.mark.slow
def test_demo_guardian_stops_a_child_gets_a_pre_application_and_prints_a_certificate(stack: Stack) -> None:
    token = login(stack, "lina")
    me = Resident(stack, token, "lina")
    assert child(backend_get(stack, token, "/me"), "李小明")["enrolments"][0]["status"] == "active"

    # --- stop a child's insurance: which one is asked from her profile
    me.send("给孩子停保")
    titles = " ".join(b["title"] for b in me.buttons())
    assert "李小明" in titles and "李小乐" not in titles, me.transcript  # 李小乐 is not insured

    # a question while the choice is pending: answered, then the choice is asked again
    reply = me.send("对了，社保每天几点可以缴费？")
    assert PAYMENT_HOURS_ZH in reply, me.transcript
    assert reply.index(PAYMENT_HOURS_ZH) < reply.index("请接着从下面选择一项"), me.transcript
    assert "李小明" in " ".join(b["title"] for b in me.buttons()), me.transcript
    reply = me.send("李小明")  # typed, as a resident would
    assert "少儿停保" in reply and "李小明" in reply and "确认办理吗" in reply, me.transcript
    assert {b["payload"] for b in me.buttons()} == {"/affirm", "/cancel"}, me.transcript
    assert child(backend_get(stack, token, "/me"), "李小明")["enrolments"][0]["status"] == "active"  # not yet

    reply = me.send("确认")
    assert "已办结" in reply and "李小明" in reply, me.transcript
    serial = SERIAL.search(reply)
    assert serial and f"业务流水号：{serial.group()}" in reply, me.transcript
    stopped = child(backend_get(stack, token, "/me"), "李小明")["enrolments"][0]
    assert stopped["status"] == "stopped" and stopped["end_month"] == "2026-11", stopped

    # --- first enrolment of 李小乐: a form (settle-in date), a question in the middle of it, a pre-application
    reply = me.send("小儿子户口刚迁来深圳，还没上幼儿园，想给他第一次参加少儿医保")
    assert "哪个孩子" in reply, me.transcript
    reply = me.send(me.button("李小乐")["payload"])  # clicked
    assert "李小乐" in reply and "入户深圳的日期" in reply, me.transcript

    reply = me.send("几点可以缴费")
    assert PAYMENT_HOURS_ZH in reply, me.transcript
    assert reply.rstrip().endswith("请问孩子入户深圳的日期？例如“2025-01-10”。"), me.transcript  # the form asks again
    events = me.tracker_events()
    loops = [e.get("name") for e in events if e.get("event") == "active_loop"]
    assert loops[-1] == "item_form", me.transcript  # and is still active

    reply = me.send("2026年6月1号")
    assert "李小乐" in reply and "2026-06-01" in reply and "确认办理吗" in reply, me.transcript
    reply = me.send(me.button("确认")["payload"])
    assert "已提交预申请" in reply, me.transcript
    number = PRE_APP.search(reply)
    assert number, me.transcript
    number = number.group(1)
    assert "入户时间" in reply, me.transcript  # why the comparison failed
    for material in ("少儿户口簿及出生医学证明", "监护关系证明", "打印并签名的预申请表"):
        assert material in reply, me.transcript
    assert "服务窗口" in reply, me.transcript
    form = FORM_LINK.search(reply)
    assert form and form.group(2) == number, me.transcript
    text = pdf_text(stack, form.group(1))
    if text:
        assert number in text and "李小乐" in text, text[:500]
    pre = backend_get(stack, token, f"/pre-applications/{number}")
    assert (pre["status"], pre["item_code"], pre["subject_name"]) == ("submitted", "enroll_child_first_time", "李小乐")
    assert pre["data"] == {"settle_in_date": "2026-06-01"}
    assert child(backend_get(stack, token, "/me"), "李小乐")["enrolments"] == []  # the window decides

    # --- her own insurance certificate
    reply = me.send("打印参保证明")
    assert "李娜" in reply, me.transcript
    cert = CERT_LINK.search(reply)
    assert cert, me.transcript
    text = pdf_text(stack, cert.group(1))
    if text:
        assert "李娜" in text and cert.group(2) in text, text[:500]

    # everything went through the task flow, each submission once
    assert me.actions().count("action_submit_task") == 2, me.transcript


# ======================================================================================
# 2. Without a login
# ======================================================================================
@pytest.mark.slow
def test_without_a_token_personal_requests_are_refused_and_questions_answered(stack: Stack) -> None:
    anon = Resident(stack, None, "anon")
    for request in ("给孩子停保", "打印参保证明"):
        reply = anon.send(request)
        assert LOGIN_ZH in reply and "不登录也可以向我咨询" in reply, anon.transcript
        assert {"signal": "verify_identity", "reason": "required"} in anon.signals(), anon.last
        for leaked in ("李小明", "李娜", "/documents/", "流水号", "确认办理吗"):
            assert leaked not in reply, anon.transcript
        assert not anon.buttons(), anon.transcript
    reply = anon.send("社保每天几点可以缴费？")
    assert PAYMENT_HOURS_ZH in reply and LOGIN_ZH not in reply, anon.transcript
    assert not anon.signals(), anon.last
    assert "action_submit_task" not in anon.actions()

    english = Resident(stack, None, "anon-en")
    reply = english.send("I want to print my insurance certificate")
    assert "Please log in first" in reply and "without logging in" in reply, english.transcript
    assert classify_language(reply) == "en" and "/documents/" not in reply, english.transcript
    assert {"signal": "verify_identity", "reason": "required"} in english.signals(), english.last


# ======================================================================================
# 3. Leaving a form or a confirmation
# ======================================================================================
@pytest.mark.slow
def test_cancel_in_the_middle_of_a_form_or_at_the_confirmation_changes_nothing(stack: Stack) -> None:
    # 陈静: first enrolment of 陈安安, left at the form's question with "算了"
    token = login(stack, "chenjing")
    before = backend_get(stack, token, "/me")
    me = Resident(stack, token, "chenjing")
    reply = me.send("孩子还没上幼儿园，想给他参保")
    assert "陈安安" in reply and "入户深圳的日期" in reply, me.transcript
    reply = me.send("算了，不办了")
    assert "已取消" in reply and "没有提交" in reply, me.transcript
    reply = me.send("2025-01-10")  # a late answer does not revive it
    assert "确认办理吗" not in reply and "预申请" not in reply, me.transcript
    assert backend_get(stack, token, "/me") == before
    assert "action_submit_task" not in me.actions(), me.transcript
    loops = [e.get("name") for e in me.tracker_events() if e.get("event") == "active_loop"]
    assert loops and loops[-1] is None, me.transcript

    # 何丽: stopping her residents' insurance, declined at the summary with "取消"
    token = login(stack, "heli")
    before = backend_get(stack, token, "/me")
    assert {e["status"] for e in before["enrolments"]} == {"active"}
    me = Resident(stack, token, "heli")
    reply = me.send("我不想交居民医保了，帮我停掉")
    assert "居民停保" in reply and "确认办理吗" in reply, me.transcript
    reply = me.send("取消")
    assert "已取消" in reply and "没有提交" in reply, me.transcript
    reply = me.send("确认")  # nothing is pending any more
    assert "已办结" not in reply and not SERIAL.search(reply), me.transcript
    assert backend_get(stack, token, "/me") == before
    assert "action_submit_task" not in me.actions(), me.transcript


# ======================================================================================
# 4. English
# ======================================================================================
@pytest.mark.slow
def test_an_english_conversation_gets_english_replies(stack: Stack) -> None:
    token = login(stack, "zhangwei")
    before = backend_get(stack, token, "/me")
    me = Resident(stack, token, "zhangwei")

    reply = me.send("Hello")
    assert classify_language(reply) == "en" and "How can I help" in reply, me.transcript

    reply = me.send("I want to print my insurance certificate")
    assert classify_language(reply) == "en", me.transcript
    assert "insurance certificate of 张伟" in reply, me.transcript
    cert = CERT_LINK.search(reply)
    assert cert and "Download and print" in reply, me.transcript
    pdf_text(stack, cert.group(1))

    reply = me.send("What are the payment hours?")
    assert PAYMENT_HOURS_EN in reply, me.transcript

    reply = me.send("I'd like to stop paying my flexible worker insurance")
    assert classify_language(reply) == "en", me.transcript
    assert "Stop flexible-worker (individual) insurance" in reply and "Shall I go ahead?" in reply, me.transcript
    assert [b["title"] for b in me.buttons()] == ["Confirm", "Cancel"], me.transcript
    reply = me.send("No, cancel")
    assert reply == "OK, cancelled; nothing was submitted. Anything else?", me.transcript
    assert backend_get(stack, token, "/me") == before


@pytest.mark.slow
def test_english_payment_hours_question_in_plain_words(stack: Stack) -> None:
    me = Resident(stack, login(stack, "zhangwei"), "zhangwei-hours")
    reply = me.send("When can I pay my contributions?")
    assert PAYMENT_HOURS_EN in reply, me.transcript


@pytest.mark.slow
def test_terminal_chat_as_a_demo_person(
    stack: Stack, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    """`python -m bot.channels.tryout rest --user heli`: rasa-shell-style chat, logged in, buttons by number."""
    from bot.channels import tryout

    token = login(stack, "heli")
    before = backend_get(stack, token, "/me")
    lines = iter(["我不想交居民医保了，帮我停掉", "2", ":quit"])  # button 2 of the summary: 取消
    monkeypatch.setattr("builtins.input", lambda _prompt="": next(lines))
    tryout.main(
        [
            "rest",
            "--url",
            stack.urls["rasa"] + "/webhooks/rest/webhook",
            "--backend",
            stack.urls["backend"],
            "--user",
            "heli",
        ]
    )
    out = capsys.readouterr().out
    assert "logged in as heli" in out
    assert "确认办理吗" in out and "[1] 确认  [2] 取消" in out, out
    assert "已取消" in out.split("[2] 取消", 1)[1], out  # the numbered button was sent
    assert backend_get(stack, token, "/me") == before
