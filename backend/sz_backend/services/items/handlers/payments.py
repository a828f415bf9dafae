"""Paying and what a person pays: 补托收, 少儿医保缴费, 居保缴费档次变更, 退休后继续缴纳医疗保险.

The payment mechanics (window, payment account, paid rows) are shared with the
self-service payment and live in `services/payments.py`.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from sqlalchemy import select

from ....catalogue import get_policy
from ....clock import add_months
from ....errors import BusinessError, refused, refused_field
from ....persistence.models import (
    Contribution,
    ContributionStatus,
    Enrolment,
    EnrolmentStatus,
    InsuranceType,
    Scheme,
    Transaction,
)
from ....rules.money import fen_to_yuan_str, percent_of
from ....rules.retirement import has_reached_retirement, retirement_month
from ... import payments
from ..base import ItemContext, ItemHandler, ItemResult, change_enrolment, handler

ACTIVE = (EnrolmentStatus.active,)


def _failed(ctx: ItemContext, month: str | None = None) -> list[Contribution]:
    stmt = select(Contribution).where(
        Contribution.person_id == ctx.subject.id, Contribution.status == ContributionStatus.failed
    )
    if month is not None:
        stmt = stmt.where(Contribution.month == month)
    return list(ctx.session.scalars(stmt.order_by(Contribution.month, Contribution.id)))


@handler
class RetryIndividualCollection(ItemHandler):
    """补托收: deduct again, with the same amounts, the contributions of a month whose deduction failed."""

    code = "retry_individual_collection"

    def check(self, ctx: ItemContext) -> None:
        if not _failed(ctx):
            raise refused(
                "NO_FAILED_DEDUCTION",
                "您没有扣款失败的月份，无需补托收",
                "You have no month whose bank deduction failed; nothing to re-submit",
                fix_zh="本月的缴费请使用“个缴自助缴费”；缴费明细可在“五险缴费明细查询”中查看",
                fix_en="Pay this month through self-service payment; see your contribution details "
                "under contribution queries",
                failed_months=[],
            )
        payments.check_can_pay(ctx.session, ctx.subject, ctx.now)

    def field_errors(self, ctx: ItemContext) -> Iterator[BusinessError]:
        month = ctx.fields.get("month")
        if month is None:
            return
        if month > ctx.this_month:
            yield refused_field(
                "month",
                "MONTH_IN_FUTURE",
                f"{month}还未到，不能补托收",
                f"{month} is in the future; it cannot be re-submitted",
                fix_zh="请填写扣款失败的月份",
                fix_en="Give the month whose deduction failed",
            )
        elif not _failed(ctx, month):
            failed = sorted({r.month for r in _failed(ctx)})
            yield refused_field(
                "month",
                "NO_FAILED_DEDUCTION",
                f"{month}没有扣款失败的缴费记录；扣款失败的月份为{'、'.join(failed) or '无'}",
                f"No failed deduction for {month}; months that failed: {', '.join(failed) or 'none'}",
                fix_zh=f"请选择扣款失败的月份：{'、'.join(failed)}" if failed else "无需补托收",
                fix_en=f"Choose a month that failed: {', '.join(failed)}" if failed else "Nothing needs re-submitting",
                failed_months=failed,
            )

    def preview(self, ctx: ItemContext) -> list[tuple[str, str]]:
        month = ctx.fields["month"]
        rows = _failed(ctx, month)
        total = sum(r.personal_fen for r in rows)
        account = payments.payment_account(ctx.session, ctx.subject)
        return [
            (
                f"将从{account.label_zh}重新扣缴{month}的费用，合计{fen_to_yuan_str(total)}元（金额与原扣款相同）；"
                "其他月份不变。",
                f"{month} is deducted again from {account.label_en}: {fen_to_yuan_str(total)} yuan in total (the "
                "same amounts as the failed deduction); other months are unchanged.",
            )
        ]

    def execute(self, ctx: ItemContext, tx: Transaction) -> ItemResult:
        month: str = ctx.fields["month"]
        rows = _failed(ctx, month)
        account = payments.payment_account(ctx.session, ctx.subject)
        # Same amounts as the failed deduction: only the deduction is repeated.
        dues = [payments.Due(r.month, r.insurance, r.scheme, r.base_fen, r.personal_fen) for r in rows]
        payments.record_paid(ctx.session, ctx.subject, dues, tx, ctx.now)
        total = payments.total_fen(dues)
        zh, en = payments.amounts_text(dues)
        return ItemResult(
            True,
            f"{month}补托收成功：{zh}，合计{fen_to_yuan_str(total)}元，已从{account.label_zh}扣款。",
            f"The failed deduction for {month} was re-submitted and paid: {en}; total {fen_to_yuan_str(total)} yuan, "
            f"deducted from {account.label_en}.",
            details={
                "month": month,
                "items": [d.to_dict() for d in dues],
                "total_fen": total,
                "total_yuan": fen_to_yuan_str(total),
                "account": account.to_dict(),
            },
        )


# -- 少儿医保缴费 --------------------------------------------------------------------------------------


def insurance_year(this_month: str) -> tuple[str, str]:
    """(first, last) month of the residents' medical insurance year containing `this_month`."""
    start = int(get_policy()["children"]["insurance_year_start_month"])
    year, month = (int(p) for p in this_month.split("-"))
    first = f"{year if month >= start else year - 1:04d}-{start:02d}"
    return first, add_months(first, 11)


def monthly_shares(yearly_fen: int) -> list[int]:
    """The yearly premium split into 12 whole-fen monthly shares that add up to it exactly:
    yearly // 12 each, the remaining fen one each to the first months of the year."""
    share, rest = divmod(yearly_fen, 12)
    return [share + (1 if i < rest else 0) for i in range(12)]


def _child_enrolment(ctx: ItemContext) -> Enrolment | None:
    found = ctx.enrolments(insurance=InsuranceType.medical, schemes=(Scheme.child, Scheme.student), statuses=ACTIVE)
    return found[0] if found else None


def _child_dues(ctx: ItemContext, enrolment: Enrolment) -> tuple[list[payments.Due], str, str]:
    """Pro rata: a child enrolled mid-year pays the monthly shares of the months from the
    enrolment's first month to August; otherwise all 12 shares (the yearly premium).
    Months already paid are left out; ALREADY_PAID when nothing is left."""
    first, last = insurance_year(ctx.this_month)
    shares = monthly_shares(int(get_policy()["children"]["yearly_premium_fen"]))
    year_months = [add_months(first, i) for i in range(12)]
    covered = [m for m in year_months if m >= enrolment.start_month]
    paid = payments.paid_months(ctx.session, ctx.subject, InsuranceType.medical, covered)
    if not covered or len(paid) == len(covered):
        raise refused(
            "ALREADY_PAID",
            f"{ctx.subject.name}本医保年度（{first}至{last}）的少儿医保费已缴纳",
            f"{ctx.subject.name}'s medical insurance for this insurance year ({first} to {last}) is already paid",
            fix_zh=f"下一医保年度的费用自{add_months(last, 1)}起可缴纳；缴费记录可在“五险缴费明细查询”中查看",
            fix_en=f"Next insurance year's premium can be paid from {add_months(last, 1)}; see the "
            "contribution details for what was paid",
            insurance_year=[first, last],
        )
    dues = [
        payments.Due(m, InsuranceType.medical, enrolment.scheme, enrolment.base_fen, shares[year_months.index(m)])
        for m in covered
        if m not in paid
    ]
    return dues, first, last


@handler
class PayChildMedical(ItemHandler):
    """少儿医保缴费: a guardian pays the child's residents' medical premium of this insurance year."""

    code = "pay_child_medical"

    def check(self, ctx: ItemContext) -> None:
        enrolment = _child_enrolment(ctx)
        if enrolment is None:
            raise refused(
                "NO_CHILD_MEDICAL_ENROLMENT",
                f"{ctx.subject.name}没有正在参保的少儿或学生医保，无法缴费",
                f"{ctx.subject.name} has no active children's or students' medical insurance to pay for",
                fix_zh="未参保的深户非在园在校少儿，请先办理“深户非在园在校少儿首次参保”",
                fix_en="A Shenzhen-hukou child not in kindergarten or school enrols first (first enrolment of a child)",
            )
        _child_dues(ctx, enrolment)
        # The guardian pays: their account is the one deducted.
        payments.check_can_pay(ctx.session, ctx.actor, ctx.now)

    def preview(self, ctx: ItemContext) -> list[tuple[str, str]]:
        enrolment = _child_enrolment(ctx)
        assert enrolment is not None
        dues, first, last = _child_dues(ctx, enrolment)
        account = payments.payment_account(ctx.session, ctx.actor)
        total, months = payments.total_fen(dues), [d.month for d in dues]
        return [
            (
                f"将缴纳{ctx.subject.name}本医保年度（{first}至{last}）的少儿医保费：{months[0]}至{months[-1]}，"
                f"共{len(months)}个月，合计{fen_to_yuan_str(total)}元，从您的{account.label_zh}扣款；"
                f"这是缴费，不是停保，{ctx.subject.name}的参保状态不变。",
                f"{ctx.subject.name}'s children's medical insurance for {first} to {last} is paid: {months[0]} to "
                f"{months[-1]}, {len(months)} months, {fen_to_yuan_str(total)} yuan, deducted from your "
                f"{account.label_en}. This pays; it does not stop the insurance, which stays as it is.",
            )
        ]

    def execute(self, ctx: ItemContext, tx: Transaction) -> ItemResult:
        enrolment = _child_enrolment(ctx)
        assert enrolment is not None  # check() ran in this unit of work
        dues, first, last = _child_dues(ctx, enrolment)
        account = payments.payment_account(ctx.session, ctx.actor)
        payments.record_paid(ctx.session, ctx.subject, dues, tx, ctx.now)
        total = payments.total_fen(dues)
        yearly = int(get_policy()["children"]["yearly_premium_fen"])
        months = [d.month for d in dues]
        return ItemResult(
            True,
            f"已为{ctx.subject.name}缴纳本医保年度少儿医保费{fen_to_yuan_str(total)}元"
            f"（{months[0]}至{months[-1]}，共{len(months)}个月；全年{fen_to_yuan_str(yearly)}元），"
            f"已从{account.label_zh}扣款。",
            f"Paid {ctx.subject.name}'s medical insurance for this insurance year: {fen_to_yuan_str(total)} yuan "
            f"({months[0]} to {months[-1]}, {len(months)} months; full year {fen_to_yuan_str(yearly)} yuan), "
            f"deducted from {account.label_en}.",
            details={
                "insurance_year": {"from": first, "to": last},
                "months": months,
                "month_count": len(months),
                "yearly_premium_fen": yearly,
                "yearly_premium_yuan": fen_to_yuan_str(yearly),
                "total_fen": total,
                "total_yuan": fen_to_yuan_str(total),
                "account": account.to_dict(),
            },
        )


# -- 居保缴费档次变更 ----------------------------------------------------------------------------------


def _resident_pension(ctx: ItemContext) -> Enrolment | None:
    found = ctx.enrolments(insurance=InsuranceType.pension, schemes=(Scheme.resident,), statuses=ACTIVE)
    return found[0] if found else None


@handler
class ChangeResidentPensionGrade(ItemHandler):
    code = "change_resident_pension_grade"

    def check(self, ctx: ItemContext) -> None:
        if _resident_pension(ctx) is None:
            raise refused(
                "NO_RESIDENT_PENSION_ENROLMENT",
                "您没有正在参保的居民养老保险，无法变更缴费档次",
                "You have no active residents' pension enrolment whose grade could change",
                fix_zh="未参加居民养老保险的，可预申请“居民养老参保登记”",
                fix_en="If not enrolled, pre-apply for residents' pension enrolment",
            )

    def current_values(self, ctx: ItemContext) -> dict[str, Any]:
        enrolment = _resident_pension(ctx)
        return {"pension_grade": enrolment.pension_grade} if enrolment is not None and enrolment.pension_grade else {}

    def field_errors(self, ctx: ItemContext) -> Iterator[BusinessError]:
        enrolment, new = _resident_pension(ctx), ctx.fields.get("pension_grade")
        if enrolment is not None and new is not None and enrolment.pension_grade == new:
            count = len(get_policy()["resident_pension"]["grades_fen"])
            yield refused_field(
                "pension_grade",
                "SAME_GRADE",
                f"{ctx.subject.name}当前已是第{new}档，无需变更",
                f"{ctx.subject.name} already contributes at grade {new}",
                fix_zh=f"如需变更，请选择其他档次（第1至第{count}档）",
                fix_en=f"Choose another grade (1 to {count})",
            )

    def preview(self, ctx: ItemContext) -> list[tuple[str, str]]:
        enrolment = _resident_pension(ctx)
        assert enrolment is not None
        new, old = ctx.fields["pension_grade"], enrolment.pension_grade
        yearly = int(get_policy()["resident_pension"]["grades_fen"][new - 1])
        return [
            (
                f"居民养老保险缴费档次由第{old}档改为第{new}档，自{ctx.next_month}起按每年{fen_to_yuan_str(yearly)}元缴费；"
                f"{ctx.this_month}及以前不变，居民医疗保险不变。",
                f"Residents' pension grade changes from {old} to {new} from {ctx.next_month}: "
                f"{fen_to_yuan_str(yearly)} yuan a year; {ctx.this_month} and earlier and residents' medical "
                "insurance stay as they are.",
            )
        ]

    def execute(self, ctx: ItemContext, tx: Transaction) -> ItemResult:
        enrolment = _resident_pension(ctx)
        assert enrolment is not None
        new: int = ctx.fields["pension_grade"]
        grades = get_policy()["resident_pension"]["grades_fen"]
        old = enrolment.pension_grade
        # The enrolment holds the newest grade; the history says from when it applies.
        enrolment.pension_grade = new
        change_enrolment(ctx, enrolment, tx, "grade_changed", old_grade=old, new_grade=new, from_month=ctx.next_month)
        yearly = int(grades[new - 1])
        return ItemResult(
            True,
            f"居民养老保险缴费档次已由第{old}档变更为第{new}档（每年{fen_to_yuan_str(yearly)}元），自{ctx.next_month}起生效。",
            f"Residents' pension grade changed from {old} to {new} ({fen_to_yuan_str(yearly)} yuan a year), "
            f"effective from {ctx.next_month}.",
            details={
                "old_grade": old,
                "new_grade": new,
                "yearly_fen": yearly,
                "yearly_yuan": fen_to_yuan_str(yearly),
                "effective_from": ctx.next_month,
            },
        )


# -- 退休后继续缴纳医疗保险 ----------------------------------------------------------------------------


@handler
class ContinueMedicalAfterRetirement(ItemHandler):
    code = "continue_medical_after_retirement"

    def check(self, ctx: ItemContext) -> None:
        p = ctx.subject
        if not p.is_retired and not has_reached_retirement(p.birth_date, p.retirement_group.value, ctx.now.date()):
            year, month = retirement_month(p.birth_date.year, p.birth_date.month, p.retirement_group.value)
            raise refused(
                "NOT_RETIRED",
                f"您尚未退休，也未达到法定退休年龄（{year}年{month}月），不能办理退休后继续缴纳医疗保险",
                f"You are not retired and reach the statutory retirement age only in {year}-{month:02d}",
                fix_zh="在职或灵活就业期间请按现有方式参保缴费",
                fix_en="Until then keep contributing through your employer or as a flexible worker",
                retirement_month=f"{year:04d}-{month:02d}",
            )
        if ctx.enrolments(insurance=InsuranceType.medical, statuses=ACTIVE):
            raise refused(
                "ALREADY_ENROLLED",
                f"{p.name}的医疗保险正在参保中，无需办理退休后继续缴纳医疗保险",
                f"{p.name}'s medical insurance is already active",
                fix_zh="缴费和参保情况可在“五险缴费明细查询”中查看",
                fix_en="See the contribution details for it",
            )

    def preview(self, ctx: ItemContext) -> list[tuple[str, str]]:
        tier: int = ctx.fields["medical_tier"]
        policy = get_policy()["contribution"]
        base = int(policy["flexible_default_base_fen"])
        monthly = percent_of(base, str(policy["medical_tier_rates"][str(tier)]))
        return [
            (
                f"自{ctx.next_month}起参加医疗保险（{'一' if tier == 1 else '二'}档），每月缴费{fen_to_yuan_str(monthly)}元"
                f"（缴费基数{fen_to_yuan_str(base)}元）；养老待遇不变。",
                f"Medical insurance tier {tier} from {ctx.next_month}: {fen_to_yuan_str(monthly)} yuan a month "
                f"(base {fen_to_yuan_str(base)} yuan); your pension is unchanged.",
            )
        ]

    def execute(self, ctx: ItemContext, tx: Transaction) -> ItemResult:
        tier: int = ctx.fields["medical_tier"]
        policy = get_policy()["contribution"]
        # Assumption (unverified, kept as data): retirees continuing pay like flexible workers,
        # on the default base at the tier's rate.
        base = int(policy["flexible_default_base_fen"])
        monthly = percent_of(base, str(policy["medical_tier_rates"][str(tier)]))
        enrolment = Enrolment(
            person_id=ctx.subject.id,
            insurance=InsuranceType.medical,
            scheme=Scheme.retiree,
            status=EnrolmentStatus.active,
            medical_tier=tier,
            base_fen=base,
            start_month=ctx.next_month,
        )
        ctx.session.add(enrolment)
        ctx.session.flush()
        change_enrolment(ctx, enrolment, tx, "created", medical_tier=tier, from_month=ctx.next_month)
        return ItemResult(
            True,
            f"已办理退休后继续缴纳医疗保险（{'一' if tier == 1 else '二'}档），自{ctx.next_month}起参保，"
            f"每月缴费{fen_to_yuan_str(monthly)}元（缴费基数{fen_to_yuan_str(base)}元）。",
            f"Medical insurance continues after retirement at tier {tier} from {ctx.next_month}: "
            f"{fen_to_yuan_str(monthly)} yuan a month (base {fen_to_yuan_str(base)} yuan).",
            details={
                "medical_tier": tier,
                "start_month": ctx.next_month,
                "base_fen": base,
                "base_yuan": fen_to_yuan_str(base),
                "monthly_fen": monthly,
                "monthly_yuan": fen_to_yuan_str(monthly),
            },
        )
