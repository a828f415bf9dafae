"""Who the person is: a backend bearer token that the channel passes as metadata.

The channel (web widget after login, WeChat after binding, IVR after caller
verification) puts `auth_token` into the message metadata. The backend verifies
it on every call. Never an ID number typed into the chat, never the sender id.
The token is read per turn and never put into a slot, an event or a log line.

When a turn needs the person identified, the reply carries the custom payload
`{"signal": "verify_identity", "reason": "required"|"expired"}` (see
`login_help`); channels act on that signal, never on the wording.
"""

from __future__ import annotations

import logging
from typing import Any, Dict, Optional

from rasa_sdk import Tracker

from .common import VERIFY_IDENTITY, SignalledText, signal

log = logging.getLogger(__name__)

TOKEN_KEY = "auth_token"


def _token_from(metadata: Any) -> Optional[str]:
    if not isinstance(metadata, dict):
        return None
    token = metadata.get(TOKEN_KEY)
    if isinstance(token, str) and 8 <= len(token.strip()) <= 512:
        return token.strip()
    return None


def auth_token(tracker: Tracker) -> Optional[str]:
    """The latest message's token, else the one the session started with."""
    latest: Dict[str, Any] = tracker.latest_message or {}
    return _token_from(latest.get("metadata")) or _token_from(tracker.get_slot("session_started_metadata"))


def channel_kind(tracker: Tracker) -> str:
    """web / wechat / phone / other, from the input channel of the latest message."""
    name = (tracker.get_latest_input_channel() or "").lower()
    latest = tracker.latest_message or {}
    meta: Any = latest.get("metadata") if isinstance(latest.get("metadata"), dict) else {}
    name = name or str(meta.get("channel") or "").lower()
    if meta.get("identity_unavailable") is True:
        # the channel could not ask the backend who this is (WeChat binding): not "please bind"
        return "unavailable"
    if name in ("socketio", "web", "webchat", "widget"):
        return "web"
    if "wechat" in name or "weixin" in name:
        return "wechat"
    if name in ("ivr", "phone", "twilio_voice", "jambonz", "audiocodes") or "ivr" in name:
        return "phone"
    return "other"


_LOGIN_ZH = {
    "web": "请先在本页面登录个人网上服务系统（右上角“登录”），登录后再和我说一次，我就能为您办理。",
    "wechat": "请先把微信绑定到您的社保个人网上服务账户：点击下面的绑定链接，在网页上登录即可，绑定后我会接着办理。",
    "phone": "请先按语音提示完成来电身份验证，验证后就可以办理。",
    "unavailable": "但系统暂时无法确认您的账户（服务暂不可用），请稍后再试；急需办理可拨打12333。",
    "other": (
        "请先登录：网站用户在页面上登录个人网上服务系统；微信用户发送“绑定”绑定账户；电话用户按语音提示完成身份验证。"
    ),
}
_LOGIN_EN = {
    "web": 'Please log in to the personal online service system on this page first ("登录" at the top right), '
    "then ask me again.",
    "wechat": "Please link WeChat to your account first: open the binding link below and log in on that page; "
    "I will then carry on with your request.",
    "phone": "Please complete the caller verification first as the voice prompt explains, then ask again.",
    "unavailable": "But the service is unavailable right now, so I cannot confirm your account; please try again "
    "later, or call 12333 if it is urgent.",
    "other": 'Please log in first: on the website, log in on the page; in WeChat, send "绑定" (bind); '
    "on the phone, complete the caller verification.",
}


def identity_signal(expired: bool = False) -> Dict[str, Any]:
    """What the channels read (not the wording): this turn needs the person identified first.
    The phone channel then starts caller verification and replays the request."""
    return signal(VERIFY_IDENTITY, reason="expired" if expired else "required")


def login_help(lang: str, kind: str, expired: bool = False) -> str:
    """How to identify oneself on this channel; the text carries `identity_signal`, which
    `common.say` sends with it as a custom payload."""
    if lang == "en":
        head = (
            "Your login has expired. "
            if expired
            else "To see or change your personal data I need to know who you are. "
        )
        text = head + _LOGIN_EN.get(kind, _LOGIN_EN["other"]) + " You can ask me questions without logging in."
    else:
        head = "您的登录已失效。" if expired else "查询或办理个人业务前，需要先确认您的身份。"
        text = head + _LOGIN_ZH.get(kind, _LOGIN_ZH["other"]) + "不登录也可以向我咨询政策和办事问题。"
    return SignalledText(text, identity_signal(expired))
