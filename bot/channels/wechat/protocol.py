"""WeChat's XML message protocol: reading a push, writing a passive reply.

Why apart from the channel: what WeChat sends is untrusted input; the limits and
checks on it (size, no DTD or entities, the fields a message must have) sit in one
short module, and the reply format (one text message in valid XML) with them.
"""

from __future__ import annotations

import re
import time
from typing import Any, Dict, Optional

import xmltodict

from ..rendering import xml_safe

MAX_BODY_BYTES = 256 * 1024
OPENID = re.compile(r"^[A-Za-z0-9_\-]{1,128}$")
EVENT_KEY = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,63}$")


class Reject(Exception):
    """A push that is refused: the HTTP status and the reason (logged, and the answer's text)."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


def check_body(body: bytes) -> None:
    """Refuse bodies that are too large or declare a DTD / entities (XML bombs, XXE)."""
    if len(body) > MAX_BODY_BYTES:
        raise Reject(413, "body too large")
    if b"<!DOCTYPE" in body.upper() or b"<!ENTITY" in body.upper():
        raise Reject(400, "DTD not allowed")


def parse_xml(body: bytes) -> Dict[str, Any]:
    """The fields of ``<xml>...</xml>`` (entities disabled)."""
    try:
        parsed = xmltodict.parse(body, disable_entities=True)
    except Exception:
        raise Reject(400, "malformed XML") from None
    root = parsed.get("xml") if isinstance(parsed, dict) else None
    if not isinstance(root, dict):
        raise Reject(400, "no <xml> root")
    return root


def check_message(data: Dict[str, Any]) -> None:
    """A message must name its sender (an OpenID) and its type."""
    if not OPENID.match(str(data.get("FromUserName") or "")) or not data.get("MsgType"):
        raise Reject(400, "not a WeChat message")


def dedup_key(data: Dict[str, Any]) -> str:
    """The id WeChat's retries of one push share."""
    if data.get("MsgId"):
        return f"msg:{data['MsgId']}"
    # Events have no MsgId: a retry repeats FromUserName + CreateTime (and the event itself).
    return f"ev:{data.get('FromUserName')}:{data.get('CreateTime')}:{data.get('Event')}:{data.get('EventKey')}"


def cdata(value: Any) -> str:
    """A CDATA section that stays valid whatever the text holds (``]]>`` is split)."""
    text = xml_safe(str(value))
    return "<![CDATA[" + text.replace("]]>", "]]]]><![CDATA[>") + "]]>"


def text_reply_xml(to_user: str, from_user: str, content: str, create_time: Optional[int] = None) -> str:
    return (
        "<xml>"
        f"<ToUserName>{cdata(to_user)}</ToUserName>"
        f"<FromUserName>{cdata(from_user)}</FromUserName>"
        f"<CreateTime>{int(create_time if create_time is not None else time.time())}</CreateTime>"
        "<MsgType><![CDATA[text]]></MsgType>"
        f"<Content>{cdata(content)}</Content>"
        "</xml>"
    )
