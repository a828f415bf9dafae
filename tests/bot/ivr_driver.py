"""The phone (IVR) channel's test driver: a scripted stand-in for Rasa and a phone call.

``script`` answers as the actions would (the identity prompt and the handoff with their signals,
a confirmation, an outcome); conftest.py's ``bot`` fixture plays it for a module that imports it.
``Call`` is one phone call as the speech front end sends it (call start, transcripts, keys), each
answer checked for anything unspeakable; ``start_ivr_server`` serves the IVR channel against a
backend. Used by test_channel_ivr.py, test_security_ivr.py and test_channel_state.py.
"""

from __future__ import annotations

from itertools import count
from typing import Any, Dict, Iterator, List, Optional

import requests
from channel_fixtures import PHONE_PIN, SERVICE_KEY, FakeBot, SanicServer, id_number
from rasa_sdk.executor import CollectingDispatcher

from bot.actions.common import HANDOFF, signal
from bot.actions.common import say as action_say
from bot.actions.identity import login_help
from bot.channels.ivr import IVRInput, spoken_problems


def dispatched(zh: str, en: str, **kwargs: Any) -> List[Dict[str, Any]]:
    """What an action's ``say`` hands to Rasa (text, and a custom signal when there is one)."""
    dispatcher = CollectingDispatcher()
    action_say(dispatcher, "zh", zh, en, **kwargs)
    return dispatcher.messages


LOGIN_HELP_PHONE = dispatched(login_help("zh", "phone"), login_help("en", "phone"))

SECRET = "ivr-test-secret"
ZHANGWEI_PHONE = "+8613800138001"
ZHANGWEI_TAIL = id_number("440304", "19880512", 131)[-4:]
CONFIRM_BUTTONS = [{"title": "确认", "payload": "/affirm"}, {"title": "取消", "payload": "/cancel"}]
CONFIRM_TEXT = (
    "请确认：为李小明（4403**********111X）办理“少儿医保停保”，停保月份2026-12。确认后将在网上直接办结。确认办理吗？"
)
DONE_TEXT = (
    "**已办结**：少儿医保停保（李小明）。😀\n业务流水号：20261127000123\n预申请号：YS2026000012347\n"
    "打印申请表：http://127.0.0.1:8000/pre-applications/YS2026000012347/form.pdf\n"
    "详情见 [办事指南](https://si.example.org/guide)，咨询请拨打12333或0755-12345678。"
)
HANDOFF_TEXT = (
    "好的，为您转人工服务：请拨打人力资源和社会保障服务热线 12333，人工客服会帮您处理。"
    "也可以到现场办理：携带身份证件到任一深圳市社会保险基金管理局服务窗口办理（工作日 9:00-17:00）。"
    "正在为您转接人工，请稍候。"
)

_calls = count(1)


HANDOFF_MESSAGES = dispatched(
    HANDOFF_TEXT,
    "Transferring you to an agent now.",
    signal_payload=signal(HANDOFF, number="12333", reason="user_request"),
)


def script(text: str, metadata: Dict[str, Any]) -> List[tuple]:
    login = [("message", m) for m in LOGIN_HELP_PHONE]
    personal = "停保" in text or text.startswith("/stop")
    if personal and not metadata.get("auth_token"):
        return login
    if personal:
        return [("buttons", CONFIRM_TEXT, CONFIRM_BUTTONS)]
    if text == "/affirm":
        return [("text", DONE_TEXT)] if metadata.get("auth_token") else login
    if "电话验证" in text:  # wording about verification, no signal: just an answer
        return [("text", "来电身份验证：输入身份证号码后四位和电话服务密码即可。")]
    if "人工几点" in text:  # wording about transfers, no signal: just an answer
        return [("text", "人工服务时间是每天9点到21点，需要时我可以为您转接人工。")]
    if text == "/cancel":
        return [("text", "好的，已取消，没有做任何更改。")]
    if "怎么交" in text:
        return [("text", "## 缴费方式\n* 网上缴费：登录 https://si.example.org 👍\n* 银行代扣：每月15日扣款。")]
    if "人工" in text:
        return [("message", m) for m in HANDOFF_MESSAGES]
    if "再见" in text:  # domain.yml utter_goodbye
        return [("message", {"text": "感谢使用，再见！", "custom": {"signal": "end_call"}})]
    if text == "boom":
        return [("raise",)]
    return [("text", f"您说的是{text}。")]


def start_ivr_server(backend_url: str, bot: FakeBot) -> Iterator[SanicServer]:
    """Generator for a fixture: the IVR channel (webhook secret ``SECRET``) served against ``backend_url``."""
    channel = IVRInput.from_credentials(
        {"backend_url": backend_url, "service_key": SERVICE_KEY, "webhook_secret": SECRET}
    )
    srv = SanicServer({"/webhooks/ivr": channel.blueprint(bot)}).start()
    yield srv
    srv.stop()


class Call:
    """One phone call as the front end sees it."""

    def __init__(self, server: SanicServer, caller: Optional[str] = ZHANGWEI_PHONE) -> None:
        self.server = server
        self.call_id = f"call-{next(_calls)}"
        self.caller = caller
        self.log: List[Dict[str, Any]] = []

    def send(self, **fields: Any) -> Dict[str, Any]:
        body = {"call_id": self.call_id, **fields}
        if self.caller:
            body["caller"] = self.caller
        resp = requests.post(
            self.server.url + "/webhooks/ivr/webhook", json=body, headers={"X-IVR-Secret": SECRET}, timeout=20
        )
        assert resp.status_code == 200, resp.text
        out = resp.json()
        assert_speakable(out)
        self.log.append(out)
        return out

    def start(self) -> Dict[str, Any]:
        return self.send(event="call_start")

    def say(
        self, transcript: str, confidence: Optional[float] = 0.92, alternatives: Optional[list] = None
    ) -> Dict[str, Any]:
        fields: Dict[str, Any] = {"event": "speech", "transcript": transcript}
        if confidence is not None:
            fields["confidence"] = confidence
        if alternatives:
            fields["alternatives"] = alternatives
        return self.send(**fields)

    def keys(self, digits: str) -> Dict[str, Any]:
        return self.send(event="dtmf", digits=digits)

    def verify(self, tail: str = ZHANGWEI_TAIL, pin: str = PHONE_PIN) -> Dict[str, Any]:
        out = self.keys(tail.replace("X", "*") + "#")
        assert "密码" in out["text"] and out["expect"]["type"] == "dtmf"
        return self.keys(pin + "#")


def assert_speakable(out: Dict[str, Any]) -> None:
    assert spoken_problems(out["text"]) == [], out["text"]
    assert spoken_problems(out["ssml"]) == [], out["ssml"]
    assert out["ssml"].startswith("<speak>") and out["ssml"].endswith("</speak>")
