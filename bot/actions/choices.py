"""A choice typed instead of clicked: "2", "第二个", "选第一项", "the second one", or a part of its name
that only it has ("养老" for the pension one).

The widget and the REST channel show buttons, but many people answer a list by its
number, as they would on WeChat (where the channel maps the numbers itself,
bot/channels/rendering.py) or to a person at a counter. The NLU cannot read "第二个"
(it names no intent), so without this it was "I did not understand" with the list
gone. Here the answer is matched against the buttons the bot showed since the
person's previous message (Rasa records them on its `bot` events) and the pick is
replayed as if the button had been pressed: an `action_listen` and a user message
with the button's payload, the way Rasa's own two-stage fallback replays a
clarified message (Rasa runs `action_extract_slots` after it). The message keeps the
original metadata, so the login travels with it.

Buttons whose payload is an intent (`/code` or `/code{...}`) are replayed; a question
button is answered by the caller (bot/actions/clarify.py). A number outside the list,
or words around the number that say something else, are not a pick.
"""

from __future__ import annotations

import json
import re
import unicodedata
from typing import Any, Dict, List, Optional, Text

from rasa_sdk import Tracker
from rasa_sdk.events import ActionExecuted, UserUttered

_CN_DIGITS = {"一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_EN_ORDINALS = {"first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "1st": 1, "2nd": 2, "3rd": 3, "4th": 4}
_EN_CARDINALS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5}
_PAYLOAD = re.compile(r"^/(\w+)(\{.*\})?$", re.S)
# "第二个" "第2项" "选二" "选第一个吧" "就2号" "2." — a whole message that is only a position
_ZH_PICK = re.compile(
    r"^(?:我)?(?:就|要|选|选择|點|点|按)?(?:第)?([1-9一二三四五六七八九])(?:个|個|项|項|条|條|号|號|种|種|那个|那個)?"
    r"(?:吧|啊|呀|哦|嗯|了|的)?$"
)
_EN_PICK = re.compile(
    r"^(?:i'?ll take |i want |i choose |i pick |choose |pick |select )?(?:the )?(option |number |no\.? ?|#)?"
    r"(\w+)(?: one| option)?(?: please| pls)?$"
)


def position(text: str) -> Optional[int]:
    """The 1-based position a whole message names ("2", "第二个", "the second one"), else None."""
    t = unicodedata.normalize("NFKC", str(text or "")).strip().lower()
    t = re.sub(r"[\s。．.!！,，~～]+$", "", t)
    t = re.sub(r"^(?:那|那就|嗯|好|ok)[，,\s]*", "", t)
    if not t:
        return None
    m = _ZH_PICK.match(re.sub(r"\s+", "", t))
    if m:
        d = m.group(1)
        return int(d) if d.isdigit() else _CN_DIGITS[d]
    m = _EN_PICK.match(re.sub(r"\s+", " ", t))
    if m:
        w = m.group(2)
        if w.isdigit() and 0 < int(w) < 10:
            return int(w)
        # a number word only as "option two" / "number one": "no one", "the one", "I want one" pick nothing
        return _EN_ORDINALS.get(w) or (_EN_CARDINALS.get(w) if m.group(1) not in (None, "no ") else None)
    return None


def shown_buttons(tracker: Tracker) -> List[Dict[str, Any]]:
    """The buttons of the bot's messages since the person's previous message, in the order shown."""
    events = list(tracker.events or [])
    # skip the latest user message (the answer being read) and anything after it
    for i in range(len(events) - 1, -1, -1):
        if events[i].get("event") == "user":
            events = events[:i]
            break
    buttons: List[Dict[str, Any]] = []
    for e in reversed(events):
        if e.get("event") == "user":
            break
        if e.get("event") == "bot":
            found = ((e.get("data") or {}).get("buttons")) or []
            buttons = [b for b in found if isinstance(b, dict)] + buttons
    return buttons


def intent_buttons(buttons: List[Dict[str, Any]]) -> List[Dict[str, Any]]:
    """The buttons whose payload is an intent (the ones a pick can replay)."""
    return [b for b in buttons if _PAYLOAD.match(str(b.get("payload") or ""))]


# buttons a name never picks: the summary's Confirm (see picked_button), and the way out of a list
_NOT_BY_NAME = ("/affirm", "/cancel", "/deny", "/ask_capabilities")


def named_button(text: str, buttons: List[Dict[str, Any]]) -> Optional[Dict[str, Any]]:
    """The one button whose title the whole message is part of ("养老" for "养老保险关系转出（省内外）" beside
    "医疗保险关系转出", "pension" for "Transfer pension insurance out"), else None (no button, or several)."""
    t = re.sub(r"[\s。．.!！,，~～?？]+", " ", unicodedata.normalize("NFKC", str(text or "")).lower()).strip()
    t = re.sub(r"^(?:那|那就|就|嗯|好|ok|要|我要|选)[，,\s]*", "", t).strip()
    t = re.sub(r"(?:吧|啊|呀|哦|的|那个|那個)$", "", t).strip()
    cjk = sum(1 for ch in t if "\u4e00" <= ch <= "\u9fff")
    if not t or (cjk < 2 and len(t) < 4) or cjk > 8 or len(t.split()) > 4:
        return None
    hits = [
        b
        for b in buttons
        if b.get("payload") not in _NOT_BY_NAME
        and t in unicodedata.normalize("NFKC", str(b.get("title") or "")).lower()
    ]
    return hits[0] if len(hits) == 1 else None


def picked_button(tracker: Tracker) -> Optional[Dict[str, Any]]:
    """The button the latest message picks by its position or by a part of its name only it has, else None.
    A summary's Confirm is never picked by a typed number: at a summary only a yes in words, the button or
    the phone's key 1 submits (bot/actions/assent.py)."""
    text = str((tracker.latest_message or {}).get("text") or "")
    n = position(text)
    buttons = shown_buttons(tracker)
    if n is None:
        return named_button(text, buttons)
    if not 0 < n <= len(buttons) or buttons[n - 1].get("payload") == "/affirm":
        return None
    return buttons[n - 1]


def replay(tracker: Tracker, button: Dict[str, Any]) -> List[Dict[Text, Any]]:
    """Events that make the pick a user message with the button's payload (as if it had been pressed)."""
    payload = str(button.get("payload") or "")
    m = _PAYLOAD.match(payload)
    if not m:
        return []
    try:
        values = json.loads(m.group(2)) if m.group(2) else {}
    except ValueError:
        values = {}
    entities = [
        {"entity": str(k), "value": v, "start": 0, "end": len(payload)}
        for k, v in (values.items() if isinstance(values, dict) else [])
    ]
    parse = {
        "text": payload,
        "intent": {"name": m.group(1), "confidence": 1.0},
        "intent_ranking": [{"name": m.group(1), "confidence": 1.0}],
        "entities": entities,
    }
    latest = tracker.latest_message or {}
    message = UserUttered(payload, parse, input_channel=tracker.get_latest_input_channel())
    if isinstance(latest.get("metadata"), dict):
        message["metadata"] = dict(latest["metadata"])  # the login travels with the replayed message
    return [ActionExecuted("action_listen"), message]
