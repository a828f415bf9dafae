"""The service-window console: a clerk finds a pre-application, checks the
materials, and finishes it or returns it.

- Look-up by pre-application number (format and check character verified) or by
  the resident's full ID number read from the ID card shown.
- A clerk sees what the task needs: the item, the entered data (ID, account and
  phone numbers stay masked), the materials checklist and the comparison result
  that sent it to the window; names in full (they are checked against the card).
- Finishing runs the item's own handler (`runner.finish_at_window`) in the same
  unit of work as the status change, the history entry, the audit entry and the
  notices, and gives a serial number. Returning keeps the number open with a
  reason and what to bring.
- Every step is audited with the clerk's id (channel "window").
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any, cast

from sqlalchemy import CursorResult, or_, select, update
from sqlalchemy.orm import Session

from ..catalogue import get_catalogue
from ..clock import SHANGHAI
from ..errors import BusinessError, invalid
from ..persistence.models import Person, PreApplication, PreApplicationEvent, PreApplicationStatus, Transaction
from ..rules import idnumber
from ..rules.masking import mask_id_number, mask_phone
from ..rules.numbers import is_valid_pre_application_number, normalize_pre_application_number
from . import audit, notices
from .items import runner
from .items.comparison import person_by_id_number
from .staff import StaffIdentity

OPEN = (PreApplicationStatus.submitted, PreApplicationStatus.processing, PreApplicationStatus.returned)


def _local(value: datetime) -> str:
    return (value if value.tzinfo else value.replace(tzinfo=timezone.utc)).astimezone(SHANGHAI).isoformat()


def _not_found() -> BusinessError:
    return BusinessError(
        "PRE_APPLICATION_NOT_FOUND", "没有找到这个预申请", "No such pre-application", status=404, field="number"
    )


def get(session: Session, number: str, *, for_update: bool = False) -> PreApplication:
    if not is_valid_pre_application_number(number):
        raise invalid(
            "PRE_APPLICATION_NUMBER_INVALID",
            "预申请编号格式不对或校验位不符，可能输错了",
            "The pre-application number looks mistyped: its format or check character is wrong",
            field="number",
            fix_zh="请对照申请表核对编号，格式如 YS2026000012347",
            fix_en="Check the number against the printed form; it looks like YS2026000012347",
        )
    stmt = select(PreApplication).where(PreApplication.number == normalize_pre_application_number(number))
    if for_update:
        stmt = stmt.with_for_update()  # two clerks on one number: the second waits, then sees the new status
    pre = session.scalar(stmt)
    if pre is None:
        raise _not_found()
    return pre


def find(session: Session, who: StaffIdentity, *, number: str | None, id_number: str | None) -> dict[str, Any]:
    if bool(number) == bool(id_number):
        raise invalid(
            "LOOKUP_ONE_KEY",
            "请输入预申请编号或身份证号（二选一）",
            "Give either a pre-application number or an ID number",
            field="number",
        )
    if number:
        pres = [get(session, number)]
        key: dict[str, Any] = {"by": "number", "number": pres[0].number}
    else:
        try:
            valid = idnumber.validate(id_number or "")
        except BusinessError as err:
            raise invalid(
                "ID_NUMBER_INVALID",
                "身份证号格式不对或校验位不符",
                "The ID number is not valid",
                field="id_number",
                fix_zh="请对照身份证原件核对",
                fix_en="Check it against the ID card",
            ) from err
        person = person_by_id_number(session, valid)
        pres = (
            []
            if person is None
            else list(
                session.scalars(
                    select(PreApplication)
                    .where(
                        or_(
                            PreApplication.subject_person_id == person.id,
                            PreApplication.applicant_person_id == person.id,
                        )
                    )
                    .order_by(PreApplication.id.desc())
                    .limit(50)
                )
            )
        )
        key = {"by": "id_number", "id_number": mask_id_number(valid)}
    audit.record(
        session,
        action="window.lookup",
        channel="window",
        actor_person_id=None,
        actor_staff_id=who.id,
        found=len(pres),
        **key,
    )
    return {"results": [summary(session, p) for p in pres]}


def summary(session: Session, pre: PreApplication) -> dict[str, Any]:
    entry = get_catalogue().get(pre.item_code)
    subject = session.get(Person, pre.subject_person_id)
    return {
        "number": pre.number,
        "status": pre.status.value,
        "item_code": pre.item_code,
        "item_name_zh": entry.name_zh if entry else pre.item_code,
        "subject_name": subject.name if subject else None,
        "subject_id_number": mask_id_number(subject.id_number) if subject else None,
        "created_at": _local(pre.created_at),
    }


def detail(session: Session, who: StaffIdentity, number: str) -> dict[str, Any]:
    pre = get(session, number)
    audit.record(
        session,
        action="window.view",
        channel="window",
        actor_person_id=None,
        actor_staff_id=who.id,
        subject_person_id=pre.subject_person_id,
        number=pre.number,
    )
    return _detail(session, pre)


def _detail(session: Session, pre: PreApplication) -> dict[str, Any]:
    entry = runner.item_entry(pre.item_code)
    subject = session.get(Person, pre.subject_person_id)
    applicant = session.get(Person, pre.applicant_person_id)
    assert subject is not None and applicant is not None
    tx = session.get(Transaction, pre.transaction_id)
    received = set(pre.materials_received or [])
    finished = session.get(Transaction, pre.finished_transaction_id) if pre.finished_transaction_id else None
    labels = {f.name: (f.label_zh, f.label_en) for f in entry.fields}
    return {
        **summary(session, pre),
        "item_name_en": entry.name_en,
        "channel": tx.channel if tx else None,
        "subject": {
            "name": subject.name,
            "id_number": mask_id_number(subject.id_number),
            "phone": mask_phone(subject.phone) if subject.phone else None,
        },
        "applicant": None
        if applicant.id == subject.id
        else {"name": applicant.name, "id_number": mask_id_number(applicant.id_number)},
        "data": [
            {
                "name": k,
                "label_zh": labels.get(k, (k, k))[0],
                "label_en": labels.get(k, (k, k))[1],
                "value": v,
                "needs_original": isinstance(v, str) and "*" in v,
            }
            for k, v in pre.data.items()
        ],
        "comparison": {"result": "failed" if pre.mismatches else "not_compared", "mismatches": pre.mismatches},
        "online_result": (tx.result or {}).get("details") if tx else None,
        "materials": [
            {"index": i, "zh": m.get("zh"), "en": m.get("en"), "received": i in received}
            for i, m in enumerate(pre.materials)
        ],
        "all_received": len(received) >= len(pre.materials),
        "serial_no": finished.serial_no if finished else None,
        "history": history(session, pre, staff_view=True),
    }


def history(session: Session, pre: PreApplication, *, staff_view: bool = False) -> list[dict[str, Any]]:
    """Submitted (from the record itself), then every window step. Residents never see who the clerk was."""
    out: list[dict[str, Any]] = [{"at": _local(pre.created_at), "action": "submitted", "status": "submitted"}]
    for ev in pre.history:
        row: dict[str, Any] = {"at": _local(ev.at), "action": ev.action, "status": ev.status, **ev.detail}
        if staff_view:
            row["staff_id"] = ev.staff_id
        out.append(row)
    return out


def _closed(pre: PreApplication) -> BusinessError:
    return BusinessError(
        "PRE_APPLICATION_CLOSED",
        f"该预申请已{'办结' if pre.status.value == 'completed' else '结束'}，不能再办理",
        "This pre-application is already closed",
        status=409,
        extra={"status": pre.status.value},
    )


def _open(pre: PreApplication) -> None:
    if pre.status not in OPEN:
        raise _closed(pre)


def _move(session: Session, pre: PreApplication, to: PreApplicationStatus) -> None:
    """Change the status only if it is still open (compare-and-set): of two clerks acting on one
    number at once, the second waits for the first's unit of work and then finds it closed.
    (SQLite ignores FOR UPDATE; the conditional UPDATE takes the write lock on both databases.)"""
    result = session.execute(
        update(PreApplication)
        .where(PreApplication.id == pre.id, PreApplication.status.in_(OPEN))
        .values(status=to)
        .execution_options(synchronize_session=False)
    )
    moved = cast("CursorResult[Any]", result).rowcount
    session.refresh(pre)
    if moved != 1:
        raise _closed(pre)


def _event(session: Session, pre: PreApplication, who: StaffIdentity, action: str, **detail: Any) -> None:
    pre.history.append(PreApplicationEvent(action=action, status=pre.status.value, staff_id=who.id, detail=detail))
    audit.record(
        session,
        action=f"window.{action}",
        channel="window",
        actor_person_id=None,
        actor_staff_id=who.id,
        subject_person_id=pre.subject_person_id,
        number=pre.number,
        status=pre.status.value,
        **detail,
    )


def receive_materials(session: Session, who: StaffIdentity, number: str, indexes: list[int]) -> dict[str, Any]:
    pre = get(session, number, for_update=True)
    _open(pre)
    bad = [i for i in indexes if not 0 <= i < len(pre.materials)]
    if bad:
        raise invalid("MATERIAL_UNKNOWN", "材料序号不存在", "No such material in the checklist", field="received")
    _move(session, pre, PreApplicationStatus.processing)
    pre.materials_received = sorted(set(pre.materials_received or []) | set(indexes))
    _event(session, pre, who, "materials_received", received=sorted(set(indexes)))
    session.flush()
    return _detail(session, pre)


def finish(session: Session, who: StaffIdentity, number: str, originals: dict[str, Any]) -> dict[str, Any]:
    pre = get(session, number, for_update=True)
    _open(pre)
    missing = [i for i in range(len(pre.materials)) if i not in set(pre.materials_received or [])]
    if missing:
        raise BusinessError(
            "MATERIALS_INCOMPLETE",
            "还有材料未核收，不能办结",
            "Not every material has been received",
            status=409,
            fix_zh="请核收全部材料，或退回并说明需补充的材料",
            fix_en="Receive every material, or return it saying what to bring",
            extra={"missing": missing},
        )
    _move(session, pre, PreApplicationStatus.completed)  # a failure below rolls this back too
    tx, result = runner.finish_at_window(session, pre, who.id, originals)
    pre.finished_transaction_id = tx.id
    corrected = sorted(k for k in originals if k in pre.data and "*" not in str(pre.data[k]))
    _event(session, pre, who, "finished", serial_no=tx.serial_no, **({"corrected": corrected} if corrected else {}))
    notices.pre_application_changed(session, pre, "finished", serial_no=tx.serial_no)
    session.flush()
    return {
        **_detail(session, pre),
        "message_zh": result.message_zh,
        "message_en": result.message_en,
        "details": result.details,
    }


def return_(session: Session, who: StaffIdentity, number: str, reason: str, bring: list[str]) -> dict[str, Any]:
    pre = get(session, number, for_update=True)
    _move(session, pre, PreApplicationStatus.returned)
    _event(session, pre, who, "returned", reason=reason, bring=bring)
    notices.pre_application_changed(session, pre, "returned", reason=reason, bring=bring)
    session.flush()
    return _detail(session, pre)


def audit_trail(session: Session, number: str) -> list[dict[str, Any]]:
    """Supervisor view: every audited step on this pre-application, with the clerk."""
    from ..persistence.models import AuditEntry, StaffAccount

    pre = get(session, number)
    rows = session.execute(
        select(AuditEntry, StaffAccount.username)
        .outerjoin(StaffAccount, StaffAccount.id == AuditEntry.actor_staff_id)
        .where(AuditEntry.action.like("window.%"), AuditEntry.subject_person_id == pre.subject_person_id)
        .order_by(AuditEntry.id)
    )
    return [
        {"at": _local(a.at), "action": a.action, "staff": user, "detail": a.detail}
        for a, user in rows
        if a.detail.get("number") == pre.number
    ]
