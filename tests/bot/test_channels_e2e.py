"""WeChat and phone (IVR) channels end to end, against the real running assistant.

One stack per module (tests/bot/stack.py): the real backend (temporary SQLite,
demo people, clock pinned to a working day), the action server, and
``rasa run`` with the trained model and a credentials file enabling
``bot.channels.wechat.WeChatInput`` (safe mode available, customer-service API
pointed at the local fake of channel_fixtures) and ``bot.channels.ivr.IVRInput``.
Nothing is stubbed between the channel and the backend: NLU, dialogue policies,
actions and backend decide every answer.

WeChat: wechatpy is the independent client, signing every push (and in one
test AES-encrypting it in safe mode) and parsing/decrypting the replies. A
reply may arrive as the passive reply or, when a turn outlasts the reply
budget, through the customer-service API fake: both are collected.

IVR: recorded-style requests (a homophone error 设保/停报, a low-confidence
turn with its n-best list, DTMF) through the HTTP webhook; every spoken output
is checked for anything unspeakable (URLs, emoji, markdown).

Demo people (README), one per test since the backend is shared: 李娜 (lina,
stops 李小明's insurance over WeChat), 张伟 (zhangwei, stops his flexible-worker
insurance over WeChat in safe mode; phone 13800138001 for a failed
verification), 何丽 (heli, phone 13800138011, stops her residents' insurance
by phone). Password Demo@2026, phone PIN 202611.
"""

from __future__ import annotations

import asyncio
import base64
import json
import re
import time
import xml.etree.ElementTree as ET
from itertools import count
from typing import Any, Dict, Iterator, List, Optional

import pytest
import requests

pytest.importorskip("rasa")
wechatpy = pytest.importorskip("wechatpy")

from channel_fixtures import (  # noqa: E402
    PASSWORD,
    PHONE_PIN,
    SERVICE_KEY,
    FakeWeChatAPI,
    bind_link,
    bind_on_page,
    id_number,
)
from stack import Stack, run_stack  # noqa: E402
from wechatpy import parse_message  # noqa: E402
from wechatpy.crypto import WeChatCrypto  # noqa: E402
from wechatpy.utils import WeChatSigner  # noqa: E402

from bot.channels.ivr import spoken_problems  # noqa: E402

WECHAT_TOKEN = "e2e-wechat-token"
APP_ID = "wx00e2e0000000test"
APP_SECRET = "e2e-app-secret"
AES_KEY = base64.b64encode(bytes(range(33, 65))).decode().rstrip("=")
GH = "gh_e2e000000000"
BUDGET = 4.5  # the production reply budget (WeChat waits 5 s)
INTERIM = "正在处理，请稍候……"
IVR_SECRET = "e2e-ivr-secret"
HELI_PHONE = "+86 138 0013 8011"  # 何丽: residents' insurance
HELI_TAIL = id_number("440309", "19800707", 228)[-4:]
ZHANGWEI_PHONE = "+86 138 0013 8001"
ZHANGWEI_TAIL = id_number("440304", "19880512", 131)[-4:]
SERIAL = re.compile(r"SZ\d{14}")
SIGNAL_WORDS = ("signal", "verify_identity", 'handoff"', '{"')

_msg_ids = count(7_400_000_000_000_000_001)
_calls = count(1)


# ======================================================================================
# The stack
# ======================================================================================
@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory, fake_api: FakeWeChatAPI) -> Iterator[Stack]:
    def credentials(st: Stack) -> Dict[str, Any]:
        return {
            "rest": None,
            "bot.channels.wechat.WeChatInput": {
                "token": WECHAT_TOKEN,
                "app_id": APP_ID,
                "app_secret": APP_SECRET,
                "encoding_aes_key": AES_KEY,
                "api_base": fake_api.url,
                "oauth_base": fake_api.url,
                "public_url": st.rasa,
                "reply_budget_seconds": BUDGET,
                "backend_url": st.backend,
                "service_key": SERVICE_KEY,
                "allow_plaintext": True,
            },  # plaintext users too (development)
            "bot.channels.ivr.IVRInput": {
                "webhook_secret": IVR_SECRET,
                "confidence_threshold": 0.6,
                "transfer_number": "12333",
                "backend_url": st.backend,
                "service_key": SERVICE_KEY,
            },
        }

    yield from run_stack(tmp_path_factory.mktemp("channels-e2e"), credentials)


def backend_token(st: Stack, channel: str, external_id: str) -> Optional[str]:
    """What the backend has bound to this channel id (None: nothing)."""
    r = requests.post(
        f"{st.backend}/channels/token",
        json={"channel": channel, "external_id": external_id},
        headers={"X-Service-Key": SERVICE_KEY},
        timeout=10,
    )
    if r.status_code == 404:
        return None
    r.raise_for_status()
    return r.json()["token"]


def me(st: Stack, token: str) -> Dict[str, Any]:
    r = requests.get(f"{st.backend}/me", headers={"Authorization": f"Bearer {token}"}, timeout=10)
    r.raise_for_status()
    return r.json()


def user_texts(st: Stack, sender: str) -> List[str]:
    """What Rasa received from this conversation (its tracker, through the HTTP API)."""
    r = requests.get(st.api(f"/conversations/{sender}/tracker"), timeout=10)
    r.raise_for_status()
    return [e.get("text") for e in r.json().get("events", []) if e.get("event") == "user"]


# ======================================================================================
# WeChat, as WeChat's servers drive it (wechatpy signs, encrypts, parses, decrypts)
# ======================================================================================
class WeChatUser:
    """One follower of the Official Account; ``send`` returns everything the user sees for a message."""

    def __init__(self, st: Stack, api: FakeWeChatAPI, openid: str, safe_mode: bool = False) -> None:
        self.url = f"{st.rasa}/webhooks/wechat/webhook"
        self.api, self.openid = api, openid
        self.crypto = WeChatCrypto(WECHAT_TOKEN, AES_KEY, APP_ID) if safe_mode else None
        self.transcript: List[str] = []

    def _api_messages(self) -> List[str]:
        return [s["body"]["text"]["content"] for s in list(self.api.sent) if s["body"].get("touser") == self.openid]

    def _push(self, content: str) -> requests.Response:
        xml = (
            f"<xml><ToUserName><![CDATA[{GH}]]></ToUserName><FromUserName><![CDATA[{self.openid}]]></FromUserName>"
            f"<CreateTime>{int(time.time())}</CreateTime><MsgType><![CDATA[text]]></MsgType>"
            f"<Content><![CDATA[{content}]]></Content><MsgId>{next(_msg_ids)}</MsgId></xml>"
        )
        ts, nonce = str(int(time.time())), f"n{next(_msg_ids) % 10**9}"
        signer = WeChatSigner()
        signer.add_data(WECHAT_TOKEN, ts, nonce)
        query = {"signature": signer.signature, "timestamp": ts, "nonce": nonce}
        body = xml
        if self.crypto is not None:
            envelope = ET.fromstring(self.crypto.encrypt_message(xml, nonce, ts))
            body = (
                f"<xml><ToUserName><![CDATA[{GH}]]></ToUserName>"
                f"<Encrypt><![CDATA[{envelope.findtext('Encrypt')}]]></Encrypt></xml>"
            )
            query.update(encrypt_type="aes", msg_signature=envelope.findtext("MsgSignature"))
        return requests.post(
            self.url, params=query, data=body.encode("utf-8"), headers={"Content-Type": "text/xml"}, timeout=15
        )

    def _passive(self, resp: requests.Response) -> Optional[str]:
        assert resp.status_code == 200, resp.text
        if resp.text in ("", "success"):
            return None
        if self.crypto is not None:
            outer = ET.fromstring(resp.content)
            assert outer.find("Encrypt") is not None and outer.find("Content") is None  # nothing in clear text
            inner = self.crypto.decrypt_message(
                resp.text, outer.findtext("MsgSignature"), outer.findtext("TimeStamp"), outer.findtext("Nonce")
            )
            msg = parse_message(inner)
        else:
            ET.fromstring(resp.content)  # well-formed XML
            msg = parse_message(resp.text)
        assert msg.type == "text" and msg.target == self.openid and msg.source == GH
        return msg.content

    def send(self, content: str) -> str:
        before = len(self._api_messages())
        started = time.monotonic()
        passive = self._passive(self._push(content))
        took = time.monotonic() - started
        assert took < 5.0, f"the passive reply took {took:.1f} s (WeChat gives up after 5 s)"
        parts = [passive] if passive and passive != INTERIM else []
        if passive == INTERIM or took >= BUDGET - 0.3:
            # the turn outlasted the budget: the rest comes through the customer-service API
            deadline, quiet_since, seen = time.monotonic() + 40, None, before
            while time.monotonic() < deadline:
                now_seen = len(self._api_messages())
                if now_seen != seen:
                    seen, quiet_since = now_seen, time.monotonic()
                if quiet_since and time.monotonic() - quiet_since > 1.5:
                    break
                if not quiet_since and parts and time.monotonic() - started > 20:
                    break  # everything was ready at the deadline: nothing more comes
                time.sleep(0.1)
            parts += self._api_messages()[before:]
            assert parts, f"no answer to {content!r} (passive {passive!r}, nothing through the API)"
        reply = "\n\n".join(parts)
        self.transcript += [f"> {content}", reply]
        for word in SIGNAL_WORDS:  # the actions' signal payloads are never shown
            assert word not in reply, reply
        return reply

    def pick(self, reply: str, title: str) -> str:
        """Answer a numbered list ("回复 2：李小明") with the number of ``title``."""
        m = re.search(rf"回复 (\d+)：[^\n]*{re.escape(title)}", reply)
        assert m, f"no option {title!r} in {reply!r}"
        return self.send(m.group(1))


@pytest.mark.slow
def test_wechat_unbound_user_is_refused_personal_items_and_told_how_to_bind(
    stack: Stack, fake_api: FakeWeChatAPI
) -> None:
    user = WeChatUser(stack, fake_api, "o_e2e_unbound")
    for request in ("打印参保证明", "给孩子停保"):
        reply = user.send(request)
        assert "绑定" in reply and bind_link(reply), reply  # how to bind: the binding page's link
        assert "/documents/" not in reply and "流水号" not in reply and "李小明" not in reply, reply
    assert user_texts(stack, user.openid) == ["打印参保证明", "给孩子停保"]
    assert backend_token(stack, "wechat", user.openid) is None


@pytest.mark.slow
def test_wechat_binding_then_a_child_item_to_its_serial_number(stack: Stack, fake_api: FakeWeChatAPI) -> None:
    user = WeChatUser(stack, fake_api, "o_e2e_lina")
    link = bind_link(user.send("给孩子停保"))  # unbound: the binding page's link
    before = len(fake_api.sent)
    pages = bind_on_page(link, user.openid, "lina", PASSWORD)  # OAuth, then the log-in form
    assert "绑定成功" in pages["result"].text, pages["result"].text
    token = backend_token(stack, "wechat", user.openid)  # the backend holds the binding
    assert token and me(stack, token)["name"] == "李娜"
    # the request that started the binding is carried out; its reply comes through the API
    deadline = time.monotonic() + 60
    reply = ""
    while "李小明" not in reply and time.monotonic() < deadline:
        time.sleep(0.3)
        reply = "\n".join(
            m["body"]["text"]["content"] for m in list(fake_api.sent)[before:] if m["body"].get("touser") == user.openid
        )
    assert "绑定成功" in reply and "李小明" in reply, reply
    assert user_texts(stack, user.openid) == ["给孩子停保", "给孩子停保"]  # the password never reached Rasa
    reply = user.pick(reply, "李小明")
    assert "李小明" in reply and "回复 1：确认" in reply, "\n".join(user.transcript)
    reply = user.pick(reply, "确认")
    assert "流水号" in reply and SERIAL.search(reply), "\n".join(user.transcript)


@pytest.mark.slow
def test_wechat_safe_mode_binding_and_an_item(stack: Stack, fake_api: FakeWeChatAPI) -> None:
    user = WeChatUser(stack, fake_api, "o_e2e_zhangwei_aes", safe_mode=True)
    reply = user.send("打印参保证明")
    assert "绑定" in reply and "/documents/" not in reply
    pages = bind_on_page(bind_link(user.send("绑定")), user.openid, "zhangwei", PASSWORD)
    assert "绑定成功" in pages["result"].text
    assert me(stack, backend_token(stack, "wechat", user.openid))["name"] == "张伟"
    reply = user.send("我是灵活就业的，想把自己交的社保停了")
    assert "个人缴费人员停保" in reply and "回复 1：确认" in reply, "\n".join(user.transcript)
    reply = user.pick(reply, "确认")
    assert "已办结" in reply and SERIAL.search(reply), "\n".join(user.transcript)


# ======================================================================================
# Phone: a speech front end posting recorded-style turns
# ======================================================================================
class PhoneCall:
    def __init__(self, st: Stack, caller: str) -> None:
        self.url = f"{st.rasa}/webhooks/ivr/webhook"
        self.call_id = f"e2e-call-{next(_calls)}-{int(time.time())}"
        self.caller = caller
        self.log: List[str] = []

    def send(self, **fields: Any) -> Dict[str, Any]:
        body = {"call_id": self.call_id, "caller": self.caller, **fields}
        resp = requests.post(self.url, json=body, headers={"X-IVR-Secret": IVR_SECRET}, timeout=60)
        assert resp.status_code == 200, resp.text
        out = resp.json()
        self.log.append(f"> {json.dumps(fields, ensure_ascii=False)}\n< {out['text']}")
        # every spoken output: nothing a listener could not hear as meant
        assert spoken_problems(out["text"]) == [], out["text"]
        assert spoken_problems(out["ssml"]) == [], out["ssml"]
        assert out["ssml"].startswith("<speak>") and out["ssml"].endswith("</speak>")
        for word in SIGNAL_WORDS:
            assert word not in out["text"], out["text"]
        return out

    def say(self, transcript: str, confidence: float = 0.9, alternatives: Optional[list] = None) -> Dict[str, Any]:
        fields: Dict[str, Any] = {"event": "speech", "transcript": transcript, "confidence": confidence}
        if alternatives:
            fields["alternatives"] = alternatives
        return self.send(**fields)

    def keys(self, digits: str) -> Dict[str, Any]:
        return self.send(event="dtmf", digits=digits)

    @property
    def transcript(self) -> str:
        return "\n".join(self.log)


@pytest.mark.slow
def test_ivr_unverified_caller_verifies_by_dtmf_and_completes_an_item(stack: Stack) -> None:
    call = PhoneCall(stack, HELI_PHONE)
    out = call.send(event="call_start")
    assert "身份证号码后四位" in out["text"] and out["expect"]["type"] == "dtmf"

    # a question instead of keys, with a homophone error (设保): answered without verification
    out = call.say("设保每天什么时候可以缴费", confidence=0.88)
    assert out["expect"] is not None and out["transfer"] is None, call.transcript
    assert user_texts(stack, call.call_id) == ["社保每天什么时候可以缴费"]

    # a personal item, heard badly (停报, low confidence): confirmed first, from the n-best list
    out = call.say(
        "我要停报",
        confidence=0.45,
        alternatives=[{"transcript": "我要停保", "confidence": 0.4}, {"transcript": "我要听好", "confidence": 0.2}],
    )
    assert out["text"] == "您是说“我要停保”吗？确认请按1，重说请按2。", call.transcript
    assert len(user_texts(stack, call.call_id)) == 1  # nothing reached Rasa yet
    out = call.keys("1")
    # the assistant refuses it unverified and signals verify_identity: the channel asks for the ID tail
    assert "身份" in out["text"] and out["text"].endswith("以井号键结束。"), call.transcript
    assert out["expect"]["type"] == "dtmf" and out["expect"]["max_digits"] == 4
    assert "流水号" not in out["text"]

    out = call.keys(HELI_TAIL.replace("X", "*") + "#")
    assert "密码" in out["text"] and out["expect"]["allow_speech"] is False
    out = call.keys(PHONE_PIN + "#")
    # verified: the request is replayed with the token; the item's confirmation is asked by key
    assert out["text"].startswith("身份验证成功。"), call.transcript
    assert out["text"].endswith("确认请按1，取消请按2。"), call.transcript
    assert out["expect"] == {
        "type": "dtmf",
        "max_digits": 1,
        "submit_key": None,
        "timeout_seconds": 10,
        "allow_speech": False,
    }
    assert user_texts(stack, call.call_id)[-2:] == ["我要停保", "我要停保"]

    out = call.say("确认")  # a spoken 确认 is not enough
    assert "按键确认" in out["text"], call.transcript
    out = call.keys("1")
    assert "已办结" in out["text"] and "流水号" in out["text"], call.transcript
    serial = re.search(r'流水号[^<]*<say-as interpret-as="digits">(\d{14})</say-as>', out["ssml"])
    assert serial, out["ssml"]  # read digit by digit
    assert out["text"].count(" ".join(serial.group(1))) == 2  # read twice
    assert user_texts(stack, call.call_id)[-1] == "/affirm"
    assert call.send(event="hangup")["end_call"] is True


@pytest.mark.slow
def test_ivr_wrong_pin_is_refused_and_handoff_signal_transfers_the_call(stack: Stack) -> None:
    call = PhoneCall(stack, ZHANGWEI_PHONE)
    call.send(event="call_start")
    call.keys(ZHANGWEI_TAIL.replace("X", "*") + "#")
    out = call.keys("000000#")
    assert "没有通过" in out["text"] and out["expect"]["max_digits"] == 4, call.transcript
    out = call.say("我要转人工")
    assert out["transfer"] == {"number": "12333", "reason": "assistant"}, call.transcript
    assert out["expect"] is None and out["text"] == "正在为您转接人工服务，请稍候。"


# ======================================================================================
# The other channels: signal payloads are data, never text
# ======================================================================================
@pytest.mark.slow
def test_rest_carries_the_signal_as_a_custom_element_not_as_text(stack: Stack) -> None:
    r = requests.post(
        f"{stack.rasa}/webhooks/rest/webhook", json={"sender": "e2e-rest-anon", "message": "打印参保证明"}, timeout=60
    )
    r.raise_for_status()
    out = r.json()
    texts = [m["text"] for m in out if "text" in m]
    assert any("登录" in t for t in texts), out
    assert not any("signal" in t for t in texts), out
    assert {"signal": "verify_identity", "reason": "required"} in [m.get("custom") for m in out], out


def test_widget_output_never_emits_signal_payloads() -> None:
    from bot.channels.web import WebSocketIOOutput

    class FakeSio:
        def __init__(self) -> None:
            self.emitted: List[Any] = []

        async def emit(self, event: str, data: Any, room: Optional[str] = None) -> None:
            self.emitted.append((event, data, room))

    sio = FakeSio()
    out = WebSocketIOOutput(sio, "bot_uttered")

    async def run() -> None:
        await out.send_response("room-1", {"text": "请先登录。", "custom": {"signal": "verify_identity"}})
        await out.send_response("room-1", {"custom": {"signal": "handoff", "number": "12333"}})
        await out.send_response("room-1", {"custom": {"text": "卡片"}})

    asyncio.run(run())
    assert sio.emitted == [
        ("bot_uttered", {"text": "请先登录。"}, "room-1"),
        ("bot_uttered", {"custom": {"text": "卡片"}}, "room-1"),
    ]
