"""Conversation repair and corrections end to end: REST and the phone (IVR) channel.

One stack for the module (tests/bot/stack.py): the real backend, the action
server and ``rasa run`` with the trained model, the REST channel and the IVR
webhook. Residents type or speak the way they do; nothing is stubbed: NLU,
policies, actions and the backend decide every reply, and the backend's state
is checked through its own API.

Demo people (README), one per test: 张伟 (zhangwei) corrects the bank at the
summary after not knowing the card number; 赵建国 (zhaojianguo) corrects the
province inside the form and asks for a person at the summary; 陈静 (chenjing)
types nonsense inside a form and asks for a person there; 何丽 (heli, by phone)
asks to hear the summary again, says she does not know, and asks for a person.
"""

from __future__ import annotations

import json
import re
import time
from itertools import count
from typing import Any, Dict, List, Optional

import pytest
import requests

pytest.importorskip("rasa")

from channel_fixtures import PASSWORD, PHONE_PIN, SERVICE_KEY, id_number  # noqa: E402
from stack import Stack  # noqa: E402

from bot.channels.ivr import spoken_problems  # noqa: E402

IVR_SECRET = "e2e-repair-ivr-secret"
HELI_PHONE = "+86 138 0013 8011"
HELI_TAIL = id_number("440309", "19800707", 228)[-4:]
ZHANGWEI_ID = id_number("440304", "19880512", 131)
SERIAL = re.compile(r"SZ\d{14}")
_senders = count(1)
_calls = count(1)


def stack_credentials(st: Stack) -> Dict[str, Any]:
    """The channels of this module's stack (conftest.py's ``stack`` fixture)."""
    return {
        "rest": None,
        "bot.channels.ivr.IVRInput": {
            "webhook_secret": IVR_SECRET,
            "confidence_threshold": 0.6,
            "transfer_number": "12333",
            "backend_url": st.backend,
            "service_key": SERVICE_KEY,
        },
    }


def login(st: Stack, username: str) -> str:
    r = requests.post(f"{st.backend}/auth/login", json={"username": username, "password": PASSWORD}, timeout=10)
    assert r.status_code == 200, r.text
    return r.json()["token"]


class Resident:
    """One REST conversation, logged in."""

    def __init__(self, st: Stack, username: str) -> None:
        self.st, self.token = st, login(st, username)
        self.sender = f"e2e-repair-{username}-{next(_senders)}"
        self.log: List[str] = []
        self.last: List[Dict[str, Any]] = []

    def send(self, message: str) -> str:
        body = {"sender": self.sender, "message": message, "metadata": {"auth_token": self.token}}
        r = requests.post(f"{self.st.rasa}/webhooks/rest/webhook", json=body, timeout=60)
        assert r.status_code == 200, r.text
        self.last = r.json()
        shown = "\n".join(m["text"] for m in self.last if m.get("text"))
        self.log += [f"> {message}", shown + "".join(f" [{b['title']}]" for b in self.buttons())]
        return shown

    def buttons(self) -> List[Dict[str, str]]:
        return [b for m in self.last for b in m.get("buttons") or []]

    def signals(self) -> List[Dict[str, Any]]:
        return [m["custom"] for m in self.last if isinstance(m.get("custom"), dict)]

    @property
    def transcript(self) -> str:
        return "\n".join(self.log)

    def me(self) -> Dict[str, Any]:
        r = requests.get(f"{self.st.backend}/me", headers={"Authorization": f"Bearer {self.token}"}, timeout=10)
        r.raise_for_status()
        return r.json()


@pytest.mark.slow
def test_rest_dont_know_repeat_then_a_correction_at_the_summary_is_submitted(stack: Stack) -> None:
    me = Resident(stack, "zhangwei")
    reply = me.send("我想换个扣社保的银行卡")
    assert "哪家银行" in reply, me.transcript
    reply = me.send("招商银行")
    assert "银行账号" in reply, me.transcript
    reply = me.send("我忘了卡号，不知道")
    assert "12333" in reply and "取消" in reply and "窗口" in reply, me.transcript
    assert "银行账号" in reply, me.transcript  # and the question again
    reply = me.send("能再说一遍吗")
    assert "请输入新的银行账号" in reply, me.transcript
    me.send("6225 8802 1234 9999")
    me.send("张伟")
    reply = me.send(ZHANGWEI_ID)
    assert "请核对" in reply and "招商银行" in reply, me.transcript
    reply = me.send("不对，开户银行应该是建设银行")
    assert "已取消" not in reply and "请核对" in reply and "建设银行" in reply, me.transcript
    assert "· 开户银行：中国建设银行" in reply and "· 开户银行：招商银行" not in reply, me.transcript
    reply = me.send("确认")
    assert "已办结" in reply and SERIAL.search(reply), me.transcript
    assert "建设银行" in json.dumps(me.me(), ensure_ascii=False), me.transcript


@pytest.mark.slow
def test_rest_a_correction_inside_the_form_and_a_person_at_the_summary(stack: Stack) -> None:
    me = Resident(stack, "zhaojianguo")
    reply = me.send("我要把医保转到湖南去")
    assert "哪个城市" in reply, me.transcript
    reply = me.send("刚才那个说错了，应该是湖北")
    assert "湖北" in reply and "哪个城市" in reply, me.transcript
    reply = me.send("武汉")
    assert "请核对" in reply and "湖北" in reply and "武汉" in reply and "湖南" not in reply, me.transcript
    reply = me.send("我要转人工")
    assert "12333" in reply and any(s.get("signal") == "handoff" for s in me.signals()), me.transcript
    assert [b["payload"] for b in me.buttons()] == ["/affirm", "/cancel"], me.transcript
    reply = me.send("确认")
    assert "已办结" in reply, me.transcript


@pytest.mark.slow
def test_rest_nonsense_inside_a_form_is_not_an_answer_and_a_person_can_be_asked_for(stack: Stack) -> None:
    me = Resident(stack, "zhangwei")
    reply = me.send("我想换个扣社保的银行卡")
    assert "哪家银行" in reply, me.transcript
    for nonsense in ("？？", "。。。"):
        reply = me.send(nonsense)
        assert re.search("没有听懂|没听懂|不太明白|did not understand", reply), me.transcript
        assert "账号" not in reply, me.transcript  # the bank question, not the next one
    reply = me.send("我要找人工客服")
    assert "12333" in reply and any(s.get("signal") == "handoff" for s in me.signals()), me.transcript
    assert "哪家银行" in reply, me.transcript  # the form asks its question again


@pytest.mark.slow
def test_rest_paying_for_a_child_never_leads_to_a_stop_confirmation(stack: Stack) -> None:
    me = Resident(stack, "lina")
    for text in ("给孩子交一下医保", "我想帮小儿子续费少儿医保", "孩子的医保要交钱了，在哪交"):
        reply = me.send(text)
        titles = " ".join(b["title"] for b in me.buttons())
        stop_confirmation = "请核对" in reply and "停保" in reply and "/affirm" in [b["payload"] for b in me.buttons()]
        assert not stop_confirmation, me.transcript
        assert "停保" not in titles or "缴费" in titles or "缴费" in reply, me.transcript
        me.send("取消")


# ---- phone --------------------------------------------------------------------------------
class PhoneCall:
    def __init__(self, st: Stack, caller: str) -> None:
        self.url = f"{st.rasa}/webhooks/ivr/webhook"
        self.call_id = f"e2e-repair-call-{next(_calls)}-{int(time.time())}"
        self.caller = caller
        self.log: List[str] = []

    def send(self, **fields: Any) -> Dict[str, Any]:
        body = {"call_id": self.call_id, "caller": self.caller, **fields}
        resp = requests.post(self.url, json=body, headers={"X-IVR-Secret": IVR_SECRET}, timeout=60)
        assert resp.status_code == 200, resp.text
        out = resp.json()
        self.log.append(f"> {json.dumps(fields, ensure_ascii=False)}\n< {out['text']}")
        assert spoken_problems(out["text"]) == [], out["text"]
        return out

    def say(self, transcript: str, confidence: float = 0.9, alternatives: Optional[list] = None) -> Dict[str, Any]:
        return self.send(event="speech", transcript=transcript, confidence=confidence)

    def keys(self, digits: str) -> Dict[str, Any]:
        return self.send(event="dtmf", digits=digits)

    @property
    def transcript(self) -> str:
        return "\n".join(self.log)


@pytest.mark.slow
def test_ivr_repeat_dont_know_and_a_person_at_the_confirmation(stack: Stack) -> None:
    call = PhoneCall(stack, HELI_PHONE)
    call.send(event="call_start")
    call.keys(HELI_TAIL.replace("X", "*") + "#")
    out = call.keys(PHONE_PIN + "#")
    assert "身份验证成功" in out["text"], call.transcript
    out = call.say("我要停居民医保")
    assert "居民停保" in out["text"] and out["text"].endswith("确认请按1，取消请按2。"), call.transcript
    summary = out["text"]
    out = call.say("你刚才说什么，再说一遍")
    assert out["text"] == summary, call.transcript
    out = call.say("我不知道")
    assert "取消" in out["text"] and "12333" in out["text"].replace(" ", ""), call.transcript
    out = call.say("转人工")
    assert out["transfer"] == {"number": "12333", "reason": "assistant"} or out["transfer"], call.transcript


@pytest.mark.slow
def test_ivr_a_correction_at_the_confirmation_replaces_the_value_and_is_submitted(stack: Stack) -> None:
    call = PhoneCall(stack, HELI_PHONE)
    call.send(event="call_start")
    call.keys(HELI_TAIL.replace("X", "*") + "#")
    assert "身份验证成功" in call.keys(PHONE_PIN + "#")["text"], call.transcript
    out = call.say("我想改一下居民养老保险的缴费档次")
    assert "档" in out["text"] and "确认请按1" not in out["text"], call.transcript
    out = call.say("四档")  # (何丽 pays grade 3; the backend refuses "no change" at once)
    assert out["text"].endswith("确认请按1，取消请按2。"), call.transcript
    out = call.say("不对 应该是五档")
    assert "取消" not in out["text"].replace("取消请按2", ""), call.transcript
    assert out["text"].endswith("确认请按1，取消请按2。"), call.transcript
    out = call.keys("1")
    assert "已办结" in out["text"], call.transcript
    token = login(stack, "heli")
    profile = requests.get(f"{stack.backend}/me", headers={"Authorization": f"Bearer {token}"}, timeout=10).json()
    grades = [e.get("pension_grade") for e in profile.get("enrolments") or [] if e.get("pension_grade") is not None]
    assert 5 in grades or "5" in grades, (profile, call.transcript)
