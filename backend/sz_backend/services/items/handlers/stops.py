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
    lines = [(f"{ctx.subject.name}的{zh}将停保：{ctx.this_month}为最后参保月，自{ctx.next_month}起不再参保缴费，"
              f"也不再享受相应待遇；已缴费用不退。",
              f"{ctx.subject.name}'s {en} stops: {ctx.this_month} is the last insured month; from {ctx.next_month} "
              "nothing is charged and no benefits apply; what was paid is not refunded.")]
    if staying:
        zh, en = _names(staying)
        lines.append((f"不受影响、继续参保的：{zh}。", f"Unchanged and still active: {en}."))
    return lines


def resume_preview(ctx: ItemContext, resuming: list[Enrolment]) -> list[tuple[str, str]]:
    zh, en = _names(resuming)
    return [(f"{ctx.subject.name}的{zh}将自{ctx.next_month}起恢复参保缴费；停保期间的月份不补缴。",
             f"{ctx.subject.name}'s {en} resumes from {ctx.next_month}; the stopped months are not back-paid.")]


def _stop_result(ctx: ItemContext, what_zh: str, what_en: str, last: str) -> ItemResult:
    return ItemResult(
        completed=True,
        message_zh=f"已为{ctx.subject.name}办理{what_zh}停保，{last}为最后参保月，自{ctx.next_month}起不再参保缴费。",
        message_en=f"{what_en} for {ctx.subject.name} is stopped: {last} is the last insured month; "
                   f"no contributions from {ctx.next_month}.",
        details={"last_month": last, "stopped_from": ctx.next_month},
    )


class _StopScheme(ItemHandler):
    schemes: tuple[Scheme, ...]
    what_zh: str
    what_en: str
    none_code: str
    none_zh: str
    none_en: str
    none_fix_zh: str | None = None
    none_fix_en: str | None = None

    def check(self, ctx: ItemContext) -> None:
        if not ctx.enrolments(schemes=self.schemes, statuses=ACTIVE):
            raise refused(self.none_code, self.none_zh.format(name=ctx.subject.name),
                          self.none_en.format(name=ctx.subject.name), fix_zh=self.none_fix_zh, fix_en=self.none_fix_en)

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
    what_zh, what_en = "个人缴费（灵活就业）", "Flexible-worker insurance"
    none_code = "NO_INDIVIDUAL_ENROLMENT"
    none_zh = "{name}没有正在参保的个人缴费（灵活就业）险种，无需停保"
    none_en = "{name} has no active flexible-worker enrolment to stop"
    none_fix_zh = "如由单位参保，停保由单位办理减员"
    none_fix_en = "Insurance through an employer is stopped by the employer"


@handler
class StopChild(_StopScheme):
    code = "stop_child_insurance"
    schemes = (Scheme.child,)
    what_zh, what_en = "少儿医保", "The child's medical insurance"
    none_code = "NO_CHILD_ENROLMENT"
    none_zh = "{name}没有正在参保的少儿医保"
    none_en = "{name} has no active children's medical insurance"
    none_fix_zh = "在园在校的孩子按学生参保，请选择“学生停保”"
    none_fix_en = "A child in kindergarten or school is insured as a student: use 'stop student insurance'"


@handler
class StopStudent(_StopScheme):
    code = "stop_student_insurance"
    schemes = (Scheme.student,)
    what_zh, what_en = "学生医保", "The student's medical insurance"
    none_code = "NO_STUDENT_ENROLMENT"
    none_zh = "{name}没有正在参保的学生医保"
    none_en = "{name} has no active student medical insurance"
    none_fix_zh = "未在园在校的孩子按少儿参保，请选择“少儿停保”"
    none_fix_en = "A child not in school is insured as a child: use 'stop child insurance'"


@handler
class StopResident(_StopScheme):
    code = "stop_resident_insurance"
    schemes = (Scheme.resident,)
    what_zh, what_en = "居民", "Residents' insurance"
    none_code = "NO_RESIDENT_ENROLMENT"
    none_zh = "{name}没有正在参保的居民保险"
    none_en = "{name} has no active residents' insurance"


@handler
class ResumeResident(ItemHandler):
    code = "resume_resident_insurance"

    def check(self, ctx: ItemContext) -> None:
        if ctx.enrolments(schemes=(Scheme.resident,), statuses=ACTIVE):
            raise refused("ALREADY_ENROLLED", "您的居民保险正在参保中，无需恢复", "Your residents' insurance is already active")
        if not ctx.enrolments(schemes=(Scheme.resident,), statuses=(EnrolmentStatus.stopped, EnrolmentStatus.suspended)):
            raise refused("NO_STOPPED_RESIDENT_ENROLMENT", "没有找到已停保的居民保险记录，无法恢复",
                          "No stopped residents' insurance to resume",
                          fix_zh="从未参加居民保险的，请办理居民参保登记", fix_en="If never enrolled, register instead")
        if ctx.enrolments(schemes=(Scheme.employee, Scheme.flexible), statuses=ACTIVE):
            raise refused("ENROLLED_AS_EMPLOYEE", "您已参加职工社会保险，不能同时恢复居民保险",
                          "You are insured as an employee or flexible worker and cannot also resume residents' insurance")

    def preview(self, ctx: ItemContext) -> list[tuple[str, str]]:
        return resume_preview(ctx, ctx.enrolments(schemes=(Scheme.resident,),
                                                  statuses=(EnrolmentStatus.stopped, EnrolmentStatus.suspended)))

    def execute(self, ctx: ItemContext, tx: Transaction) -> ItemResult:
        resumed = ctx.enrolments(schemes=(Scheme.resident,), statuses=(EnrolmentStatus.stopped, EnrolmentStatus.suspended))
        for e in resumed:
            e.status, e.end_month = EnrolmentStatus.active, None
            change_enrolment(ctx, e, tx, "resumed", from_month=ctx.next_month)
        return ItemResult(True, f"居民保险已恢复参保，自{ctx.next_month}起参保缴费。",
                          f"Residents' insurance resumes from {ctx.next_month}.",
                          details={"resumed_from": ctx.next_month,
                                   "insurances": sorted({e.insurance.value for e in resumed})})
