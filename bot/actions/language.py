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

import re

from rasa_sdk import Tracker

from bot.language_detection import LANGUAGES, classify_language, detect_language

__all__ = ["LANGUAGES", "classify_language", "detect_language", "reply_language"]


def _says_nothing(message: dict) -> bool:
    """A message the NLU did not understand that is one Latin "word" at most and under three
    Chinese characters ("asdf", "嗯"): like the LanguageDetector, it leaves the language as it was."""
    text = str(message.get("text") or "")
    return (
        (message.get("intent") or {}).get("name") == "nlu_fallback"
        and len(re.findall(r"[A-Za-z]+", text)) <= 1
        and len(re.findall(r"[\u4e00-\u9fff]", text)) < 3
    )


def reply_language(tracker: Tracker) -> str:
    """The language of the reply to the latest message."""
    message = tracker.latest_message or {}
    previous = tracker.get_slot("language")
    if _says_nothing(message):
        return previous if previous in LANGUAGES else detect_language(None)
    return detect_language(message.get("text"), previous)
