"""五险缴费明细查询: monthly contributions of the five insurances, for the person or a linked child.

Also the pieces the certificate shares: whose record a service may read
(`service_subject`), the label of an insurance row, and the pension months count.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from .. import clock
from ..errors import BusinessError, invalid
from ..persistence.models import (
    Contribution,
    ContributionStatus,
    Enrolment,
    InsuranceType,
    Person,
    Scheme,
)
from ..rules.masking import mask_id_number
from ..rules.money import fen_to_yuan_str
from . import audit
from .items.runner import linked_children
from .payments import INSURANCE_EN, MedicalTierHistory

SERVICE_CODE = "query_contributions"
DEFAULT_MONTHS = 12
MAX_MONTHS = 120
FIRST_YEAR, LAST_YEAR = 1900, 2100  # anything outside is a typo, not a contribution month
INSURANCE_ORDER = list(InsuranceType)


def service_subject(session: Session, actor: Person, subject_id: int | None) -> Person:
    """Oneself, or a child linked to the actor (the same authority as the items' runner)."""
    if subject_id is None or subject_id == actor.id:
        return actor
    for child in linked_children(session, actor):
        if child.id == subject_id:
            return child
    raise BusinessError(
        "NOT_GUARDIAN",
        "您只能查询本人或您监护的少儿的信息",
        "You can only see your own records or those of a child linked to you",
        status=403,
        fix_zh="如需关联孩子，请办理“监护人信息维护”",
        fix_en="Link the child first through guardian information maintenance",
    )


def month_range(from_month: str | None, to_month: str | None, this_month: str) -> tuple[str, str]:
    """Defaults: the last 12 months up to this one. INVALID_MONTH / INVALID_RANGE / RANGE_TOO_LONG (422)."""
    for name, value in (("from_month", from_month), ("to_month", to_month)):
        if value is not None and not FIRST_YEAR <= int(value[:4]) <= LAST_YEAR:
            raise invalid(
                "INVALID_MONTH",
                f"{value}不是有效的缴费月份",
                f"{value} is not a valid month",
                field=name,
                fix_zh="请写成“2026-10”这样的年月",
                fix_en='Write it like "2026-10"',
            )
    to_m = to_month or (min(clock.add_months(from_month, DEFAULT_MONTHS - 1), this_month) if from_month else this_month)
    from_m = from_month or clock.add_months(to_m, -(DEFAULT_MONTHS - 1))
    if from_m > to_m:
        raise invalid(
            "INVALID_RANGE",
            f"起始月份{from_m}晚于结束月份{to_m}",
            f"The range starts ({from_m}) after it ends ({to_m})",
            field="from_month",
            fix_zh="请让起始月份不晚于结束月份",
            fix_en="Make the first month no later than the last",
        )
    if months_between(from_m, to_m) > MAX_MONTHS:
        raise invalid(
            "RANGE_TOO_LONG",
            f"一次最多查询{MAX_MONTHS}个月",
            f"At most {MAX_MONTHS} months can be queried at once",
            field="from_month",
            fix_zh="请分段查询，每段不超过10年",
            fix_en="Query in parts of at most 10 years",
        )
    return from_m, to_m


def months_between(first: str, last: str) -> int:
    """Months from `first` to `last` inclusive."""
    (y1, m1), (y2, m2) = ((int(x) for x in first.split("-")), (int(x) for x in last.split("-")))
    return (y2 * 12 + m2) - (y1 * 12 + m1) + 1


class InsuranceLabels:
    """Row labels; a medical row names the tier in force that month (or 居民 for resident schemes)."""

    def __init__(self, session: Session, person: Person) -> None:
        from ..pdf import CONTRIBUTION_STATUS_ZH, insurance_label_zh  # local: keeps reportlab off the API's import path

        self._zh, self.status_zh = insurance_label_zh, CONTRIBUTION_STATUS_ZH
        self._session = session
        self._enrolments = list(
            session.scalars(select(Enrolment).where(Enrolment.person_id == person.id).order_by(Enrolment.id))
        )
        # enrolment id -> its tier changes, read once (each row's label asks twice: zh, en)
        self._histories: dict[int, MedicalTierHistory] = {}

    def tier(self, c: Contribution) -> int | None:
        if c.insurance != InsuranceType.medical or c.scheme not in (Scheme.flexible, Scheme.employee, Scheme.retiree):
            return None
        matching = [
            e
            for e in self._enrolments
            if e.insurance == c.insurance and e.scheme == c.scheme and e.start_month <= c.month
        ]
        if not matching:
            return None
        enrolment = matching[-1]
        if enrolment.id not in self._histories:
            self._histories[enrolment.id] = MedicalTierHistory(self._session, enrolment)
        return self._histories[enrolment.id].in_force(c.month)

    def zh(self, c: Contribution) -> str:
        return self._zh(c.insurance.value, medical_tier=self.tier(c), scheme=c.scheme.value)

    def en(self, c: Contribution) -> str:
        tier = self.tier(c)
        return INSURANCE_EN[c.insurance] + (f" (tier {tier})" if tier else "")


def pension_months(session: Session, person: Person) -> dict[str, int]:
    """Paid pension months: those on record here (distinct months), plus months before
    this system (prior_contribution_months) and months of extended contribution (延缴)."""
    recorded = (
        session.scalar(
            select(func.count(func.distinct(Contribution.month))).where(
                Contribution.person_id == person.id,
                Contribution.insurance == InsuranceType.pension,
                Contribution.status == ContributionStatus.paid,
            )
        )
        or 0
    )
    prior, extended = person.prior_contribution_months or 0, person.extended_months or 0
    return {"recorded": int(recorded), "prior": prior, "extended": extended, "total": int(recorded) + prior + extended}


def _row(c: Contribution, labels: InsuranceLabels) -> dict[str, Any]:
    return {
        "insurance": c.insurance.value,
        "insurance_zh": labels.zh(c),
        "insurance_en": labels.en(c),
        "scheme": c.scheme.value,
        "base_fen": c.base_fen,
        "base_yuan": fen_to_yuan_str(c.base_fen),
        "employer_fen": c.employer_fen,
        "employer_yuan": fen_to_yuan_str(c.employer_fen),
        "personal_fen": c.personal_fen,
        "personal_yuan": fen_to_yuan_str(c.personal_fen),
        "total_fen": c.employer_fen + c.personal_fen,
        "total_yuan": fen_to_yuan_str(c.employer_fen + c.personal_fen),
        "status": c.status.value,
        "status_zh": labels.status_zh.get(c.status.value, c.status.value),
    }


def _sums(rows: list[Contribution]) -> dict[str, Any]:
    employer, personal = sum(c.employer_fen for c in rows), sum(c.personal_fen for c in rows)
    return {
        "months": len({c.month for c in rows}),
        "employer_fen": employer,
        "employer_yuan": fen_to_yuan_str(employer),
        "personal_fen": personal,
        "personal_yuan": fen_to_yuan_str(personal),
        "total_fen": employer + personal,
        "total_yuan": fen_to_yuan_str(employer + personal),
    }


def query(
    session: Session, actor: Person, subject_id: int | None, from_month: str | None, to_month: str | None, channel: str
) -> dict[str, Any]:
    subject = service_subject(session, actor, subject_id)
    first, last = month_range(from_month, to_month, clock.month_key(clock.now()))
    rows = list(
        session.scalars(
            select(Contribution).where(
                Contribution.person_id == subject.id, Contribution.month >= first, Contribution.month <= last
            )
        )
    )
    rows.sort(key=lambda c: (c.month, INSURANCE_ORDER.index(c.insurance)))
    labels = InsuranceLabels(session, subject)

    months: dict[str, list[Contribution]] = {}
    for c in rows:
        months.setdefault(c.month, []).append(c)
    paid = [c for c in rows if c.status == ContributionStatus.paid]
    by_insurance = {
        i.value: _sums([c for c in paid if c.insurance == i])
        for i in INSURANCE_ORDER
        if any(c.insurance == i for c in rows)
    }
    failed = sorted({c.month for c in rows if c.status == ContributionStatus.failed})
    pension = pension_months(session, subject)
    audit.record(
        session,
        action=f"service.{SERVICE_CODE}",
        channel=channel,
        actor_person_id=actor.id,
        subject_person_id=subject.id,
        from_month=first,
        to_month=last,
    )
    total = _sums(paid)
    return {
        "code": SERVICE_CODE,
        "subject_id": subject.id,
        "subject_name": subject.name,
        "id_number": mask_id_number(subject.id_number),
        "from_month": first,
        "to_month": last,
        "months": [
            {
                "month": m,
                "items": [_row(c, labels) for c in items],
                **{
                    k: v
                    for k, v in _sums([c for c in items if c.status == ContributionStatus.paid]).items()
                    if k != "months"
                },
            }
            for m, items in months.items()
        ],
        # Totals count paid rows only; failed deductions are listed in `months` and `failed_months`.
        "totals": {"by_insurance": by_insurance, "all": total},
        "failed_months": failed,
        "pension_paid_months": pension,
        "message_zh": f"{subject.name}{first}至{last}的缴费明细：共{len(months)}个月有记录，已缴合计"
        f"{total['total_yuan']}元"
        + (f"，其中{'、'.join(failed)}扣款失败" if failed else "")
        + f"；养老保险累计缴费{pension['total']}个月。",
        "message_en": f"Contributions of {subject.name} from {first} to {last}: {len(months)} months on record, "
        f"{total['total_yuan']} yuan paid"
        + (f"; deductions failed in {', '.join(failed)}" if failed else "")
        + f"; pension contributions in total: {pension['total']} months.",
    }
