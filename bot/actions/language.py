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


# A bare value ("王建军", "南昌", "招商银行"): a few Chinese characters, no Latin letters, no question.
_BARE_VALUE_CJK = 6


def is_bare_value(text: str) -> bool:
    """A short answer that is only a value written in Chinese (a name, a place, a bank): it says what the
    value is, not which language the person speaks (foreigners in Shenzhen type Chinese names too)."""
    t = re.sub(r"[\s,.，。!！、]", "", str(text or ""))
    return (
        bool(t) and not re.search(r"[A-Za-z?？]", t) and 0 < len(re.findall(r"[\u4e00-\u9fff]", t)) <= _BARE_VALUE_CJK
    )


def language_before_latest(tracker: Tracker) -> str | None:
    """The slot `language` as it was before the latest user message (the NLU sets it again on every message)."""
    seen_user = False
    for e in reversed(list(tracker.events)):
        if e.get("event") == "user":
            seen_user = True
        elif seen_user and e.get("event") == "slot" and e.get("name") == "language":
            value = e.get("value")
            return value if value in LANGUAGES else None
    return None


def reply_language(tracker: Tracker) -> str:
    """The language of the reply to the latest message."""
    message = tracker.latest_message or {}
    previous = tracker.get_slot("language")
    if _says_nothing(message):
        return previous if previous in LANGUAGES else detect_language(None)
    if previous == "en" and is_bare_value(str(message.get("text") or "")):
        # the slot says English although the message is Chinese: a bare value given in an English
        # conversation, for which the form kept the language (items.ValidateItemForm)
        return "en"
    return detect_language(message.get("text"), previous)
