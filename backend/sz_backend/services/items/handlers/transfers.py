"""Pension and medical insurance transfers: out (direct), cancel (direct), in (pre-application).

Roles (国办发〔2009〕66号, rules.md): the place being left issues the contribution
certificate (参保缴费凭证); the receiving place takes the application, sends a
contact/acceptance letter (联系函) to the old place, which ends its relationship and
moves records and funds; then the receiving place completes it. Each step takes
at most 15 working days. Hence:
- a transfer-out can be cancelled only while it is `submitted` (no 联系函 yet);
- a transfer-in always needs the certificate from the former place, so it is a
  pre-application here.

Decision (ACTIVE_ENROLMENT): a transfer-out ends the Shenzhen relationship of that
insurance, so an enrolment still ACTIVE in Shenzhen must be stopped first (an
employee's by the employer, a flexible worker's by 个人缴费人员停保, a resident's
by 居民停保). Otherwise Shenzhen would keep collecting contributions for a
relationship it is handing over, which later needs a duplicate-payment refund.
A stopped (or suspended) enrolment is the normal state when leaving.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from sqlalchemy import select

from ....errors import BusinessError, invalid, refused, refused_field
from ....persistence.models import (
    Contribution,
    ContributionStatus,
    EnrolmentStatus,
    InsuranceType,
    Scheme,
    Transaction,
    Transfer,
    TransferStatus,
)
from .. import allowed
from ..base import ItemContext, ItemHandler, ItemResult, handler
from ..pending import refuse_if_open_pre_application

GUANGDONG = "广东省"
# The mainland transfer procedure does not reach these; the window advises instead.
OUTSIDE_MAINLAND = ("香港特别行政区", "澳门特别行政区", "台湾省")
STEP_MAX_WORKING_DAYS = 15  # 国办发〔2009〕66号: each step at most 15 working days
OPEN_TRANSFER = (TransferStatus.submitted, TransferStatus.accepted)


@dataclass(frozen=True)
class _Kind:
    insurance: InsuranceType
    zh: str
    en: str
    no_record_code: str


PENSION = _Kind(InsuranceType.pension, "养老保险", "pension insurance", "NO_PENSION_RECORD")
MEDICAL = _Kind(InsuranceType.medical, "医疗保险", "medical insurance", "NO_MEDICAL_RECORD")

# How an active Shenzhen enrolment is stopped, by scheme (the ACTIVE_ENROLMENT fix).
_STOP_FIX: dict[Scheme, tuple[str, str]] = {
    Scheme.employee: (
        "请由用人单位为您办理停保（减员）后，再申请转出",
        "Ask your employer to stop your insurance (减员) first, then apply again",
    ),
    Scheme.flexible: (
        "请先办理“个人缴费人员停保”，再申请转出",
        "Stop it first with 'stop flexible-worker insurance' (个人缴费人员停保), then apply again",
    ),
    Scheme.resident: (
        "请先办理“居民停保”，再申请转出",
        "Stop it first with 'stop residents' insurance' (居民停保), then apply again",
    ),
}
_STOP_FIX_DEFAULT = (
    "请先停保后再申请转出，具体可到社保窗口或拨打12333咨询",
    "Stop it first; a service window or 12333 can tell you how",
)


def _is_shenzhen(city: str) -> bool:
    return city.removesuffix("市").replace(" ", "").lower() in ("深圳", "shenzhen")


def place_errors(
    ctx: ItemContext, prefix: str, shenzhen_code: str, what_zh: str, what_en: str
) -> Iterator[BusinessError]:
    """The other place of a transfer: not Shenzhen, on the mainland, the city inside the province."""
    province, city = ctx.fields.get(f"{prefix}_province"), ctx.fields.get(f"{prefix}_city")
    if city is not None and _is_shenzhen(city):
        yield refused_field(
            f"{prefix}_city",
            shenzhen_code,
            f"{what_zh}不能是深圳本市",
            f"The {what_en} cannot be Shenzhen itself",
            fix_zh="深圳市内变更参保（如换单位）无需办理关系转移；如要转往外地，请填写外地城市",
            fix_en="Moving within Shenzhen (e.g. a new employer) needs no transfer; for another place, give that city",
        )
        return
    if province in OUTSIDE_MAINLAND:
        yield refused_field(
            f"{prefix}_province",
            "TRANSFER_OUTSIDE_MAINLAND",
            f"{what_zh}为{province}，不适用内地社保关系转移接续",
            f"The {what_en} ({province}) is outside the mainland transfer procedure",
            fix_zh="请到社保窗口或拨打12333咨询",
            fix_en="Ask at a service window or call 12333",
        )
        return
    if province is not None and city is not None and not allowed.city_in_province(city, province):
        yield invalid(
            "CITY_NOT_IN_PROVINCE",
            f"{city}不属于{province}",
            f"{city} is not in {province}",
            field=f"{prefix}_city",
            fix_zh="请核对省份和城市",
            fix_en="Check the province and the city",
        )


def _open_transfer(ctx: ItemContext, kind: _Kind) -> Transfer | None:
    return ctx.session.scalar(
        select(Transfer)
        .where(
            Transfer.person_id == ctx.subject.id,
            Transfer.insurance == kind.insurance,
            Transfer.status.in_(OPEN_TRANSFER),
        )
        .order_by(Transfer.id.desc())
        .limit(1)
    )


def _has_history(ctx: ItemContext, kind: _Kind) -> bool:
    # prior_contribution_months is not split by insurance: it counts for both (see report).
    if ctx.subject.prior_contribution_months > 0:
        return True
    return (
        ctx.session.scalar(
            select(Contribution.id)
            .where(
                Contribution.person_id == ctx.subject.id,
                Contribution.insurance == kind.insurance,
                Contribution.status == ContributionStatus.paid,
            )
            .limit(1)
        )
        is not None
    )


class _TransferOut(ItemHandler):
    kind: _Kind

    def check(self, ctx: ItemContext) -> None:
        k = self.kind
        if not ctx.enrolments(insurance=k.insurance) or not _has_history(ctx, k):
            raise refused(
                k.no_record_code,
                f"没有找到{ctx.subject.name}在深圳的{k.zh}参保缴费记录，无需办理转出",
                f"No Shenzhen {k.en} record with contributions of {ctx.subject.name} was found: there is "
                "nothing to transfer out",
                fix_zh=f"如{k.zh}在外地参保，请向当地社保经办机构咨询转移；参保记录可在“五险缴费明细查询”中查看",
                fix_en=f"If the {k.en} is elsewhere, ask that place's agency; see your contribution details",
            )
        if k.insurance == InsuranceType.pension and ctx.subject.is_retired:
            raise refused(
                "ALREADY_RETIRED",
                f"{ctx.subject.name}已退休并按月领取养老金，养老保险关系不能再转出",
                f"{ctx.subject.name} has retired and draws a pension: the pension relationship can no "
                "longer be transferred",
                fix_zh="如对养老金待遇有疑问，请到社保窗口或拨打12333咨询",
                fix_en="For questions about the pension, ask at a service window or call 12333",
            )
        pending = _open_transfer(ctx, k)
        if pending is not None:
            dest = f"{pending.destination_province}{pending.destination_city or ''}"
            raise refused(
                "TRANSFER_ALREADY_PENDING",
                f"您已有一笔转往{dest}的{k.zh}关系转出在办理中",
                f"A {k.en} transfer-out to {dest} is already in progress",
                fix_zh=f"如需改变转入地，请先办理“撤销{k.zh}转出”（仅限转入地尚未受理时）",
                fix_en="To change the destination, cancel that transfer first (possible until the "
                "receiving side accepts it)",
                destination_province=pending.destination_province,
                destination_city=pending.destination_city,
                transfer_status=pending.status.value,
            )
        active = ctx.enrolments(insurance=k.insurance, statuses=(EnrolmentStatus.active,))
        if active:
            fix_zh, fix_en = _STOP_FIX.get(active[0].scheme, _STOP_FIX_DEFAULT)
            raise refused(
                "ACTIVE_ENROLMENT",
                f"您在深圳的{k.zh}仍在参保缴费中，需先停保才能转出",
                f"Your {k.en} in Shenzhen is still active: it must be stopped before a transfer-out",
                fix_zh=fix_zh,
                fix_en=fix_en,
                scheme=active[0].scheme.value,
            )

    def field_errors(self, ctx: ItemContext) -> Iterator[BusinessError]:
        return place_errors(ctx, "destination", "TRANSFER_DESTINATION_SHENZHEN", "转入地", "destination")

    def preview(self, ctx: ItemContext) -> list[tuple[str, str]]:
        k = self.kind
        province, city = ctx.fields["destination_province"], ctx.fields["destination_city"]
        other_zh = "医疗保险" if k.insurance == InsuranceType.pension else "养老保险"
        other_en = "medical insurance" if k.insurance == InsuranceType.pension else "pension insurance"
        city_en, province_en = allowed.english("city", city), allowed.english("province", province)
        return [
            (
                f"将申请把{k.zh}关系转往{province}{city}；之后须向{city}社保经办机构申请转入，对方受理前可撤销。"
                f"{other_zh}不受影响。",
                f"The {k.en} moves to {city_en}, {province_en}; next apply for the transfer-in at {city_en}'s "
                f"agency; until it accepts you can cancel. Your {other_en} is not affected.",
            )
        ]

    def execute(self, ctx: ItemContext, tx: Transaction) -> ItemResult:
        k = self.kind
        province, city = ctx.fields["destination_province"], ctx.fields["destination_city"]
        within = province == GUANGDONG
        transfer = Transfer(
            person_id=ctx.subject.id,
            insurance=k.insurance,
            destination_province=province,
            destination_city=city,
            within_province=within,
            status=TransferStatus.submitted,
            transaction_id=tx.id,
        )
        ctx.session.add(transfer)
        ctx.session.flush()
        scope_zh, scope_en = ("省内", "within Guangdong") if within else ("跨省", "to another province")
        days = STEP_MAX_WORKING_DAYS
        return ItemResult(
            completed=True,
            message_zh=(
                f"已提交{k.zh}关系转出（{scope_zh}，转往{province}{city}）。下一步：请向{city}社保经办机构"
                f"申请转入；转入地受理后向深圳发出联系函，深圳核对后转出参保记录和基金，转入地再办结，"
                f"每个环节最长{days}个工作日。转入地受理（发出联系函）之前，您可以办理“撤销{k.zh}转出”。"
            ),
            message_en=(
                f"The {k.en} transfer-out ({scope_en}, to {city}, {province}) is submitted. Next: apply for "
                f"the transfer-in at {city}'s social insurance agency; once it accepts, it sends Shenzhen a "
                f"contact letter (联系函), Shenzhen moves the records and funds, and {city} completes it. "
                f"Each step takes up to {days} working days. Until the receiving side accepts, you can "
                f"cancel this transfer-out."
            ),
            details={
                "transfer_id": transfer.id,
                "insurance": k.insurance.value,
                "destination_province": province,
                "destination_city": city,
                "within_province": within,
                "status": transfer.status.value,
                "step_max_working_days": days,
            },
        )


@handler
class TransferPensionOut(_TransferOut):
    code = "transfer_pension_out"
    kind = PENSION


@handler
class TransferMedicalOut(_TransferOut):
    code = "transfer_medical_out"
    kind = MEDICAL


class _CancelTransferOut(ItemHandler):
    kind: _Kind

    def _pending(self, ctx: ItemContext) -> Transfer:
        k = self.kind
        transfer = _open_transfer(ctx, k)
        if transfer is None:
            raise refused(
                "NO_PENDING_TRANSFER",
                f"{ctx.subject.name}没有办理中的{k.zh}关系转出，无需撤销",
                f"{ctx.subject.name} has no {k.en} transfer-out in progress to cancel",
                fix_zh=f"{k.zh}关系仍在深圳，无需办理；转移进度可拨打12333查询",
                fix_en=f"The {k.en} stays in Shenzhen; call 12333 about a transfer's progress",
            )
        if transfer.status == TransferStatus.accepted:
            dest = f"{transfer.destination_province}{transfer.destination_city or ''}"
            raise refused(
                "TRANSFER_ALREADY_ACCEPTED",
                f"转入地（{dest}）已受理您的{k.zh}关系转移，不能在网上撤销",
                f"The receiving side ({dest}) has already accepted the {k.en} transfer: it can no "
                f"longer be cancelled online",
                fix_zh=f"请联系{dest}社保经办机构，或到深圳社保窗口咨询",
                fix_en=f"Contact the social insurance agency of {dest}, or ask at a Shenzhen service window",
                destination_province=transfer.destination_province,
                destination_city=transfer.destination_city,
            )
        return transfer

    def check(self, ctx: ItemContext) -> None:
        self._pending(ctx)

    def preview(self, ctx: ItemContext) -> list[tuple[str, str]]:
        k, t = self.kind, self._pending(ctx)
        dest = f"{t.destination_province}{t.destination_city or ''}"
        return [
            (
                f"将撤销转往{dest}的{k.zh}关系转出，{k.zh}关系继续保留在深圳；其他险种不变。",
                f"The {k.en} transfer-out to {dest} is cancelled and stays in Shenzhen; other insurances are "
                "unchanged.",
            )
        ]

    def execute(self, ctx: ItemContext, tx: Transaction) -> ItemResult:
        k = self.kind
        transfer = self._pending(ctx)
        transfer.status = TransferStatus.cancelled
        dest = f"{transfer.destination_province}{transfer.destination_city or ''}"
        return ItemResult(
            completed=True,
            message_zh=f"已撤销转往{dest}的{k.zh}关系转出，您的{k.zh}关系仍保留在深圳。",
            message_en=f"The {k.en} transfer-out to {dest} is cancelled; your {k.en} stays in Shenzhen.",
            details={
                "transfer_id": transfer.id,
                "insurance": k.insurance.value,
                "status": transfer.status.value,
                "destination_province": transfer.destination_province,
                "destination_city": transfer.destination_city,
            },
        )


@handler
class CancelPensionTransferOut(_CancelTransferOut):
    code = "cancel_pension_transfer_out"
    kind = PENSION


@handler
class CancelMedicalTransferOut(_CancelTransferOut):
    code = "cancel_medical_transfer_out"
    kind = MEDICAL


class _TransferIn(ItemHandler):
    kind: _Kind

    def check(self, ctx: ItemContext) -> None:
        refuse_if_open_pre_application(ctx)

    def field_errors(self, ctx: ItemContext) -> Iterator[BusinessError]:
        return place_errors(ctx, "from", "TRANSFER_ORIGIN_SHENZHEN", "原参保地", "former place")

    def execute(self, ctx: ItemContext, tx: Transaction) -> ItemResult:
        k = self.kind
        province, city = ctx.fields["from_province"], ctx.fields["from_city"]
        within = province == GUANGDONG
        if ctx.at_window:  # the clerk has the former place's contribution certificate
            return ItemResult(
                True,
                f"{k.zh}关系转入（从{province}{city}转入）已在窗口受理办结。",
                f"The {k.en} transfer-in from {city}, {province} was accepted at the window.",
                details={
                    "insurance": k.insurance.value,
                    "from_province": province,
                    "from_city": city,
                    "within_province": within,
                },
            )
        return ItemResult(
            completed=False,
            message_zh=(
                f"已登记{k.zh}关系转入预申请（从{province}{city}转入）。参保缴费凭证须由原参保地"
                f"（{city}）社保经办机构开具，请先向其申请，再携带凭证、身份证和打印的申请表到窗口办理。"
            ),
            message_en=(
                f"The {k.en} transfer-in (from {city}, {province}) is pre-registered. The contribution "
                f"certificate (参保缴费凭证) must be issued by the former place ({city}): ask its social "
                f"insurance agency for it, then bring it with your ID card and the printed form to a window."
            ),
            details={
                "insurance": k.insurance.value,
                "from_province": province,
                "from_city": city,
                "within_province": within,
            },
        )


@handler
class TransferPensionIn(_TransferIn):
    code = "transfer_pension_in"
    kind = PENSION


@handler
class TransferMedicalIn(_TransferIn):
    code = "transfer_medical_in"
    kind = MEDICAL
