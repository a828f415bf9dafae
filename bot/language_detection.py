"""Which language a message is written in: English or Chinese (pure, no Rasa imports).

The one place of the detection rule. Used by
- the NLU component ``bot.components.language.LanguageDetector`` (Rasa server),
  which adds the entity ``language`` that fills the slot ``language``;
- the action server (``bot.actions.language.reply_language``), which builds
  replies in code and so never depends on the order in which slots were filled.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Optional

LANGUAGES = ("zh", "en")
DEFAULT_LANGUAGE = "zh"
_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_LATIN = re.compile(r"[A-Za-z]")
# codes and numbers ("YS2026000000034", "tier2", "ICBC 6222...") say nothing about the language
_CODE = re.compile(r"[A-Za-z]*\d[A-Za-z0-9-]*")
# Short Latin tokens that Chinese writers use too: they do not switch the language.
_NEUTRAL = {"ok", "okay", "id", "hi", "yes", "no", "icbc", "boc", "ccb", "abc", "pdf", "app", "qq"}


def classify_language(text: Optional[str]) -> Optional[str]:
    """'en' when Latin letters clearly dominate the message, 'zh' when Chinese does,
    None when the message says nothing about the language (button payloads such as
    "/affirm", digits, ID numbers, "ok", emoji, empty text)."""
    if not text:
        return None
    t = unicodedata.normalize("NFKC", text).strip()
    if not t or t.startswith("/"):
        return None
    t = _CODE.sub(" ", t)
    cjk = len(_CJK.findall(t))
    latin = len(_LATIN.findall(t))
    if cjk == 0:
        if latin >= 2 and t.lower().strip(" .!?,") not in _NEUTRAL:
            return "en"
        return None
    # Latin letters per Chinese character: an English word has ~5 letters, so a
    # Chinese sentence with an English term in it ("帮我check一下社保") stays Chinese.
    return "en" if latin >= 3 * cjk else "zh"


def detect_language(text: Optional[str], previous: Optional[str] = None) -> str:
    """The language of the reply to `text`: its own language, or the previous one
    (default Chinese) when the message says nothing about the language."""
    found = classify_language(text)
    if found is not None:
        return found
    return previous if previous in LANGUAGES else DEFAULT_LANGUAGE
