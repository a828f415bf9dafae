"""Paying contributions: the shared mechanics and 个缴自助缴费 (self-service payment).

Every payment (this service, 补托收, 少儿医保缴费) goes through the same steps,
kept here once:
  1. the payment window (working days 09:00-17:00): the bank rejects a deduction
     outside it, so we refuse before trying and say when it next opens;
  2. the payer's payment account: an activated financial social security card
     is then the ONLY payment account (article), else the bank account marked
     as the payment account; none -> refusal with the fix;
  3. the deduction is recorded as paid contribution rows linked to the
     transaction, in the caller's unit of work.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any, NamedTuple

from sqlalchemy import select
from sqlalchemy.orm import Session

from .. import clock
from ..catalogue import get_policy
from ..errors import BusinessError, refused
from ..persistence.db import next_value
from ..persistence.models import (
    BankAccount,
    Contribution,
    ContributionStatus,
    Enrolment,
    EnrolmentEvent,
    EnrolmentStatus,
    InsuranceType,
    Outcome,
    Person,
    Scheme,
    SocialSecurityCard,
    Transaction,
)
from ..rules.masking import mask_bank_account
from ..rules.money import fen_to_yuan_str, percent_of
from ..rules.numbers import make_serial_number
from ..rules.payment_window import default_calendar
from . import audit

SERVICE_CODE = "self_service_payment"
INSURANCE_ZH = {
    InsuranceType.pension: "养老保险",
    InsuranceType.medical: "医疗保险",
    InsuranceType.unemployment: "失业保险",
    InsuranceType.work_injury: "工伤保险",
    InsuranceType.maternity: "生育保险",
}
INSURANCE_EN = {
    InsuranceType.pension: "pension insurance",
    InsuranceType.medical: "medical insurance",
    InsuranceType.unemployment: "unemployment insurance",
    InsuranceType.work_injury: "work-injury insurance",
    InsuranceType.maternity: "maternity insurance",
}


# -- the window and the account ----------------------------------------------------------------------


class PaymentAccount(NamedTuple):
    bank_name: str
    masked_no: str
    kind: str  # "card" (financial social security card) or "bank" (registered bank account)

    def to_dict(self) -> dict[str, str]:
        return {"bank_name": self.bank_name, "account_no": self.masked_no, "kind": self.kind}

    @property
    def label_zh(self) -> str:
        return f"{self.bank_name}{'金融社保卡' if self.kind == 'card' else '账户'}{self.masked_no}"

    @property
    def label_en(self) -> str:
        return f"{self.bank_name} {'social security card' if self.kind == 'card' else 'account'} {self.masked_no}"


def activated_card(session: Session, person: Person) -> SocialSecurityCard | None:
    return session.scalar(
        select(SocialSecurityCard)
        .where(SocialSecurityCard.person_id == person.id, SocialSecurityCard.activated.is_(True))
        .order_by(SocialSecurityCard.id)
    )


def payment_account(session: Session, person: Person) -> PaymentAccount:
    """The account a deduction is taken from (masked), or NO_PAYMENT_ACCOUNT."""
    card = activated_card(session, person)
    if card is not None:  # the article: an activated card is the only allowed payment account
        return PaymentAccount(card.bank_name, mask_bank_account(card.card_no), "card")
    bank = session.scalar(
        select(BankAccount)
        .where(BankAccount.person_id == person.id, BankAccount.is_payment_account.is_(True))
        .order_by(BankAccount.id.desc())
    )
    if bank is not None:
        return PaymentAccount(bank.bank_name, mask_bank_account(bank.account_no), "bank")
    raise refused(
        "NO_PAYMENT_ACCOUNT",
        f"{person.name}没有登记缴费银行账户，无法扣款",
        f"{person.name} has no payment bank account registered, so nothing can be deducted",
        fix_zh="请先办理“缴费银行信息维护”，登记本人在深圳开户的合作银行账户",
        fix_en="Register your own account at a cooperating bank opened in Shenzhen through "
        "'maintain payment bank account' first",
    )


def check_can_pay(session: Session, payer: Person, now: datetime) -> PaymentAccount:
    """Window first (it says when to come back), then the payer's account."""
    default_calendar().check_open(now)
    return payment_account(session, payer)


# -- amounts -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Due:
    """One month of one insurance to be paid."""

    month: str
    insurance: InsuranceType
    scheme: Scheme
    base_fen: int
    amount_fen: int

    def to_dict(self) -> dict[str, Any]:
        return {
            "month": self.month,
            "insurance": self.insurance.value,
            "insurance_zh": INSURANCE_ZH[self.insurance],
            "scheme": self.scheme.value,
            "base_fen": self.base_fen,
            "base_yuan": fen_to_yuan_str(self.base_fen),
            "amount_fen": self.amount_fen,
            "amount_yuan": fen_to_yuan_str(self.amount_fen),
        }


class MedicalTierHistory:
    """The tier of one enrolment month by month: a tier change takes effect from its
    `from_month`, so for earlier months the tier before the change still applies (the
    enrolment row only holds the newest tier). The changes are read once."""

    def __init__(self, session: Session, enrolment: Enrolment) -> None:
        self._current = enrolment.medical_tier
        self._changes = [
            (str(e.detail.get("from_month", "")), e.detail.get("old_tier"))
            for e in session.scalars(
                select(EnrolmentEvent)
                .where(EnrolmentEvent.enrolment_id == enrolment.id, EnrolmentEvent.change == "tier_changed")
                .order_by(EnrolmentEvent.id.desc())
            )
        ]  # newest first

    def in_force(self, month: str) -> int | None:
        tier = self._current
        for from_month, old_tier in self._changes:  # undo every change not yet in force in `month`
            if from_month > month and old_tier is not None:
                tier = int(old_tier)
            else:
                break
        return tier


def medical_tier_in_force(session: Session, enrolment: Enrolment, month: str) -> int | None:
    """The tier that applies to `month` (MedicalTierHistory)."""
    return MedicalTierHistory(session, enrolment).in_force(month)


def flexible_due(session: Session, enrolment: Enrolment, month: str) -> Due:
    """A flexible worker's contribution for one month: base x the policy rate."""
    policy = get_policy()["contribution"]
    # A base of 0 means "not set": flexible workers then pay on the default base.
    base = enrolment.base_fen or int(policy["flexible_default_base_fen"])
    if enrolment.insurance == InsuranceType.pension:
        rate = policy["pension_rate"]
    elif enrolment.insurance == InsuranceType.medical:
        rate = policy["medical_tier_rates"][str(medical_tier_in_force(session, enrolment, month) or 1)]
    else:
        raise ValueError(f"flexible workers do not pay {enrolment.insurance.value}")
    return Due(month, enrolment.insurance, enrolment.scheme, base, percent_of(base, Decimal(str(rate))))


def total_fen(dues: list[Due]) -> int:
    return sum(d.amount_fen for d in dues)


# -- recording ---------------------------------------------------------------------------------------


def record_paid(
    session: Session, person: Person, dues: list[Due], tx: Transaction, paid_at: datetime
) -> list[Contribution]:
    """Write the dues as paid contributions linked to `tx`. A month already on record
    unpaid (failed or pending) is settled in place: one row per person, month and insurance."""
    rows: list[Contribution] = []
    for due in dues:
        row = session.scalar(
            select(Contribution).where(
                Contribution.person_id == person.id,
                Contribution.month == due.month,
                Contribution.insurance == due.insurance,
            )
        )
        if row is not None and row.status == ContributionStatus.paid:
            # Callers exclude paid months, so only a concurrent payment that committed first
            # gets here: refuse, and the whole unit of work rolls back.
            raise refused(
                "ALREADY_PAID",
                f"{person.name}{due.month}的费用刚刚已缴纳，请勿重复缴费",
                f"{person.name}'s {due.month} has just been paid; do not pay twice",
                fix_zh="缴费结果可在“五险缴费明细查询”中查看",
                fix_en="See the result in the contribution details",
                month=due.month,
            )
        if row is None:
            row = Contribution(person_id=person.id, month=due.month, insurance=due.insurance)
            session.add(row)
        row.scheme, row.base_fen, row.employer_fen, row.personal_fen = due.scheme, due.base_fen, 0, due.amount_fen
        row.status, row.paid_at, row.transaction_id = ContributionStatus.paid, paid_at, tx.id
        rows.append(row)
    session.flush()
    return rows


def paid_months(session: Session, person: Person, insurance: InsuranceType, months: list[str]) -> set[str]:
    return set(
        session.scalars(
            select(Contribution.month).where(
                Contribution.person_id == person.id,
                Contribution.insurance == insurance,
                Contribution.month.in_(months),
                Contribution.status == ContributionStatus.paid,
            )
        )
    )


def amounts_text(dues: list[Due]) -> tuple[str, str]:
    """ "养老保险472.00元、医疗保险188.80元" and its English twin, summed per insurance."""
    per: dict[InsuranceType, int] = {}
    for d in dues:
        per[d.insurance] = per.get(d.insurance, 0) + d.amount_fen
    zh = "、".join(f"{INSURANCE_ZH[i]}{fen_to_yuan_str(f)}元" for i, f in per.items())
    en = ", ".join(f"{INSURANCE_EN[i]} {fen_to_yuan_str(f)} yuan" for i, f in per.items())
    return zh, en


# -- 个缴自助缴费 --------------------------------------------------------------------------------------


def _flexible_dues(session: Session, person: Person, month: str) -> list[Due]:
    """This month's unpaid contributions of the person's active flexible enrolments
    (NO_INDIVIDUAL_ENROLMENT / ALREADY_PAID when there is nothing to pay)."""
    enrolments = list(
        session.scalars(
            select(Enrolment)
            .where(
                Enrolment.person_id == person.id,
                Enrolment.scheme == Scheme.flexible,
                Enrolment.status == EnrolmentStatus.active,
                Enrolment.insurance.in_((InsuranceType.pension, InsuranceType.medical)),
                Enrolment.start_month <= month,
            )
            .order_by(Enrolment.id)
        )
    )
    if not enrolments:
        raise refused(
            "NO_INDIVIDUAL_ENROLMENT",
            f"{person.name}没有正在参保的个人缴费（灵活就业）险种，无需自助缴费",
            f"{person.name} has no active flexible-worker enrolment to pay for",
            fix_zh="深户灵活就业人员请先办理“个人缴费人员参保登记”，登记当月即可缴费",
            fix_en="Flexible workers with Shenzhen hukou register first "
            "(individual contributor enrolment); they can pay in the month they enrol",
        )
    dues = [
        flexible_due(session, e, month)
        for e in enrolments
        if month not in paid_months(session, person, e.insurance, [month])
    ]
    if not dues:
        raise refused(
            "ALREADY_PAID",
            f"{person.name}{month}的个人缴费已缴纳，无需重复缴费",
            f"{person.name}'s contributions for {month} are already paid",
            fix_zh=f"下月的费用自{clock.add_months(month, 1)}起可缴纳；缴费记录可在“五险缴费明细查询”中查看",
            fix_en=f"Next month's can be paid from {clock.add_months(month, 1)}; see the contribution details",
            month=month,
        )
    return dues


def quote(session: Session, actor: Person) -> dict[str, Any]:
    """What self-service payment would charge now, and from which account, without paying.

    The same checks as the payment itself, so the assistant can say before asking
    for a confirmation that the window is closed or the month already paid."""
    now = clock.now()
    month = clock.month_key(now)
    dues = _flexible_dues(session, actor, month)
    account = check_can_pay(session, actor, now)
    total = total_fen(dues)
    return {
        "month": month,
        "items": [d.to_dict() for d in dues],
        "total_fen": total,
        "total_yuan": fen_to_yuan_str(total),
        "account": account.to_dict(),
    }


def self_service_payment(session: Session, actor: Person, subject_id: int | None, channel: str) -> dict[str, Any]:
    """Pay this month's flexible-worker contributions (pension + medical) of the actor."""
    if subject_id is not None and subject_id != actor.id:
        raise BusinessError(
            "SELF_ONLY",
            "个缴自助缴费只能为本人缴费",
            "Self-service payment is for your own contributions only",
            status=403,
            fix_zh="为孩子缴纳医保请使用“少儿医保缴费”",
            fix_en="To pay a child's medical insurance use 'pay a child's medical insurance'",
        )
    now = clock.now()
    month = clock.month_key(now)
    dues = _flexible_dues(session, actor, month)
    account = check_can_pay(session, actor, now)

    total = total_fen(dues)
    tx = Transaction(
        serial_no=make_serial_number(now, next_value(session, f"serial:{now:%Y%m%d}")),
        item_code=SERVICE_CODE,
        actor_person_id=actor.id,
        subject_person_id=actor.id,
        channel=channel,
        outcome=Outcome.completed,
        data={"month": month},
    )
    session.add(tx)
    session.flush()
    record_paid(session, actor, dues, tx, now)
    zh_amounts, en_amounts = amounts_text(dues)
    details = {
        "month": month,
        "items": [d.to_dict() for d in dues],
        "total_fen": total,
        "total_yuan": fen_to_yuan_str(total),
        "account": account.to_dict(),
    }
    tx.result = {"outcome": "completed", "details": details}
    audit.record(
        session,
        action=f"service.{SERVICE_CODE}",
        channel=channel,
        actor_person_id=actor.id,
        subject_person_id=actor.id,
        serial_no=tx.serial_no,
        month=month,
        total_fen=total,
        account=account.masked_no,
    )
    return {
        "code": SERVICE_CODE,
        "outcome": "completed",
        "serial_no": tx.serial_no,
        "subject_id": actor.id,
        **details,
        "message_zh": f"已缴纳{month}个人缴费：{zh_amounts}，合计{fen_to_yuan_str(total)}元，"
        f"已从{account.label_zh}扣款。流水号{tx.serial_no}。",
        "message_en": f"Contributions for {month} paid: {en_amounts}; total {fen_to_yuan_str(total)} yuan, "
        f"deducted from {account.label_en}. Serial number {tx.serial_no}.",
    }
