"""Which language to answer in: English when the person writes English, else Chinese.

The slot `language` is filled inside the Rasa server: the NLU component
`bot.components.language.LanguageDetector` adds the entity `language` (en / zh)
to every message whose language is clear, and the slot's `from_entity` mapping
takes it, so responses with conditional variations (FAQ answers, `utter_ask_*`)
follow the person's latest language without a call to this server. Actions call
`reply_language` themselves as well, so a reply built in code never depends on
the order in which slots were filled. The rule lives in bot/language_detection.py
(shared with the component; this server does not import Rasa's NLU).
"""
from __future__ import annotations

from typing import Any, Dict, List, Text

from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from bot.language_detection import LANGUAGES, classify_language, detect_language

__all__ = ["LANGUAGES", "classify_language", "detect_language", "reply_language", "ActionDetectLanguage"]


def reply_language(tracker: Tracker) -> str:
    """The language of the reply to the latest message."""
    text = (tracker.latest_message or {}).get("text")
    return detect_language(text, tracker.get_slot("language"))


class ActionDetectLanguage:
    """What the slot mapping of `language` does after a user message, for harnesses
    that play the Rasa server around the actions (tests/bot/test_actions_flow.py).

    Not a rasa_sdk `Action` on purpose: the action server does not register it and
    the domain has no `action_detect_language` any more (the slot is filled from
    the LanguageDetector entity in the Rasa process).
    """

    def name(self) -> Text:
        return "action_detect_language"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: Dict[Text, Any]) -> List[Dict[Text, Any]]:
        lang = classify_language((tracker.latest_message or {}).get("text"))
        if lang is None or lang == tracker.get_slot("language"):
            return []
        return [SlotSet("language", lang)]
