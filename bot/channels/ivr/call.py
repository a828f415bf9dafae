"""The state of one call between turns (stored in the channel state store).

Why apart: a call's turns may reach different Rasa processes (Redis state
store), so everything the channel remembers about a call is this one
serialisable record; it holds the verification progress (the ID tail between
the two entries, never the PIN) and the caller's backend token once verified.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Tuple

IDLE, ID_LAST4, PIN, HEARD = "idle", "id_last4", "pin", "confirm_heard"


@dataclass
class _Call:
    call_id: str
    caller: str = ""
    token: Optional[str] = None
    stage: str = IDLE
    id_last4: Optional[str] = None
    failures: int = 0
    no_input: int = 0
    buttons: List[Dict[str, Any]] = field(default_factory=list)
    confirmation: bool = False
    heard: Optional[str] = None
    deferred: Optional[str] = None
    last: Optional[Dict[str, Any]] = None
    reprompt: Optional[Tuple[str, Optional[Dict[str, Any]]]] = None  # what to say again after no input
    lang: str = "zh"  # the caller's language: the channel's prompts follow it
    sms_text: Optional[str] = None  # what key 9 sends by SMS (the last reply in full), when offered
    started: float = field(default_factory=time.time)

    def to_json(self) -> Dict[str, Any]:
        data = {name: getattr(self, name) for name in self.__dataclass_fields__}
        data["reprompt"] = list(self.reprompt) if self.reprompt else None
        return data

    @classmethod
    def from_json(cls, data: Dict[str, Any]) -> "_Call":
        known = {k: v for k, v in data.items() if k in cls.__dataclass_fields__}
        call = cls(**known)
        call.reprompt = tuple(call.reprompt) if call.reprompt else None  # type: ignore[assignment]
        return call
