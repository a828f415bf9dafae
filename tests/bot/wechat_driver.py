"""WeChat's side of the channel tests: what WeChat's servers send and how they read the replies.

The test account's settings (``TOKEN``, ``APP_ID``, ...), a scripted stand-in for Rasa
(``script``, played by conftest.py's ``bot`` fixture for a module that imports it), signed and
encrypted pushes (wechatpy signs and encrypts, as WeChat would), posting them to a served channel
and reading its replies. Used by test_channel_wechat.py and test_channel_state.py.
"""

from __future__ import annotations

import base64
import time
import uuid
import xml.etree.ElementTree as ET
from itertools import count
from typing import Any, Dict, List, Optional, Tuple

import requests
from channel_fixtures import FakeWeChatAPI, SanicServer
from wechatpy import parse_message
from wechatpy.crypto import WeChatCrypto
from wechatpy.utils import WeChatSigner

TOKEN = "wechat-test-token"
APP_ID = "wx0123456789abcdef"
APP_SECRET = "test-app-secret"
PUBLIC_BACKEND = "https://si.example.gov.cn/api"
AES_KEY = base64.b64encode(bytes(range(1, 33))).decode().rstrip("=")
GH = "gh_0123456789ab"
BUDGET = 1.0  # the tests' reply budget (production default 4.5 s)
SLOW = 2.0  # a turn slower than the budget
CONFIRM_BUTTONS = [{"title": "确认", "payload": "/affirm"}, {"title": "取消", "payload": "/cancel"}]
LONG_TEXT = "\n".join(
    f"第{i}条：深圳社保个人网上服务的一段很长的说明文字，用来检查超长回复的拆分。" for i in range(1, 60)
)

_ids = count(7_300_000_000_000_000_001)


def script(text: str, metadata: Dict[str, Any]) -> List[tuple]:
    if text == "slow":
        return [("sleep", SLOW), ("text", "慢答复：已经为您查好了。")]
    if text == "partial":
        return [("text", "好的，正在为您查询。"), ("sleep", SLOW), ("text", "查询结果：本月已缴费。")]
    if text == "cdata":
        return [("text", "危险字符 ]]> 与 <xml> & 都要原样显示")]
    if text == "/stop_child_insurance":
        return [("buttons", "请确认：为李小明办理少儿医保停保。", CONFIRM_BUTTONS)]
    if text == "/affirm":
        return [("text", "已办结：少儿医保停保。")]
    if text == "retry-me":
        return [("sleep", 0.4), ("text", "只处理一次。")]
    if text == "long":
        return [("text", LONG_TEXT)]
    if text == "boom":
        return [("raise",)]
    if text == "打印参保证明" and not metadata.get("auth_token"):
        return [
            ("message", {"text": "查询或办理个人业务前，需要先确认您的身份。请先发送“绑定”。"}),
            ("message", {"custom": {"signal": "verify_identity", "reason": "required"}}),
        ]
    if text == "cert-link":
        return [("text", "参保证明已生成。\n下载打印：http://127.0.0.1:8000/documents/ZM1.pdf?e=1&s=abc")]
    if text == "whoami":
        return [("text", "已绑定" if metadata.get("auth_token") else "未绑定，请发送“绑定”")]
    return [("text", f"收到：{text}")]


# ---------------------------------------------------------------- the WeChat side


def signed_query(timestamp: Optional[int] = None, nonce: Optional[str] = None) -> Dict[str, str]:
    """WeChat's signature; a new nonce each time, as WeChat sends (a reused one is a replay)."""
    ts = str(timestamp if timestamp is not None else int(time.time()))
    nonce = nonce or uuid.uuid4().hex[:16]
    signer = WeChatSigner()
    signer.add_data(TOKEN, ts, nonce)
    return {"signature": signer.signature, "timestamp": ts, "nonce": nonce}


def text_push(openid: str, content: str, msg_id: Optional[int] = None) -> str:
    return (
        f"<xml><ToUserName><![CDATA[{GH}]]></ToUserName><FromUserName><![CDATA[{openid}]]></FromUserName>"
        f"<CreateTime>{int(time.time())}</CreateTime><MsgType><![CDATA[text]]></MsgType>"
        f"<Content><![CDATA[{content}]]></Content><MsgId>{msg_id or next(_ids)}</MsgId></xml>"
    )


def event_push(openid: str, event: str, key: Optional[str] = None, create_time: Optional[int] = None) -> str:
    key_xml = f"<EventKey><![CDATA[{key}]]></EventKey>" if key is not None else ""
    return (
        f"<xml><ToUserName><![CDATA[{GH}]]></ToUserName><FromUserName><![CDATA[{openid}]]></FromUserName>"
        f"<CreateTime>{create_time or int(time.time())}</CreateTime><MsgType><![CDATA[event]]></MsgType>"
        f"<Event><![CDATA[{event}]]></Event>{key_xml}</xml>"
    )


def media_push(openid: str, msg_type: str) -> str:
    return (
        f"<xml><ToUserName><![CDATA[{GH}]]></ToUserName><FromUserName><![CDATA[{openid}]]></FromUserName>"
        f"<CreateTime>{int(time.time())}</CreateTime><MsgType><![CDATA[{msg_type}]]></MsgType>"
        f"<PicUrl><![CDATA[http://mmbiz.qpic.cn/x.jpg]]></PicUrl><MediaId><![CDATA[media_1]]></MediaId>"
        f"<MsgId>{next(_ids)}</MsgId></xml>"
    )


def post(
    server: SanicServer, body: str, path: str = "/webhooks/wechat/webhook", query: Optional[Dict[str, str]] = None
) -> requests.Response:
    return requests.post(
        server.url + path,
        params=query or signed_query(),
        data=body.encode("utf-8"),
        headers={"Content-Type": "text/xml"},
        timeout=15,
    )


def reply_of(resp: requests.Response) -> Optional[Any]:
    """The parsed passive reply (None for "success"/empty)."""
    assert resp.status_code == 200, resp.text
    if resp.text in ("success", ""):
        return None
    ET.fromstring(resp.content)  # well-formed XML
    return parse_message(resp.text)


def say(server: SanicServer, openid: str, content: str) -> Optional[str]:
    msg = reply_of(post(server, text_push(openid, content)))
    return msg.content if msg is not None else None


def answer(server: SanicServer, fake_api: FakeWeChatAPI, openid: str, content: str) -> str:
    """The whole answer: the passive reply, or (after an in-time interim reply, e.g.
    while the backend checks a password) the customer-service message."""
    before = len(fake_api.sent)
    reply = say(server, openid, content)
    if reply != "正在处理，请稍候……":
        return reply or ""
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        mine = [s for s in fake_api.sent[before:] if s["body"]["touser"] == openid]
        if mine:
            return mine[0]["body"]["text"]["content"]
        time.sleep(0.05)
    raise AssertionError("no answer through the customer-service API")


def encrypted_push(crypto: WeChatCrypto, xml: str, nonce: Optional[str] = None) -> Tuple[str, Dict[str, str]]:
    """What WeChat sends in safe mode: the body and the query string."""
    nonce = nonce or uuid.uuid4().hex[:16]
    ts = str(int(time.time()))
    envelope = ET.fromstring(crypto.encrypt_message(xml, nonce, ts))
    encrypt = envelope.findtext("Encrypt")
    body = f"<xml><ToUserName><![CDATA[{GH}]]></ToUserName><Encrypt><![CDATA[{encrypt}]]></Encrypt></xml>"
    query = signed_query(int(ts), nonce)
    query.update(encrypt_type="aes", msg_signature=envelope.findtext("MsgSignature") or "")
    return body, query


def decrypt_reply(crypto: WeChatCrypto, resp: requests.Response) -> Any:
    assert resp.status_code == 200, resp.text
    outer = ET.fromstring(resp.content)
    assert outer.find("Encrypt") is not None and outer.find("Content") is None  # nothing in clear text
    inner = crypto.decrypt_message(
        resp.text, outer.findtext("MsgSignature"), outer.findtext("TimeStamp"), outer.findtext("Nonce")
    )
    return parse_message(inner)
