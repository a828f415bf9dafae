"""The Rasa server's tracker store never writes the backend token that channels pass as metadata."""
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

    from bot.actions.tracker_store import RedactingSQLTrackerStore

    domain = Domain.load(str(Path(__file__).resolve().parents[2] / "domain"))
    db = tmp_path / "tracker.sqlite3"
    store = RedactingSQLTrackerStore(domain=domain, dialect="sqlite", db=str(db))
    secret = "very-secret-backend-token-123456"
    meta = {"auth_token": secret, "channel": "web"}
    tracker = DialogueStateTracker.from_events("alice", [
        ActionExecuted("action_session_start"), SessionStarted(),
        SlotSet("session_started_metadata", dict(meta)), ActionExecuted("action_listen"),
        UserUttered("我要停保", {"name": "stop_insurance", "confidence": 0.9}, metadata=dict(meta)),
    ], slots=domain.slots)
    asyncio.run(store.save(tracker))
    rows = [r[0] for r in sqlite3.connect(db).execute("select data from events")]
    assert rows and not any(secret in r for r in rows)
    assert any('"channel": "web"' in r for r in rows)              # the rest of the metadata is kept
    restored = asyncio.run(store.retrieve("alice"))
    assert restored.latest_message.text == "我要停保"
    assert restored.get_slot("session_started_metadata") == {"channel": "web"}
