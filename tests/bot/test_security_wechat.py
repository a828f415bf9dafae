"""WeChat channel security (issue 11, findings 3, 4 and 7), with wechatpy as WeChat's side.

Finding 4: in plaintext mode the signature covers token, timestamp and nonce,
not the body, nonces were not remembered and the window was 600 s, so one
captured push URL let another OpenID's message through (and read that user's
contribution details). Now: safe mode unless plaintext is explicitly allowed
for development, a 300 s window, and every (timestamp, nonce) remembered with
a digest of its request (memory, or Redis when configured), the binding
binding pushes included. Also: the message-length limit (finding 3) and the outage
reply of a bound user (finding 7).
"""

from __future__ import annotations

import base64
import time
import uuid
import xml.etree.ElementTree as ET
from itertools import count
from typing import Any, Dict, Iterator, List, Optional, Tuple

import pytest
import requests

pytest.importorskip("rasa")
pytest.importorskip("wechatpy")

from channel_fixtures import (  # noqa: E402
    PASSWORD,
    SERVICE_KEY,
    FakeBot,
    FakeWeChatAPI,
    SanicServer,
    free_port,
)
from wechatpy import parse_message  # noqa: E402
from wechatpy.crypto import WeChatCrypto  # noqa: E402
from wechatpy.utils import WeChatSigner  # noqa: E402

from bot.channels.wechat import WeChatInput  # noqa: E402

TOKEN = "wechat-security-token"
APP_ID = "wx00security000001"
APP_SECRET = "security-app-secret"
AES_KEY = base64.b64encode(bytes(range(65, 97))).decode().rstrip("=")
GH = "gh_security00001"
BUDGET = 2.0
_ids = count(7_500_000_000_000_000_001)


def script(text: str, metadata: Dict[str, Any]) -> List[tuple]:
    if text == "打印参保证明" and not metadata.get("auth_token"):  # a personal request: identity needed
        return [
            ("message", {"text": "需要先确认您的身份。"}),
            ("message", {"custom": {"signal": "verify_identity", "reason": "required"}}),
        ]
    if text == "whoami":
        return [("text", "已绑定" if metadata.get("auth_token") else "未绑定")]
    return [("text", f"收到：{text}")]


@pytest.fixture(scope="module")
def server(backend_url: str, fake_api: FakeWeChatAPI, bot: FakeBot) -> Iterator[SanicServer]:
    common = dict(
        token=TOKEN,
        app_id=APP_ID,
        app_secret=APP_SECRET,
        api_base=fake_api.url,
        reply_budget_seconds=BUDGET,
        backend_url=backend_url,
        service_key=SERVICE_KEY,
    )
    dead_backend = f"http://127.0.0.1:{free_port()}"
    mounts = {
        # the production defaults: only the EncodingAESKey given
        "/safe": WeChatInput.from_credentials(dict(common, encoding_aes_key=AES_KEY)).blueprint(bot),
        # plaintext explicitly allowed (development)
        "/dev": WeChatInput.from_credentials(dict(common, allow_plaintext=True)).blueprint(bot),
        # a token but neither safe mode nor the development setting
        "/nokey": WeChatInput.from_credentials(dict(common)).blueprint(bot),
        # the backend is down
        "/down": WeChatInput.from_credentials(
            dict(common, encoding_aes_key=AES_KEY, backend_url=dead_backend)
        ).blueprint(bot),
    }
    srv = SanicServer(mounts).start()
    yield srv
    srv.stop()


# ---------------------------------------------------------------- WeChat's side
def signed_query(timestamp: Optional[int] = None, nonce: Optional[str] = None) -> Dict[str, str]:
    ts = str(timestamp if timestamp is not None else int(time.time()))
    nonce = nonce or uuid.uuid4().hex[:16]
    signer = WeChatSigner()
    signer.add_data(TOKEN, ts, nonce)
    return {"signature": signer.signature, "timestamp": ts, "nonce": nonce}


def text_push(openid: str, content: str) -> str:
    return (
        f"<xml><ToUserName><![CDATA[{GH}]]></ToUserName><FromUserName><![CDATA[{openid}]]></FromUserName>"
        f"<CreateTime>{int(time.time())}</CreateTime><MsgType><![CDATA[text]]></MsgType>"
        f"<Content><![CDATA[{content}]]></Content><MsgId>{next(_ids)}</MsgId></xml>"
    )


def encrypted(xml: str, timestamp: Optional[int] = None) -> Tuple[str, Dict[str, str]]:
    crypto = WeChatCrypto(TOKEN, AES_KEY, APP_ID)
    ts, nonce = str(timestamp or int(time.time())), uuid.uuid4().hex[:16]
    envelope = ET.fromstring(crypto.encrypt_message(xml, nonce, ts))
    body = (
        f"<xml><ToUserName><![CDATA[{GH}]]></ToUserName>"
        f"<Encrypt><![CDATA[{envelope.findtext('Encrypt')}]]></Encrypt></xml>"
    )
    query = signed_query(int(ts), nonce)
    query.update(encrypt_type="aes", msg_signature=envelope.findtext("MsgSignature"))
    return body, query


def post(server: SanicServer, mount: str, body: str, query: Dict[str, str]) -> requests.Response:
    return requests.post(
        f"{server.url}{mount}/webhook",
        params=query,
        data=body.encode("utf-8"),
        headers={"Content-Type": "text/xml"},
        timeout=15,
    )


def reply(resp: requests.Response, safe: bool = True) -> str:
    assert resp.status_code == 200, resp.text
    if resp.text in ("", "success"):
        return ""
    if safe:
        outer = ET.fromstring(resp.content)
        inner = WeChatCrypto(TOKEN, AES_KEY, APP_ID).decrypt_message(
            resp.text, outer.findtext("MsgSignature"), outer.findtext("TimeStamp"), outer.findtext("Nonce")
        )
        return parse_message(inner).content
    return parse_message(resp.text).content


def say(server: SanicServer, mount: str, openid: str, text: str) -> str:
    if mount in ("/safe", "/down"):
        body, query = encrypted(text_push(openid, text))
        return reply(post(server, mount, body, query))
    return reply(post(server, mount, text_push(openid, text), signed_query()), safe=False)


# ---------------------------------------------------------------- safe mode by default
def test_plaintext_is_refused_unless_allowed_for_development(server: SanicServer, bot: FakeBot) -> None:
    assert post(server, "/safe", text_push("o_plain_attempt", "你好"), signed_query()).status_code == 403
    # a token without an EncodingAESKey and without the development setting: the channel is off
    assert post(server, "/nokey", text_push("o_plain_attempt", "你好"), signed_query()).status_code == 503
    assert bot.texts("o_plain_attempt") == []
    assert say(server, "/safe", "o_safe_ok", "你好") == "收到：你好"
    assert say(server, "/dev", "o_dev_ok", "你好") == "收到：你好"


# ---------------------------------------------------------------- replay
def test_a_captured_push_url_cannot_carry_another_body(server: SanicServer, bot: FakeBot) -> None:
    """The issue's attack: the victim's signed URL reused for another OpenID's message."""
    query = signed_query()
    victim = text_push("o_victim_1", "你好")
    assert reply(post(server, "/dev", victim, query), safe=False) == "收到：你好"
    forged = text_push("o_attacker_1", "查询缴费明细")
    resp = post(server, "/dev", forged, query)
    assert resp.status_code == 403, resp.text
    assert bot.texts("o_attacker_1") == []
    # the identical request again is WeChat's retry: answered, processed once
    assert reply(post(server, "/dev", victim, query), safe=False) == "收到：你好"
    assert bot.texts("o_victim_1") == ["你好"]


def test_safe_mode_push_url_cannot_carry_another_body(server: SanicServer, bot: FakeBot) -> None:
    body, query = encrypted(text_push("o_victim_2", "你好"))
    assert reply(post(server, "/safe", body, query)) == "收到：你好"
    other, _ = encrypted(text_push("o_attacker_2", "查询缴费明细"))
    assert post(server, "/safe", other, query).status_code == 403
    assert bot.texts("o_attacker_2") == []


def test_timestamps_older_than_five_minutes_are_refused(server: SanicServer, bot: FakeBot) -> None:
    now = int(time.time())
    body, query = encrypted(text_push("o_clock", "四分钟前"), timestamp=now - 240)
    assert reply(post(server, "/safe", body, query)) == "收到：四分钟前"
    body, query = encrypted(text_push("o_clock", "六分钟前"), timestamp=now - 360)
    assert post(server, "/safe", body, query).status_code == 403
    assert post(server, "/dev", text_push("o_clock", "六分钟前"), signed_query(now - 360)).status_code == 403
    assert bot.texts("o_clock") == ["四分钟前"]


def test_url_verification_is_checked_the_same_way(server: SanicServer) -> None:
    query = signed_query()
    url = f"{server.url}/safe/webhook"
    assert requests.get(url, params=dict(query, echostr="first-echo"), timeout=5).text == "first-echo"
    assert requests.get(url, params=dict(query, echostr="other-echo"), timeout=5).status_code == 403
    stale = signed_query(int(time.time()) - 3600)
    assert requests.get(url, params=dict(stale, echostr="x"), timeout=5).status_code == 403


def test_binding_pushes_cannot_be_replayed(server: SanicServer, backend_url: str) -> None:
    """A captured push of a bound user reused to unbind them, or to start a binding elsewhere: refused."""
    openid = "o_binding_victim"
    r = requests.post(
        f"{backend_url}/channels/bind",
        json={"channel": "wechat", "external_id": openid, "username": "lina", "password": PASSWORD},
        headers={"X-Service-Key": SERVICE_KEY},
        timeout=10,
    )
    assert r.status_code == 200, r.text
    query = signed_query()
    assert reply(post(server, "/dev", text_push(openid, "whoami"), query), safe=False) == "已绑定"
    assert post(server, "/dev", text_push(openid, "解绑"), query).status_code == 403
    assert post(server, "/dev", text_push("o_binding_attacker", "绑定"), query).status_code == 403
    r = requests.post(
        f"{backend_url}/channels/token",
        json={"channel": "wechat", "external_id": openid},
        headers={"X-Service-Key": SERVICE_KEY},
        timeout=10,
    )
    assert r.status_code == 200 and r.json()["name"] == "李娜"  # still bound


@pytest.mark.redis
def test_nonces_are_shared_by_instances_through_redis(backend_url: str, bot: FakeBot) -> None:
    import socket

    with socket.socket() as s:
        s.settimeout(1)
        if s.connect_ex(("127.0.0.1", 6379)) != 0:
            pytest.skip("no Redis server at 127.0.0.1:6379")
    store = f"redis://127.0.0.1:6379/3?key_prefix=szsec{uuid.uuid4().hex[:6]}"
    common = dict(
        token=TOKEN,
        app_id=APP_ID,
        app_secret=APP_SECRET,
        reply_budget_seconds=BUDGET,
        backend_url=backend_url,
        service_key=SERVICE_KEY,
        allow_plaintext=True,
        state_store=store,
    )
    a = SanicServer({"/a": WeChatInput.from_credentials(dict(common)).blueprint(bot)}).start()
    b = SanicServer({"/b": WeChatInput.from_credentials(dict(common)).blueprint(bot)}).start()
    try:
        query = signed_query()
        assert post(a, "/a", text_push("o_redis_victim", "你好"), query).status_code == 200
        assert post(b, "/b", text_push("o_redis_attacker", "查询缴费明细"), query).status_code == 403
        assert bot.texts("o_redis_attacker") == []
    finally:
        a.stop()
        b.stop()


# ---------------------------------------------------------------- finding 3 and 7
def test_a_long_message_gets_the_kind_reply_without_reaching_rasa(server: SanicServer, bot: FakeBot) -> None:
    text = "我想问一下社保的事情。" * 500
    answer = say(server, "/safe", "o_long_text", text)
    assert "太长" in answer
    assert bot.texts("o_long_text") == []


def test_bound_user_is_told_the_service_is_unavailable_when_the_backend_is_down(
    server: SanicServer, bot: FakeBot
) -> None:
    say(server, "/down", "o_bound_outage", "whoami")
    meta = bot.last("o_bound_outage")["metadata"]
    assert meta.get("identity_unavailable") is True and "auth_token" not in meta
    # what the actions make of it: "unavailable", not "please bind"
    from rasa_sdk import Tracker

    from bot.actions.identity import channel_kind, login_help

    # a personal request during the outage: no binding link is offered to a user who may be bound
    answer = say(server, "/down", "o_bound_outage", "打印参保证明")
    assert "绑定" not in answer and "bind/start" not in answer, answer
    tracker = Tracker("o_bound_outage", {}, {"text": "whoami", "metadata": meta}, [], False, None, {}, "wechat")
    kind = channel_kind(tracker)
    assert kind == "unavailable"
    text = str(login_help("zh", kind))
    assert "暂不可用" in text and "绑定" not in text
