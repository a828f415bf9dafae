"""One Rasa tracker event (as Rasa's event broker publishes it) -> the analytics tables.

Exactly once: the event's content hash goes into `analytics_events` (unique) in the
same unit of work as every row derived from it, so a message the broker delivers
again (the consumer died before its ack, the broker restarted, the publisher sent
it twice) changes nothing. An event older than the newest one already taken in for
its conversation (kept by Rasa while the broker was down, sent later) makes the
conversation's rows be derived again from the ledger in timestamp order.

Personal data: the sender id (a WeChat OpenID, a phone number) is replaced by a
keyed hash; user texts are masked again (ID, bank account and phone numbers), even
though the project's tracker store already masks what it streams; metadata (it may
hold tokens) and slot values other than the few task slots are never kept.

What is derived, from events only (the assistant's own conventions, bot/actions):
- a session per `session_started` (or a sender's first event); its channel from
  the user events' `input_channel`;
- a turn per user message: intent, confidence, the best guess other than
  nlu_fallback, fallback (intent nlu_fallback or action_default_fallback), and the
  latency to the first bot message after it;
- item steps: `task_code` set -> started; `task_stage` collect / confirm -> collect /
  confirm; `action_submit_task` -> confirmed; the reply to it -> completed (a serial
  number SZyyyymmddnnnnnn), pre_applied (a pre-application number YS...), or refused
  (neither, unless the flow went back to collecting a field: that is a re-ask);
- handoff: `action_handoff` or the slot `handoff_requested`.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import re
from datetime import datetime, timezone
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ...persistence.models import AnalyticsEvent, AnalyticsItemStep, AnalyticsSession, AnalyticsTurn
from ...rules.masking import mask_text

TASK_SLOTS = ("task_code", "task_stage", "handoff_requested")
FALLBACK_INTENT = "nlu_fallback"
_SERIAL = re.compile(r"SZ\d{14}")
_PRE_APP = re.compile(r"YS\d{12}[0-9X]", re.IGNORECASE)
MAX_TEXT = 500


def conversation_key(sender_id: str) -> str:
    secret = os.environ.get("SZ_ANALYTICS_SALT", "dev-analytics-salt-change-me").encode()
    return hmac.new(secret, str(sender_id).encode(), hashlib.sha256).hexdigest()[:32]


def event_uid(body: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(body, sort_keys=True, ensure_ascii=False, default=str).encode()).hexdigest()


def _summary(body: dict[str, Any]) -> dict[str, Any]:
    kind = body.get("event")
    out: dict[str, Any] = {}
    if kind == "user":
        parse = body.get("parse_data") or {}
        intent = parse.get("intent") or {}
        guess = next(
            (r.get("name") for r in parse.get("intent_ranking") or [] if r.get("name") != FALLBACK_INTENT), None
        )
        out = {
            "text": mask_text(str(body.get("text") or ""))[:MAX_TEXT],
            "intent": intent.get("name"),
            "confidence": intent.get("confidence"),
            "guess": guess,
            "channel": body.get("input_channel"),
        }
    elif kind == "bot":
        text = str(body.get("text") or "")
        out = {"serial": bool(_SERIAL.search(text)), "pre_application": bool(_PRE_APP.search(text))}
    elif kind == "action":
        out = {"name": body.get("name")}
    elif kind == "slot" and body.get("name") in TASK_SLOTS:
        out = {"name": body.get("name"), "value": body.get("value")}
    elif kind == "slot":
        out = {"name": body.get("name")}
    out["ts"] = float(body.get("timestamp") or 0)
    return out


def ingest(session: Session, body: dict[str, Any]) -> bool:
    """Take one event in; False when it was already taken in (a redelivery)."""
    uid = event_uid(body)
    if session.scalar(select(AnalyticsEvent.id).where(AnalyticsEvent.uid == uid)) is not None:
        return False
    at = datetime.fromtimestamp(float(body.get("timestamp") or 0), timezone.utc)
    conv = conversation_key(str(body.get("sender_id") or ""))
    summary = _summary(body)
    row = AnalyticsEvent(uid=uid, conversation=conv, event=str(body.get("event") or "")[:32], at=at, summary=summary)
    session.add(row)
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError:  # a twin consumer took it in at the same moment
        return False
    latest = session.scalar(
        select(AnalyticsSession)
        .where(AnalyticsSession.conversation == conv)
        .order_by(AnalyticsSession.id.desc())
        .limit(1)
    )
    if latest is not None and summary["ts"] < float((latest.state or {}).get("ts", 0)):
        _rebuild(session, conv)  # arrived late (kept by Rasa during an outage): replay in order
    else:
        _derive(session, conv, row.event, at, summary)
    return True


def _rebuild(session: Session, conv: str) -> None:
    """Derive the conversation's rows again from its ledger, in the order the events happened."""
    ids = list(session.scalars(select(AnalyticsSession.id).where(AnalyticsSession.conversation == conv)))
    session.execute(delete(AnalyticsItemStep).where(AnalyticsItemStep.session_id.in_(ids)))
    session.execute(delete(AnalyticsTurn).where(AnalyticsTurn.session_id.in_(ids)))
    session.execute(delete(AnalyticsSession).where(AnalyticsSession.id.in_(ids)))
    events = list(session.scalars(select(AnalyticsEvent).where(AnalyticsEvent.conversation == conv)))
    for ev in sorted(events, key=lambda e: (float(e.summary.get("ts", 0)), e.id)):
        _derive(session, conv, ev.event, _aware(ev.at), ev.summary)


def _current(session: Session, conv: str, at: datetime, new: bool) -> AnalyticsSession:
    """The sender's latest session; a new one at session_started (unless the latest is still empty:
    Rasa logs action_session_start just before session_started)."""
    sess = session.scalar(
        select(AnalyticsSession)
        .where(AnalyticsSession.conversation == conv)
        .order_by(AnalyticsSession.id.desc())
        .limit(1)
    )
    if new and sess is not None and (sess.user_turns or sess.items_started):
        sess = None
    if sess is None:
        sess = AnalyticsSession(
            conversation=conv,
            started_at=at,
            last_at=at,
            user_turns=0,
            fallbacks=0,
            handoff=False,
            items_started=0,
            items_finished=0,
            state={},
        )
        session.add(sess)
        session.flush()
    return sess


def _step(session: Session, sess: AnalyticsSession, at: datetime, code: str, step: str) -> None:
    session.add(AnalyticsItemStep(session_id=sess.id, at=at, channel=sess.channel, item_code=code[:64], step=step))
    if step == "started":
        sess.items_started += 1
    elif step in ("completed", "pre_applied"):
        sess.items_finished += 1


def _derive(session: Session, conv: str, kind: str, at: datetime, summary: dict[str, Any]) -> None:
    sess = _current(session, conv, at, new=kind == "session_started")
    sess.last_at = max(_aware(sess.last_at), at)
    state = dict(sess.state or {})
    state["ts"] = max(float(state.get("ts", 0)), float(summary.get("ts", 0)))
    if kind == "user":
        sess.channel = summary.get("channel") or sess.channel
        guess = summary.get("guess")
        fallback = summary.get("intent") == FALLBACK_INTENT
        session.add(
            AnalyticsTurn(
                session_id=sess.id,
                at=at,
                channel=sess.channel,
                text=summary["text"],
                intent=summary.get("intent"),
                confidence=summary.get("confidence"),
                best_guess=guess,
                fallback=fallback,
            )
        )
        sess.user_turns += 1
        sess.fallbacks += int(fallback)
        state["awaiting_reply"] = True
    elif kind == "bot":
        if state.pop("awaiting_reply", False):
            turn = _last_turn(session, sess)
            if turn is not None and turn.latency_ms is None:
                turn.latency_ms = max(0, int((at - _aware(turn.at)).total_seconds() * 1000))
        if state.get("submitted"):
            if summary.get("pre_application"):
                state["outcome"] = "pre_applied"
            elif summary.get("serial") and state.get("outcome") != "pre_applied":
                state["outcome"] = "completed"
    elif kind == "action":
        name = summary.get("name")
        if name == "action_default_fallback":
            turn = _last_turn(session, sess)
            if turn is not None and not turn.fallback:
                turn.fallback = True
                sess.fallbacks += 1
        elif name == "action_handoff":
            sess.handoff = True
        elif name == "action_submit_task" and state.get("task"):
            _step(session, sess, at, state["task"], "confirmed")
            state.update(submitted=state["task"], outcome=None, reasked=False)
        elif name == "action_listen" and state.get("submitted"):
            outcome = state.get("outcome") or (None if state.get("reasked") else "refused")
            if outcome:
                _step(session, sess, at, state["submitted"], outcome)
            for key in ("submitted", "outcome", "reasked"):
                state.pop(key, None)
    elif kind == "slot":
        name, value = summary.get("name"), summary.get("value")
        if name == "task_code" and value:
            state["task"] = str(value)
            state.pop("stage", None)
            _step(session, sess, at, str(value), "started")
        elif name == "task_stage" and value in ("collect", "confirm") and state.get("task"):
            if state.get("submitted") and value == "collect":
                state["reasked"] = True  # the backend named a field to give again
            if state.get("stage") != value:
                _step(session, sess, at, state["task"], str(value))
        elif name == "task_stage" and value == "idle":
            state.pop("task", None)
        if name == "task_stage":
            state["stage"] = value
        elif name == "handoff_requested" and value:
            sess.handoff = True
    sess.state = state


def _last_turn(session: Session, sess: AnalyticsSession) -> AnalyticsTurn | None:
    return session.scalar(
        select(AnalyticsTurn).where(AnalyticsTurn.session_id == sess.id).order_by(AnalyticsTurn.id.desc()).limit(1)
    )


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=timezone.utc)
