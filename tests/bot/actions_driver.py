"""The Rasa server's part for tests that run the dialogue's actions against a real backend.

``Chat`` records the user's turns (intent, entities, metadata), runs actions with a real rasa_sdk
``Tracker`` and ``CollectingDispatcher``, applies the events they return and runs
``validate_item_form`` the way Rasa's FormAction does; ``login`` gets a demo person's real bearer
token; ``PEOPLE``, ``answer`` and ``who_may`` give the demo people, a plausible typed answer for
each form field and who may have an item (test_actions_all_items.py, test_ivr_spoken.py). The
backend and the actions' client are the ``backend_url`` and ``client`` fixtures of
conftest.py (test_actions_flow.py, test_repair_flow.py, test_actions_all_items.py, ...).
"""

from __future__ import annotations

import asyncio
from typing import Any, Dict, List, Optional, Tuple

import requests
from channel_fixtures import id_number
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from bot.actions.items import ValidateItemForm
from bot.language_detection import classify_language

PASSWORD = "Demo@2026"
FORM = "item_form"

_tokens: Dict[tuple, str] = {}


def login(backend_url: str, username: str) -> str:
    """A real bearer token of a demo person (what the web channel passes as metadata after login)."""
    key = (backend_url, username)
    if key not in _tokens:
        r = requests.post(
            f"{backend_url}/auth/login",
            json={"username": username, "password": PASSWORD},
            headers={"X-Channel": "web"},
            timeout=10,
        )
        r.raise_for_status()
        _tokens[key] = r.json()["token"]
    return _tokens[key]


class Slots(dict):
    """Slot values as Rasa holds them: a slot never set is None."""

    def __missing__(self, name: str) -> None:
        return None


class Chat:
    """Plays the Rasa server: user turns, actions, and the FormAction around validate_item_form."""

    def __init__(self, token: Optional[str] = None, sender: str = "pytest-user", channel: str = "socketio") -> None:
        self.token = token
        self.sender = sender
        self.channel = channel
        self.slots: Dict[str, Any] = Slots({"language": "zh", "task_stage": "idle", "requested_slot": None})
        self.events: List[Dict[str, Any]] = [{"event": "action", "name": "action_listen"}]
        self.latest: Dict[str, Any] = {}
        self.active_loop: Dict[str, Any] = {}
        self.messages: List[Dict[str, Any]] = []

    # -- user side
    def user(
        self,
        text: str,
        intent: str,
        entities: Optional[Dict[str, Any]] = None,
        confidence: float = 0.95,
        ranking: Optional[List[Dict[str, Any]]] = None,
        **extra: Any,
    ) -> None:
        if self.events[-1].get("name") != "action_listen":
            self.events.append({"event": "action", "name": "action_listen"})
        metadata = {"auth_token": self.token} if self.token else {}
        ents = [
            {"entity": k, "value": v}
            for k, vs in (entities or {}).items()
            for v in (vs if isinstance(vs, list) else [vs])
        ]
        self.latest = {
            "text": text,
            "intent": {"name": intent, "confidence": confidence},
            "entities": ents,
            "intent_ranking": ranking or [{"name": intent, "confidence": confidence}],
            "metadata": metadata,
            **extra,
        }
        self.events.append(
            {
                "event": "user",
                "text": text,
                "parse_data": self.latest,
                "input_channel": self.channel,
                "metadata": metadata,
            }
        )
        # the Rasa process fills `language` from the LanguageDetector entity (bot/components/language.py)
        lang = classify_language(text)
        if lang is not None:
            self.slots["language"] = lang

    # -- server side
    def tracker(self, extra: Optional[List[Dict[str, Any]]] = None) -> Tracker:
        events = self.events + (extra or [])
        return Tracker(
            self.sender,
            dict(self.slots),
            self.latest,
            events,
            False,
            None,
            dict(self.active_loop),
            events[-1].get("name") if events[-1].get("event") == "action" else None,
        )

    def _apply(self, events: List[Dict[str, Any]]) -> None:
        for e in events:
            if e["event"] == "slot":
                self.slots[e["name"]] = e["value"]
            elif e["event"] == "active_loop":
                self.active_loop = {"name": e["name"]} if e["name"] else {}
            self.events.append(e)

    def _said(self) -> None:
        """The replies as `bot` events, as the Rasa server records them."""
        self.events += [
            {
                "event": "bot",
                "text": m.get("text"),
                "data": {"buttons": m.get("buttons")},
                # Rasa records the response a message was made from (rasa.core.actions.action._utter_responses)
                "metadata": {"utter_action": m["response"]} if m.get("response") else {},
            }
            for m in self.messages
        ]

    def _run(
        self, action: Any, record: bool = True, extra: Optional[List[Dict[str, Any]]] = None
    ) -> List[Dict[str, Any]]:
        dispatcher = CollectingDispatcher()
        events = asyncio.run(action.run(dispatcher, self.tracker(extra), {}))
        self.messages = dispatcher.messages
        self._apply(events)
        if record:
            self.events.append({"event": "action", "name": action.name()})
        self._said()
        return events

    def run(self, action: Any) -> str:
        self._run(action)
        return self.text

    def form(self) -> str:
        """One run of item_form: 'asked' (a question is due), 'done', or 'rejected'."""
        activating = not self.active_loop
        if activating:
            self._apply([{"event": "active_loop", "name": FORM}])
        extra: List[Dict[str, Any]] = [
            {"event": "slot", "name": "requested_slot", "value": self.slots.get("requested_slot")},
            {"event": "action", "name": FORM},
        ]
        dispatcher = CollectingDispatcher()
        events = asyncio.run(ValidateItemForm().run(dispatcher, self.tracker(extra), {}))
        self.messages = dispatcher.messages
        last_action = next(e["name"] for e in reversed(self.events) if e["event"] == "action")
        if not activating and last_action == "action_listen" and not events:
            return "rejected"
        self._apply(events)
        self.events.append({"event": "action", "name": FORM})
        self._said()
        if self.slots.get("requested_slot") is None or not self.active_loop:
            self._apply([{"event": "active_loop", "name": None}])
            return "done"
        self.messages.append({"text": f"<utter_ask_{self.slots['requested_slot']}>"})
        return "asked"

    @property
    def text(self) -> str:
        return "\n".join(m.get("text") or "" for m in self.messages)

    @property
    def buttons(self) -> List[Dict[str, str]]:
        return [b for m in self.messages for b in (m.get("buttons") or [])]


USERS = (
    "zhangwei",
    "lina",
    "chenjing",
    "huangqiang",
    "liuyang",
    "zhaojianguo",
    "sunli",
    "zhoumin",
    "wugang",
    "qianfang",
    "heli",
    "machao",
    "gaoyuan",
)
# Demo people (backend/sz_backend/seed.py): name, ID area, birth date, sequence -> their ID number.
PEOPLE = {
    "zhangwei": ("张伟", "440304", "19880512", 131),
    "lina": ("李娜", "440305", "19900820", 242),
    "chenjing": ("陈静", "440306", "19920214", 224),
    "huangqiang": ("黄强", "441900", "19851003", 153),
    "liuyang": ("刘洋", "440307", "19930427", 171),
    "zhaojianguo": ("赵建国", "440303", "19620315", 191),
    "zhoumin": ("周敏", "440304", "19891201", 246),
    "wugang": ("吴刚", "440303", "19660110", 117),
    "qianfang": ("钱芳", "440306", "19720408", 208),
    "heli": ("何丽", "440309", "19800707", 228),
    "machao": ("马超", "440310", "19911111", 159),
    "gaoyuan": ("高远", "440311", "19960606", 135),
}


def answer(field: str, user: str) -> str:
    """A plausible answer, as a person would type it."""
    name, area, birth, seq = PEOPLE.get(user, ("张三", "440304", "19880512", 131))
    return {
        "month": "上个月",
        "medical_tier": "二档" if user != "liuyang" else "一档",
        "pension_grade": "第五档",
        "destination_province": "湖南",
        "destination_city": "长沙",
        "from_province": "湖南省",
        "from_city": "长沙",
        "new_id_number": id_number("440301", "19780512", 123),
        "bank_name": "招商银行",
        "account_no": "6225 8802 1234 0000",
        "holder_name": name,
        "holder_id_number": id_number(area, birth, seq),
        "years": "3",
        "work_start_year": "2013",
        "work_end_year": "2015",
        "category": "被征地农民",
        "from_month": "2025年1月",
        "to_month": "2025年3月",
        "other_place": "广州",
        "settle_in_date": "2025年1月10日",
        "hukou_category": "广东省内非深户",
        "phone": "13900139000",
        "address": "深圳市南山区科技园",
        "in_school": "是",
        "school_name": "南山实验学校",
        "guardian_name": "李娜",
        "guardian_id_number": id_number("440305", "19900820", 242),
        "relation": "母亲",
        "change_target": "手机号码",
    }[field]


def who_may(backend_url: str, code: str) -> Optional[Tuple[str, Optional[str]]]:
    for user in USERS:
        token = login(backend_url, user)
        r = requests.get(
            f"{backend_url}/options", params={"codes": code}, headers={"Authorization": f"Bearer {token}"}, timeout=10
        )
        r.raise_for_status()
        for o in r.json()["options"]:
            if o["eligible"]:
                return user, (str(o["subject_id"]) if o.get("subject_name") else None)
    return None
