"""What the dashboard shows, read from the analytics tables.

- containment: sessions with at least one user message that ended without a handoff
  to a person, over all such sessions;
- per item: how many sessions reached each step (started, collect, confirm,
  confirmed, completed / pre_applied / refused) and the drop-off (started, no outcome);
- per channel and day: sessions, user turns, fallback rate (turns not understood)
  and handoff rate (sessions);
- the messages not understood (masked), with the best guess, and their export in
  Rasa's NLU training-data format for review and retraining.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta, timezone
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ...clock import SHANGHAI
from ...persistence.models import AnalyticsItemStep, AnalyticsSession, AnalyticsTurn

STEPS = ("started", "collect", "confirm", "confirmed", "completed", "pre_applied", "refused")


def _since(days: int) -> datetime:
    return datetime.now(timezone.utc) - timedelta(days=days)


def _day(value: datetime) -> str:
    return (value if value.tzinfo else value.replace(tzinfo=timezone.utc)).astimezone(SHANGHAI).strftime("%Y-%m-%d")


def summary(session: Session, days: int = 30) -> dict[str, Any]:
    since = _since(days)
    sessions = list(
        session.execute(
            select(
                AnalyticsSession.id,
                AnalyticsSession.channel,
                AnalyticsSession.started_at,
                AnalyticsSession.handoff,
                AnalyticsSession.user_turns,
                AnalyticsSession.fallbacks,
                AnalyticsSession.items_finished,
            ).where(AnalyticsSession.started_at >= since, AnalyticsSession.user_turns > 0)
        )
    )
    total = len(sessions)
    contained = sum(1 for s in sessions if not s.handoff)

    per_item: dict[str, dict[str, set[int]]] = defaultdict(lambda: defaultdict(set))
    for code, step, sid in session.execute(
        select(AnalyticsItemStep.item_code, AnalyticsItemStep.step, AnalyticsItemStep.session_id).where(
            AnalyticsItemStep.at >= since
        )
    ):
        per_item[code][step].add(sid)
    items = []
    for code, steps in sorted(per_item.items()):
        counts = {step: len(steps.get(step, ())) for step in STEPS}
        ended = steps.get("completed", set()) | steps.get("pre_applied", set()) | steps.get("refused", set())
        counts["dropped"] = len(steps.get("started", set()) - ended)
        items.append({"item_code": code, **counts})

    daily: dict[tuple[str, str], dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for s in sessions:
        row = daily[(_day(s.started_at), s.channel or "unknown")]
        row["sessions"] += 1
        row["handoffs"] += int(s.handoff)
        row["turns"] += s.user_turns
        row["fallbacks"] += s.fallbacks
    by_day = [
        {
            "day": day,
            "channel": channel,
            **dict(v),
            "fallback_rate": round(v["fallbacks"] / v["turns"], 4) if v["turns"] else 0.0,
            "handoff_rate": round(v["handoffs"] / v["sessions"], 4) if v["sessions"] else 0.0,
        }
        for (day, channel), v in sorted(daily.items())
    ]
    latency = [
        ms
        for (ms,) in session.execute(
            select(AnalyticsTurn.latency_ms).where(AnalyticsTurn.at >= since, AnalyticsTurn.latency_ms.is_not(None))
        )
    ]
    latency.sort()
    return {
        "days": days,
        "sessions": total,
        "contained": contained,
        "containment_rate": round(contained / total, 4) if total else None,
        "items_finished": sum(s.items_finished for s in sessions),
        "latency_ms": {
            "p50": latency[len(latency) // 2],
            "p95": latency[min(len(latency) - 1, int(len(latency) * 0.95))],
            "count": len(latency),
        }
        if latency
        else None,
        "items": items,
        "daily": by_day,
        "not_understood": not_understood(session, days, limit=50),
    }


def not_understood(session: Session, days: int = 30, limit: int = 1000) -> list[dict[str, Any]]:
    rows = session.execute(
        select(
            AnalyticsTurn.text,
            AnalyticsTurn.best_guess,
            AnalyticsTurn.confidence,
            AnalyticsTurn.channel,
            func.min(AnalyticsTurn.at).label("first"),
            func.count().label("times"),
        )
        .where(AnalyticsTurn.fallback.is_(True), AnalyticsTurn.at >= _since(days))
        .group_by(AnalyticsTurn.text, AnalyticsTurn.best_guess, AnalyticsTurn.confidence, AnalyticsTurn.channel)
        .order_by(func.count().desc(), func.min(AnalyticsTurn.at).desc())
        .limit(limit)
    )
    return [
        {
            "text": r.text,
            "best_guess": r.best_guess,
            "confidence": r.confidence,
            "channel": r.channel,
            "first_seen": _day(r.first),
            "times": r.times,
        }
        for r in rows
    ]


def nlu_export(session: Session, days: int = 30) -> str:
    """Rasa 3 NLU YAML: the messages not understood, grouped under their best guess
    (or nlu_fallback), for a reviewer to move to the right intent before retraining."""
    groups: dict[str, list[str]] = defaultdict(list)
    for row in not_understood(session, days):
        text = " ".join(str(row["text"]).split())
        if text and text not in groups[row["best_guess"] or "nlu_fallback"]:
            groups[row["best_guess"] or "nlu_fallback"].append(text)
    lines = [
        'version: "3.1"',
        "# Messages the assistant did not understand (masked), grouped by its best guess.",
        "# Review: move each example under the right intent (or drop it), then add it to bot/data/nlu/.",
        "nlu:",
    ]
    for intent in sorted(groups):
        lines += [f"- intent: {intent}", "  examples: |"]
        lines += [f"    - {t}" for t in groups[intent]]
    return "\n".join(lines) + "\n"
