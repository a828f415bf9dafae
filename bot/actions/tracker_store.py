"""A SQL tracker store for the Rasa server that never writes the caller's backend token.

Rasa persists each message's metadata inside the stored `user` event and the
first message's metadata in the slot `session_started_metadata`. The channels
put the backend bearer token there (`auth_token`), so the plain SQL store would
keep live tokens in the conversation database. This store removes those keys
from every event before it is written (and before it is streamed to an event
broker). The actions read the token from the current message, so nothing needs
it afterwards; the channels send it with every message.

endpoints.yml:
    tracker_store:
      type: bot.actions.tracker_store.RedactingSQLTrackerStore
      dialect: "sqlite"          # or "postgresql" with url/port/username/password, as for type SQL
      db: "var/tracker.sqlite3"

The class is built on first access (module `__getattr__`): importing Rasa's
tracker store takes seconds, and the action server, which imports every module
of this package, never needs it.
"""
from __future__ import annotations

from typing import Any, Dict

SECRET_KEYS = frozenset({"auth_token", "token", "access_token", "authorization"})


def redact(value: Any) -> Any:
    """A copy of `value` without secret keys (dicts, nested); other values unchanged."""
    if isinstance(value, dict):
        return {k: redact(v) for k, v in value.items() if str(k).lower() not in SECRET_KEYS}
    if isinstance(value, list):
        return [redact(v) for v in value]
    return value


def _has_secret(value: Any) -> bool:
    if isinstance(value, dict):
        return any(str(k).lower() in SECRET_KEYS or _has_secret(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_has_secret(v) for v in value)
    return False


def redact_event(event: Any) -> None:
    """Remove secrets from one Rasa event in place (metadata, parse_data, slot values)."""
    metadata = getattr(event, "metadata", None)
    if _has_secret(metadata):
        event.metadata = redact(metadata)
    parse_data = getattr(event, "parse_data", None)
    if isinstance(parse_data, dict) and _has_secret(parse_data.get("metadata")):
        parse_data["metadata"] = redact(parse_data["metadata"])
    if getattr(event, "type_name", None) == "slot" and _has_secret(getattr(event, "value", None)):
        event.value = redact(event.value)


def _build() -> type:
    from rasa.core.tracker_store import SQLTrackerStore

    class RedactingSQLTrackerStore(SQLTrackerStore):  # type: ignore[misc, valid-type]
        """SQLTrackerStore that strips `auth_token` (and similar keys) from events before writing."""

        async def save(self, tracker: Any) -> None:
            for event in tracker.events:
                redact_event(event)
            slot = tracker.slots.get("session_started_metadata")
            if slot is not None and _has_secret(slot.value):
                slot.value = redact(slot.value)
            await super().save(tracker)

    return RedactingSQLTrackerStore


_cache: Dict[str, type] = {}


def __getattr__(name: str) -> Any:
    if name == "RedactingSQLTrackerStore":
        if name not in _cache:
            _cache[name] = _build()
        return _cache[name]
    raise AttributeError(name)
