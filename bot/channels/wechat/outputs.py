"""Rasa output channels of WeChat: a turn's replies, and messages outside a turn.

Why apart from the channel: Rasa hands replies to an output channel; within a
push they are collected for the passive reply (rendered by the channel, within
WeChat's 5 s), outside one (reminders, the request carried out after binding)
they go through the customer-service API.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable, Dict, List, Optional, Text

from rasa.core.channels.channel import CollectingOutputChannel, OutputChannel

from .texts import CHANNEL

if TYPE_CHECKING:  # pragma: no cover
    from .channel import WeChatInput


class WeChatOutput(CollectingOutputChannel):
    """Collects one turn's bot messages into the turn (rendered by the channel); links become
    ``<a href>`` text on the public URL (``WeChatInput.links``)."""

    def __init__(self, messages: List[Dict[str, Any]], links: Optional[Callable[[str], str]] = None) -> None:
        super().__init__()
        self.messages = messages
        self.links = links

    async def _persist_message(self, message: Dict[Text, Any]) -> None:
        if self.links and isinstance(message.get("text"), str):
            message = dict(message, text=self.links(message["text"]))
        await super()._persist_message(message)

    @classmethod
    def name(cls) -> Text:
        return CHANNEL


class WeChatCustomerServiceOutput(OutputChannel):
    """Bot messages outside a user turn (e.g. reminders): sent through the customer-service API."""

    def __init__(self, channel: "WeChatInput") -> None:
        self.channel = channel

    @classmethod
    def name(cls) -> Text:
        return CHANNEL

    async def send_response(self, recipient_id: Text, message: Dict[Text, Any]) -> None:
        await self.channel.push(recipient_id, [dict(message)])

    async def send_text_message(self, recipient_id: Text, text: Text, **kwargs: Any) -> None:
        await self.channel.push(recipient_id, [{"text": text}])
