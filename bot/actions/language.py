"""Which language to answer in: English when the person writes English, else Chinese.

`action_detect_language` fills the slot `language` after every user message (it
is the custom mapping action of that slot, run by `action_extract_slots`), so
responses with conditional variations (FAQ answers, `utter_ask_*`) follow the
person's latest language. Actions call `reply_language` themselves as well, so a
reply built in code never depends on the order in which slots were filled.
"""
from __future__ import annotations

import re
import unicodedata
from typing import Any, Dict, List, Optional, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

LANGUAGES = ("zh", "en")
_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_LATIN = re.compile(r"[A-Za-z]")
# Short Latin tokens that Chinese writers use too: they do not switch the language.
_NEUTRAL = {"ok", "okay", "id", "hi", "yes", "no", "icbc", "boc", "ccb", "abc", "pdf", "app", "qq"}


def detect_language(text: Optional[str], previous: Optional[str] = None) -> str:
    """'en' when Latin letters clearly dominate the message, 'zh' when Chinese does.

    Messages that say nothing about the language (button payloads such as
    "/affirm", digits, ID numbers, "ok") keep the previous language.
    """
    keep = previous if previous in LANGUAGES else "zh"
    if not text:
        return keep
    t = unicodedata.normalize("NFKC", text).strip()
    if not t or t.startswith("/"):
        return keep
    # codes and numbers ("YS2026000000034", "tier2", "ICBC 6222...") say nothing about the language
    t = re.sub(r"[A-Za-z]*\d[A-Za-z0-9-]*", " ", t)
    cjk = len(_CJK.findall(t))
    latin = len(_LATIN.findall(t))
    if cjk == 0:
        if latin >= 2 and t.lower().strip(" .!?,") not in _NEUTRAL:
            return "en"
        return keep
    # Latin letters per Chinese character: an English word has ~5 letters, so a
    # Chinese sentence with an English term in it ("帮我check一下社保") stays Chinese.
    return "en" if latin >= 3 * cjk else "zh"


def reply_language(tracker: Tracker) -> str:
    """The language of the reply to the latest message."""
    text = (tracker.latest_message or {}).get("text")
    return detect_language(text, tracker.get_slot("language"))


class ActionDetectLanguage(Action):
    """Custom slot mapping action of `language` (runs after every user message)."""

    def name(self) -> Text:
        return "action_detect_language"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: Dict[Text, Any]) -> List[Dict[Text, Any]]:
        lang = reply_language(tracker)
        if lang == tracker.get_slot("language"):
            return []
        return [SlotSet("language", lang)]
