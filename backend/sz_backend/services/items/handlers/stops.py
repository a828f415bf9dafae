"""Stopping and resuming insurance: individual (flexible worker), child, student, resident."""

from __future__ import annotations

from ....errors import refused
from ....persistence.models import Enrolment, EnrolmentStatus, InsuranceType, Scheme, Transaction
from ...payments import INSURANCE_EN, INSURANCE_ZH
from ..base import ItemContext, ItemHandler, ItemResult, change_enrolment, handler, stop_enrolments

ACTIVE = (EnrolmentStatus.active,)


def _names(enrolments: list[Enrolment]) -> tuple[str, str]:
    kinds = sorted({e.insurance for e in enrolments}, key=lambda i: list(InsuranceType).index(i))
    return "、".join(INSURANCE_ZH[k] for k in kinds), ", ".join(INSURANCE_EN[k] for k in kinds)


def stop_preview(ctx: ItemContext, stopping: list[Enrolment], staying: list[Enrolment]) -> list[tuple[str, str]]:
    """Which insurances stop, the last covered month, from when nothing is charged, and what stays."""
    zh, en = _names(stopping)
    lines = [
        (
            f"{ctx.subject.name}的{zh}将停保：{ctx.this_month}为最后参保月，自{ctx.next_month}起不再参保缴费，"
            f"也不再享受相应待遇；已缴费用不退。",
            f"{ctx.subject.name}'s {en} stops: {ctx.this_month} is the last insured month; from {ctx.next_month} "
            "nothing is charged and no benefits apply; what was paid is not refunded.",
        )
    ]
    if staying:
        zh, en = _names(staying)
        lines.append((f"不受影响、继续参保的：{zh}。", f"Unchanged and still active: {en}."))
    return lines


def resume_preview(ctx: ItemContext, resuming: list[Enrolment]) -> list[tuple[str, str]]:
    zh, en = _names(resuming)
    return [
        (
            f"{ctx.subject.name}的{zh}将自{ctx.next_month}起恢复参保缴费；停保期间的月份不补缴。",
            f"{ctx.subject.name}'s {en} resumes from {ctx.next_month}; the stopped months are not back-paid.",
        )
    ]


def _stop_result(ctx: ItemContext, what_zh: str, what_en: str, last: str) -> ItemResult:
    return ItemResult(
        completed=True,
        message_zh=f"已为{ctx.subject.name}办理{what_zh}停保，{last}为最后参保月，自{ctx.next_month}起不再参保缴费。",
        message_en=f"{what_en} for {ctx.subject.name} is stopped: {last} is the last insured month; "
        f"no contributions from {ctx.next_month}.",
        details={"last_month": last, "stopped_from": ctx.next_month},
    )


class _StopScheme(ItemHandler):
    """Stop one scheme. The refusal when there is nothing active says which case it is, about whom,
    and the one way forward: the sibling item (child <-> student) when that scheme is the active one,
    resuming or re-enrolling when it was stopped, nothing to do when never enrolled."""

    schemes: tuple[Scheme, ...]
    what_zh: str
    what_en: str
    none_code: str
    sibling: tuple[Scheme, str, str] | None = None  # (scheme, item name zh, item name en)
    stopped_fix: tuple[str, str]
    never_fix: tuple[str, str]

    def check(self, ctx: ItemContext) -> None:
        if ctx.enrolments(schemes=self.schemes, statuses=ACTIVE):
            return
        name = ctx.subject.name
        if self.sibling and ctx.enrolments(schemes=(self.sibling[0],), statuses=ACTIVE):
            scheme, item_zh, item_en = self.sibling
            kind_zh = "学生" if scheme == Scheme.student else "少儿"
            raise refused(
                self.none_code,
                f"{name}没有正在参保的{self.what_zh}，参加的是{kind_zh}医保",
                f"{name} has no active {self.what_en.lower()}; {name} is insured in the "
                f"{'student' if scheme == Scheme.student else 'children'} scheme",
                fix_zh=f"请选择“{item_zh}”为{name}停保",
                fix_en=f"Use '{item_en}' for {name}",
            )
        stopped = ctx.enrolments(schemes=self.schemes, statuses=(EnrolmentStatus.stopped, EnrolmentStatus.suspended))
        if stopped:
            last = max((e.end_month or "" for e in stopped), default="")
            when_zh = f"（最后参保月{last}）" if last else ""
            when_en = f" (last insured month {last})" if last else ""
            raise refused(
                self.none_code,
                f"{name}的{self.what_zh}已经停保{when_zh}，无需再办理停保",
                f"{name}'s {self.what_en.lower()} is already stopped{when_en}; nothing to stop",
                fix_zh=self.stopped_fix[0].format(name=name),
                fix_en=self.stopped_fix[1].format(name=name),
                last_month=last or None,
            )
        raise refused(
            self.none_code,
            f"{name}没有正在参保的{self.what_zh}，无需停保",
            f"{name} has no {self.what_en.lower()} to stop",
            fix_zh=self.never_fix[0].format(name=name),
            fix_en=self.never_fix[1].format(name=name),
        )

    def preview(self, ctx: ItemContext) -> list[tuple[str, str]]:
        stopping = ctx.enrolments(schemes=self.schemes, statuses=ACTIVE)
        return stop_preview(ctx, stopping, [e for e in ctx.enrolments(statuses=ACTIVE) if e not in stopping])

    def execute(self, ctx: ItemContext, tx: Transaction) -> ItemResult:
        last = stop_enrolments(ctx, ctx.enrolments(schemes=self.schemes, statuses=ACTIVE), tx)
        return _stop_result(ctx, self.what_zh, self.what_en, last)


@handler
class StopIndividual(_StopScheme):
    code = "stop_individual_insurance"
    schemes = (Scheme.flexible,)
    what_zh, what_en = "个人缴费（灵活就业）保险", "Flexible-worker insurance"
    none_code = "NO_INDIVIDUAL_ENROLMENT"
    stopped_fix = (
        "如需重新参保，请办理“个人缴费人员参保登记”",
        "To be insured again, register as a flexible worker (个人缴费人员参保登记)",
    )
    never_fix = ("如由单位参保，停保由单位办理减员", "Insurance through an employer is stopped by the employer")


@handler
class StopChild(_StopScheme):
    code = "stop_child_insurance"
    schemes = (Scheme.child,)
    what_zh, what_en = "少儿医保", "Children's medical insurance"
    none_code = "NO_CHILD_ENROLMENT"
    sibling = (Scheme.student, "学生停保", "stop a student's insurance")
    stopped_fix = (
        "如需为{name}重新参保，请办理“深户非在园在校少儿首次参保”",
        "To insure {name} again, use the first enrolment of a child not in school",
    )
    never_fix = (
        "{name}未参保，无需停保；如需参保，请办理“深户非在园在校少儿首次参保”",
        "{name} is not insured: nothing to stop; to insure {name}, use the first enrolment of a child",
    )


@handler
class StopStudent(_StopScheme):
    code = "stop_student_insurance"
    schemes = (Scheme.student,)
    what_zh, what_en = "学生医保", "Student medical insurance"
    none_code = "NO_STUDENT_ENROLMENT"
    sibling = (Scheme.child, "少儿停保", "stop a child's insurance")
    stopped_fix = (
        "学生医保由幼儿园或学校统一参保，如需为{name}重新参保，请联系学校",
        "Student insurance is arranged by the school: ask {name}'s school to insure {name} again",
    )
    never_fix = (
        "{name}没有学生医保，无需停保；在园在校的学生医保由学校办理",
        "{name} has no student insurance: nothing to stop; student insurance is arranged by the school",
    )


@handler
class StopResident(_StopScheme):
    code = "stop_resident_insurance"
    schemes = (Scheme.resident,)
    what_zh, what_en = "居民保险", "Residents' insurance"
    none_code = "NO_RESIDENT_ENROLMENT"
    stopped_fix = ("如需恢复参保，请办理“居民恢复参保”", "To be insured again, use 'resume residents' insurance'")
    never_fix = (
        "如由单位参保，停保由单位办理减员；个人缴费人员请办理“个人缴费人员停保”",
        "Insurance through an employer is stopped by the employer; flexible workers use "
        "'stop flexible-worker insurance'",
    )


@handler
class ResumeResident(ItemHandler):
    code = "resume_resident_insurance"

    def check(self, ctx: ItemContext) -> None:
        if ctx.enrolments(schemes=(Scheme.resident,), statuses=ACTIVE):
            raise refused(
                "ALREADY_ENROLLED",
                f"{ctx.subject.name}的居民保险正在参保中，无需恢复",
                f"{ctx.subject.name}'s residents' insurance is already active",
                fix_zh="如需停保，请办理“居民停保”",
                fix_en="To stop it, use 'stop residents' insurance'",
            )
        if not ctx.enrolments(
            schemes=(Scheme.resident,), statuses=(EnrolmentStatus.stopped, EnrolmentStatus.suspended)
        ):
            raise refused(
                "NO_STOPPED_RESIDENT_ENROLMENT",
                "没有找到已停保的居民保险记录，无法恢复",
                "No stopped residents' insurance to resume",
                fix_zh="从未参加居民保险的，请办理居民参保登记",
                fix_en="If never enrolled, register instead",
            )
        if ctx.enrolments(schemes=(Scheme.employee, Scheme.flexible), statuses=ACTIVE):
            raise refused(
                "ENROLLED_AS_EMPLOYEE",
                f"{ctx.subject.name}已参加职工社会保险，不能同时恢复居民保险",
                f"{ctx.subject.name} is insured as an employee or flexible worker and cannot also resume "
                "residents' insurance",
                fix_zh="职工社会保险停保后（由单位减员或办理“个人缴费人员停保”），再恢复居民保险",
                fix_en="Resume residents' insurance after the employee or flexible-worker insurance stops",
            )

    def preview(self, ctx: ItemContext) -> list[tuple[str, str]]:
        return resume_preview(
            ctx,
            ctx.enrolments(schemes=(Scheme.resident,), statuses=(EnrolmentStatus.stopped, EnrolmentStatus.suspended)),
        )

    def execute(self, ctx: ItemContext, tx: Transaction) -> ItemResult:
        resumed = ctx.enrolments(
            schemes=(Scheme.resident,), statuses=(EnrolmentStatus.stopped, EnrolmentStatus.suspended)
        )
        for e in resumed:
            e.status, e.end_month = EnrolmentStatus.active, None
            change_enrolment(ctx, e, tx, "resumed", from_month=ctx.next_month)
        return ItemResult(
            True,
            f"居民保险已恢复参保，自{ctx.next_month}起参保缴费。",
            f"Residents' insurance resumes from {ctx.next_month}.",
            details={"resumed_from": ctx.next_month, "insurances": sorted({e.insurance.value for e in resumed})},
        )
