"""Carries out a catalogue item for an actor: the steps every item shares.

authority (self, or a guardian for a linked child) -> eligibility (handler.check)
-> field validation -> effect (handler.execute) -> transaction record with a
serial number -> for a pre-application: its number, materials and printable
form -> audit entry. All inside the caller's unit of work, so a refusal at any
step leaves nothing half-written.

One open pre-application per item and person holds for every outcome that
becomes one, not only for the pre-application items (which refuse up front in
their checks): a compare item whose comparison fails again, or an ID upgrade that
cannot be computed, is refused with the open number instead of issuing a
duplicate, while a repeat that now passes still completes online.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ... import clock
from ...catalogue import CatalogueEntry, FieldSpec, get_catalogue
from ...errors import BusinessError
from ...persistence.db import next_value
from ...persistence.models import (
    GuardianLink,
    Outcome,
    Person,
    PreApplication,
    PreApplicationStatus,
    Transaction,
)
from ...rules.masking import mask_bank_account, mask_id_number, mask_phone
from ...rules.numbers import make_pre_application_number, make_serial_number
from .. import audit, documents
from . import allowed
from .base import REGISTRY, ItemContext, ItemResult
from .fields import missing_error, missing_fields, normalise_each, normalise_fields
from .pending import refuse_if_open_pre_application
from .schema import public_field


def item_entry(code: str) -> CatalogueEntry:
    entry = get_catalogue().get(code)
    if entry is None or entry.kind != "item" or code not in REGISTRY:
        raise BusinessError(
            "ITEM_UNKNOWN",
            f"没有这项业务（{code[:64]}）",
            f"No such business item: {code[:64]}",
            status=404,
            fix_zh="请从业务目录中选择要办理的业务",
            fix_en="Choose an item from the catalogue",
        )
    return entry


def linked_children(session: Session, guardian: Person) -> list[Person]:
    stmt = (
        select(Person)
        .join(GuardianLink, GuardianLink.child_id == Person.id)
        .where(GuardianLink.guardian_id == guardian.id)
        .order_by(Person.birth_date)
    )
    return list(session.scalars(stmt))


def resolve_subject(session: Session, actor: Person, entry: CatalogueEntry, subject_id: int | None) -> Person:
    """Whose insurance the item acts on. A guardian may act only for linked children."""
    if entry.acts_for == "child":
        children = linked_children(session, actor)
        if subject_id is None:
            if len(children) == 1:
                return children[0]
            raise (
                BusinessError(
                    "SUBJECT_REQUIRED",
                    "您关联了多个孩子，需要先选择为哪个孩子办理",
                    "Several children are linked to you: choose which child this is for",
                    status=422,
                    field="subject_id",
                    fix_zh="请选择孩子：" + "、".join(c.name for c in children),
                    fix_en="Choose one of: " + ", ".join(c.name for c in children),
                    extra={"children": [{"id": c.id, "name": c.name} for c in children]},
                )
                if children
                else BusinessError(
                    "NO_LINKED_CHILD",
                    "您的账户没有关联的少儿，无法为他人办理",
                    "No child is linked to your account",
                    status=403,
                    fix_zh="如需关联孩子，请办理“监护人信息维护”或到窗口办理",
                    fix_en="Link the child first through guardian information maintenance or at a window",
                )
            )
        for child in children:
            if child.id == subject_id:
                return child
        raise BusinessError(
            "NOT_GUARDIAN",
            "您不是该少儿的监护人，不能为其办理",
            "You are not the guardian of that child",
            status=403,
            fix_zh="请选择与您关联的孩子"
            + (f"（{'、'.join(c.name for c in children)}）" if children else "")
            + "；如需关联该孩子，请携带监护关系证明到窗口办理“监护人信息维护”",
            fix_en="Choose a child linked to you; to link this child, bring proof of guardianship "
            "to a window (guardian information maintenance)",
        )
    if subject_id is not None and subject_id != actor.id:
        raise BusinessError(
            "SELF_ONLY",
            "此业务只能本人办理",
            "This item can only be done by the person themself",
            status=403,
            fix_zh="请由本人登录后办理",
            fix_en="The person concerned logs in and does it",
        )
    return actor


def _context(
    session: Session, actor: Person, entry: CatalogueEntry, subject_id: int | None, channel: str
) -> ItemContext:
    subject = resolve_subject(session, actor, entry, subject_id)
    return ItemContext(session=session, entry=entry, actor=actor, subject=subject, channel=channel, now=clock.now())


def check_eligibility(
    session: Session, actor: Person, code: str, subject_id: int | None, channel: str
) -> dict[str, Any]:
    """Eligibility before any field is collected; refusals come back as data, not errors."""
    entry = item_entry(code)
    try:
        ctx = _context(session, actor, entry, subject_id, channel)
        REGISTRY[code].check(ctx)
    except BusinessError as err:
        if err.code in ("ITEM_UNKNOWN",):
            raise
        return {"code": code, "eligible": False, "subject_id": subject_id, "reason": err.to_dict()}
    current = REGISTRY[code].current_values(ctx)
    fields = [public_field(f) for f in entry.fields]
    for f in fields:
        if f["name"] in current:
            f["schema"]["current"] = str(current[f["name"]])
    return {
        "code": code,
        "eligible": True,
        "subject_id": ctx.subject.id,
        "subject_name": ctx.subject.name,
        "mode": entry.mode,
        "fields": fields,
    }


def run_item(
    session: Session, actor: Person, code: str, subject_id: int | None, submitted: dict[str, Any], channel: str
) -> dict[str, Any]:
    entry = item_entry(code)
    ctx = _context(session, actor, entry, subject_id, channel)
    handler = REGISTRY[code]
    handler.check(ctx)
    ctx.fields = normalise_fields(entry, submitted)
    for name in handler.required_now(ctx):
        if name not in ctx.fields:
            raise missing_error(next(f for f in entry.fields if f.name == name))
    for err in handler.field_errors(ctx):
        raise err

    tx = Transaction(
        serial_no=make_serial_number(ctx.now, next_value(session, f"serial:{ctx.now:%Y%m%d}")),
        item_code=code,
        actor_person_id=actor.id,
        subject_person_id=ctx.subject.id,
        channel=channel,
        outcome=Outcome.completed,
        data=_masked(ctx.fields),
    )
    session.add(tx)
    session.flush()
    result = handler.execute(ctx, tx)
    body: dict[str, Any] = {
        "code": code,
        "name_zh": entry.name_zh,
        "name_en": entry.name_en,
        "serial_no": tx.serial_no,
        "subject_id": ctx.subject.id,
        "subject_name": ctx.subject.name,
        "message_zh": result.message_zh,
        "message_en": result.message_en,
        "details": result.details,
    }
    if result.completed:
        body["outcome"] = "completed"
    else:
        refuse_if_open_pre_application(ctx)  # raising rolls back the transaction and any effect
        tx.outcome = Outcome.pre_application
        body["outcome"] = "pre_application"
        body["pre_application"] = _issue_pre_application(ctx, tx, result)
    tx.result = {k: body[k] for k in ("outcome", "details")}
    audit.record(
        session,
        action=f"item.{code}",
        channel=channel,
        actor_person_id=actor.id,
        subject_person_id=ctx.subject.id,
        serial_no=tx.serial_no,
        outcome=body["outcome"],
    )
    return body


def validate_item(
    session: Session, actor: Person, code: str, subject_id: int | None, submitted: dict[str, Any], channel: str
) -> dict[str, Any]:
    """The submission's checks without its effect, for a partial or complete set of fields:
    canonical values, errors by field, the required fields still missing, and (when all is
    there and valid) a preview of what submitting will do. Nothing is written."""
    entry = item_entry(code)
    ctx = _context(session, actor, entry, subject_id, channel)
    handler = REGISTRY[code]
    refusal: BusinessError | None = None
    try:
        handler.check(ctx)
    except BusinessError as err:
        refusal = err
    values, errors = normalise_each(entry, submitted)
    ctx.fields = dict(values)
    for field_err in handler.field_errors(ctx):
        errors.setdefault(field_err.field or "_item", field_err)
    missing = missing_fields(entry, submitted)
    missing += [n for n in handler.required_now(ctx) if n not in missing and n not in submitted]
    preview = None
    if refusal is None and not missing and not errors:
        outcome = handler.expected_outcome(ctx) or {"direct": "completed", "pre_application": "pre_application"}.get(
            entry.mode, "comparison"
        )
        try:
            if outcome == "pre_application":  # the summary must not promise a second one
                refuse_if_open_pre_application(ctx)
        except BusinessError as err:
            refusal = err
        else:
            lines = _preview_lines(ctx, handler.preview(ctx), outcome)
            preview = {"lines_zh": [z for z, _ in lines], "lines_en": [e for _, e in lines], "outcome": outcome}
    return {
        "code": code,
        "subject_id": ctx.subject.id,
        "subject_name": ctx.subject.name,
        "values": {k: v for k, v in values.items() if k not in errors},
        "errors": {k: error_body(e) for k, e in errors.items()},
        "missing": missing,
        "preview": preview,
        "eligible": refusal is None,
        "refusal": error_body(refusal) if refusal is not None else None,
    }


def error_body(err: BusinessError) -> dict[str, Any]:
    """An error as the validate call lists it: always with both fixes."""
    body = err.to_dict()
    body.setdefault("fix_zh", "请按提示修改后重新填写")
    body.setdefault("fix_en", "Correct it as described and give it again")
    return body


def value_label(spec: FieldSpec, value: Any) -> tuple[str, str]:
    """How a canonical value reads in a summary (labels of closed lists, masked numbers)."""
    if spec.type == "id_number":
        return mask_id_number(str(value)), mask_id_number(str(value))
    if spec.type == "account":
        return mask_bank_account(str(value)), mask_bank_account(str(value))
    if spec.type == "phone":
        return mask_phone(str(value)), mask_phone(str(value))
    for row in allowed.allowed_for(spec) or []:
        if row["value"] == value:
            return row["label_zh"], row["label_en"]
    return str(value), str(value)


def _preview_lines(ctx: ItemContext, specific: list[tuple[str, str]], outcome: str) -> list[tuple[str, str]]:
    entry, who = ctx.entry, ctx.subject.name
    lines = [(f"办理事项：{entry.name_zh}（{who}）", f"Item: {entry.name_en} ({who})")]
    given = [(spec, ctx.fields[spec.name]) for spec in entry.fields if spec.name in ctx.fields]
    if given:
        shown = [(spec, value_label(spec, v)) for spec, v in given]
        lines.append(
            (
                "填写的信息：" + "；".join(f"{s.label_zh}：{zh}" for s, (zh, _) in shown),
                "Details given: " + "; ".join(f"{s.label_en}: {en}" for s, (_, en) in shown),
            )
        )
    lines.extend(specific)
    if outcome == "pre_application":
        materials_zh = "、".join(m.zh for m in entry.materials)
        materials_en = "; ".join(m.en for m in entry.materials)
        lines.append(
            (
                f"提交后生成预申请：会得到预申请编号和申请表，请携带{materials_zh}到社保窗口办理。",
                f"Submitting makes a pre-application: you get a number and a form; bring "
                f"{materials_en} to a service window.",
            )
        )
    elif outcome == "comparison":
        lines.append(
            (
                "提交后将与户籍登记比对：一致则网上直接办结；不一致则需到窗口办理，届时会说明哪项不一致、如何处理。",
                "It is compared with the hukou registry: if it matches it completes online; if not it becomes "
                "a pre-application saying which detail differs and what to do.",
            )
        )
    return lines


def _issue_pre_application(ctx: ItemContext, tx: Transaction, result: ItemResult) -> dict[str, Any]:
    catalogue = get_catalogue()
    year = ctx.now.year
    number = make_pre_application_number(year, next_value(ctx.session, f"preapp:{year}"))
    materials = [{"zh": m.zh, "en": m.en} for m in ctx.entry.materials]
    mismatches = [m.__dict__ for m in result.mismatches]
    pre = PreApplication(
        number=number,
        transaction_id=tx.id,
        item_code=ctx.entry.code,
        applicant_person_id=ctx.actor.id,
        subject_person_id=ctx.subject.id,
        data=tx.data,
        mismatches=mismatches,
        materials=materials,
        status=PreApplicationStatus.submitted,
    )
    ctx.session.add(pre)
    ctx.session.flush()
    form_url = documents.store_application_form(ctx.session, pre, ctx.entry, ctx.subject, ctx.now)
    return {
        "number": number,
        "materials": materials,
        "where_zh": catalogue.where_zh,
        "where_en": catalogue.where_en,
        "form_url": form_url,
        "mismatches": mismatches,
    }


def _masked(fields: dict[str, Any]) -> dict[str, Any]:
    """What the transaction keeps of the fields: ID, account and phone numbers masked."""
    out: dict[str, Any] = {}
    for key, value in fields.items():
        if "id_number" in key:
            out[key] = mask_id_number(str(value))
        elif key == "account_no":
            out[key] = mask_bank_account(str(value))
        elif key == "phone":
            out[key] = mask_phone(str(value))
        else:
            out[key] = value
    return out


# -- at a service window -----------------------------------------------------------------------------------


def _window_fields(entry: CatalogueEntry, stored: dict[str, Any], originals: dict[str, Any]) -> dict[str, Any]:
    """The stored (masked) fields with what the clerk typed from the originals.

    ID, account and phone numbers are kept masked, so a required one must be typed
    again from the document shown, and it must fit the stored mask; an optional
    masked value not given again is left out (it was applied online already).
    """
    values = dict(stored)
    need: list[str] = []
    required = {f.name for f in entry.fields if f.required}
    for key, value in stored.items():
        if not (isinstance(value, str) and "*" in value):
            continue
        typed = originals.get(key)
        if typed in (None, ""):
            values.pop(key)
            if key in required:
                need.append(key)
            continue
        if _masked({key: str(typed).strip()})[key] != value:
            raise BusinessError(
                "ORIGINAL_VALUE_MISMATCH",
                "录入的号码与预申请中的号码不一致",
                "The number typed does not match the one in the pre-application",
                status=422,
                field=key,
                fix_zh="请对照证件原件核对",
                fix_en="Check it against the original document",
            )
        values[key] = typed
    if need:
        raise BusinessError(
            "ORIGINAL_VALUE_REQUIRED",
            "请对照证件原件录入完整号码",
            "Type the full number from the original",
            status=422,
            field=need[0],
            extra={"fields": need},
            fix_zh="请对照证件原件录入完整号码",
            fix_en="Type the full number from the original document",
        )
    for key, typed in originals.items():  # corrections read from the originals (e.g. the hukou book's date)
        if key not in values or "*" not in str(stored.get(key, "")):
            values[key] = typed
    return values


def finish_at_window(
    session: Session, pre: PreApplication, staff_id: int, originals: dict[str, Any]
) -> tuple[Transaction, ItemResult]:
    """Carry out a pre-application's item at a window: the same handler as online, with
    `ctx.at_window`, in the caller's unit of work, with its own serial number."""
    entry = item_entry(pre.item_code)
    actor = session.get(Person, pre.applicant_person_id)
    assert actor is not None
    ctx = _context(session, actor, entry, pre.subject_person_id if entry.acts_for == "child" else None, "window")
    ctx.at_window, ctx.pre_application_id = True, pre.id
    handler = REGISTRY[pre.item_code]
    handler.check(ctx)
    ctx.fields = normalise_fields(entry, _window_fields(entry, pre.data, originals))
    for err in handler.field_errors(ctx):  # the same field rules as online
        raise err
    tx = Transaction(
        serial_no=make_serial_number(ctx.now, next_value(session, f"serial:{ctx.now:%Y%m%d}")),
        item_code=pre.item_code,
        actor_person_id=actor.id,
        subject_person_id=ctx.subject.id,
        channel="window",
        outcome=Outcome.completed,
        data=_masked(ctx.fields),
        staff_id=staff_id,
    )
    session.add(tx)
    session.flush()
    result = handler.execute(ctx, tx)
    if not result.completed:  # a handler that still needs a decision the window cannot make here
        raise BusinessError(
            "WINDOW_CANNOT_FINISH",
            "该预申请无法在窗口直接办结",
            "This cannot be finished at the window",
            status=409,
            fix_zh="请退回并说明需补充的材料",
            fix_en="Return it and say what to bring",
        )
    if "comparison" in result.details:
        result.details["comparison"] = "checked_at_window"
    tx.result = {"outcome": "completed", "details": result.details}
    return tx, result
