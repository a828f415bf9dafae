"""Rasa's REST channel with readable answers: UTF-8 JSON, not ``\\u`` escapes.

Rasa's ``RestInput`` answers with Sanic's JSON encoder, which escapes every
non-ASCII character (``"\\u8bf7\\u786e\\u8ba4"``): the README's curl examples were
unreadable. This channel is the same channel (name ``rest``, URL
``/webhooks/rest/webhook``, same request and answer shapes, streaming
included); only the JSON of its answers keeps Chinese as it is
(``application/json; charset=utf-8``). credentials.yml lists it instead of
``rest``.
"""
from __future__ import annotations

import json
from typing import Any, Awaitable, Callable, Text

from rasa.core.channels.channel import UserMessage
from rasa.core.channels.rest import RestInput
from sanic import Blueprint
from sanic.request import Request
from sanic.response import HTTPResponse


class ReadableRestInput(RestInput):
    """``rest`` with UTF-8 JSON answers (see the module docstring)."""

    @classmethod
    def name(cls) -> Text:
        return "rest"

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        bp = super().blueprint(on_new_message)

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
