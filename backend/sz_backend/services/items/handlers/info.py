"""Changing the person's own records: 个人参保信息变更, 身份证号正常升位, 缴费银行信息维护."""

from __future__ import annotations

import unicodedata
from collections.abc import Iterator
from typing import Any

from sqlalchemy import select

from ....catalogue import get_policy
from ....errors import BusinessError, refused, refused_field
from ....persistence.models import (
    BankAccount,
    Enrolment,
    EnrolmentStatus,
    HukouRecord,
    InsuranceType,
    Person,
    Scheme,
    Transaction,
)
from ....rules import banks, idnumber
from ....rules.masking import mask_bank_account, mask_id_number
from ....rules.money import fen_to_yuan_str, percent_of
from ... import payments
from ..base import ItemContext, ItemHandler, ItemResult, Mismatch, change_enrolment, handler

ACTIVE = (EnrolmentStatus.active,)
_TIER_ZH = {1: "一档", 2: "二档"}


# -- 个人参保信息变更 ----------------------------------------------------------------------------------


@handler
class ChangeEnrollmentInfo(ItemHandler):
    """Change the medical tier of a flexible worker's medical insurance, from next month."""

    code = "change_enrollment_info"

    def _enrolment(self, ctx: ItemContext) -> Enrolment | None:
        found = ctx.enrolments(insurance=InsuranceType.medical, schemes=(Scheme.flexible,), statuses=ACTIVE)
        return found[0] if found else None

    def check(self, ctx: ItemContext) -> None:
        if self._enrolment(ctx) is None:
            raise refused(
                "NO_INDIVIDUAL_ENROLMENT",
                "您没有正在参保的个人缴费（灵活就业）医疗保险，无法变更参保档次",
                "You have no active flexible-worker medical insurance whose tier could change",
                fix_zh="深户灵活就业人员请先办理“个人缴费人员参保登记”；由单位参保的，档次由单位申报",
                fix_en="Flexible workers with Shenzhen hukou register first; for insurance through an "
                "employer the employer declares the tier",
            )

    def current_values(self, ctx: ItemContext) -> dict[str, Any]:
        enrolment = self._enrolment(ctx)
        return {"medical_tier": enrolment.medical_tier} if enrolment is not None and enrolment.medical_tier else {}

    def field_errors(self, ctx: ItemContext) -> Iterator[BusinessError]:
        enrolment, new = self._enrolment(ctx), ctx.fields.get("medical_tier")
        if enrolment is not None and new is not None and enrolment.medical_tier == new:
            yield refused_field(
                "medical_tier",
                "SAME_TIER",
                f"{ctx.subject.name}的医疗保险当前已是{_TIER_ZH[new]}，无需变更",
                f"{ctx.subject.name}'s medical insurance is already tier {new}",
                fix_zh=f"如需变更，请选择{_TIER_ZH[3 - new]}",
                fix_en=f"To change it choose tier {3 - new}",
            )

    def preview(self, ctx: ItemContext) -> list[tuple[str, str]]:
        enrolment = self._enrolment(ctx)
        assert enrolment is not None
        new, old = ctx.fields["medical_tier"], enrolment.medical_tier
        base = enrolment.base_fen or int(get_policy()["contribution"]["flexible_default_base_fen"])
        monthly = percent_of(base, str(get_policy()["contribution"]["medical_tier_rates"][str(new)]))
        now_due = payments.flexible_due(ctx.session, enrolment, ctx.this_month).amount_fen
        return [
            (
                f"医疗保险由{_TIER_ZH.get(old or 0, '未定档')}改为{_TIER_ZH[new]}，自{ctx.next_month}起生效，届时每月医疗保险"
                f"缴费{fen_to_yuan_str(monthly)}元（现为{fen_to_yuan_str(now_due)}元）；{ctx.this_month}仍按原档次，"
                "养老保险不变。",
                f"Medical insurance changes from tier {old} to tier {new} from {ctx.next_month}: then "
                f"{fen_to_yuan_str(monthly)} yuan a month (now {fen_to_yuan_str(now_due)}); {ctx.this_month} keeps "
                "the old tier and pension insurance is unchanged.",
            )
        ]

    def execute(self, ctx: ItemContext, tx: Transaction) -> ItemResult:
        enrolment = self._enrolment(ctx)
        assert enrolment is not None  # check() ran in this unit of work
        new: int = ctx.fields["medical_tier"]
        old = enrolment.medical_tier
        # This month keeps the old tier (it may be paid already): payments read the history
        # (services.payments.medical_tier_in_force) to apply the new tier from next month.
        enrolment.medical_tier = new
        change_enrolment(ctx, enrolment, tx, "tier_changed", old_tier=old, new_tier=new, from_month=ctx.next_month)
        monthly = payments.flexible_due(ctx.session, enrolment, ctx.next_month).amount_fen
        return ItemResult(
            True,
            f"医疗保险已由{_TIER_ZH.get(old or 0, '未定档')}变更为{_TIER_ZH[new]}，自{ctx.next_month}起生效，"
            f"届时每月医疗保险缴费{fen_to_yuan_str(monthly)}元。",
            f"Medical insurance changes from tier {old} to tier {new} from {ctx.next_month}; the monthly medical "
            f"contribution will then be {fen_to_yuan_str(monthly)} yuan.",
            details={
                "old_tier": old,
                "new_tier": new,
                "effective_from": ctx.next_month,
                "monthly_fen": monthly,
                "monthly_yuan": fen_to_yuan_str(monthly),
            },
        )


# -- 身份证号正常升位 ----------------------------------------------------------------------------------


@handler
class UpgradeIdNumber(ItemHandler):
    """15 -> 18 digits. The person types the new number; it must equal the computed upgrade."""

    code = "upgrade_id_number"

    def check(self, ctx: ItemContext) -> None:
        if len(ctx.subject.id_number) != 15:
            raise refused(
                "ALREADY_18_DIGITS",
                "您的社保记录中已是18位身份证号码，无需升位",
                "Your record already has the 18-character ID number; no upgrade is needed",
                fix_zh="如社保记录中的身份证号码有误，请携带身份证和户口簿到社保窗口办理更正",
                fix_en="If the ID number on record is wrong, bring your ID card and hukou book to a "
                "service window to have it corrected",
            )

    @staticmethod
    def computable(old: str) -> bool:
        """Whether the upgrade can be computed online: a valid 15-digit number without a special
        sequence (996-999). Otherwise the window decides: a pre-application, never a refusal."""
        try:
            return len(old) == 15 and not idnumber.parse(old).centenarian_code
        except BusinessError:  # the stored number itself is malformed (e.g. an impossible birth date)
            return False

    def field_errors(self, ctx: ItemContext) -> Iterator[BusinessError]:
        old, typed = ctx.subject.id_number, ctx.fields.get("new_id_number")
        if typed is None or not self.computable(old):
            return
        expected = idnumber.upgrade_15_to_18(old)
        if typed != expected:
            # Never show the computed number: the person must read it from their own ID card.
            yield refused_field(
                "new_id_number",
                "ID_UPGRADE_MISMATCH",
                f"您输入的18位身份证号码与{ctx.subject.name}社保记录中的15位号码不对应",
                f"The 18-character ID number entered does not correspond to {ctx.subject.name}'s "
                "15-digit number on record",
                fix_zh="请对照本人18位居民身份证逐位核对后重新输入；如身份证信息确有变化（如出生日期更正），"
                "请携带身份证和户口簿到社保窗口办理",
                fix_en="Check it digit by digit against your 18-character ID card and enter it again; "
                "if your ID details really changed, bring your ID card and hukou book to a "
                "service window",
            )
        elif (
            ctx.session.scalar(select(Person.id).where(Person.id_number == expected, Person.id != ctx.subject.id))
            is not None
        ):
            yield refused_field(
                "new_id_number",
                "ID_NUMBER_IN_USE",
                "该18位身份证号码已登记在另一条社保记录上，不能在网上升位",
                "This 18-character ID number is already on another insurance record; it cannot be upgraded online",
                fix_zh="请携带身份证到社保窗口办理记录合并",
                fix_en="Bring your ID card to a service window to have the records merged",
            )

    def expected_outcome(self, ctx: ItemContext) -> str | None:
        return "completed" if self.computable(ctx.subject.id_number) else "pre_application"

    def preview(self, ctx: ItemContext) -> list[tuple[str, str]]:
        if not self.computable(ctx.subject.id_number):
            return [
                (
                    "您的15位号码不能在网上自动升位：提交后转为预申请，请携带身份证到窗口办理。",
                    "Your 15-digit number cannot be upgraded online: it becomes a pre-application; bring your ID "
                    "card to a window.",
                )
            ]
        masked = mask_id_number(ctx.fields["new_id_number"])
        return [
            (
                f"社保记录中的身份证号码将由15位升为18位（{masked}）；参保和缴费记录不变。",
                f"The ID number on record becomes the 18-character {masked}; enrolments and contributions stay.",
            )
        ]

    def execute(self, ctx: ItemContext, tx: Transaction) -> ItemResult:
        old = ctx.subject.id_number
        manual = not self.computable(old)
        if manual and not ctx.at_window:
            # Sequences 996-999 (the century is not 19xx) or a malformed stored number: a person at a window decides.
            special = len(old) == 15 and old[12:15] in idnumber.CENTENARIAN_SEQUENCES
            why_zh = "使用了特殊顺序码（996-999）" if special else "在社保记录中无法核验（出生日期等不完整或有误）"
            why_en = "uses a special sequence code (996-999)" if special else "cannot be checked as recorded"
            return ItemResult(
                False,
                f"{ctx.subject.name}的15位身份证号码{why_zh}，不能在网上自动升位，已为您生成预申请，"
                "请打印申请表并携带身份证和户口簿到社保窗口办理。",
                f"{ctx.subject.name}'s 15-digit ID number {why_en} and cannot be upgraded online; a pre-application "
                "was made: print the form and bring your ID card and hukou book to a service window.",
                details={"reason": "ID_UPGRADE_MANUAL", "special_sequence": special},
            )
        # At a window the clerk reads a special-sequence number from the new ID card.
        expected = ctx.fields["new_id_number"] if manual else idnumber.upgrade_15_to_18(old)
        ctx.subject.id_number = expected
        # The registry row keyed by the old number follows, unless the registry already has the new one.
        registry = ctx.session.scalar(select(HukouRecord).where(HukouRecord.id_number == old))
        if (
            registry is not None
            and ctx.session.scalar(select(HukouRecord.id).where(HukouRecord.id_number == expected)) is None
        ):
            registry.id_number = expected
        ctx.session.flush()
        masked = mask_id_number(expected)
        return ItemResult(
            True,
            f"身份证号码已由15位升为18位：{masked}。",
            f"Your ID number was upgraded from 15 to 18 characters: {masked}.",
            details={"old_id_number": mask_id_number(old), "new_id_number": masked},
        )


# -- 缴费银行信息维护 ----------------------------------------------------------------------------------


def _same_name(a: str, b: str) -> bool:
    def norm(s: str) -> str:
        return "".join(unicodedata.normalize("NFKC", s).split())

    return norm(a) == norm(b)


def _own_id_number(person: Person) -> str:
    """The person's ID number in 18-character form, what a bank has on file today."""
    stored = person.id_number
    if len(stored) == 15 and not idnumber.parse(stored).centenarian_code:
        return idnumber.upgrade_15_to_18(stored)
    return stored


def card_lock(ctx: ItemContext) -> BusinessError | None:
    card = payments.activated_card(ctx.session, ctx.subject)
    if card is None:
        return None
    masked = mask_bank_account(card.card_no)
    return refused(
        "CARD_LOCKS_ACCOUNT",
        f"{ctx.subject.name}已办理并激活金融社保卡（{card.bank_name}{masked}），只能以金融社保卡为缴费账户，无法变更",
        f"{ctx.subject.name} has an activated financial social security card ({card.bank_name} {masked}); "
        "it is the only allowed payment account and cannot be changed",
        fix_zh="请确保金融社保卡账户余额充足；如需更换，请先到发卡银行办理社保卡相关业务",
        fix_en="Keep enough money on the card's account; to change it, first deal with the card at the issuing bank",
    )


def payment_bank_errors(ctx: ItemContext, *, refuse_current: bool) -> Iterator[BusinessError]:
    """The rules on a payment account given as bank_name + account_no (缴费银行信息维护, and the
    account given when enrolling as a flexible worker): a cooperating bank; not the card-locked case;
    with `refuse_current`, not the account already used."""
    bank_name, account_no = ctx.fields.get("bank_name"), ctx.fields.get("account_no")
    if bank_name is None and account_no is None:
        return
    lock = card_lock(ctx)
    if lock is not None:
        lock.field = "bank_name" if bank_name is not None else "account_no"
        yield lock
        return
    if bank_name is not None and not banks.is_cooperating(bank_name):
        names = [b["name_zh"] for b in banks.cooperating_banks()]
        yield refused_field(
            "bank_name",
            "BANK_NOT_COOPERATING",
            f"“{bank_name[:20]}”不是金融社保卡合作银行，不能作为缴费账户",
            f"{bank_name[:20]} is not a bank cooperating with the financial social security card",
            fix_zh=f"请使用以下银行在深圳开户的本人账户：{'、'.join(names)}",
            fix_en="Use your own account opened in Shenzhen at one of: "
            + ", ".join(b["name_en"] for b in banks.cooperating_banks()),
            banks=names,
        )
        return
    if refuse_current and bank_name is not None and account_no is not None:
        bank_name = banks.canonical_bank(bank_name) or bank_name
        current = ctx.session.scalar(
            select(BankAccount.id).where(
                BankAccount.person_id == ctx.subject.id,
                BankAccount.account_no == account_no,
                BankAccount.bank_name == bank_name,
                BankAccount.is_payment_account.is_(True),
            )
        )
        if current is not None:
            yield refused_field(
                "account_no",
                "ALREADY_PAYMENT_ACCOUNT",
                f"该账户已经是{ctx.subject.name}的缴费账户，无需变更",
                f"This account is already {ctx.subject.name}'s payment account",
                fix_zh="如需更换，请填写另一个本人名下的合作银行账户",
                fix_en="To change it, give another account in your name at a cooperating bank",
            )


def set_payment_account(ctx: ItemContext, bank_name: str, account_no: str, holder_name: str) -> BankAccount:
    """Make this account the payment account; earlier accounts stay on record, no longer used."""
    bank_name = banks.canonical_bank(bank_name) or bank_name
    accounts = list(ctx.session.scalars(select(BankAccount).where(BankAccount.person_id == ctx.subject.id)))
    existing = next((a for a in accounts if a.account_no == account_no and a.bank_name == bank_name), None)
    for a in accounts:
        a.is_payment_account = False
    if existing is None:
        # opened_in_shenzhen is not asked by these items (catalog.yml has no such field): assumed.
        existing = BankAccount(
            person_id=ctx.subject.id,
            bank_name=bank_name,
            account_no=account_no,
            holder_name=holder_name,
            opened_in_shenzhen=True,
        )
        ctx.session.add(existing)
    existing.is_payment_account = True
    ctx.session.flush()
    return existing


@handler
class MaintainPaymentBank(ItemHandler):
    """Register a new payment bank account; the account holder is compared with the person."""

    code = "maintain_payment_bank"

    def check(self, ctx: ItemContext) -> None:
        lock = card_lock(ctx)
        if lock is not None:
            raise lock

    def field_errors(self, ctx: ItemContext) -> Iterator[BusinessError]:
        return payment_bank_errors(ctx, refuse_current=True)

    def expected_outcome(self, ctx: ItemContext) -> str | None:
        return "pre_application" if self._compare(ctx) else "completed"

    def preview(self, ctx: ItemContext) -> list[tuple[str, str]]:
        f = ctx.fields
        bank_name = banks.canonical_bank(f["bank_name"]) or f["bank_name"]
        masked = mask_bank_account(f["account_no"])
        if self._compare(ctx):
            return [
                (
                    f"户名或户主身份证号与{ctx.subject.name}的身份信息不一致：提交后不会变更缴费账户，而是转为预申请，"
                    "需携带身份证和银行卡到窗口办理。",
                    f"The holder's name or ID number differs from {ctx.subject.name}'s: submitting does not change "
                    "the account but makes a pre-application; bring your ID card and bank card to a window.",
                )
            ]
        try:
            old = payments.payment_account(ctx.session, ctx.subject)
            was_zh, was_en = f"（原为{old.label_zh}）", f" (was {old.label_en})"
        except BusinessError:
            was_zh, was_en = "", ""
        return [
            (
                f"缴费账户将改为{bank_name}{masked}{was_zh}，此后的扣款从该账户进行；已扣款的月份不变。",
                f"The payment account becomes {bank_name} {masked}{was_en}; later deductions come from it, "
                "deductions already made stay.",
            )
        ]

    def execute(self, ctx: ItemContext, tx: Transaction) -> ItemResult:
        f = ctx.fields
        bank_name: str = f["bank_name"]
        bank_name = banks.canonical_bank(bank_name) or bank_name
        mismatches = self._compare(ctx)
        if mismatches and not ctx.at_window:  # at a window the clerk has checked the originals
            return ItemResult(
                False,
                "账户户名或户主身份证号与您的身份信息不一致，缴费账户必须是本人名下的账户。已为您生成预申请，"
                "请携带材料到社保窗口办理。",
                "The account holder's name or ID number does not match yours: the payment account must be in your "
                "own name. A pre-application was made: bring the materials to a service window.",
                details={"bank_name": bank_name, "account_no": mask_bank_account(f["account_no"])},
                mismatches=mismatches,
            )
        existing = set_payment_account(ctx, bank_name, f["account_no"], f["holder_name"])
        masked = mask_bank_account(existing.account_no)
        return ItemResult(
            True,
            f"缴费银行账户已变更为{bank_name}{masked}，此后的扣款将从该账户进行。",
            f"Your payment account is now {bank_name} {masked}; later deductions are taken from it.",
            details={"bank_name": bank_name, "account_no": masked},
        )

    @staticmethod
    def _compare(ctx: ItemContext) -> list[Mismatch]:
        f, person = ctx.fields, ctx.subject
        out: list[Mismatch] = []
        if not _same_name(f["holder_name"], person.name):
            out.append(
                Mismatch(
                    "holder_name",
                    "账户户名",
                    "account holder name",
                    f["holder_name"],
                    person.name,
                    "缴费账户必须是本人名下的账户，请提供户名为本人的银行账户",
                    "The payment account must be in your own name: give an account held by you",
                )
            )
        if f["holder_id_number"] != _own_id_number(person):
            out.append(
                Mismatch(
                    "holder_id_number",
                    "户主身份证号",
                    "account holder's ID number",
                    mask_id_number(f["holder_id_number"]),
                    mask_id_number(person.id_number),
                    "户主身份证号须为本人身份证号，请核对或提供本人名下的账户",
                    "The holder's ID number must be your own: check it or give an account in your name",
                )
            )
        return out
