"""Handing over to people: the 12333 hotline and the service windows.

The handoff is recorded as conversation events (`handoff_requested`,
`handoff_at`) and one log line, so operators can act on it; the reply carries
the custom payload `{"signal": "handoff", "number": "12333", "reason":
"user_request"}` for the channels (the phone channel transfers the call on it).
No personal data goes into any of them.
"""

from __future__ import annotations

import logging
import re
from typing import Any, Dict, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from .backend_client import BackendError, BackendUnavailable, get_client
from .common import HANDOFF, now, say, signal
from .identity import channel_kind
from .language import reply_language

log = logging.getLogger("sz_assistant.handoff")

HOTLINE = "12333"
WHERE_ZH = "携带身份证件到任一深圳市社会保险基金管理局服务窗口办理（工作日 9:00-17:00）。"
WHERE_EN = (
    "Go to any Shenzhen Social Insurance Fund Administration service window with your ID (working days 9:00-17:00)."
)


# A person asked for in words the NLU may not be sure of ("I need an operator", "this is too confusing,
# can someone help me", "找个真人"): inside a form or at a summary it must not be taken as an answer.
_PERSON = re.compile(
    r"转人工|轉人工|人工服务|人工服務|人工客服|找人工|要人工|接人工|真人|客服|接线员|接線員|话务员|話務員|"
    r"\b(?:talk|speak|chat|connect|transfer|put)\b[^.?!]{0,20}\b(?:human|person|operator|agent|someone|somebody|"
    r"staff|representative|customer service|people)\b|"
    r"\b(?:real|live|human)\s+(?:person|agent|operator|human|being)\b|\boperator\b|\bcustomer service\b|"
    r"\b(?:someone|somebody)\b[^.?!]{0,10}\bhelp\b|\bnot (?:a|the) (?:bot|robot|machine)\b",
    re.I,
)


def wants_a_person(text: str) -> bool:
    """True when the words ask for a person (hotline / agent), whatever the NLU made of them."""
    return bool(_PERSON.search(str(text or "")))


class ActionHandoff(Action):
    def name(self) -> Text:
        return "action_handoff"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[Dict[Text, Any]]:
        lang = reply_language(tracker)
        where_zh, where_en = WHERE_ZH, WHERE_EN
        try:
            cat = await get_client().catalogue()
            where_zh, where_en = cat.get("where_zh") or where_zh, cat.get("where_en") or where_en
        except (BackendUnavailable, BackendError):
            pass  # the fixed text still tells the person where to go
        kind = channel_kind(tracker)
        say(
            dispatcher,
            lang,
            "好的，为您转人工服务：请拨打人力资源和社会保障服务热线 12333，人工客服会帮您处理。"
            f"也可以到现场办理：{where_zh}" + ("正在为您转接人工，请稍候。" if kind == "phone" else ""),
            "Sure. For a person, call the human resources and social security hotline 12333. "
            f"You can also go in person: {where_en}"
            + (" Transferring you to an agent now, please hold." if kind == "phone" else ""),
            signal_payload=signal(HANDOFF, number=HOTLINE, reason="user_request"),
        )
        at = now().isoformat(timespec="seconds")
        log.info(
            "handoff requested sender=%s channel=%s task=%s at=%s",
            tracker.sender_id,
            kind,
            tracker.get_slot("task_code") or "-",
            at,
        )
        return [SlotSet("handoff_requested", True), SlotSet("handoff_at", at)]
