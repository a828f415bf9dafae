"""Registration finished on a one-time web page: the chat's path (issues 11 and 16).

The chat proves identity with the same steps as ``POST /accounts`` (the bank
confirms name, ID number, card and the phone it holds; the SMS code sent to that
phone comes back), but it must never take a password: what is typed in a
conversation is stored with it. So the chat exchanges the confirmed code for a
short-lived, single-use link (``POST /accounts/setup-link``); on that page the
person chooses the user name and password, and the account is created with the
card and phone the bank confirmed. Only the hash of the link's random token is
kept (``registration_links``): the link cannot be forged, and a leaked database
row does not open the page.
"""

from __future__ import annotations

import re
import secrets
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..errors import BusinessError, invalid, refused
from ..persistence.models import Person, RegistrationLink, UserAccount
from ..rules import idnumber
from ..rules.masking import mask_bank_account, mask_name
from ..settings import get_settings
from . import audit, otp
from .items.comparison import mainland_mobile
from .registration import (
    OTP_PURPOSE,
    _account_no,
    _bank,
    _bank_confirms,
    _identify,
    _password,
    create_account,
    free_username,
)
from .secrets_at_rest import as_utc, token_digest

if TYPE_CHECKING:
    from ..api.schemas import RegistrationLinkRequest

LINK_TTL_SECONDS = 15 * 60


def _now() -> datetime:
    return datetime.now(timezone.utc)


def issue_link(session: Session, body: RegistrationLinkRequest, channel: str) -> dict[str, Any]:
    """The code of ``POST /accounts/code`` given back in the chat -> the one-time page's link."""
    person, phone, account_no, bank = _identify(session, body)
    bound_to = _bank_confirms(session, person, bank, account_no, phone, body.name)
    otp.confirm(otp_id=body.otp_id, code=body.otp_code, purpose=OTP_PURPOSE, bound_to=bound_to)
    token = secrets.token_urlsafe(24)
    session.add(
        RegistrationLink(
            token_hash=token_digest(token),
            person_id=person.id,
            bank_name=bank,
            account_no=account_no,
            phone=phone,
            expires_at=_now() + timedelta(seconds=LINK_TTL_SECONDS),
        )
    )
    audit.record(
        session,
        action="service.register_account.link_issued",
        channel=channel,
        actor_person_id=None,
        subject_person_id=person.id,
        account=mask_bank_account(account_no),
    )
    minutes = LINK_TTL_SECONDS // 60
    return {
        "url": f"{get_settings().public_base_url}/accounts/setup?t={token}",
        "expires_in_seconds": LINK_TTL_SECONDS,
        "message_zh": f"身份核验通过。请在{minutes}分钟内打开下面的链接，设置用户名和密码完成注册（链接只能使用一次，"
        "请勿转发；密码只在该页面填写，不要发在聊天里）。",
        "message_en": f"Identity confirmed. Open the link below within {minutes} minutes to choose your user name "
        "and password (the link works once; do not share it; type the password only on that page, "
        "never in this chat).",
    }


_INVALID = BusinessError(
    "REGISTRATION_LINK_INVALID",
    "注册链接无效、已使用或已过期",
    "The registration link is invalid, already used or expired",
    status=403,
    fix_zh="请回到聊天中重新办理“新用户注册”，获取新的验证码和链接",
    fix_en="Start the new-user registration in the chat again for a new code and link",
)


@dataclass(frozen=True)
class LinkView:
    name: str
    bank_name: str
    account: str


def _live_link(session: Session, token: str, *, lock: bool = False) -> RegistrationLink:
    query = select(RegistrationLink).where(RegistrationLink.token_hash == token_digest(token or ""))
    row = session.scalar(query.with_for_update() if lock else query)
    if row is None or row.used or as_utc(row.expires_at) < _now():
        raise _INVALID
    return row


def view(session: Session, token: str) -> LinkView:
    """What the page shows about whom it registers (masked), or REGISTRATION_LINK_INVALID."""
    row = _live_link(session, token)
    person = session.get(Person, row.person_id)
    name = person.name if person else ""
    return LinkView(name=mask_name(name), bank_name=row.bank_name, account=mask_bank_account(row.account_no))


def complete(
    session: Session, token: str, username: str, password: str, password_again: str, channel: str
) -> dict[str, Any]:
    """The page's form: the account with the chosen user name and password; the link is used up."""
    row = _live_link(session, token, lock=True)
    if password != password_again:
        raise BusinessError(
            "PASSWORD_MISMATCH",
            "两次输入的密码不一致",
            "The two passwords differ",
            field="password",
            fix_zh="请重新输入两次相同的密码",
            fix_en="Type the same password twice",
        )
    _password(password)
    name = username.strip()
    if not (4 <= len(name) <= 32) or not all(c.isascii() and (c.isalnum() or c in "_.-") for c in name):
        raise BusinessError(
            "USERNAME_INVALID",
            "用户名须为4到32位字母、数字或 _ . -",
            "A user name has 4 to 32 letters, digits or _ . -",
            field="username",
            fix_zh="例如：linxiao98",
            fix_en="For example: linxiao98",
        )
    person = session.get(Person, row.person_id)
    if person is None or session.scalar(select(UserAccount.id).where(UserAccount.person_id == person.id)) is not None:
        row.used = True
        raise refused("ACCOUNT_EXISTS", "您已注册过账户，请直接登录", "You already have an account: please log in")
    name = free_username(session, name)
    row.used = True
    return create_account(session, person, name, password, row.bank_name, row.account_no, row.phone, channel)


def _name(raw: str) -> str:
    text = unicodedata.normalize("NFKC", raw).strip()
    if 2 <= len(text) <= 64 and not re.search(r"\d", text) and re.fullmatch(r"[\u3400-\u9fff·•A-Za-z .'-]+", text):
        return text
    raise invalid(
        "NAME_INVALID",
        "请填写身份证上的姓名",
        "Give your name as on the ID card",
        field="name",
        fix_zh="例如：林晓",
        fix_en="For example: 林晓",
    )


_CHECKS: dict[str, Callable[[str], str]] = {
    "name": _name,
    "id_number": lambda raw: idnumber.validate(raw),
    "bank_name": lambda raw: _bank(raw, True),
    "bank_account": _account_no,
    "phone": lambda raw: mainland_mobile(raw),
}


def check_fields(fields: dict[str, str]) -> dict[str, Any]:
    """Each given detail checked on its own, as the registration steps check it (nothing is looked
    up: whether the person and card match is only said by ``POST /accounts/code``)."""
    values: dict[str, str] = {}
    errors: dict[str, dict[str, Any]] = {}
    for name, raw in fields.items():
        check = _CHECKS.get(name)
        if check is None:
            errors[name] = {
                "code": "FIELD_UNKNOWN",
                "message_zh": "未知的项目",
                "message_en": "Unknown field",
                "fix_zh": None,
                "fix_en": None,
            }
            continue
        try:
            values[name] = check(str(raw))
        except BusinessError as err:
            errors[name] = {
                "code": err.code,
                "message_zh": err.message_zh,
                "message_en": err.message_en,
                "fix_zh": err.fix_zh,
                "fix_en": err.fix_en,
            }
    return {"values": values, "errors": errors}
