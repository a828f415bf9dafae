"""One-time codes sent by SMS (registration; issue 11, finding 2).

A code is six random digits, valid ``SZ_OTP_TTL_SECONDS`` (5 minutes), good for
one use and ``SZ_OTP_MAX_ATTEMPTS`` tries. Only its hash is stored, together with
a digest of what it confirms (``binding``: e.g. person, card and phone), so a
code sent for one card cannot confirm another. At most one code per phone a
minute and five an hour.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime, timedelta, timezone
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..errors import BusinessError
from ..persistence.db import session_scope
from ..persistence.models import OneTimeCode
from ..rules.masking import mask_phone
from ..settings import get_settings
from . import sms
from .secrets_at_rest import as_utc


def binding(*parts: object) -> str:
    return hashlib.sha256("\x1f".join(str(p) for p in parts).encode()).hexdigest()


def _hash(public_id: str, code: str) -> str:
    return hashlib.sha256(f"{public_id}:{code}".encode()).hexdigest()


def issue(session: Session, *, purpose: str, phone: str, bound_to: str, text_zh: str) -> dict[str, Any]:
    """Create a code for ``bound_to`` and send it to ``phone``; ``text_zh`` has a ``{code}`` slot."""
    now = datetime.now(timezone.utc)
    recent = session.scalars(
        select(OneTimeCode.created_at).where(
            OneTimeCode.phone == phone, OneTimeCode.created_at >= now - timedelta(hours=1)
        )
    ).all()
    if any(as_utc(t) >= now - timedelta(seconds=60) for t in recent) or len(recent) >= 5:
        raise BusinessError(
            "OTP_TOO_SOON",
            "验证码发送太频繁，请稍后再试（每分钟最多1条，每小时最多5条）",
            "Codes are sent at most once a minute and five times an hour; try again later",
            status=429,
        )
    code = f"{secrets.randbelow(10**6):06d}"
    public_id = secrets.token_urlsafe(18)
    ttl = get_settings().otp_ttl_seconds
    session.add(
        OneTimeCode(
            public_id=public_id,
            purpose=purpose,
            phone=phone,
            binding=bound_to,
            code_hash=_hash(public_id, code),
            expires_at=now + timedelta(seconds=ttl),
        )
    )
    sms.send(session, phone, text_zh.format(code=code, minutes=max(1, ttl // 60)), purpose=purpose + "_code")
    return {
        "otp_id": public_id,
        "phone": mask_phone(phone),
        "expires_in_seconds": ttl,
        "message_zh": f"验证码已发送至银行预留手机{mask_phone(phone)}，{max(1, ttl // 60)}分钟内有效",
        "message_en": f"A code was sent to the phone the bank holds ({mask_phone(phone)}); "
        f"it is valid for {max(1, ttl // 60)} minutes",
    }


_WRONG = ("OTP_INVALID", "短信验证码不正确或已失效", "The SMS code is wrong or no longer valid")


def confirm(*, otp_id: str | None, code: str | None, purpose: str, bound_to: str) -> None:
    """Consume the code or raise. Attempts are counted in their own transaction (they stay
    counted when the request then fails)."""
    if not otp_id or not code:
        raise BusinessError(
            "OTP_REQUIRED",
            "请先获取短信验证码，并填写收到的验证码",
            "Request the SMS code first and give the code you received",
            status=422,
            field="otp_code",
            fix_zh="验证码会发到您在银行预留的手机号码",
            fix_en="The code goes to the phone number your bank holds",
        )
    with session_scope() as s:
        row = s.scalar(
            select(OneTimeCode).where(OneTimeCode.public_id == otp_id, OneTimeCode.purpose == purpose).with_for_update()
        )
        if row is None or row.used or as_utc(row.expires_at) < datetime.now(timezone.utc):
            raise BusinessError(
                *_WRONG, status=422, field="otp_code", fix_zh="请重新获取验证码", fix_en="Request a new code"
            )
        if row.attempts >= get_settings().otp_max_attempts:
            raise BusinessError(
                "OTP_LOCKED",
                "验证码错误次数过多，请重新获取",
                "Too many wrong codes: request a new one",
                status=429,
                field="otp_code",
            )
        row.attempts += 1
        good = hmac.compare_digest(row.code_hash, _hash(otp_id, str(code).strip())) and hmac.compare_digest(
            row.binding, bound_to
        )
        if good:
            row.used = True
    if not good:
        raise BusinessError(
            *_WRONG,
            status=422,
            field="otp_code",
            fix_zh="请核对短信中的6位验证码",
            fix_en="Check the 6-digit code in the text message",
        )
