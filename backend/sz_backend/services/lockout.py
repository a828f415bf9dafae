"""Lock-out and throttling of secret guessing (issue 11, finding 6).

Failures are stored (table ``auth_failures``), so they count across calls,
channels and backend processes: a phone PIN guessed over four calls, or a
password tried on the web and then through WeChat binding, adds up for the same
person. When a subject has ``max`` failures of one kind within the lock window,
every further check of that kind is refused, the right secret included, until
the window has passed since the last failures; the lock is written to the audit
log. A success clears the subject's failures of that kind.

Kinds and subjects:
- ``password``: ``user:<user name>`` (log-in and channel binding; unknown user
  names are counted the same way, so the answer never tells whether one exists);
- ``pin``: ``account:<id>`` (phone PIN, any calling number);
- ``source``: ``ip:<address>`` (failed log-ins from one client address; the
  channel servers, which call with the service key, are limited per user instead).

Failures are written in their own transaction (``session_scope``), so the
refused request rolling back does not erase them.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from ..errors import BusinessError
from ..persistence.db import session_scope
from ..persistence.models import AuthFailure
from ..settings import get_settings
from . import audit


def _limit(kind: str) -> int:
    s = get_settings()
    return {"password": s.password_max_failures, "pin": s.pin_max_failures, "source": s.source_max_failures}[kind]


def _window() -> timedelta:
    return timedelta(minutes=get_settings().lock_minutes)


def _recent(session: Session, kind: str, subject: str) -> int:
    since = datetime.now(timezone.utc) - _window()
    return int(
        session.scalar(
            select(func.count())
            .select_from(AuthFailure)
            .where(AuthFailure.kind == kind, AuthFailure.subject == subject, AuthFailure.at >= since)
        )
        or 0
    )


def locked_error(kind: str) -> BusinessError:
    minutes = get_settings().lock_minutes
    what_zh, what_en = {
        "password": ("密码", "password"),
        "pin": ("电话服务密码", "phone PIN"),
        "source": ("登录", "log-in"),
    }[kind]
    return BusinessError(
        "TOO_MANY_ATTEMPTS",
        f"{what_zh}错误次数过多，已暂时锁定，请{minutes}分钟后再试",
        f"Too many wrong attempts ({what_en}): locked for {minutes} minutes",
        status=429,
        fix_zh="忘记密码可在深圳市人力资源和社会保障局统一用户平台找回，或拨打12333转人工服务",
        fix_en="Reset a forgotten password on the bureau's unified user platform, or call 12333",
        extra={"retry_after_minutes": minutes},
    )


def check(kind: str, subject: str) -> None:
    """Raise TOO_MANY_ATTEMPTS (429) while ``subject`` is locked for ``kind``."""
    with session_scope() as s:
        if _recent(s, kind, subject) >= _limit(kind):
            raise locked_error(kind)


def fail(kind: str, subject: str, *, channel: str, person_id: int | None = None) -> None:
    """Count one failure; the failure that reaches the limit writes an audit event."""
    with session_scope() as s:
        s.add(AuthFailure(kind=kind, subject=subject))
        s.flush()
        if _recent(s, kind, subject) == _limit(kind):
            audit.record(
                s,
                action="auth.locked",
                channel=channel,
                actor_person_id=person_id,
                kind=kind,
                subject=subject if kind == "source" else subject.split(":", 1)[0],
                minutes=get_settings().lock_minutes,
            )


def succeed(session: Session, kind: str, subject: str) -> None:
    session.execute(delete(AuthFailure).where(AuthFailure.kind == kind, AuthFailure.subject == subject))
