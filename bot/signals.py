"""Channel signals: the one definition shared by the actions and the channels.

Some replies ask the channel to act, not just to show text: the phone channel
starts caller verification, transfers the call to a person, or hangs up. An
action says so with a custom payload (Rasa ``json_message``, delivered to the
channel as ``{"custom": {"signal": name, ...}}``), never through its wording.
Channels that have nothing to do with a signal ignore it; text channels never
show it (bot/channels/rendering.py).

Why a module of its own: the action server (bot/actions/common.py) writes these
payloads and the Rasa server's channels (bot/channels/) read them; the names were
written out on both sides, so a renamed signal would have been sent and never
acted on. Pure (no Rasa import), so both processes load it cheaply.
"""

from __future__ import annotations

from typing import Any, Dict, Mapping, Sequence

SIGNAL_KEY = "signal"
# {"signal": "verify_identity", "reason": "required" | "expired"}: the turn needs the person identified
# (web: log in, WeChat: bind, phone: the IVR starts caller verification)
VERIFY_IDENTITY = "verify_identity"
# {"signal": "handoff", "number": "12333", "reason": "user_request"}: a person takes over (the IVR transfers)
HANDOFF = "handoff"
# {"signal": "end_call"}: the phone channel hangs up after the reply
END_CALL = "end_call"
ALL_SIGNALS = (VERIFY_IDENTITY, HANDOFF, END_CALL)


def is_signal(custom: Any) -> bool:
    """True for a channel-signal payload (a custom dict with a string ``signal``)."""
    return isinstance(custom, dict) and isinstance(custom.get(SIGNAL_KEY), str)


def signals(messages: Sequence[Mapping[str, Any]]) -> Dict[str, Dict[str, Any]]:
    """The signals among one turn's messages, by name (the last one of a name wins)."""
    found: Dict[str, Dict[str, Any]] = {}
    for message in messages:
        custom = message.get("custom") if isinstance(message, dict) else None
        if isinstance(custom, dict) and is_signal(custom):
            found[custom[SIGNAL_KEY]] = dict(custom)
    return found
