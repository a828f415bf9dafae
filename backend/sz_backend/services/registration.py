"""新用户注册: an account for a person already in our records (no login needed).

The article: registering needs a bank account opened in Shenzhen at one of the
12 cooperating banks (金融社保卡合作银行). The person must be in our records with
the same name as the ID number; one account per person, one person per user name.

Identity is proven as the real system does (issue 11, finding 2: name and ID
number alone let anyone take over a person's account and payment card):
1. ``POST /accounts/code``: the bank confirms the card belongs to this name and ID
   number and the phone is the one it holds (services/bank_verification.py); a
   one-time code is sent to that phone (services/otp.py, services/sms.py);
2. ``POST /accounts``: the same details, user name, password and the code.
"""

from __future__ import annotations

import re
import unicodedata
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..errors import BusinessError, invalid, refused
from ..persistence.models import BankAccount, Person, UserAccount
from ..rules import banks, idnumber
from ..rules.masking import mask_bank_account, mask_id_number, mask_phone
from . import audit, otp
from .bank_verification import CardCheck, verifier
from .identity import hash_secret
from .items.comparison import mainland_mobile, person_by_id_number, same_name

if TYPE_CHECKING:
    from ..api.schemas import RegisterAccountRequest, RegistrationCodeRequest

SERVICE_CODE = "register_account"
MIN_PASSWORD = 8


def _password(password: str) -> None:
    if len(password) < MIN_PASSWORD or not re.search(r"[A-Za-z]", password) or not re.search(r"\d", password):
        raise invalid(
            "WEAK_PASSWORD",
            f"密码至少{MIN_PASSWORD}位，且须同时包含字母和数字",
            f"The password needs at least {MIN_PASSWORD} characters with both letters and digits",
            field="password",
            fix_zh="例如：Shenzhen2026",
            fix_en="For example: Shenzhen2026",
        )


def _bank(name: str, opened_in_shenzhen: bool) -> str:
    bank = banks.canonical_bank(name)
    if bank is None:
        names = [b["name_zh"] for b in banks.cooperating_banks()]
        raise refused(
            "BANK_NOT_COOPERATING",
            f"“{name[:32]}”不是金融社保卡合作银行，注册需使用以下{len(names)}家银行之一的账户：" + "、".join(names),
            f"That bank does not issue the financial social security card; registration needs an account "
            f"at one of these {len(names)} banks: " + ", ".join(b["name_en"] for b in banks.cooperating_banks()),
            fix_zh="请使用本人在以上银行深圳网点开立的账户",
            fix_en="Use your own account at one of these banks, opened in Shenzhen",
            banks=names,
        )
    if not opened_in_shenzhen:
        raise refused(
            "BANK_NOT_IN_SHENZHEN",
            f"注册需使用在深圳开户的{bank}账户，外地开户的账户不能使用",
            f"Registration needs an account opened in Shenzhen; a {bank} account opened elsewhere cannot be used",
            fix_zh="请到合作银行深圳网点开立账户后再注册",
            fix_en="Open an account at a Shenzhen branch of a cooperating bank, then register",
        )
    return bank


def _account_no(raw: str) -> str:
    text = re.sub(r"[\s-]", "", unicodedata.normalize("NFKC", raw))
    if re.fullmatch(r"\d{10,30}", text):
        return text
    raise invalid(
        "BANK_ACCOUNT_INVALID",
        "银行账号应为10到30位数字",
        "A bank account number has 10 to 30 digits",
        field="bank_account",
        fix_zh="请对照银行卡核对账号",
        fix_en="Copy the number from the bank card",
    )


OTP_PURPOSE = "register"
OTP_TEXT_ZH = (
    "【深圳社保】您正在注册社保个人网上服务账户，验证码{code}，{minutes}分钟内有效。如非本人操作，请忽略并勿告诉他人。"
)


def _identify(session: Session, body: RegisterAccountRequest | RegistrationCodeRequest) -> tuple[Person, str, str, str]:
    """The checks both steps share: the person, no account yet, the bank's confirmation of the card."""
    id_number = idnumber.validate(body.id_number)
    phone = mainland_mobile(body.phone)
    account_no = _account_no(body.bank_account)
    bank = _bank(body.bank_name, body.bank_opened_in_shenzhen)
    person = person_by_id_number(session, id_number)
    if person is None or not same_name(person.name, body.name):
        # One answer for "no such ID" and "wrong name": never confirm whose an ID number is.
        raise BusinessError(
            "PERSON_NOT_FOUND",
            "没有找到与该姓名和身份证号一致的参保人员信息",
            "No insured person with this name and ID number was found",
            status=404,
            fix_zh="请核对姓名和身份证号；从未在深圳参保的，请先通过单位或窗口办理参保登记",
            fix_en="Check the name and ID number; if you have never been insured in Shenzhen, "
            "get registered through your employer or at a service window first",
        )
    if session.scalar(select(UserAccount.id).where(UserAccount.person_id == person.id)) is not None:
        raise refused(
            "ACCOUNT_EXISTS",
            "您已注册过账户，请直接登录",
            "You already have an account: please log in",
            fix_zh="忘记用户名或密码，可在深圳市人力资源和社会保障局统一用户平台找回",
            fix_en="Recover a forgotten user name or password on the bureau's unified user platform",
        )
    return person, phone, account_no, bank


def _bank_confirms(session: Session, person: Person, bank: str, account_no: str, phone: str, name: str) -> str:
    """The bank's confirmation (one answer for every mismatch); returns what the code is bound to."""
    if not verifier().verify(
        session, CardCheck(bank=bank, card_no=account_no, name=name, id_number=person.id_number, phone=phone)
    ):
        raise refused(
            "BANK_VERIFICATION_FAILED",
            "银行核验未通过：该银行卡不属于您本人，或手机号码不是该卡在银行预留的号码",
            "The bank did not confirm this card: it is not in your name, or the phone number is not "
            "the one the bank holds for it",
            fix_zh="请使用本人名下的合作银行卡，并填写在银行预留的手机号码；预留号码可到银行网点查询或更改",
            fix_en="Use a card in your own name and the phone number registered with the bank "
            "(a branch can tell you or change it)",
            status=409,
        )
    return otp.binding(OTP_PURPOSE, person.id, bank, account_no, phone)


def request_code(session: Session, body: RegistrationCodeRequest, channel: str) -> dict[str, Any]:
    """Step 1: the bank confirms the card, and a one-time code goes to the phone the bank holds."""
    person, phone, account_no, bank = _identify(session, body)
    bound_to = _bank_confirms(session, person, bank, account_no, phone, body.name)
    result = otp.issue(session, purpose=OTP_PURPOSE, phone=phone, bound_to=bound_to, text_zh=OTP_TEXT_ZH)
    audit.record(
        session,
        action="service.register_account.code_sent",
        channel=channel,
        actor_person_id=None,
        subject_person_id=person.id,
        phone=mask_phone(phone),
        account=mask_bank_account(account_no),
    )
    return result


def register(session: Session, body: RegisterAccountRequest, channel: str) -> dict[str, Any]:
    """Step 2: the account, once the code sent in step 1 is given back."""
    # Input that can be checked without looking anyone up comes first.
    idnumber.validate(body.id_number)
    mainland_mobile(body.phone)
    _password(body.password)
    _account_no(body.bank_account)
    _bank(body.bank_name, body.bank_opened_in_shenzhen)
    person, phone, account_no, bank = _identify(session, body)
    username = free_username(session, body.username)
    bound_to = _bank_confirms(session, person, bank, account_no, phone, body.name)
    otp.confirm(otp_id=body.otp_id, code=body.otp_code, purpose=OTP_PURPOSE, bound_to=bound_to)

    return create_account(session, person, username, body.password, bank, account_no, phone, channel)


def free_username(session: Session, raw: str) -> str:
    username = raw.strip()
    if session.scalar(select(UserAccount.id).where(UserAccount.username == username)) is not None:
        raise refused(
            "USERNAME_TAKEN",
            "该用户名已被使用",
            "That user name is taken",
            fix_zh="请换一个用户名",
            fix_en="Choose another user name",
        )
    return username


def create_account(
    session: Session,
    person: Person,
    username: str,
    password: str,
    bank: str,
    account_no: str,
    phone: str,
    channel: str,
) -> dict[str, Any]:
    """The account, once identity is proven (by the code here, or by the chat's one-time page)."""
    account = UserAccount(person_id=person.id, username=username, password_hash=hash_secret(password))
    session.add(account)
    if not person.phone:  # the bank-held phone the code went to; a phone on record is kept
        person.phone = phone
    has_payment_account = (
        session.scalar(
            select(BankAccount.id).where(BankAccount.person_id == person.id, BankAccount.is_payment_account.is_(True))
        )
        is not None
    )
    bank_row = session.scalar(
        select(BankAccount).where(BankAccount.person_id == person.id, BankAccount.account_no == account_no)
    )
    if bank_row is None:
        bank_row = BankAccount(
            person_id=person.id,
            bank_name=bank,
            account_no=account_no,
            holder_name=person.name,
            opened_in_shenzhen=True,
            is_payment_account=not has_payment_account,
        )
        session.add(bank_row)
    session.flush()
    audit.record(
        session,
        action=f"service.{SERVICE_CODE}",
        channel=channel,
        actor_person_id=person.id,
        subject_person_id=person.id,
        username=username,
        bank=bank,
        account=mask_bank_account(account_no),
    )
    return {
        "code": SERVICE_CODE,
        "username": username,
        "person_id": person.id,
        "name": person.name,
        "id_number": mask_id_number(person.id_number),
        "phone": mask_phone(phone),
        "bank_name": bank,
        "bank_account": mask_bank_account(account_no),
        "is_payment_account": bank_row.is_payment_account,
        "message_zh": f"注册成功，用户名{username}。请使用用户名和密码登录社保个人网上服务系统。"
        + (f"{bank}账户{mask_bank_account(account_no)}已登记为缴费账户。" if bank_row.is_payment_account else ""),
        "message_en": f"Registered: your user name is {username}. Log in with it and your password."
        + (
            f" The {bank} account {mask_bank_account(account_no)} is now your payment account."
            if bank_row.is_payment_account
            else ""
        ),
    }
