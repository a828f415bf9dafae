"""Accounts, passwords, tokens and channel bindings.

Passwords and phone PINs are hashed with Argon2id. Tokens are random, given to
the client once, and stored only as their SHA-256, so a leaked database does
not leak sessions.
"""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from functools import lru_cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from ..errors import BusinessError
from ..persistence.models import AuthToken, ChannelBinding, Person, UserAccount
from ..settings import get_settings
from . import audit, lockout
from .secrets_at_rest import as_utc, token_digest

CHANNELS = ("web", "wechat", "ivr", "api", "rest")


@lru_cache
def _hasher() -> PasswordHasher:
    # argon2-cffi's defaults (RFC 9106 low-memory profile) in production. The test
    # suite sets SZ_PASSWORD_HASH=fast: still Argon2id, with small costs, because
    # hundreds of log-ins at ~0.1-0.9 s each would dominate its run time.
    if get_settings().password_hash_profile == "fast":
        return PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    return PasswordHasher()


@lru_cache
def _dummy_hash() -> str:
    # Verifying against this when the user does not exist keeps the timing the same.
    return _hasher().hash("dummy-password-for-timing")


def hash_secret(secret: str) -> str:
    return _hasher().hash(secret)


def verify_secret(stored_hash: str | None, secret: str) -> bool:
    try:
        return _hasher().verify(stored_hash or _dummy_hash(), secret) and stored_hash is not None
    except (VerificationError, InvalidHashError):
        return False


@dataclass(frozen=True)
class Identity:
    account: UserAccount
    person: Person
    channel: str


def check_channel(channel: str | None) -> str:
    channel = (channel or "api").lower()
    if channel not in CHANNELS:
        raise BusinessError("CHANNEL_UNKNOWN", "未知的渠道", "Unknown channel", status=400, field="X-Channel")
    return channel


def issue_token(session: Session, account: UserAccount, channel: str) -> dict[str, object]:
    token = secrets.token_urlsafe(32)
    expires = datetime.now(timezone.utc) + timedelta(minutes=get_settings().token_ttl_minutes)
    session.add(AuthToken(token_hash=token_digest(token), account_id=account.id, channel=channel, expires_at=expires))
    return {
        "token": token,
        "token_type": "bearer",
        "expires_at": expires.isoformat(),
        "person_id": account.person_id,
        "name": account.person.name,
    }


_BAD_LOGIN = ("LOGIN_FAILED", "用户名或密码不正确", "Wrong user name or password")


def check_password(
    session: Session,
    subject: str,
    stored_hash: str | None,
    password: str,
    *,
    usable: bool,
    channel: str,
    source: str | None,
    refusal: BusinessError,
    person_id: int | None = None,
) -> None:
    """The one password check of residents and staff, under the lock-out (services/lockout.py):
    failures per `subject` (user:<name>, staff:<name>) and per client address.

    The secret is always verified (an unknown user name takes the same time); a wrong secret,
    or an account that is missing or not `usable`, counts as a failure and raises `refusal`."""
    if source:
        lockout.check("source", f"ip:{source}")
    lockout.check("password", subject)
    if not verify_secret(stored_hash, password) or not usable:
        lockout.fail("password", subject, channel=channel, person_id=person_id)
        if source:
            lockout.fail("source", f"ip:{source}", channel=channel)
        raise refusal
    lockout.succeed(session, "password", subject)


def _check_password(
    session: Session, username: str, password: str, channel: str, source: str | None = None
) -> UserAccount:
    """The account of a right user name and password; wrong ones count towards the lock-out."""
    account = session.scalar(select(UserAccount).where(UserAccount.username == username.strip()))
    check_password(
        session,
        f"user:{username.strip()}",
        account.password_hash if account else None,
        password,
        usable=account is not None,
        channel=channel,
        source=source,
        person_id=account.person_id if account else None,
        refusal=BusinessError(
            *_BAD_LOGIN,
            status=401,
            fix_zh="忘记密码可在深圳市人力资源和社会保障局统一用户平台找回",
            fix_en="Reset a forgotten password on the bureau's unified user platform",
        ),
    )
    assert account is not None  # usable=False raised above
    return account


def login(session: Session, username: str, password: str, channel: str, source: str | None = None) -> dict[str, object]:
    account = _check_password(session, username, password, channel, source)
    audit.record(session, action="auth.login", channel=channel, actor_person_id=account.person_id)
    return issue_token(session, account, channel)


def authenticate(session: Session, token: str | None) -> Identity:
    if not token:
        raise BusinessError("AUTH_REQUIRED", "请先登录", "Please log in first", status=401)
    row = session.scalar(select(AuthToken).where(AuthToken.token_hash == token_digest(token)))
    if row is None or row.revoked or as_utc(row.expires_at) < datetime.now(timezone.utc):
        raise BusinessError(
            "AUTH_INVALID", "登录已失效，请重新登录", "Your session has expired; please log in again", status=401
        )
    account = session.get(UserAccount, row.account_id)
    assert account is not None
    return Identity(account=account, person=account.person, channel=row.channel)


def logout(session: Session, token: str) -> None:
    row = session.scalar(select(AuthToken).where(AuthToken.token_hash == token_digest(token)))
    if row is not None:
        row.revoked = True


def check_service_key(key: str | None) -> None:
    """Only the trusted channel front ends (WeChat, IVR servers) hold this key."""
    if not key or not hmac.compare_digest(key.encode(), get_settings().channel_service_key.encode()):
        raise BusinessError("SERVICE_KEY_INVALID", "渠道服务密钥无效", "Invalid channel service key", status=401)


def bind_channel(session: Session, channel: str, external_id: str, username: str, password: str) -> dict[str, object]:
    """Bind a WeChat OpenID (or a phone number) to an account after checking its password."""
    account = _check_password(session, username, password, channel)
    existing = session.scalar(
        select(ChannelBinding).where(ChannelBinding.channel == channel, ChannelBinding.external_id == external_id)
    )
    if existing is not None and existing.account_id != account.id:
        raise BusinessError(
            "BINDING_TAKEN", "该微信号已绑定其他账户，请先解绑", "This ID is bound to another account", status=409
        )
    if existing is None:
        session.add(ChannelBinding(account_id=account.id, channel=channel, external_id=external_id))
    audit.record(session, action="channel.bind", channel=channel, actor_person_id=account.person_id)
    return issue_token(session, account, channel)


def unbind_channel(session: Session, channel: str, external_id: str) -> bool:
    existing = session.scalar(
        select(ChannelBinding).where(ChannelBinding.channel == channel, ChannelBinding.external_id == external_id)
    )
    if existing is None:
        return False
    account = session.get(UserAccount, existing.account_id)
    session.delete(existing)
    # Tokens handed out for this channel stop working with the binding.
    for token in session.scalars(
        select(AuthToken).where(
            AuthToken.account_id == existing.account_id, AuthToken.channel == channel, AuthToken.revoked.is_(False)
        )
    ):
        token.revoked = True
    audit.record(
        session, action="channel.unbind", channel=channel, actor_person_id=account.person_id if account else None
    )
    return True


def token_for_binding(session: Session, channel: str, external_id: str) -> dict[str, object]:
    binding = session.scalar(
        select(ChannelBinding).where(ChannelBinding.channel == channel, ChannelBinding.external_id == external_id)
    )
    if binding is None:
        raise BusinessError(
            "NOT_BOUND",
            "尚未绑定账户",
            "No account is bound to this ID",
            status=404,
            fix_zh="请先发送“绑定”完成账户绑定",
            fix_en='Send "bind" to bind your account first',
        )
    account = session.get(UserAccount, binding.account_id)
    assert account is not None
    return issue_token(session, account, channel)


_BAD_CALLER = ("CALLER_NOT_VERIFIED", "身份核验未通过", "Caller verification failed")


def verify_caller(session: Session, phone: str, id_last4: str, pin: str) -> dict[str, object]:
    """Phone (IVR) verification: the calling number bound to an account, the last four
    characters of the ID number, and the phone PIN. Any mismatch gives the same answer."""
    binding = session.scalar(
        select(ChannelBinding).where(ChannelBinding.channel == "phone", ChannelBinding.external_id == phone.strip())
    )
    account = session.get(UserAccount, binding.account_id) if binding else None
    if account is None:
        # Unbound numbers may still verify against the phone number on record.
        person = session.scalar(select(Person).where(Person.phone == phone.strip()))
        account = session.scalar(select(UserAccount).where(UserAccount.person_id == person.id)) if person else None
    # PIN guesses count per account whichever number calls (and per number when none matches).
    subject = f"account:{account.id}" if account else f"phone:{phone.strip()}"
    lockout.check("pin", subject)
    pin_ok = verify_secret(account.phone_pin_hash if account else None, pin)
    if account is None or not pin_ok or account.person.id_number[-4:].upper() != id_last4.strip().upper():
        lockout.fail("pin", subject, channel="ivr", person_id=account.person_id if account else None)
        raise BusinessError(
            *_BAD_CALLER,
            status=401,
            fix_zh="请核对身份证号后四位和电话服务密码，或转人工服务",
            fix_en="Check the last four ID characters and the phone PIN, or ask for an agent",
        )
    lockout.succeed(session, "pin", subject)
    audit.record(session, action="channel.ivr_verified", channel="ivr", actor_person_id=account.person_id)
    return issue_token(session, account, "ivr")
