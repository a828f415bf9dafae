"""Rasa's REST channel (POST /webhooks/rest/webhook), readable and with checked input.

The same channel as Rasa's ``rest`` (name ``rest``, URL ``/webhooks/rest/webhook``,
same request and answer shapes, streaming included; credentials.yml lists it
instead of ``rest``), except that:

- its answers are UTF-8 JSON (``application/json; charset=utf-8``), not ``\\u``
  escapes: Rasa's ``RestInput`` answers with Sanic's JSON encoder, which escapes
  every non-ASCII character (``"\\u8bf7\\u786e\\u8ba4"``), so the README's curl
  examples were unreadable;
- a body that is not a JSON object (``[]``, ``"hi"``), or ``sender``/``message``/
  ``input_channel`` that are not strings, or ``metadata`` that is not an object,
  get 400 with a short reason (Rasa answered HTTP 500; issue 11, finding 7);
- a message over the length limit (bot/channels/limits.py) is answered at once
  with the kind request for a shorter one, without running the NLU (finding 3).

``sender`` is only a conversation key, never an identity (the backend token in
``metadata`` is).
"""

from __future__ import annotations

import json
from typing import Any, Awaitable, Callable, Dict, Optional, Text

from rasa.core.channels.channel import UserMessage
from rasa.core.channels.rest import RestInput
from sanic import Blueprint
from sanic.exceptions import SanicException
from sanic.request import Request
from sanic.response import HTTPResponse

from .limits import limit_length

MAX_SENDER_CHARS = 128


class BadRestRequest(SanicException):
    status_code = 400
    quiet = True


def _body(req: Request) -> Dict[str, Any]:
    try:
        body = req.json
    except Exception:  # sanic raises on invalid JSON
        raise BadRestRequest("the body must be a JSON object") from None
    if not isinstance(body, dict):
        raise BadRestRequest("the body must be a JSON object")
    return body


def _optional_str(body: Dict[str, Any], key: str, max_chars: Optional[int] = None) -> Optional[str]:
    value = body.get(key)
    if value is None:
        return None
    if not isinstance(value, str) or (max_chars is not None and len(value) > max_chars):
        limit = f" of at most {max_chars} characters" if max_chars else ""
        raise BadRestRequest(f"`{key}` must be a string{limit}")
    return value


class ReadableRestInput(RestInput):
    """``rest`` with UTF-8 JSON answers, checked input and the length limit (module docstring)."""

    @classmethod
    def name(cls) -> Text:
        return "rest"

    async def _extract_sender(self, req: Request) -> Optional[Text]:
        return _optional_str(_body(req), "sender", MAX_SENDER_CHARS)

    def _extract_message(self, req: Request) -> Optional[Text]:
        return _optional_str(_body(req), "message")

    def _extract_input_channel(self, req: Request) -> Text:
        return _optional_str(_body(req), "input_channel", 64) or self.name()

    def get_metadata(self, request: Request) -> Optional[Dict[Text, Any]]:
        metadata = _body(request).get("metadata")
        if metadata is not None and not isinstance(metadata, dict):
            raise BadRestRequest("`metadata` must be a JSON object")
        return metadata

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        bp = super().blueprint(limit_length(on_new_message))

        @bp.middleware("response")
        async def readable(_: Request, resp: HTTPResponse) -> None:
            if resp is None or not (resp.content_type or "").startswith("application/json"):
                return
            body = getattr(resp, "body", None)
            if not body:
                return
            try:
                data = json.loads(body)
            except ValueError:
                return
            resp.body = json.dumps(data, ensure_ascii=False).encode("utf-8")
            resp.content_type = "application/json; charset=utf-8"
            if "content-length" in resp.headers:
                resp.headers["content-length"] = str(len(resp.body))

        return bp
