"""A SQL tracker store for the Rasa server that never writes secrets or personal numbers in clear.

1. Backend tokens. Rasa persists each message's metadata inside the stored
   `user` event and the first message's metadata in the slot
   `session_started_metadata`. The channels put the backend bearer token there
   (`auth_token`), so the plain SQL store would keep live tokens in the
   conversation database. This store removes those keys from every event before
   it is written (and before it is streamed to an event broker). The actions read
   the token from the current message, so nothing needs it afterwards; the
   channels send it with every message.

2. Personal numbers typed into the chat (resident ID numbers, bank account
   numbers, mobile numbers; the pattern is bot/masking.py):
   - user and bot events are stored masked (text, parse_data text and entity
     values, metadata): 4403**********123X. They are history; no later turn
     reads their text (each turn reads the current message, which the Rasa
     server holds in memory until the turn is saved);
   - slot events whose value holds such a number (new_id_number, account_no,
     holder_id_number, guardian_id_number, phone, ...: the form still needs them
     in later turns and the submission sends them to the backend) are stored
     encrypted (Fernet, `sz-enc:v1:<token>`) and decrypted when the tracker is
     read back, so a conversation or a form in progress survives a restart of
     the Rasa server. The key comes from SZ_TRACKER_STORE_KEY (any secret
     string, or several separated by commas: the first encrypts, all decrypt,
     for rotation); without it a development default is used, with a warning.
     A value that cannot be decrypted (key changed) comes back empty, so the
     form asks for it again.
   Events are transformed as copies while being written: the tracker in memory
   during the turn keeps the clear values. The number of stored rows stays one
   per event, which is how Rasa's SQLTrackerStore.save finds the new events.
   An event broker receives the masked form (slot values masked, not encrypted).

endpoints.yml:
    tracker_store:
      type: bot.rasa_ext.tracker_store.RedactingSQLTrackerStore
      dialect: "sqlite"          # or "postgresql" with url/port/username/password, as for type SQL
      db: "var/tracker.sqlite3"

3. Speed (docs/benchmarks.md): rows are inserted with one executemany instead of
   one ORM object each; a tracker is read as its JSON column only, with a query
   built once (SQLAlchemy then reuses its compiled form); the number of events
   read is kept on the tracker, so saving it does not count the stored rows
   again (the lock store holds the conversation from the read to the save, so
   nothing else writes them in between); on SQLite
   (the single-instance default) connections are pooled instead of opened per
   call, and the file is in WAL mode with synchronous=NORMAL, so a commit does
   not wait for two fsyncs: a committed turn survives a crash of the process,
   the last turns before a power loss may not (use PostgreSQL in production).

Only the Rasa server loads this module (endpoints.yml); the action server never imports it.
"""

from __future__ import annotations

import base64
import hashlib
import itertools
import json
import logging
import threading
from typing import Any, Dict, Optional

from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.events import SessionStarted
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.nlu.constants import INTENT_NAME_KEY

from bot.masking import contains_personal_number, mask_value
from bot.settings import TRACKER_STORE_KEY_ENV
from bot.settings import load as load_settings

logger = logging.getLogger(__name__)

SECRET_KEYS = frozenset({"auth_token", "token", "access_token", "authorization"})
# Slots encrypted whatever their value (the chat's registration: a name and a one-time code
# are not personal numbers, but they prove who someone is; bot/actions/registration.py).
ALWAYS_ENCRYPTED_SLOTS = frozenset(
    {"registration_name", "registration_bank_name", "registration_code", "registration_otp_id"}
)

KEY_ENV = TRACKER_STORE_KEY_ENV
DEV_KEY = "dev-tracker-store-key-change-me"
ENCRYPTED_PREFIX = "sz-enc:v1:"
# event fields that can hold what a person typed (or a reply quoting it)
_TEXT_FIELDS = ("text", "parse_data", "metadata", "data", "entities", "action_text")


def refuse_development_key() -> None:
    """The started Rasa server refuses the built-in development key unless development mode is
    explicit (SZ_DEV_MODE=1, set by scripts/run.sh; issue 11, docs/security.md)."""
    settings = load_settings()
    keys = settings.tracker_store_keys
    if (not keys or DEV_KEY in keys) and not settings.dev_mode:
        raise RuntimeError(
            f"tracker store: {KEY_ENV} is unset or the development key; set a secret key "
            "(docs/security.md), or SZ_DEV_MODE=1 for development"
        )


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


# ---- encryption of slot values ----------------------------------------------------

_fernet_lock = threading.Lock()
_fernet_cache: Dict[str, Any] = {}


def _fernet_key(secret: str) -> bytes:
    """A Fernet key from any secret string (a Fernet key itself is used as it is)."""
    raw = secret.strip().encode()
    try:
        if len(base64.urlsafe_b64decode(raw)) == 32 and len(raw) == 44:
            return raw
    except ValueError:
        pass
    return base64.urlsafe_b64encode(hashlib.sha256(b"sz-tracker-store\x00" + raw).digest())


def _fernet() -> Any:
    from cryptography.fernet import Fernet, MultiFernet

    setting = load_settings().tracker_store_key
    with _fernet_lock:
        if setting not in _fernet_cache:
            secrets = [s for s in setting.split(",") if s.strip()]
            if not secrets:
                logger.warning(
                    "%s is not set: tracker store slot values are encrypted with the "
                    "development default key (set it in production)",
                    KEY_ENV,
                )
                secrets = [DEV_KEY]
            _fernet_cache[setting] = MultiFernet([Fernet(_fernet_key(s)) for s in secrets])
        return _fernet_cache[setting]


def encrypt_value(value: Any) -> str:
    """`value` (any JSON value) as an encrypted string `sz-enc:v1:<Fernet token>`."""
    token = _fernet().encrypt(json.dumps(value, ensure_ascii=False).encode())
    return ENCRYPTED_PREFIX + token.decode()


def is_encrypted(value: Any) -> bool:
    return isinstance(value, str) and value.startswith(ENCRYPTED_PREFIX)


def decrypt_value(value: str) -> Any:
    """The value of `encrypt_value`; None when it cannot be decrypted (other key, damaged)."""
    from cryptography.fernet import InvalidToken

    try:
        return json.loads(_fernet().decrypt(value[len(ENCRYPTED_PREFIX) :].encode()))
    except (InvalidToken, ValueError):
        logger.warning("a stored slot value could not be decrypted (was %s changed?): it is dropped", KEY_ENV)
        return None


# ---- event dictionaries -----------------------------------------------------------


def protect_event_dict(data: Dict[str, Any], slot_values: str = "encrypt") -> Dict[str, Any]:
    """A copy of a serialised event (`event.as_dict()`) fit to be written: no secrets,
    personal numbers masked in what was said, slot values holding them encrypted
    (`slot_values="encrypt"`, for the tracker store) or masked (`"mask"`, for brokers)."""
    out = dict(data)
    if isinstance(out.get("metadata"), dict):
        out["metadata"] = redact(out["metadata"])
    if isinstance(out.get("parse_data"), dict) and isinstance(out["parse_data"].get("metadata"), dict):
        out["parse_data"] = {**out["parse_data"], "metadata": redact(out["parse_data"]["metadata"])}
    if out.get("event") == "slot":
        value = out.get("value")
        if _has_secret(value):
            value = redact(value)
        if not is_encrypted(value) and contains_personal_number(value):
            value = encrypt_value(value) if slot_values == "encrypt" else mask_value(value)
        elif value is not None and not is_encrypted(value) and out.get("name") in ALWAYS_ENCRYPTED_SLOTS:
            value = encrypt_value(value) if slot_values == "encrypt" else "***"
        out["value"] = value
        return out
    for key in _TEXT_FIELDS:
        if key in out and contains_personal_number(out[key]):
            out[key] = mask_value(out[key])
    return out


def restore_event_dict(data: Dict[str, Any]) -> Dict[str, Any]:
    """A stored event as Rasa should read it: encrypted slot values decrypted."""
    if data.get("event") == "slot" and is_encrypted(data.get("value")):
        data = {**data, "value": decrypt_value(data["value"])}
    return data


# attribute of a tracker read or saved by the store: how many of its events are stored
_STORED_EVENTS = "_sz_stored_events"


class RedactingSQLTrackerStore(SQLTrackerStore):  # type: ignore[misc]
    """SQLTrackerStore that writes no secrets and no personal numbers in clear (module docstring)."""

    engine: Any  # SQLTrackerStore's SQLAlchemy engine (Rasa is not typed for the checker)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        refuse_development_key()
        super().__init__(*args, **kwargs)
        if self.engine.dialect.name == "sqlite" and self.engine.url.database not in (None, "", ":memory:"):
            self._tune_sqlite()
        self._session_events = self._session_events_query()

    def _session_events_query(self) -> Any:
        """SQLTrackerStore._event_query(fetch_events_from_all_sessions=False) as one Core
        statement with the sender id bound at execution: the JSON of the events since the
        latest session start (or all of them), in order."""
        import sqlalchemy as sa

        table = self.SQLEvent.__table__
        sender = sa.bindparam("sender_id")
        session_start = (
            sa.select(sa.func.max(table.c.timestamp).label("session_start"))
            .where(table.c.sender_id == sender, table.c.type_name == SessionStarted.type_name)
            .subquery()
        )
        return (
            sa.select(table.c.data)
            .where(
                table.c.sender_id == sender,
                sa.or_(table.c.timestamp >= session_start.c.session_start, session_start.c.session_start.is_(None)),
            )
            .order_by(table.c.id)
        )

    def _tune_sqlite(self) -> None:
        import sqlalchemy as sa

        self.engine.dispose()
        self.engine = sa.create_engine(
            self.engine.url, poolclass=sa.pool.QueuePool, connect_args={"check_same_thread": False}
        )

        @sa.event.listens_for(self.engine, "connect")
        def _pragmas(dbapi_connection: Any, _record: Any) -> None:
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.close()

        self.sessionmaker = sa.orm.session.sessionmaker(bind=self.engine)

    async def save(self, tracker: DialogueStateTracker) -> None:
        # SQLTrackerStore.save, with each new event's data protected as a copy
        # (protect_event_dict: no secrets, numbers masked or encrypted; the tracker in
        # memory keeps clear values for the rest of the turn). One row per event, as
        # in Rasa. Events read from the store were protected when written, so only
        # the new ones are looked at. The broker diff (stream_events) reads the store,
        # so it runs before the new rows are written.
        with self.session_scope() as session:
            stored = tracker.__dict__.get(_STORED_EVENTS)
            if stored is None:  # not read by this store in this turn: count the stored rows
                new_events = list(self._additional_events(session, tracker))
            else:
                new_events = list(itertools.islice(tracker.events, stored, None))
            await self.stream_events(tracker)
            rows = []
            for event in new_events:
                data = protect_event_dict(event.as_dict())
                rows.append(
                    {
                        "sender_id": tracker.sender_id,
                        "type_name": event.type_name,
                        "timestamp": data.get("timestamp"),
                        "intent_name": data.get("parse_data", {}).get("intent", {}).get(INTENT_NAME_KEY),
                        "action_name": data.get("name"),
                        "data": json.dumps(data),
                    }
                )
            if rows:  # in order: the ids keep the order of the events
                session.execute(self.SQLEvent.__table__.insert(), rows)
            session.commit()
        tracker.__dict__[_STORED_EVENTS] = len(tracker.events)
        logger.debug(f"Tracker with sender_id '{tracker.sender_id}' stored to database")

    async def _stream_new_events(self, event_broker: Any, new_events: Any, sender_id: str) -> None:
        for event in new_events:
            body: Dict[str, Any] = {"sender_id": sender_id}
            body.update(protect_event_dict(event.as_dict(), slot_values="mask"))
            event_broker.publish(body)

    async def _retrieve(self, sender_id: str, fetch_events_from_all_sessions: bool) -> Optional[DialogueStateTracker]:
        # SQLTrackerStore._retrieve, with encrypted slot values decrypted
        with self.session_scope() as session:
            # only the JSON column: building ORM objects for every stored event
            # was the largest single cost of a turn (bench/profile.py)
            if fetch_events_from_all_sessions:
                rows = (
                    self._event_query(
                        session,
                        sender_id,
                        fetch_events_from_all_sessions=True,
                    )
                    .with_entities(self.SQLEvent.data)
                    .all()
                )
            else:
                rows = session.execute(self._session_events, {"sender_id": sender_id}).all()
            events = [restore_event_dict(json.loads(data)) for (data,) in rows]
        if self.domain and events:
            tracker = DialogueStateTracker.from_dict(sender_id, events, self.domain.slots)
            if not fetch_events_from_all_sessions and len(tracker.events) == len(events):
                tracker.__dict__[_STORED_EVENTS] = len(events)  # what save() would count
            return tracker
        return None


__all__ = [
    "RedactingSQLTrackerStore",
    "protect_event_dict",
    "restore_event_dict",
    "encrypt_value",
    "decrypt_value",
    "redact",
]
