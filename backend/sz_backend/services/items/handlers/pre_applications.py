"""The items done by pre-application only (besides transfers-in, in transfers.py).

Online, each item checks what can be decided from stored data (in `check`, so the
assistant can say early that someone cannot use it), stores the submitted data and
returns `completed=False`: the runner then issues the pre-application number, the
materials and the printable form, and the window decides the rest.

Data used here (policy.yml unless noted):
- retirement age and minimum contribution months: `rules.retirement` (rules.md);
- 趸缴: lump_sum.insured_before and lump_sum.min_extended_years (national rule,
  Shenzhen practice unverified);
- residents' pension: grades, back_payment_max_years; minimum age 16 and "not a
  full-time student" come from the national residents' pension rule (国发〔2014〕8号:
  年满16周岁（不含在校学生）); policy.yml has no key for the age yet, so
  `resident_pension.min_age` is read with 16 as the default.
- residents' back payment: the "45 or older when the scheme started" condition
  (age_at_scheme_start_for_back_payment) needs the scheme's start year, which the
  data does not hold; so only 1 <= years <= back_payment_max_years is checked
  online and the window checks the age condition.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

from sqlalchemy import distinct, func, select

from ....catalogue import get_policy
from ....errors import BusinessError, invalid, refused, refused_field
from ....persistence.models import (
    Contribution,
    ContributionStatus,
    Enrolment,
    EnrolmentStatus,
    InsuranceType,
    Person,
    Scheme,
    Transaction,
)
from ....rules.money import fen_to_yuan_str
from ....rules.retirement import age_in_years, has_reached_retirement, minimum_contribution_months, retirement_month
from ..base import ItemContext, ItemHandler, ItemResult, change_enrolment, handler
from ..hukou import correct_from_registry, require_shenzhen_hukou, stale_category
from ..pending import refuse_if_open_pre_application

ACTIVE = (EnrolmentStatus.active,)
# The items here that need Shenzhen hukou (require_shenzhen_hukou in their check).
SHENZHEN_ONLY = ("register_resident_pension", "elderly_resident_medical", "resident_back_payment")
DEFAULT_RESIDENT_PENSION_MIN_AGE = 16  # 国发〔2014〕8号; override with policy resident_pension.min_age


def _pre_application(ctx: ItemContext, what_zh: str, what_en: str, **details: object) -> ItemResult:
    if ctx.at_window:  # the clerk checked the materials: the window's acceptance is the item's effect
        if ctx.entry.code in SHENZHEN_ONLY and correct_from_registry(ctx.session, ctx.subject):
            details = {**details, "hukou_category_corrected": "shenzhen"}
        return ItemResult(
            True,
            f"“{ctx.entry.name_zh}”已在窗口办结。{what_zh}",
            f"{ctx.entry.name_en}: done at the window. {what_en}".strip(),
            details={**details, "decided_at_window": True},
        )
    stale = stale_category(ctx.session, ctx.subject) if ctx.entry.code in SHENZHEN_ONLY else None
    if stale is not None:  # the window corrects the record's category with this pre-application
        what_zh += f"另：{stale.label_zh}与户籍登记不一致（社保记录：{stale.submitted}，户籍登记：{stale.registry}），{stale.fix_zh}。"
        what_en += f"Also: the {stale.label_en} differs from the registry ({stale.submitted} vs {stale.registry}). "
    result = ItemResult(
        completed=False,
        message_zh=f"已提交“{ctx.entry.name_zh}”的预申请。{what_zh}请打印申请表，携带所列材料到社保窗口办理。",
        message_en=f"Your pre-application ({ctx.entry.name_en}) is registered. {what_en}"
        f"Print the form and bring the listed materials to a service window.",
        details=dict(details),
        mismatches=[stale] if stale is not None else [],
    )
    return result


def _enrol(ctx: ItemContext, tx: Transaction, insurance: InsuranceType, **values: object) -> None:
    """A residents' enrolment from this month, made when the window finishes the registration."""
    e = Enrolment(
        person_id=ctx.subject.id,
        insurance=insurance,
        scheme=Scheme.resident,
        status=EnrolmentStatus.active,
        base_fen=0,
        start_month=ctx.this_month,
        **values,
    )
    ctx.session.add(e)
    ctx.session.flush()
    change_enrolment(ctx, e, tx, "created", start_month=ctx.this_month, **values)


# ---- retirement and contribution months (延缴, 趸缴, 超龄医保) -------------------


def _retirement_month(person: Person) -> tuple[int, int]:
    return retirement_month(person.birth_date.year, person.birth_date.month, person.retirement_group.value)


def _require_retirement_age(ctx: ItemContext) -> None:
    p = ctx.subject
    if not has_reached_retirement(p.birth_date, p.retirement_group.value, ctx.now.date()):
        year, month = _retirement_month(p)
        raise refused(
            "NOT_RETIRED_YET",
            f"{p.name}尚未达到法定退休年龄（{year}年{month}月达到），不能办理{ctx.entry.name_zh}",
            f"{p.name} has not reached the statutory retirement age yet (reached in {year}-{month:02d})",
            fix_zh=f"请在{year}年{month}月达到法定退休年龄后再办理；在此之前请按现有方式参保缴费",
            fix_en=f"Apply from {year}-{month:02d}; until then keep contributing as now",
            retirement_month=f"{year:04d}-{month:02d}",
        )


def _pension_months(ctx: ItemContext) -> int:
    """Prior (old system / elsewhere) + extended (延缴) months + paid pension months on record here."""
    p = ctx.subject
    paid = (
        ctx.session.scalar(
            select(func.count(distinct(Contribution.month))).where(
                Contribution.person_id == p.id,
                Contribution.insurance == InsuranceType.pension,
                Contribution.status == ContributionStatus.paid,
            )
        )
        or 0
    )
    return p.prior_contribution_months + p.extended_months + int(paid)


def _shortfall(ctx: ItemContext) -> tuple[int, int, int]:
    """(months so far, minimum, missing); refuses when the minimum is already reached."""
    if not ctx.enrolments(insurance=InsuranceType.pension):
        raise refused(
            "NO_PENSION_RECORD",
            "没有找到您在深圳的养老保险参保记录",
            "No Shenzhen pension insurance record was found",
            fix_zh="如在外地参保，请先办理养老保险关系转入",
            fix_en="If insured elsewhere, transfer it in first",
        )
    total = _pension_months(ctx)
    minimum = minimum_contribution_months(_retirement_month(ctx.subject)[0])
    if total >= minimum:
        raise refused(
            "ENOUGH_MONTHS",
            f"您的养老保险累计缴费{total}个月，已满最低缴费年限{minimum}个月，无需{ctx.entry.name_zh}",
            f"You have {total} contribution months, at least the minimum of {minimum}",
            fix_zh="可到社保窗口申请按月领取基本养老金",
            fix_en="Apply for a monthly pension at a service window",
            total_months=total,
            minimum_months=minimum,
        )
    return total, minimum, minimum - total


@handler
class RegisterExtendedContribution(ItemHandler):
    code = "register_extended_contribution"

    def check(self, ctx: ItemContext) -> None:
        _require_retirement_age(ctx)
        _shortfall(ctx)
        refuse_if_open_pre_application(ctx)

    def execute(self, ctx: ItemContext, tx: Transaction) -> ItemResult:
        total, minimum, missing = _shortfall(ctx)
        return _pre_application(
            ctx,
            f"您已累计缴费{total}个月，距最低缴费年限{minimum}个月还差{missing}个月，可继续缴费至补足。",
            f"You have {total} months; {missing} more are needed to reach the minimum of {minimum}. ",
            total_months=total,
            minimum_months=minimum,
            missing_months=missing,
        )


@handler
class RegisterLumpSumContribution(ItemHandler):
    code = "register_lump_sum_contribution"

    def check(self, ctx: ItemContext) -> None:
        _require_retirement_age(ctx)
        _shortfall(ctx)
        rule = get_policy()["lump_sum"]
        cutoff = date.fromisoformat(str(rule["insured_before"]))
        first = ctx.subject.first_insured_on
        if first is None or first >= cutoff:
            raise refused(
                "LUMP_SUM_NOT_ELIGIBLE",
                f"趸缴仅适用于{cutoff:%Y年%m月%d日}前首次参保的人员",
                f"Lump-sum payment is only for people first insured before {cutoff.isoformat()}",
                fix_zh="可办理“个人延缴登记”，按月继续缴费至满最低缴费年限",
                fix_en="Register extended contribution (延缴) and keep paying monthly instead",
                reason="insured_after_cutoff" if first else "first_insured_unknown",
                insured_before=cutoff.isoformat(),
            )
        required = int(rule["min_extended_years"]) * 12
        if ctx.subject.extended_months < required:
            raise refused(
                "LUMP_SUM_NOT_ELIGIBLE",
                f"趸缴需先延缴满{required // 12}年，您已延缴{ctx.subject.extended_months}个月",
                f"Lump-sum payment needs {required // 12} years of extended contribution first; "
                f"you have {ctx.subject.extended_months} months",
                fix_zh="请先办理“个人延缴登记”，按月继续缴费",
                fix_en="Register extended contribution (延缴) first",
                reason="extension_too_short",
                extended_months=ctx.subject.extended_months,
                required_months=required,
            )
        refuse_if_open_pre_application(ctx)

    def execute(self, ctx: ItemContext, tx: Transaction) -> ItemResult:
        total, minimum, missing = _shortfall(ctx)
        return _pre_application(
            ctx,
            f"您已累计缴费{total}个月，可一次性补缴剩余的{missing}个月（金额以窗口核定为准）。",
            f"You have {total} months and may pay the remaining {missing} at once (the window sets the amount). ",
            total_months=total,
            minimum_months=minimum,
            missing_months=missing,
        )


# ---- residents' schemes (Shenzhen hukou) -----------------------------------


@handler
class RegisterResidentPension(ItemHandler):
    code = "register_resident_pension"

    def check(self, ctx: ItemContext) -> None:
        p = ctx.subject
        require_shenzhen_hukou(ctx.session, p, "居民养老参保登记", "Residents' pension registration")
        min_age = int(get_policy()["resident_pension"].get("min_age", DEFAULT_RESIDENT_PENSION_MIN_AGE))
        if age_in_years(p.birth_date, ctx.now.date()) < min_age:
            raise refused(
                "TOO_YOUNG",
                f"{p.name}未满{min_age}周岁，居民养老保险需年满{min_age}周岁",
                f"{p.name} is under {min_age}; residents' pension starts at age {min_age}",
                fix_zh=f"请在年满{min_age}周岁后再办理",
                fix_en=f"Register from age {min_age}",
                min_age=min_age,
            )
        if p.in_school:
            raise refused(
                "IN_SCHOOL",
                f"{p.name}登记为在校学生，在校学生不参加居民养老保险",
                f"{p.name} is recorded as a full-time student; students cannot join residents' pension",
                fix_zh="离校后可办理；如已离校，请先办理“少儿、学生参保信息维护”更新在校信息",
                fix_en="Register after leaving school; if you have left, update the student information first",
            )
        if ctx.enrolments(insurance=InsuranceType.pension, schemes=(Scheme.employee, Scheme.flexible), statuses=ACTIVE):
            raise refused(
                "ENROLLED_AS_EMPLOYEE",
                f"{p.name}正在参加职工养老保险，不能同时参加居民养老保险",
                f"{p.name} is in the employees' (or flexible workers') pension and cannot also join residents' pension",
                fix_zh="继续参加职工养老保险即可；如已离职且不再参保，请先停保后再登记",
                fix_en="Keep the employees' pension; if you have left work and stopped it, register then",
            )
        resident = ctx.enrolments(insurance=InsuranceType.pension, schemes=(Scheme.resident,))
        if any(e.status == EnrolmentStatus.active for e in resident):
            raise refused(
                "ALREADY_ENROLLED",
                "您已参加居民养老保险",
                "You are already in residents' pension",
                fix_zh="如需调整缴费档次，请办理“居保缴费档次变更”",
                fix_en="To change the grade, use 'change residents' pension grade'",
            )
        if resident:
            raise refused(
                "RESIDENT_PENSION_STOPPED",
                "您的居民养老保险已停保，无需重新登记",
                "Your residents' pension is stopped, not ended: no new registration is needed",
                fix_zh="请办理“居民恢复参保”",
                fix_en="Use 'resume residents' insurance' instead",
            )
        refuse_if_open_pre_application(ctx)

    def execute(self, ctx: ItemContext, tx: Transaction) -> ItemResult:
        grade = ctx.fields["pension_grade"]
        yearly = int(get_policy()["resident_pension"]["grades_fen"][grade - 1])
        if ctx.at_window:
            _enrol(ctx, tx, InsuranceType.pension, pension_grade=grade)
        return _pre_application(
            ctx,
            f"所选缴费档次：第{grade}档，每年{fen_to_yuan_str(yearly)}元。",
            f"Chosen grade: {grade}, {fen_to_yuan_str(yearly)} yuan a year. ",
            pension_grade=grade,
            yearly_fen=yearly,
        )


@handler
class ElderlyResidentMedical(ItemHandler):
    code = "elderly_resident_medical"

    def check(self, ctx: ItemContext) -> None:
        require_shenzhen_hukou(
            ctx.session, ctx.subject, "超龄居民老人缴纳医疗保险", "Medical insurance for over-age residents"
        )
        _require_retirement_age(ctx)
        active = ctx.enrolments(insurance=InsuranceType.medical, statuses=ACTIVE)
        if active:
            raise refused(
                "ALREADY_ENROLLED",
                f"{ctx.subject.name}正在参加医疗保险，无需办理超龄居民老人医疗保险",
                f"{ctx.subject.name} already has active medical insurance",
                fix_zh="参保和缴费情况可在“五险缴费明细查询”中查看",
                fix_en="See the contribution details for it",
                scheme=active[0].scheme.value,
            )
        refuse_if_open_pre_application(ctx)

    def execute(self, ctx: ItemContext, tx: Transaction) -> ItemResult:
        if ctx.at_window:
            _enrol(ctx, tx, InsuranceType.medical)
        return _pre_application(ctx, "", "")


@handler
class ResidentBackPayment(ItemHandler):
    code = "resident_back_payment"

    def check(self, ctx: ItemContext) -> None:
        require_shenzhen_hukou(ctx.session, ctx.subject, "居民一次性补缴", "Residents' back payment")
        if not ctx.enrolments(insurance=InsuranceType.pension, schemes=(Scheme.resident,)):
            raise refused(
                "NO_RESIDENT_PENSION",
                "居民一次性补缴需先参加居民养老保险",
                "Back payment needs a residents' pension enrolment",
                fix_zh="请先办理“居民养老参保登记”",
                fix_en="Register for residents' pension first",
            )
        refuse_if_open_pre_application(ctx)

    def field_errors(self, ctx: ItemContext) -> Iterator[BusinessError]:
        years, most = ctx.fields.get("years"), int(get_policy()["resident_pension"]["back_payment_max_years"])
        if years is not None and not 1 <= years <= most:
            yield invalid(
                "YEARS_OUT_OF_RANGE",
                f"补缴年数应为1至{most}年",
                f"Back payment covers 1 to {most} years",
                field="years",
                fix_zh=f"请填写1到{most}之间的年数",
                fix_en=f"Give a number from 1 to {most}",
            )

    def execute(self, ctx: ItemContext, tx: Transaction) -> ItemResult:
        years, most = ctx.fields["years"], int(get_policy()["resident_pension"]["back_payment_max_years"])
        return _pre_application(
            ctx,
            f"补缴年数：{years}年（是否符合补缴条件及金额以窗口核定为准）。",
            f"Years to back-pay: {years} (the window confirms eligibility and amount). ",
            years=years,
            max_years=most,
        )


# ---- back payments and refunds decided at the window ---------------------------


@handler
class WorkYearsBackPayment(ItemHandler):
    code = "work_years_back_payment"

    def check(self, ctx: ItemContext) -> None:
        refuse_if_open_pre_application(ctx)

    def field_errors(self, ctx: ItemContext) -> Iterator[BusinessError]:
        start, end = ctx.fields.get("work_start_year"), ctx.fields.get("work_end_year")
        turned_16 = ctx.subject.birth_date.year + 16  # no working years before the legal working age
        if start is not None and start < turned_16:
            yield invalid(
                "WORK_YEARS_BEFORE_AGE_16",
                f"工龄起始年份不能早于{ctx.subject.name}年满16周岁的{turned_16}年",
                f"Work cannot start before {ctx.subject.name} turned 16 ({turned_16})",
                field="work_start_year",
                fix_zh=f"请填写{turned_16}年或以后开始工作的年份",
                fix_en=f"Give a year from {turned_16} on",
            )
        if end is not None and end > ctx.now.year:
            yield invalid(
                "WORK_YEARS_IN_FUTURE",
                "工龄结束年份不能晚于今年",
                "The last year of work is in the future",
                field="work_end_year",
                fix_zh=f"请填写{ctx.now.year}年或以前的年份",
                fix_en=f"Give {ctx.now.year} or earlier",
            )
        elif start is not None and end is not None and start > end:
            yield invalid(
                "WORK_YEARS_ORDER",
                "工龄起始年份不能晚于结束年份",
                "The first year of work is after the last",
                field="work_end_year",
                fix_zh="请核对起止年份：结束年份应不早于起始年份",
                fix_en="Check the years: the last year cannot be before the first",
            )

    def execute(self, ctx: ItemContext, tx: Transaction) -> ItemResult:
        start, end = ctx.fields["work_start_year"], ctx.fields["work_end_year"]
        return _pre_application(
            ctx,
            f"申报工龄：{start}年至{end}年（以窗口认定为准）。",
            f"Working years declared: {start} to {end} (the window recognises them). ",
            work_start_year=start,
            work_end_year=end,
        )


@handler
class FourCategoriesBackPayment(ItemHandler):
    code = "four_categories_back_payment"

    def check(self, ctx: ItemContext) -> None:
        refuse_if_open_pre_application(ctx)

    def execute(self, ctx: ItemContext, tx: Transaction) -> ItemResult:
        category = ctx.fields["category"]
        return _pre_application(
            ctx,
            f"申报类别：{category}（以窗口审核为准）。",
            f"Category declared: {category} (the window checks it). ",
            category=category,
        )


@handler
class RefundDuplicatePension(ItemHandler):
    code = "refund_duplicate_pension"

    def _paid_months(self, ctx: ItemContext, first: str | None = None, last: str | None = None) -> list[str]:
        stmt = (
            select(Contribution.month)
            .distinct()
            .where(
                Contribution.person_id == ctx.subject.id,
                Contribution.insurance == InsuranceType.pension,
                Contribution.status == ContributionStatus.paid,
            )
        )
        if first and last:
            stmt = stmt.where(Contribution.month >= first, Contribution.month <= last)
        return sorted(ctx.session.scalars(stmt))

    def check(self, ctx: ItemContext) -> None:
        if not self._paid_months(ctx):
            raise refused(
                "NO_PENSION_RECORD",
                f"没有找到{ctx.subject.name}在深圳的养老保险缴费记录，无可退费",
                f"No paid Shenzhen pension contributions of {ctx.subject.name} are on record: there is "
                "nothing to refund",
                fix_zh="重复缴费的退费请向收取了重复费用的参保地申请",
                fix_en="Ask the place that collected the duplicate contributions for the refund",
            )
        refuse_if_open_pre_application(ctx)

    def field_errors(self, ctx: ItemContext) -> Iterator[BusinessError]:
        first, last, other = (ctx.fields.get(k) for k in ("from_month", "to_month", "other_place"))
        if other is not None and ("深圳" in other or "shenzhen" in other.lower()):
            yield invalid(
                "OTHER_PLACE_SHENZHEN",
                "另一参保地应为深圳以外的地方",
                "The other place must be outside Shenzhen",
                field="other_place",
                fix_zh="请填写与深圳重复缴费的另一个参保城市",
                fix_en="Give the other city where you paid for the same months",
            )
        if last is not None and last > ctx.this_month:
            yield invalid(
                "MONTH_IN_FUTURE",
                "重复缴费结束月不能晚于本月",
                "The last month is in the future",
                field="to_month",
                fix_zh=f"请填写{ctx.this_month}或以前的月份",
                fix_en=f"Give {ctx.this_month} or earlier",
            )
        elif first is not None and last is not None and first > last:
            yield invalid(
                "MONTH_RANGE_ORDER",
                "重复缴费起始月不能晚于结束月",
                "The first month is after the last",
                field="to_month",
                fix_zh="请核对起止月份：结束月应不早于起始月",
                fix_en="Check the months: the last cannot be before the first",
            )
        elif first is not None and last is not None and not self._paid_months(ctx, first, last):
            yield refused_field(
                "to_month",
                "NO_CONTRIBUTIONS_IN_RANGE",
                f"{first}至{last}期间{ctx.subject.name}在深圳没有养老保险缴费记录",
                f"{ctx.subject.name} paid no Shenzhen pension contributions from {first} to {last}",
                fix_zh="请核对重复缴费的起止月份（可先查询五险缴费明细）",
                fix_en="Check the months (see your contribution details first)",
            )

    def execute(self, ctx: ItemContext, tx: Transaction) -> ItemResult:
        first, last, other = ctx.fields["from_month"], ctx.fields["to_month"], ctx.fields["other_place"]
        months = self._paid_months(ctx, first, last)
        return _pre_application(
            ctx,
            f"{first}至{last}期间深圳有{len(months)}个月养老保险缴费记录，与{other}重复部分以窗口核定为准。",
            f"Shenzhen has {len(months)} paid pension months from {first} to {last}; the window confirms the "
            f"overlap with {other}. ",
            from_month=first,
            to_month=last,
            other_place=other,
            shenzhen_months=len(months),
            first_shenzhen_month=months[0],
            last_shenzhen_month=months[-1],
        )
