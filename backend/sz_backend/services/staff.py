"""Window staff: their accounts, log-in, tokens and roles.

Staff are not residents: their accounts live in their own table, hold no person
and no channel binding, and their tokens are never accepted by the residents'
API (nor residents' tokens here). Passwords use the residents' hashing
(`identity.hash_secret` / `verify_secret`, Argon2id) and the same lock-out rule:
after `LOCKOUT_THRESHOLD` wrong passwords in a row the account is locked for
`LOCKOUT_MINUTES`, and a locked account answers like a wrong password plus the
time it opens again (so the lock gives nothing away about the password).
"""
from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..errors import BusinessError
from ..persistence.models import StaffAccount, StaffRole, StaffToken
from . import audit
from .identity import hash_secret, verify_secret

# The residents' rule (services/identity.py); one pair of figures until identity exposes its own.
LOCKOUT_THRESHOLD = 5
LOCKOUT_MINUTES = 15
STAFF_TOKEN_TTL_MINUTES = 480  # one working day


@dataclass(frozen=True)
class StaffIdentity:
    staff: StaffAccount

    @property
    def id(self) -> int:
        return self.staff.id


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=timezone.utc)


def create(session: Session, username: str, display_name: str, role: StaffRole, password: str) -> StaffAccount:
    account = StaffAccount(username=username, display_name=display_name, role=role,
                           password_hash=hash_secret(password))
    session.add(account)
    session.flush()
    return account


def login(session: Session, username: str, password: str) -> dict[str, object]:
    account = session.scalar(select(StaffAccount).where(StaffAccount.username == username.strip()))
    now = datetime.now(timezone.utc)
    locked = account is not None and account.locked_until is not None and _aware(account.locked_until) > now
    ok = verify_secret(account.password_hash if account else None, password)  # always verify: same timing
    if account is None or not account.active or locked or not ok:
        if account is not None and not locked:
            account.failed_logins += 1
            if account.failed_logins >= LOCKOUT_THRESHOLD:
                account.locked_until = now + timedelta(minutes=LOCKOUT_MINUTES)
                account.failed_logins = 0
                locked = True
                audit.record(session, action="staff.locked", channel="window", actor_person_id=None,
                             actor_staff_id=account.id)
        if locked:
            # Commit the lock even though the request fails (the caller's unit of work rolls back on error).
            session.commit()
            until = _aware(account.locked_until).isoformat() if account and account.locked_until else None
            raise BusinessError("ACCOUNT_LOCKED", "密码错误次数过多，账户已暂时锁定",
                                "Too many wrong passwords: the account is locked for a while", status=401,
                                fix_zh=f"请{LOCKOUT_MINUTES}分钟后再试，或请主管协助",
                                fix_en=f"Try again in {LOCKOUT_MINUTES} minutes or ask a supervisor",
                                extra={"locked_until": until})
        session.commit()
        raise BusinessError("LOGIN_FAILED", "用户名或密码不正确", "Wrong user name or password", status=401)
    account.failed_logins = 0
    account.locked_until = None
    token = secrets.token_urlsafe(32)
    expires = now + timedelta(minutes=STAFF_TOKEN_TTL_MINUTES)
    session.add(StaffToken(token_hash=_digest(token), staff_id=account.id, expires_at=expires))
    audit.record(session, action="staff.login", channel="window", actor_person_id=None, actor_staff_id=account.id)
    return {"token": token, "token_type": "bearer", "expires_at": expires.isoformat(),
            "username": account.username, "display_name": account.display_name, "role": account.role.value}


def authenticate(session: Session, token: str | None, *, role: StaffRole | None = None) -> StaffIdentity:
    if not token:
        raise BusinessError("STAFF_AUTH_REQUIRED", "请先登录窗口系统", "Please log in to the window console", status=401)
    row = session.scalar(select(StaffToken).where(StaffToken.token_hash == _digest(token)))
    if row is None or row.revoked or _aware(row.expires_at) < datetime.now(timezone.utc):
        raise BusinessError("STAFF_AUTH_INVALID", "登录已失效，请重新登录", "Your session has expired; log in again",
                            status=401)
    account = session.get(StaffAccount, row.staff_id)
    if account is None or not account.active:
        raise BusinessError("STAFF_AUTH_INVALID", "登录已失效，请重新登录", "Your session has expired; log in again",
                            status=401)
    if role is StaffRole.supervisor and account.role is not StaffRole.supervisor:
        raise BusinessError("STAFF_ROLE_REQUIRED", "此功能仅限主管使用", "Only a supervisor may do this", status=403)
    return StaffIdentity(account)


def logout(session: Session, token: str) -> None:
    row = session.scalar(select(StaffToken).where(StaffToken.token_hash == _digest(token)))
    if row is not None:
        row.revoked = True
