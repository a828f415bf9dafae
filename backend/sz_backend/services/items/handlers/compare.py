"""The compare items: the submitted data is compared with the hukou registry
(for a child also the settle-in date). Pass -> completed online; fail -> the
runner turns the result into a pre-application naming each mismatched field.

个人缴费人员参保登记, 深户非在园在校少儿首次参保, 个人基本信息变更,
少儿、学生参保信息维护, 监护人信息维护. (缴费银行信息维护 lives with the bank items.)
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

from sqlalchemy import select

from ....catalogue import get_policy
from ....clock import add_months
from ....errors import BusinessError, invalid, refused, refused_field
from ....persistence.models import (
    Enrolment,
    EnrolmentStatus,
    GuardianLink,
    HukouCategory,
    InsuranceType,
    Scheme,
    Transaction,
)
from ....rules import banks, idnumber
from ....rules.masking import mask_bank_account, mask_id_number, mask_phone
from ....rules.money import fen_to_yuan_str, percent_of
from ....rules.retirement import age_in_years, has_reached_retirement, retirement_month
from ... import payments
from .. import hukou
from ..base import ItemContext, ItemHandler, ItemResult, Mismatch, change_enrolment, handler
from ..comparison import (
    HUKOU_LABEL_EN,
    HUKOU_LABEL_ZH,
    hukou_category_mismatch,
    id_forms,
    mismatch_result,
    name_mismatch,
    person_by_id_number,
    record_missing,
    registry_record,
    same_name,
    settle_in_mismatch,
)
from .info import payment_bank_errors, set_payment_account

ACTIVE = (EnrolmentStatus.active,)
ADULT_AGE = 18
TIER_ZH = {1: "一档", 2: "二档"}
RELATION_ZH = {"father": "父亲", "mother": "母亲", "guardian": "其他监护人"}


def mismatch_preview(whose: str, found: list[Mismatch]) -> tuple[str, str]:
    """The comparison's outcome told in advance: which fields differ and that it becomes a pre-application."""
    zh = "、".join(f"{m.label_zh}（您填写：{m.submitted or '—'}，户籍登记：{m.registry}）" for m in found)
    en = ", ".join(f"{m.label_en} (given: {m.submitted or '-'}, registry: {m.registry})" for m in found)
    return (
        f"与户籍登记比对不一致：{zh}。提交后不能在网上办结，会转为预申请，需携带材料到窗口办理；{found[0].fix_zh}",
        f"The registry differs: {en}. Submitting makes a pre-application to finish at a window; {found[0].fix_en}",
    )


def _nothing_to_change(what_zh: str, what_en: str) -> BusinessError:
    return refused(
        "NOTHING_TO_CHANGE",
        f"{what_zh}与现有登记一致，无需变更",
        f"{what_en} already as recorded: nothing to change",
        fix_zh="请填写需要变更的新信息",
        fix_en="Give the new information you want recorded",
    )


# -- 个人缴费人员参保登记 ----------------------------------------------------------------------------------


@handler
class RegisterIndividualInsurance(ItemHandler):
    """Flexible workers: Shenzhen hukou, 18 up to the statutory retirement age, not a
    full-time student, not insured through an employer (rules.md). Pension + medical
    tier 1 or 2, from this month: they may pay in the month they enrol (article)."""

    code = "register_individual_insurance"

    def check(self, ctx: ItemContext) -> None:
        p, today = ctx.subject, ctx.now.date()
        min_age = int(get_policy()["flexible_enrolment"]["min_age"])
        if age_in_years(p.birth_date, today) < min_age:
            raise refused(
                "UNDER_MIN_AGE",
                f"个人缴费人员参保登记须年满{min_age}周岁",
                f"Flexible-worker enrolment is from age {min_age}",
                fix_zh="未成年人可由监护人办理少儿医保参保",
                fix_en="Minors are insured as children through a guardian",
            )
        if p.is_retired or has_reached_retirement(p.birth_date, p.retirement_group.value, today):
            year, month = retirement_month(p.birth_date.year, p.birth_date.month, p.retirement_group.value)
            raise refused(
                "REACHED_RETIREMENT_AGE",
                f"您已于{year}年{month}月达到法定退休年龄，不能再以个人缴费人员参保",
                f"You reached the statutory retirement age in {year}-{month:02d} and cannot enrol as a flexible worker",
                fix_zh="缴费年限不足的可办理“个人延缴登记”；已退休的可办理“退休后继续缴纳医疗保险”",
                fix_en="If your contribution months are short, register extended contribution (延缴); "
                "retirees can continue medical insurance after retirement",
            )
        if p.in_school:
            raise refused(
                "FULL_TIME_STUDENT",
                "全日制在校学生不能以个人缴费人员参保",
                "Full-time students cannot enrol as flexible workers",
                fix_zh="在校学生通过学校参加学生医保；如已离校，请先办理“少儿、学生参保信息维护”",
                fix_en="Students are insured through their school; if you have left school, "
                "update the student information first",
            )
        insured = ctx.enrolments(schemes=(Scheme.employee, Scheme.flexible), statuses=ACTIVE)
        if insured:
            through_employer = any(e.scheme == Scheme.employee for e in insured)
            raise refused(
                "ALREADY_INSURED",
                "您正在由单位参保，不能再以个人缴费人员参保" if through_employer else "您已是个人缴费人员，正在参保中",
                "You are insured through an employer and cannot also enrol as a flexible worker"
                if through_employer
                else "You are already enrolled as a flexible worker",
                fix_zh="离职后由单位办理减员，再办理本业务"
                if through_employer
                else "如需变更医疗保险档次，请办理“个人参保信息变更”",
                fix_en="Enrol after your employer has removed you from its insurance"
                if through_employer
                else "To change the medical tier use 'change enrolment details'",
            )
        if ctx.enrolments(schemes=(Scheme.resident,), statuses=ACTIVE):
            # One basic pension and one basic medical insurance at a time.
            raise refused(
                "RESIDENT_INSURANCE_ACTIVE",
                "您正在参加居民保险，不能同时以个人缴费人员参保",
                "You are in residents' insurance and cannot also enrol as a flexible worker",
                fix_zh="请先办理“居民停保”，再办理个人缴费人员参保登记",
                fix_en="Stop residents' insurance first, then enrol as a flexible worker",
            )
        hukou.require_shenzhen_hukou(ctx.session, p, "个人缴费人员参保登记", "Flexible-worker enrolment")

    def required_now(self, ctx: ItemContext) -> list[str]:
        given = [k for k in ("bank_name", "account_no") if k in ctx.fields]
        return ["bank_name", "account_no"] if given else []

    def field_errors(self, ctx: ItemContext) -> Iterator[BusinessError]:
        return payment_bank_errors(ctx, refuse_current=False)

    def _mismatches(self, ctx: ItemContext) -> list[Mismatch]:
        p = ctx.subject
        record = registry_record(ctx.session, p.id_number)
        if record is None:
            return [record_missing("您", "your")]
        if record.hukou_category == HukouCategory.shenzhen:  # the record is stale: the window updates it
            stale = hukou.stale_category(ctx.session, p)
            return [m for m in (stale, name_mismatch(p.name, record.name)) if m is not None]
        return [
            m
            for m in (
                hukou_category_mismatch(
                    p.hukou_category,
                    record,
                    fix_zh=f"户籍登记为“{HUKOU_LABEL_ZH[record.hukou_category]}”，非深户籍人员不能以个人缴费人员参保；"
                    "请先在“个人基本信息变更”中按户口簿更正户籍类别；如已迁入深圳，请携带户口簿到窗口办理",
                    fix_en=f"The registry says {HUKOU_LABEL_EN[record.hukou_category]}; without Shenzhen hukou you cannot "
                    "enrol as a flexible worker. Correct the category in basic information, or bring the hukou "
                    "book to a window if you have moved your hukou to Shenzhen",
                ),
                name_mismatch(p.name, record.name),
            )
            if m is not None
        ]

    def expected_outcome(self, ctx: ItemContext) -> str | None:
        return "pre_application" if self._mismatches(ctx) else "completed"

    def _account_after(self, ctx: ItemContext) -> tuple[str, str] | None:
        """How the first payment will be deducted: (zh, en) label, or None when there is no account."""
        f = ctx.fields
        if "bank_name" in f and "account_no" in f:
            bank = banks.canonical_bank(f["bank_name"]) or f["bank_name"]
            masked = mask_bank_account(f["account_no"])
            return f"{bank}账户{masked}", f"{bank} account {masked}"
        try:
            account = payments.payment_account(ctx.session, ctx.subject)
        except BusinessError:
            return None
        return account.label_zh, account.label_en

    def preview(self, ctx: ItemContext) -> list[tuple[str, str]]:
        p, tier = ctx.subject, ctx.fields["medical_tier"]
        found = self._mismatches(ctx)
        if found:
            return [mismatch_preview(p.name, found)]
        base = int(get_policy()["contribution"]["flexible_default_base_fen"])
        rates = get_policy()["contribution"]
        pension = percent_of(base, str(rates["pension_rate"]))
        medical = percent_of(base, str(rates["medical_tier_rates"][str(tier)]))
        lines = [
            (
                f"将自{ctx.this_month}起以个人缴费人员参加养老保险和医疗保险（{TIER_ZH[tier]}），缴费基数"
                f"{fen_to_yuan_str(base)}元/月，每月应缴养老保险{fen_to_yuan_str(pension)}元、医疗保险"
                f"{fen_to_yuan_str(medical)}元，合计{fen_to_yuan_str(pension + medical)}元。",
                f"Pension and medical insurance (tier {tier}) as a flexible worker from {ctx.this_month}, base "
                f"{fen_to_yuan_str(base)} yuan a month: pension {fen_to_yuan_str(pension)} + medical "
                f"{fen_to_yuan_str(medical)} = {fen_to_yuan_str(pension + medical)} yuan a month.",
            )
        ]
        account = self._account_after(ctx)
        if account is None:
            lines.append(
                (
                    "您还没有缴费银行账户：登记后请先办理“缴费银行信息维护”，才能缴费。",
                    "You have no payment account yet: register one (maintain payment bank account) to pay.",
                )
            )
        else:
            lines.append(
                (
                    f"缴费从{account[0]}扣款（工作日9:00-17:00在“个缴自助缴费”缴费）。",
                    f"Payments are deducted from {account[1]} (self-service payment, working days 09:00-17:00).",
                )
            )
        return lines

    def execute(self, ctx: ItemContext, tx: Transaction) -> ItemResult:
        p = ctx.subject
        found = self._mismatches(ctx)
        if found and not ctx.at_window:  # at a window the clerk has checked the originals
            return mismatch_result(ctx, found)

        if ctx.at_window:
            hukou.correct_from_registry(ctx.session, p)
        if "bank_name" in ctx.fields:
            set_payment_account(ctx, ctx.fields["bank_name"], ctx.fields["account_no"], p.name)
        tier: int = ctx.fields["medical_tier"]
        base = int(get_policy()["contribution"]["flexible_default_base_fen"])
        month = ctx.this_month
        created = []
        for insurance, medical_tier in ((InsuranceType.pension, None), (InsuranceType.medical, tier)):
            e = Enrolment(
                person_id=p.id,
                insurance=insurance,
                scheme=Scheme.flexible,
                status=EnrolmentStatus.active,
                medical_tier=medical_tier,
                base_fen=base,
                start_month=month,
            )
            ctx.session.add(e)
            ctx.session.flush()
            change_enrolment(ctx, e, tx, "created", start_month=month, medical_tier=medical_tier, base_fen=base)
            created.append(e)
        if p.first_insured_on is None:
            p.first_insured_on = ctx.now.date()
        dues = [payments.flexible_due(ctx.session, e, month) for e in created]
        total = payments.total_fen(dues)
        zh, en = payments.amounts_text(dues)
        account = self._account_after(ctx)
        pay_zh = (
            f"缴费将从{account[0]}扣款。"
            if account
            else "您还没有缴费银行账户，请先办理“缴费银行信息维护”登记本人合作银行账户，才能缴费。"
        )
        pay_en = (
            f"Payments are deducted from {account[1]}."
            if account
            else "You have no payment account yet: register one through 'maintain payment bank account' to pay."
        )
        return ItemResult(
            True,
            f"户籍信息比对通过，参保登记成功：养老保险、医疗保险（{TIER_ZH[tier]}）自{month}起参保，"
            f"缴费基数{fen_to_yuan_str(base)}元/月。本月即可在“个缴自助缴费”缴费（工作日9:00-17:00），"
            f"本月应缴{zh}，合计{fen_to_yuan_str(total)}元。{pay_zh}",
            f"The hukou comparison passed and you are enrolled: pension and medical insurance tier {tier} from "
            f"{month}, contribution base {fen_to_yuan_str(base)} yuan a month. You can pay this month through "
            f"self-service payment (working days 09:00-17:00): {en}, total {fen_to_yuan_str(total)} yuan. {pay_en}",
            details={
                "comparison": "passed",
                "start_month": month,
                "medical_tier": tier,
                "base_fen": base,
                "base_yuan": fen_to_yuan_str(base),
                "this_month_due": [d.to_dict() for d in dues],
                "this_month_total_fen": total,
                "this_month_total_yuan": fen_to_yuan_str(total),
            },
        )


# -- 深户非在园在校少儿首次参保 ------------------------------------------------------------------------------


def insurance_year_end(month: str) -> str:
    """Last month of the residents' medical insurance year containing `month` (September..August)."""
    start = int(get_policy()["children"]["insurance_year_start_month"])
    year, mon = (int(x) for x in month.split("-"))
    next_start = f"{year + 1 if mon >= start else year:04d}-{start:02d}"
    return add_months(next_start, -1)


@handler
class EnrollChildFirstTime(ItemHandler):
    """A guardian enrols a Shenzhen-hukou child not in kindergarten or school in
    children's medical insurance; the registry must show Shenzhen hukou and the same
    settle-in date as submitted."""

    code = "enroll_child_first_time"

    def check(self, ctx: ItemContext) -> None:
        child = ctx.subject
        if age_in_years(child.birth_date, ctx.now.date()) >= ADULT_AGE:
            raise refused(
                "NOT_A_CHILD",
                f"{child.name}已年满{ADULT_AGE}周岁，不能参加少儿医保",
                f"{child.name} is {ADULT_AGE} or older and cannot join children's medical insurance",
                fix_zh="成年人可本人办理居民或职工医疗保险参保",
                fix_en="Adults enrol themselves",
            )
        if child.in_school:
            raise refused(
                "CHILD_IN_SCHOOL",
                f"{child.name}登记为在园在校，应通过幼儿园或学校按学生参保",
                f"{child.name} is recorded as in kindergarten or school and is insured as a student through the school",
                fix_zh="如孩子已不在园在校，请先办理“少儿、学生参保信息维护”",
                fix_en="If the child has left school, update the child/student information first",
            )
        if ctx.enrolments(insurance=InsuranceType.medical, schemes=(Scheme.child, Scheme.student), statuses=ACTIVE):
            raise refused(
                "ALREADY_ENROLLED",
                f"{child.name}已参加少儿（学生）医保，无需重复参保",
                f"{child.name} already has children's/student medical insurance",
                fix_zh="缴费请使用“少儿医保缴费”",
                fix_en="Use 'pay a child's medical insurance' to pay",
            )

    def field_errors(self, ctx: ItemContext) -> Iterator[BusinessError]:
        child, raw = ctx.subject, ctx.fields.get("settle_in_date")
        if raw is None:
            return
        settle_in = date.fromisoformat(raw)
        if settle_in < child.birth_date:
            yield invalid(
                "SETTLE_IN_DATE_INVALID",
                f"入户时间{settle_in.isoformat()}早于{child.name}的出生日期{child.birth_date.isoformat()}",
                f"The settle-in date {settle_in.isoformat()} is before {child.name}'s birth "
                f"({child.birth_date.isoformat()})",
                field="settle_in_date",
                fix_zh=f"请按{child.name}户口簿“何时由何地迁来本市”一栏填写入户日期（在出生之后）",
                fix_en=f"Copy the settle-in date from {child.name}'s hukou book (after the birth)",
            )
        elif settle_in > ctx.now.date():
            yield invalid(
                "SETTLE_IN_DATE_INVALID",
                f"入户时间{settle_in.isoformat()}还未到",
                f"The settle-in date {settle_in.isoformat()} is in the future",
                field="settle_in_date",
                fix_zh=f"请按{child.name}户口簿填写已经登记的入户日期",
                fix_en=f"Copy the settle-in date from {child.name}'s hukou book",
            )

    def _mismatches(self, ctx: ItemContext) -> list[Mismatch]:
        child = ctx.subject
        settle_in = date.fromisoformat(ctx.fields["settle_in_date"])
        record = registry_record(ctx.session, child.id_number)
        if record is None:
            return [record_missing("孩子", "the child's")]
        return [
            m
            for m in (
                hukou_category_mismatch(
                    HukouCategory.shenzhen,
                    record,
                    fix_zh=f"户籍登记为“{HUKOU_LABEL_ZH[record.hukou_category]}”，本业务仅限深户少儿；"
                    "请携带少儿户口簿到窗口咨询参保方式",
                    fix_en=f"The registry says {HUKOU_LABEL_EN[record.hukou_category]}; this item is for children with "
                    "Shenzhen hukou only: ask at a window with the child's hukou book",
                ),
                settle_in_mismatch(settle_in, record),
                name_mismatch(child.name, record.name),
            )
            if m is not None
        ]

    def expected_outcome(self, ctx: ItemContext) -> str | None:
        return "pre_application" if self._mismatches(ctx) else "completed"

    def preview(self, ctx: ItemContext) -> list[tuple[str, str]]:
        child = ctx.subject
        found = self._mismatches(ctx)
        if found:
            return [mismatch_preview(child.name, found)]
        return [
            (
                f"比对一致：{child.name}将自{ctx.this_month}起参加少儿医保（至{insurance_year_end(ctx.this_month)}为本医保年度），"
                "之后请通过“少儿医保缴费”缴费；这一步本身不扣款。",
                f"The registry matches: {child.name} joins children's medical insurance from {ctx.this_month}; "
                "pay afterwards through 'pay a child's medical insurance' (this step charges nothing).",
            )
        ]

    def execute(self, ctx: ItemContext, tx: Transaction) -> ItemResult:
        child = ctx.subject
        settle_in = date.fromisoformat(ctx.fields["settle_in_date"])
        found = self._mismatches(ctx)
        if found and not ctx.at_window:  # at a window the clerk has checked the originals
            return mismatch_result(ctx, found)

        child.settle_in_date = settle_in
        month = ctx.this_month
        e = Enrolment(
            person_id=child.id,
            insurance=InsuranceType.medical,
            scheme=Scheme.child,
            status=EnrolmentStatus.active,
            base_fen=0,
            start_month=month,
        )
        ctx.session.add(e)
        ctx.session.flush()
        change_enrolment(ctx, e, tx, "created", start_month=month)
        year_end = insurance_year_end(month)
        return ItemResult(
            True,
            f"户籍和入户时间比对通过，{child.name}已参加少儿医保，自{month}起参保。"
            f"请通过“少儿医保缴费”缴纳本医保年度（至{year_end}）的费用（工作日9:00-17:00）。",
            f"The hukou and settle-in date comparison passed: {child.name} has children's medical insurance from "
            f"{month}. Pay for this insurance year (to {year_end}) through 'pay a child's medical insurance' "
            "(working days 09:00-17:00).",
            details={"comparison": "passed", "start_month": month, "insurance_year_end": year_end},
        )


# -- 个人基本信息变更 ----------------------------------------------------------------------------------------


@handler
class ChangeBasicInfo(ItemHandler):
    """Phone and address change directly; a hukou category change must agree with the
    registry (the article's fix of "非深户" -> 广东省内非深户 / 广东省外户籍)."""

    code = "change_basic_info"

    @staticmethod
    def _changes(ctx: ItemContext) -> tuple[dict[str, str], HukouCategory | None]:
        """(phone/address that differ from the record, the new hukou category if it differs)."""
        p, f = ctx.subject, ctx.fields
        direct: dict[str, str] = {k: f[k] for k in ("phone", "address") if k in f and f[k] != getattr(p, k)}
        category = HukouCategory(f["hukou_category"]) if "hukou_category" in f else None
        return direct, category if category is not None and category != p.hukou_category else None

    def field_errors(self, ctx: ItemContext) -> Iterator[BusinessError]:
        if not ctx.fields:
            yield invalid(
                "NOTHING_TO_CHANGE",
                "请至少填写一项要变更的信息（户籍类别、手机号码或联系地址）",
                "Give at least one thing to change: hukou category, mobile number or address",
                fix_zh="例如将户籍类别“非深户”维护为“广东省内非深户”",
                fix_en='e.g. change the hukou category "非深户" to "广东省内非深户"',
            )
            return
        direct, category = self._changes(ctx)
        if not direct and category is None:
            err = _nothing_to_change(f"{ctx.subject.name}填写的信息", f"The information {ctx.subject.name} gave is")
            err.field = next(iter(ctx.fields))
            yield err

    def expected_outcome(self, ctx: ItemContext) -> str | None:
        _, category = self._changes(ctx)
        if category is None:
            return "completed"
        record = registry_record(ctx.session, ctx.subject.id_number)
        return "completed" if record is not None and record.hukou_category == category else "pre_application"

    def preview(self, ctx: ItemContext) -> list[tuple[str, str]]:
        direct, category = self._changes(ctx)
        p = ctx.subject
        lines = []
        if "phone" in direct:
            lines.append(
                (
                    f"手机号码将改为{mask_phone(direct['phone'])}，立即生效。",
                    f"The mobile number becomes {mask_phone(direct['phone'])} at once.",
                )
            )
        if "address" in direct:
            lines.append(("联系地址将更新，立即生效。", "The address is updated at once."))
        if category is not None:
            record = registry_record(ctx.session, p.id_number)
            if record is not None and record.hukou_category == category:
                lines.append(
                    (
                        f"户籍类别将由“{HUKOU_LABEL_ZH[p.hukou_category]}”改为“{HUKOU_LABEL_ZH[category]}”（与户籍登记一致）。",
                        f"The hukou category changes from {HUKOU_LABEL_EN[p.hukou_category]} to "
                        f"{HUKOU_LABEL_EN[category]} (as the registry says).",
                    )
                )
            else:
                lines.append(
                    (
                        f"户籍登记不是“{HUKOU_LABEL_ZH[category]}”：户籍类别不会在网上更改，而是转为预申请，需携带户口簿到窗口；"
                        "手机号码、地址的变更不受影响。",
                        f"The registry does not say {HUKOU_LABEL_EN[category]}: the category is not changed online "
                        "but becomes a pre-application (bring the hukou book to a window); phone and address "
                        "changes still apply.",
                    )
                )
        return lines

    def execute(self, ctx: ItemContext, tx: Transaction) -> ItemResult:
        p = ctx.subject
        direct, category = self._changes(ctx)
        phone = direct.get("phone")
        category_change = category is not None

        mismatch: Mismatch | None = None
        if category_change:
            assert category is not None
            record = registry_record(ctx.session, p.id_number)
            mismatch = (
                hukou_category_mismatch(category, record)
                if record is not None
                else record_missing("您", "your", field="hukou_category", submitted=HUKOU_LABEL_ZH[category])
            )
        # Phone and address need no comparison: they change even when the category goes to a window.
        for key, value in direct.items():
            setattr(p, key, value)
        done_zh = [{"phone": f"手机号码（{mask_phone(phone)}）", "address": "联系地址"}[k] for k in direct]
        done_en = [{"phone": f"mobile number ({mask_phone(phone)})", "address": "address"}[k] for k in direct]
        if mismatch is not None and not ctx.at_window:
            result = mismatch_result(ctx, [mismatch], changed=list(direct))
            if direct:
                result.message_zh = f"{'、'.join(done_zh)}已更新。{result.message_zh}"
                result.message_en = f"Updated: {', '.join(done_en)}. {result.message_en}"
            return result
        details: dict[str, object] = {
            "comparison": "passed" if category_change else "not_needed",
            "changed": list(direct),
        }
        if category_change:
            assert category is not None
            old, p.hukou_category = p.hukou_category, category
            done_zh.append(f"户籍类别（{HUKOU_LABEL_ZH[old]} → {HUKOU_LABEL_ZH[category]}）")
            done_en.append(f"hukou category ({HUKOU_LABEL_EN[old]} -> {HUKOU_LABEL_EN[category]})")
            details |= {
                "changed": [*direct, "hukou_category"],
                "hukou_category": category.value,
                "previous_hukou_category": old.value,
            }
        return ItemResult(
            True,
            f"基本信息变更成功：{'、'.join(done_zh)}。",
            f"Basic information updated: {', '.join(done_en)}.",
            details=details,
        )


# -- 少儿、学生参保信息维护 --------------------------------------------------------------------------------


@handler
class MaintainChildStudentInfo(ItemHandler):
    """Whether the child is in kindergarten/school (and which): the child's registry
    record must match the stored person; a change of status moves an active
    children's medical enrolment to the student scheme or back."""

    code = "maintain_child_student_info"

    def field_errors(self, ctx: ItemContext) -> Iterator[BusinessError]:
        child = ctx.subject
        if "in_school" not in ctx.fields:
            return
        in_school = ctx.fields["in_school"] == "yes"
        school = ctx.fields.get("school_name") if in_school else None
        if in_school and not school:
            yield invalid(
                "SCHOOL_NAME_REQUIRED",
                f"{child.name}在园在校，请填写学校或幼儿园名称",
                f"{child.name} is in school: give the name of the school or kindergarten",
                field="school_name",
                fix_zh="请填写学校或幼儿园的全称，如“深圳市南山区第二实验学校”",
                fix_en="Give the full name of the school or kindergarten",
            )
        elif in_school == child.in_school and school == child.school_name:
            err = _nothing_to_change(f"{child.name}的在园在校信息", f"{child.name}'s school information is")
            err.field = "in_school"
            yield err

    def preview(self, ctx: ItemContext) -> list[tuple[str, str]]:
        child, in_school = ctx.subject, ctx.fields["in_school"] == "yes"
        moving = in_school != child.in_school and ctx.enrolments(
            insurance=InsuranceType.medical,
            schemes=(Scheme.student,) if not in_school else (Scheme.child,),
            statuses=ACTIVE,
        )
        status_zh = f"在园在校（{ctx.fields.get('school_name')}）" if in_school else "不在园在校"
        lines = [
            (
                f"{child.name}将登记为{status_zh}（先与户籍登记比对姓名）。",
                f"{child.name} is recorded as {'in school' if in_school else 'not in school'} (after the name is "
                "compared with the registry).",
            )
        ]
        if moving:
            lines.append(
                (
                    f"{child.name}的医保将自{ctx.this_month}起由{'少儿' if in_school else '学生'}医保转为"
                    f"{'学生' if in_school else '少儿'}医保，参保不中断。",
                    f"{child.name}'s medical insurance moves to the {'student' if in_school else 'children'} "
                    f"scheme from {ctx.this_month} without a gap.",
                )
            )
        return lines

    def execute(self, ctx: ItemContext, tx: Transaction) -> ItemResult:
        child = ctx.subject
        in_school = ctx.fields["in_school"] == "yes"
        school = ctx.fields.get("school_name") if in_school else None
        record = registry_record(ctx.session, child.id_number)
        if record is None and not ctx.at_window:
            return mismatch_result(ctx, [record_missing("孩子", "the child's")])
        found = name_mismatch(child.name, record.name) if record is not None else None
        if found is not None and not ctx.at_window:
            return mismatch_result(ctx, [found])

        switched: list[dict[str, str]] = []
        if in_school != child.in_school:
            old, new = (Scheme.child, Scheme.student) if in_school else (Scheme.student, Scheme.child)
            for e in ctx.enrolments(insurance=InsuranceType.medical, schemes=(old,), statuses=ACTIVE):
                e.scheme = new
                change_enrolment(
                    ctx, e, tx, "scheme_changed", old_scheme=old.value, new_scheme=new.value, from_month=ctx.this_month
                )
                switched.append({"insurance": e.insurance.value, "from": old.value, "to": new.value})
        child.in_school, child.school_name = in_school, school
        status_zh = f"在园在校（{school}）" if in_school else "不在园在校"
        switch_zh = ("，医保类别已由" + ("少儿转为学生" if in_school else "学生转为少儿")) if switched else ""
        return ItemResult(
            True,
            f"比对通过，{child.name}的信息已更新为{status_zh}{switch_zh}。",
            f"The comparison passed: {child.name} is now recorded as "
            + (f"in school ({school})" if in_school else "not in school")
            + (f"; medical insurance moved to the {'student' if in_school else 'children'} scheme" if switched else "")
            + ".",
            details={"comparison": "passed", "in_school": in_school, "school_name": school, "switched": switched},
        )


# -- 监护人信息维护 ----------------------------------------------------------------------------------------


@handler
class MaintainGuardianInfo(ItemHandler):
    """Link a guardian to a child (or correct the relation). The guardian must be in
    the registry with that name and ID, and known to us, before a link is made: the
    link gives that person authority over the child's insurance."""

    code = "maintain_guardian_info"

    def field_errors(self, ctx: ItemContext) -> Iterator[BusinessError]:
        child, f = ctx.subject, ctx.fields
        id_number, relation = f.get("guardian_id_number"), f.get("relation")
        yield from self.phone_errors(ctx)
        if id_number is None:
            return
        if id_number == child.id_number:
            yield invalid(
                "GUARDIAN_IS_CHILD",
                f"监护人不能是{child.name}本人",
                f"The guardian cannot be {child.name}",
                field="guardian_id_number",
                fix_zh="请填写监护人的身份证号",
                fix_en="Give the guardian's ID number",
            )
            return
        info = idnumber.parse(id_number, today=ctx.now.date())
        if age_in_years(info.birth_date, ctx.now.date()) < ADULT_AGE:
            yield refused_field(
                "guardian_id_number",
                "GUARDIAN_NOT_ADULT",
                f"该身份证号的持有人未满{ADULT_AGE}周岁，不能作为{child.name}的监护人",
                f"The holder of that ID number is under {ADULT_AGE} and cannot be {child.name}'s guardian",
                fix_zh="请填写孩子的父母或其他成年监护人的身份证号",
                fix_en="Give the ID number of a parent or another adult guardian",
            )
        if relation is not None and (relation, info.gender) in (("father", "F"), ("mother", "M")):
            yield invalid(
                "RELATION_GENDER_MISMATCH",
                f"“{RELATION_ZH[relation]}”与身份证号的性别不符",
                f"The relation '{relation}' does not match the sex in the ID number",
                field="relation",
                fix_zh="请核对身份证号，或选择正确的关系",
                fix_en="Check the ID number or choose the right relation",
            )
        elif relation is not None:
            guardian = person_by_id_number(ctx.session, id_number)
            link = guardian and ctx.session.scalar(
                select(GuardianLink).where(GuardianLink.guardian_id == guardian.id, GuardianLink.child_id == child.id)
            )
            if guardian is not None and link and link.relation == relation and not self._new_phone(ctx):
                yield refused_field(
                    "relation",
                    "GUARDIAN_ALREADY_LINKED",
                    f"{guardian.name}已登记为{child.name}的{RELATION_ZH[relation]}，无需重复登记",
                    f"{guardian.name} is already recorded as {child.name}'s {relation}",
                    fix_zh="如需更正关系，请选择正确的关系；如需更新监护人手机号码，请由监护人本人办理“个人基本信息变更”",
                    fix_en="To correct the relation, choose the right one; to update the guardian's "
                    "mobile number, the guardian uses 'change basic personal information'",
                )

    @staticmethod
    def _is_actor(ctx: ItemContext, id_number: str) -> bool:
        return ctx.actor.id_number in id_forms(id_number)

    def _new_phone(self, ctx: ItemContext) -> str | None:
        """The guardian's own new mobile number, when one is given and it differs from the record."""
        phone = ctx.fields.get("phone")
        return phone if phone is not None and phone != ctx.actor.phone else None

    def phone_errors(self, ctx: ItemContext) -> Iterator[BusinessError]:
        id_number, phone = ctx.fields.get("guardian_id_number"), ctx.fields.get("phone")
        if phone is not None and id_number is not None and not self._is_actor(ctx, id_number):
            name = ctx.fields.get("guardian_name") or "该监护人"
            yield refused_field(
                "phone",
                "GUARDIAN_PHONE_NOT_OWN",
                f"只能更新您本人的手机号码，{name}的手机号码须由其本人更新",
                "Only your own mobile number can be updated here; the other guardian updates theirs",
                fix_zh=f"请{name}本人登录后办理“个人基本信息变更”；登记监护关系时不填手机号码即可",
                fix_en="That guardian logs in and uses 'change basic personal information'; to link "
                "them, leave the mobile number out",
            )

    def preview(self, ctx: ItemContext) -> list[tuple[str, str]]:
        child, f = ctx.subject, ctx.fields
        rel = RELATION_ZH[f["relation"]]
        phone = self._new_phone(ctx)
        guardian = person_by_id_number(ctx.session, f["guardian_id_number"])
        link = guardian and ctx.session.scalar(
            select(GuardianLink).where(GuardianLink.guardian_id == guardian.id, GuardianLink.child_id == child.id)
        )
        if link and link.relation == f["relation"] and phone:
            return [
                (
                    f"{f['guardian_name']}仍为{child.name}的{rel}；监护人手机号码将改为{mask_phone(phone)}，立即生效。",
                    f"{f['guardian_name']} stays {child.name}'s {f['relation']}; the guardian's mobile number "
                    f"becomes {mask_phone(phone)} at once.",
                )
            ]
        return [
            (
                f"{f['guardian_name']}将登记为{child.name}的{rel}（先与户籍登记比对姓名和身份证号），"
                f"登记后可为{child.name}办理参保、缴费等业务；其他监护人不变。",
                f"{f['guardian_name']} is recorded as {child.name}'s {f['relation']} (after the name and ID number "
                f"are compared with the registry) and may then act for {child.name}; other guardians stay.",
            )
        ]

    def execute(self, ctx: ItemContext, tx: Transaction) -> ItemResult:
        child, f = ctx.subject, ctx.fields
        name, id_number, relation = f["guardian_name"], f["guardian_id_number"], f["relation"]

        record = registry_record(ctx.session, id_number)
        guardian = person_by_id_number(ctx.session, id_number)
        mismatches: list[Mismatch] = []
        if record is None:
            mismatches.append(
                record_missing(
                    "监护人", "the guardian's", field="guardian_id_number", submitted=mask_id_number(id_number)
                )
            )
        else:
            m = name_mismatch(
                name,
                record.name,
                field="guardian_name",
                label_zh="监护人姓名",
                label_en="guardian's name",
                mask_registry=True,
            )
            if m is not None:
                mismatches.append(m)
            elif guardian is None or not same_name(guardian.name, name):
                mismatches.append(
                    Mismatch(
                        field="guardian_id_number",
                        label_zh="监护人身份证号",
                        label_en="guardian's ID number",
                        submitted=mask_id_number(id_number),
                        registry="社保系统中未登记该人员",
                        fix_zh="监护人在深圳社保系统中还没有个人信息：请携带监护人身份证、监护关系证明到窗口办理",
                        fix_en="The guardian has no personal record in the Shenzhen social insurance system: bring the "
                        "guardian's ID card and proof of guardianship to a window",
                    )
                )
        if mismatches and not ctx.at_window:
            return mismatch_result(ctx, mismatches)
        if guardian is None:  # at a window: the guardian needs a personal record before a link
            raise refused(
                "GUARDIAN_NOT_REGISTERED",
                "监护人在社保系统中还没有个人信息，请先为监护人建立个人信息",
                "The guardian has no personal record yet: create it first",
                fix_zh="请先为监护人建立社保个人信息，再办理监护人信息维护",
                fix_en="Create the guardian's personal record first, then link the guardian",
            )

        link = ctx.session.scalar(
            select(GuardianLink).where(GuardianLink.guardian_id == guardian.id, GuardianLink.child_id == child.id)
        )
        phone = self._new_phone(ctx)
        if phone is not None:  # phone_errors allowed it: the guardian is the actor
            ctx.actor.phone = phone
        phone_zh = f"监护人手机号码已更新为{mask_phone(phone)}。" if phone else ""
        phone_en = f" The guardian's mobile number is now {mask_phone(phone)}." if phone else ""
        if link is not None and link.relation == relation:  # only the phone changes
            return ItemResult(
                True,
                f"比对通过，{name}仍为{child.name}的{RELATION_ZH[relation]}。{phone_zh}",
                f"The comparison passed: {name} stays {child.name}'s {relation}.{phone_en}",
                details={
                    "comparison": "passed",
                    "guardian_person_id": guardian.id,
                    "relation": relation,
                    "previous_relation": relation,
                    "linked": False,
                    "phone_changed": True,
                },
            )
        if link is None:
            ctx.session.add(GuardianLink(guardian_id=guardian.id, child_id=child.id, relation=relation))
            action_zh, action_en, previous = "已登记为", "is now recorded as", None
        else:
            previous, link.relation = link.relation, relation
            action_zh, action_en = f"的关系已由{RELATION_ZH[previous]}更正为", "is now corrected to"
        return ItemResult(
            True,
            f"比对通过，{name}{action_zh}{child.name}的{RELATION_ZH[relation]}。{phone_zh}",
            f"The comparison passed: {name} {action_en} {child.name}'s {relation}.{phone_en}",
            details={
                "comparison": "passed",
                "guardian_person_id": guardian.id,
                "relation": relation,
                "previous_relation": previous,
                "linked": link is None,
                "phone_changed": phone is not None,
            },
        )
