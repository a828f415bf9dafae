"""How long one message may be, at every channel (issue 11, finding 3).

A message is understood in time roughly proportional to its length, and a
resident's request is a sentence or a short paragraph. A longer message is not
passed to Rasa at all: the channel answers it at once, kindly, asking for a
shorter one (in English when the message is mostly English). So one
100,000-character paste costs the server a length check, not seconds of NLU,
and other users are not kept waiting.

``SZ_MAX_MESSAGE_CHARS`` (environment, default 1000) sets the limit for the REST,
Socket.IO (widget) and WeChat channels; the IVR keeps its shorter transcript cap
(bot/channels/ivr.py). ``limit_length(on_new_message)`` wraps Rasa's message
handler so a channel applies the rule in one line.
"""

from __future__ import annotations

import logging
from typing import Any, Awaitable, Callable

from rasa.core.channels.channel import UserMessage

from bot.settings import DEFAULT_MAX_MESSAGE_CHARS  # noqa: F401 (this module's name for it)
from bot.settings import load as load_settings

log = logging.getLogger(__name__)


def max_chars() -> int:
    return load_settings().max_message_chars


def too_long(text: Any, limit: int | None = None) -> bool:
    return isinstance(text, str) and len(text) > (limit or max_chars())


def _mostly_english(text: str) -> bool:
    sample = [c for c in text[:400] if not c.isspace()]
    latin = sum(1 for c in sample if c.isascii() and c.isalpha())
    return bool(sample) and latin / len(sample) > 0.5


def too_long_reply(text: str, limit: int | None = None) -> str:
    """The kind answer to a message over the limit."""
    limit = limit or max_chars()
    if _mostly_english(text):
        return (
            f"Your message is too long for me ({len(text):,} characters; I read up to {limit:,} at a time). "
            "Please tell me in a sentence or two what you would like to do or ask, "
            'for example "stop my child\'s medical insurance".'
        )
    return (
        f"您的消息太长了（{len(text):,}字），我一次最多能看{limit:,}字。"
        "请用一两句话告诉我您要办理的业务或想咨询的问题，比如“我要给孩子停医保”。"
    )


OnNewMessage = Callable[[UserMessage], Awaitable[Any]]


def limit_length(on_new_message: OnNewMessage, limit: int | None = None) -> OnNewMessage:
    """Rasa's message handler, except that a message over the limit gets the kind reply instead."""

    async def handler(message: UserMessage) -> Any:
        if too_long(message.text, limit):
            log.info(
                "message of %d characters on %s answered without NLU (limit %d)",
                len(message.text or ""),
                message.input_channel,
                limit or max_chars(),
            )
            await message.output_channel.send_text_message(message.sender_id, too_long_reply(message.text, limit))
            return None
        return await on_new_message(message)

    return handler
