"""The audit log: every change records who did it, for whom, and through which channel.

Window steps record the clerk (`actor_staff_id`, channel "window")."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from ..persistence.models import AuditEntry


def record(
    session: Session,
    *,
    action: str,
    channel: str,
    actor_person_id: int | None,
    subject_person_id: int | None = None,
    actor_staff_id: int | None = None,
    **detail: Any,
) -> None:
    # Details hold codes and masked values only: never a full ID or account number.
    session.add(
        AuditEntry(
            action=action,
            channel=channel,
            actor_person_id=actor_person_id,
            subject_person_id=subject_person_id,
            detail=detail,
            actor_staff_id=actor_staff_id,
        )
    )
