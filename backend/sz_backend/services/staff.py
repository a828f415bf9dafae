"""Window staff: their accounts, log-in, tokens and roles.

Staff are not residents: their accounts live in their own table, hold no person
and no channel binding, and their tokens are never accepted by the residents'
API (nor residents' tokens here). Passwords use the residents' hashing
(`identity.hash_secret`, Argon2id) and their one password check
(`identity.check_password`) with its lock-out (`services/lockout.py`:
SZ_PASSWORD_MAX_FAILURES wrong passwords within SZ_LOCK_MINUTES lock the user name,
the right password included; failed log-ins per client address are limited too).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..errors import BusinessError
from ..persistence.models import StaffAccount, StaffRole, StaffToken
from . import audit, identity
from .identity import hash_secret
from .secrets_at_rest import as_utc, token_digest

STAFF_TOKEN_TTL_MINUTES = 480  # one working day


@dataclass(frozen=True)
class StaffIdentity:
    staff: StaffAccount

    @property
    def id(self) -> int:
        return self.staff.id


def create(session: Session, username: str, display_name: str, role: StaffRole, password: str) -> StaffAccount:
    account = StaffAccount(username=username, display_name=display_name, role=role, password_hash=hash_secret(password))
    session.add(account)
    session.flush()
    return account


def login(session: Session, username: str, password: str, source: str | None = None) -> dict[str, object]:
    """The residents' lock-out rules (services/lockout.py): failures per user name (kind
    "password", subject "staff:<name>", its own namespace) and per client address."""
    account = session.scalar(select(StaffAccount).where(StaffAccount.username == username.strip()))
    identity.check_password(
        session,
        f"staff:{username.strip()}",
        account.password_hash if account else None,
        password,
        usable=account is not None and account.active,
        channel="window",
        source=source,
        refusal=BusinessError("LOGIN_FAILED", "用户名或密码不正确", "Wrong user name or password", status=401),
    )
    assert account is not None  # usable=False raised above
    token = secrets.token_urlsafe(32)
    expires = datetime.now(timezone.utc) + timedelta(minutes=STAFF_TOKEN_TTL_MINUTES)
    session.add(StaffToken(token_hash=token_digest(token), staff_id=account.id, expires_at=expires))
    audit.record(session, action="staff.login", channel="window", actor_person_id=None, actor_staff_id=account.id)
    return {
        "token": token,
        "token_type": "bearer",
        "expires_at": expires.isoformat(),
        "username": account.username,
        "display_name": account.display_name,
        "role": account.role.value,
    }


def authenticate(session: Session, token: str | None, *, role: StaffRole | None = None) -> StaffIdentity:
    if not token:
        raise BusinessError(
            "STAFF_AUTH_REQUIRED", "请先登录窗口系统", "Please log in to the window console", status=401
        )
    row = session.scalar(select(StaffToken).where(StaffToken.token_hash == token_digest(token)))
    if row is None or row.revoked or as_utc(row.expires_at) < datetime.now(timezone.utc):
        raise BusinessError(
            "STAFF_AUTH_INVALID", "登录已失效，请重新登录", "Your session has expired; log in again", status=401
        )
    account = session.get(StaffAccount, row.staff_id)
    if account is None or not account.active:
        raise BusinessError(
            "STAFF_AUTH_INVALID", "登录已失效，请重新登录", "Your session has expired; log in again", status=401
        )
    if role is StaffRole.supervisor and account.role is not StaffRole.supervisor:
        raise BusinessError("STAFF_ROLE_REQUIRED", "此功能仅限主管使用", "Only a supervisor may do this", status=403)
    return StaffIdentity(account)


def logout(session: Session, token: str) -> None:
    row = session.scalar(select(StaffToken).where(StaffToken.token_hash == token_digest(token)))
    if row is not None:
        row.revoked = True
