"""The Rasa server's tracker store writes no backend token and no personal number (ID, bank account) in clear."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

import pytest

pytest.importorskip("rasa")


def test_tokens_in_metadata_are_not_written(tmp_path: Path) -> None:
    from rasa.shared.core.domain import Domain
    from rasa.shared.core.events import ActionExecuted, SessionStarted, SlotSet, UserUttered
    from rasa.shared.core.trackers import DialogueStateTracker

    from bot.rasa_ext.tracker_store import RedactingSQLTrackerStore

    domain = Domain.load(str(Path(__file__).resolve().parents[2] / "domain.yml"))
    db = tmp_path / "tracker.sqlite3"
    store = RedactingSQLTrackerStore(domain=domain, dialect="sqlite", db=str(db))
    secret = "very-secret-backend-token-123456"
    meta = {"auth_token": secret, "channel": "web"}
    tracker = DialogueStateTracker.from_events(
        "alice",
        [
            ActionExecuted("action_session_start"),
            SessionStarted(),
            SlotSet("session_started_metadata", dict(meta)),
            ActionExecuted("action_listen"),
            UserUttered("我要停保", {"name": "stop_insurance", "confidence": 0.9}, metadata=dict(meta)),
        ],
        slots=domain.slots,
    )
    asyncio.run(store.save(tracker))
    rows = [r[0] for r in sqlite3.connect(db).execute("select data from events")]
    assert rows and not any(secret in r for r in rows)
    assert any('"channel": "web"' in r for r in rows)  # the rest of the metadata is kept
    restored = asyncio.run(store.retrieve("alice"))
    assert restored.latest_message.text == "我要停保"
    assert restored.get_slot("session_started_metadata") == {"channel": "web"}


# ---- personal numbers: masked in what was said, encrypted in slots that later turns need

ID_NUMBER = "440304198805121317"
ID_NUMBER_X = "11010519491231002X"
ACCOUNT = "6222021234567890123"
REPO = Path(__file__).resolve().parents[2]


def _store(db: Path, **kwargs: object) -> object:
    from rasa.shared.core.domain import Domain

    from bot.rasa_ext.tracker_store import RedactingSQLTrackerStore

    domain = Domain.load(str(REPO / "domain.yml"))
    return RedactingSQLTrackerStore(domain=domain, dialect="sqlite", db=str(db), **kwargs)


def _raw_rows(db: Path) -> list:
    return [r[0] for r in sqlite3.connect(db).execute("select data from events order by id")]


def _no_clear_number(rows: list) -> None:
    import re

    for row in rows:
        digits = re.sub(r"[\s\-]", "", row)
        for secret in (ID_NUMBER, ID_NUMBER_X, ACCOUNT, ACCOUNT[-16:], "13812345678"):
            assert secret not in digits, row


def _form_turns() -> list:
    """A maintain_payment_bank form in progress: account and holder ID typed, bank name still asked."""
    from rasa.shared.core.events import ActionExecuted, ActiveLoop, BotUttered, SessionStarted, SlotSet, UserUttered

    return [
        ActionExecuted("action_session_start"),
        SessionStarted(),
        ActionExecuted("action_listen"),
        UserUttered("我要改缴费银行", {"name": "maintain_payment_bank", "confidence": 0.9}),
        ActionExecuted("action_start_task"),
        SlotSet("task_code", "maintain_payment_bank"),
        SlotSet("task_stage", "collect"),
        ActionExecuted("item_form"),
        ActiveLoop("item_form"),
        SlotSet("requested_slot", "account_no"),
        BotUttered("请输入银行账号"),
        ActionExecuted("action_listen"),
        UserUttered(
            f"卡号 {ACCOUNT[:4]} {ACCOUNT[4:8]} {ACCOUNT[8:12]} {ACCOUNT[12:16]} {ACCOUNT[16:]}，"
            f"身份证{ID_NUMBER_X}，电话13812345678",
            {"name": "inform", "confidence": 0.9},
            [
                {"entity": "id_number", "value": ID_NUMBER_X, "start": 28, "end": 46},
                {"entity": "phone_number", "value": "13812345678", "start": 50, "end": 61},
                {"entity": "language", "value": "zh", "start": 0, "end": 61},
            ],
        ),
        SlotSet("language", "zh"),
        ActionExecuted("item_form"),
        SlotSet("account_no", ACCOUNT),
        SlotSet("holder_id_number", ID_NUMBER_X),
        SlotSet("phone", "13812345678"),
        SlotSet("requested_slot", "bank_name"),
        BotUttered(f"已记录账号 {ACCOUNT}，请问开户银行？"),
        ActionExecuted("action_listen"),
    ]


def test_personal_numbers_are_masked_or_encrypted_at_rest(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from rasa.shared.core.trackers import DialogueStateTracker

    monkeypatch.setenv("SZ_TRACKER_STORE_KEY", "test-key-1")
    db = tmp_path / "tracker.sqlite3"
    store = _store(db)
    tracker = DialogueStateTracker.from_events("bob", _form_turns(), slots=store.domain.slots)
    asyncio.run(store.save(tracker))

    rows = _raw_rows(db)
    assert len(rows) == len(tracker.events)  # one row per event: Rasa finds new events by count
    _no_clear_number(rows)
    user = [r for r in rows if '"event": "user"' in r][-1]
    assert "1101**********002X" in user and "138****5678" in user and "***************0123" in user
    assert '"entity": "language"' in user  # other entities are kept as they were
    assert any("sz-enc:v1:" in r for r in rows if '"name": "account_no"' in r)
    # the tracker in memory (the turn still running in the Rasa server) keeps the clear values
    assert ID_NUMBER_X in tracker.latest_message.text and tracker.get_slot("account_no") == ACCOUNT

    restored = asyncio.run(store.retrieve("bob"))
    assert restored.get_slot("account_no") == ACCOUNT  # usable by the form and the submission
    assert restored.get_slot("holder_id_number") == ID_NUMBER_X
    assert restored.get_slot("phone") == "13812345678"
    assert restored.get_slot("requested_slot") == "bank_name"
    assert restored.active_loop_name == "item_form"
    assert "1101**********002X" in restored.latest_message.text
    # retrieve reads the session from SessionStarted on (action_session_start comes before it)
    assert [type(e) for e in restored.events] == [type(e) for e in list(tracker.events)[1:]]


def test_form_in_progress_survives_a_restart(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A new store on the same database (the Rasa server restarted) continues the form and completes it."""
    from rasa.shared.core.events import ActionExecuted, ActiveLoop, SlotSet, UserUttered
    from rasa.shared.core.trackers import DialogueStateTracker

    monkeypatch.setenv("SZ_TRACKER_STORE_KEY", "test-key-2")
    db = tmp_path / "tracker.sqlite3"
    first = _store(db)
    asyncio.run(first.save(DialogueStateTracker.from_events("carol", _form_turns(), slots=first.domain.slots)))

    second = _store(db)  # after the restart
    tracker = asyncio.run(second.retrieve("carol"))
    n = len(_raw_rows(db))
    for event in [
        UserUttered("中国工商银行", {"name": "inform", "confidence": 0.9}),
        ActionExecuted("item_form"),
        SlotSet("bank_name", "中国工商银行"),
        SlotSet("requested_slot", None),
        ActiveLoop(None),
        SlotSet("task_stage", "confirm"),
        ActionExecuted("action_review_task"),
        ActionExecuted("action_listen"),
    ]:
        tracker.update(event)
    asyncio.run(second.save(tracker))
    rows = _raw_rows(db)
    assert len(rows) == n + 8  # only the new events were added
    _no_clear_number(rows)
    final = asyncio.run(_store(db).retrieve("carol"))
    assert [final.get_slot(s) for s in ("bank_name", "account_no", "holder_id_number", "task_stage")] == [
        "中国工商银行",
        ACCOUNT,
        ID_NUMBER_X,
        "confirm",
    ]
    assert final.active_loop_name is None


def test_a_value_encrypted_with_another_key_comes_back_empty(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from rasa.shared.core.trackers import DialogueStateTracker

    db = tmp_path / "tracker.sqlite3"
    monkeypatch.setenv("SZ_TRACKER_STORE_KEY", "old-key")
    store = _store(db)
    asyncio.run(store.save(DialogueStateTracker.from_events("dan", _form_turns(), slots=store.domain.slots)))
    monkeypatch.setenv("SZ_TRACKER_STORE_KEY", "new-key,old-key")  # rotation: old values still read
    assert asyncio.run(_store(db).retrieve("dan")).get_slot("account_no") == ACCOUNT
    monkeypatch.setenv("SZ_TRACKER_STORE_KEY", "new-key")  # old key gone: asked again
    restored = asyncio.run(_store(db).retrieve("dan"))
    assert restored.get_slot("account_no") is None and restored.get_slot("requested_slot") == "bank_name"


def test_event_broker_gets_masked_events(tmp_path: Path) -> None:
    from rasa.core.brokers.broker import EventBroker
    from rasa.shared.core.trackers import DialogueStateTracker

    class Collecting(EventBroker):
        def __init__(self) -> None:
            self.published: list = []

        def publish(self, event: dict) -> None:
            self.published.append(event)

    broker = Collecting()
    db = tmp_path / "tracker.sqlite3"
    store = _store(db, event_broker=broker)
    asyncio.run(store.save(DialogueStateTracker.from_events("erin", _form_turns(), slots=store.domain.slots)))
    import json

    _no_clear_number([json.dumps(e, ensure_ascii=False) for e in broker.published])
    slot = next(e for e in broker.published if e.get("event") == "slot" and e.get("name") == "account_no")
    assert slot["value"] == "***************0123" and slot["sender_id"] == "erin"


def test_turns_read_and_saved_like_rasas_sql_store(tmp_path: Path) -> None:
    """The prebuilt query reads what Rasa's does (the latest session only), and a save after a
    read stores exactly the new events, as Rasa's row count would, over several sessions."""
    import itertools

    from rasa.core.tracker_store import SQLTrackerStore
    from rasa.shared.core.events import ActionExecuted, BotUttered, SessionStarted, UserUttered
    from rasa.shared.core.trackers import DialogueStateTracker

    db = tmp_path / "tracker.sqlite3"
    store = _store(db)
    clock = itertools.count(1_000_000)  # Rasa tells sessions apart by the events' timestamps

    def stamped(events: list) -> list:
        for event in events:
            event.timestamp = float(next(clock))
        return events

    def turn(text: str) -> list:
        return stamped(
            [
                UserUttered(text, {"name": "greet", "confidence": 1.0}),
                ActionExecuted("utter_greet"),
                BotUttered("您好"),
                ActionExecuted("action_listen"),
            ]
        )

    def session() -> list:
        return stamped([ActionExecuted("action_session_start"), SessionStarted(), ActionExecuted("action_listen")])

    def rasas_rows(sender: str) -> list:
        with store.session_scope() as db_session:
            query = SQLTrackerStore._event_query(store, db_session, sender, fetch_events_from_all_sessions=False)
            return [row.data for row in query.all()]

    tracker = DialogueStateTracker("gina", [])
    tracker.update_with_events(session() + turn("你好"), None, override_timestamp=False)
    asyncio.run(store.save(tracker))  # a new conversation: no read before
    for k in range(3):  # read, add a turn (the third after a new session start), save: as the processor does
        tracker = asyncio.run(store.retrieve("gina"))
        new = (session() if k == 2 else []) + turn(f"第{k}句")
        tracker.update_with_events(new, None, override_timestamp=False)
        asyncio.run(store.save(tracker))
        asyncio.run(store.save(tracker))  # saving twice adds nothing
    rows = _raw_rows(db)
    assert len(rows) == 7 + 4 + 4 + 7  # every event once, none repeated or lost
    assert len(set(rows)) == len(rows)
    latest = asyncio.run(store.retrieve("gina"))
    assert [e.text for e in latest.events if isinstance(e, UserUttered)] == ["第2句"]
    with store.session_scope() as db_session:  # the session's events from its start (action_session_start is before)
        ours = [data for (data,) in db_session.execute(store._session_events, {"sender_id": "gina"})]
    assert ours == rasas_rows("gina") and len(latest.events) == len(ours) == 6
    full = asyncio.run(store.retrieve_full_tracker("gina"))
    assert [e.text for e in full.events if isinstance(e, UserUttered)] == ["你好", "第0句", "第1句", "第2句"]
    assert asyncio.run(store.retrieve("nobody")) is None


def _postgres_or_skip() -> None:
    import os
    import socket

    try:
        socket.create_connection(("127.0.0.1", 5432), timeout=1).close()
    except OSError:
        if os.environ.get("CI") == "true":
            pytest.fail("PostgreSQL is not running on 127.0.0.1:5432")
        pytest.skip("no PostgreSQL server on 127.0.0.1:5432")


def test_postgresql_rows_hold_no_clear_number_and_the_form_resumes(monkeypatch: pytest.MonkeyPatch) -> None:
    import uuid

    import sqlalchemy as sa
    from rasa.shared.core.domain import Domain
    from rasa.shared.core.trackers import DialogueStateTracker

    from bot.rasa_ext.tracker_store import RedactingSQLTrackerStore

    _postgres_or_skip()
    monkeypatch.setenv("SZ_TRACKER_STORE_KEY", "test-key-pg")
    db = f"rasa_tracker_test_{uuid.uuid4().hex[:10]}"
    domain = Domain.load(str(REPO / "domain.yml"))

    def store() -> object:
        return RedactingSQLTrackerStore(
            domain=domain,
            dialect="postgresql",
            host="127.0.0.1",
            port=5432,
            username="postgres",
            db=db,
            login_db="postgres",
        )

    admin = sa.create_engine("postgresql://postgres@127.0.0.1:5432/postgres", isolation_level="AUTOCOMMIT")
    first = store()
    try:
        asyncio.run(first.save(DialogueStateTracker.from_events("frank", _form_turns(), slots=domain.slots)))
        with first.engine.connect() as conn:
            rows = [r[0] for r in conn.execute(sa.text("select data from events order by id"))]
        assert rows and any("sz-enc:v1:" in r for r in rows)
        _no_clear_number(rows)
        first.engine.dispose()
        restored = asyncio.run(store().retrieve("frank"))  # a new store: the server restarted
        assert restored.get_slot("account_no") == ACCOUNT
        assert restored.get_slot("holder_id_number") == ID_NUMBER_X
        assert restored.active_loop_name == "item_form"
    finally:
        first.engine.dispose()
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)'))
        admin.dispose()


def test_registration_slots_are_encrypted_whatever_their_value(monkeypatch: pytest.MonkeyPatch) -> None:
    from bot.rasa_ext.tracker_store import protect_event_dict, restore_event_dict

    monkeypatch.setenv("SZ_TRACKER_STORE_KEY", "test-key-1")
    for name, value in (
        ("registration_name", "林晓"),
        ("registration_code", "123456"),
        ("registration_otp_id", "abc"),
        ("registration_bank_name", "招商银行"),
    ):
        event = {"event": "slot", "name": name, "value": value}
        stored = protect_event_dict(event)
        assert stored["value"].startswith("sz-enc:v1:") and value not in stored["value"]
        assert restore_event_dict(stored)["value"] == value
        assert protect_event_dict(event, slot_values="mask")["value"] == "***"
    kept = protect_event_dict({"event": "slot", "name": "registration_stage", "value": "collect"})
    assert kept["value"] == "collect"
    assert protect_event_dict({"event": "slot", "name": "registration_name", "value": None})["value"] is None
