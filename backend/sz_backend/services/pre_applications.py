"""预申请进度查询: the status of a pre-application by its number.

Only the applicant, the person it is about, or a guardian of that person may see
it. Anyone else gets the same 404 as for a number that does not exist, so the
service never tells a stranger that a number is in use.
"""

from __future__ import annotations

from datetime import timezone
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..catalogue import get_catalogue
from ..clock import SHANGHAI
from ..errors import BusinessError, invalid
from ..persistence.models import Person, PreApplication, Transaction
from ..rules.numbers import is_valid_pre_application_number, normalize_pre_application_number
from . import documents, window
from .items.runner import linked_children

STATUS_TEXT: dict[str, tuple[str, str, str, str]] = {
    # status: (label zh, label en, next step zh, next step en)
    "submitted": (
        "已提交，待窗口办理",
        "submitted, waiting for you at a window",
        "请打印申请表，携带所列材料到窗口办理",
        "Print the form and bring the listed materials to a window",
    ),
    "processing": (
        "窗口办理中",
        "being processed at the window",
        "窗口正在办理，办结后会通知您",
        "The window is processing it; you will be told when it is done",
    ),
    "completed": ("已办结", "completed", "业务已办结，无需再办理", "Done: nothing more to do"),
    "rejected": ("未通过", "rejected", "请拨打12333或到窗口咨询原因", "Call 12333 or ask at a window for the reason"),
    "returned": (
        "已退回，需补充材料",
        "returned: something is missing",
        "请按退回原因补齐材料后再到窗口办理，编号不变",
        "Bring what is missing to a window; the number stays the same",
    ),
}


def _not_found() -> BusinessError:
    return BusinessError(
        "PRE_APPLICATION_NOT_FOUND",
        "没有找到您名下的这个预申请编号",
        "No pre-application with this number was found for you",
        status=404,
        field="number",
        fix_zh="请核对编号；只能查询本人或您监护的少儿的预申请",
        fix_en="Check the number; you can only see your own pre-applications or your children's",
    )


def _may_see(session: Session, actor: Person, pre: PreApplication) -> bool:
    if actor.id in (pre.applicant_person_id, pre.subject_person_id):
        return True
    return any(c.id == pre.subject_person_id for c in linked_children(session, actor))


def status(session: Session, actor: Person, number: str) -> dict[str, Any]:
    if not is_valid_pre_application_number(number):
        raise invalid(
            "PRE_APPLICATION_NUMBER_INVALID",
            "预申请编号格式不对或校验位不符，可能输错了",
            "The pre-application number looks mistyped: its format or check character is wrong",
            field="number",
            fix_zh="请对照申请表核对编号，格式如 YS2026000012347",
            fix_en="Check the number against the printed form; it looks like YS2026000012347",
        )
    number = normalize_pre_application_number(number)
    pre = session.scalar(select(PreApplication).where(PreApplication.number == number))
    if pre is None or not _may_see(session, actor, pre):
        raise _not_found()
    catalogue = get_catalogue()
    entry = catalogue.get(pre.item_code)
    subject = session.get(Person, pre.subject_person_id)
    label_zh, label_en, next_zh, next_en = STATUS_TEXT[pre.status.value]
    # Stored in UTC; SQLite hands it back naive.
    created = (pre.created_at if pre.created_at.tzinfo else pre.created_at.replace(tzinfo=timezone.utc)).astimezone(
        SHANGHAI
    )
    history = window.history(session, pre)
    serial_no = None
    if pre.finished_transaction_id:
        finished = session.get(Transaction, pre.finished_transaction_id)
        serial_no = finished.serial_no if finished else None
    returned = (
        next((h for h in reversed(history) if h["action"] == "returned"), None)
        if pre.status.value == "returned"
        else None
    )
    done_zh, done_en = "", ""
    if serial_no:
        done_zh, done_en = f"业务流水号{serial_no}。", f"Serial number {serial_no}. "
    if returned:
        bring_zh, bring_en = "、".join(returned.get("bring") or []), "; ".join(returned.get("bring") or [])
        done_zh = f"退回原因：{returned.get('reason')}。" + (f"请携带：{bring_zh}。" if bring_zh else "")
        done_en = f"Reason: {returned.get('reason')}. " + (f"Please bring: {bring_en}. " if bring_en else "")
    return {
        "history": history,
        "serial_no": serial_no,
        "returned": {"reason": returned.get("reason"), "bring": returned.get("bring") or []} if returned else None,
        "number": pre.number,
        "status": pre.status.value,
        "status_zh": label_zh,
        "status_en": label_en,
        "item_code": pre.item_code,
        "item_name_zh": entry.name_zh if entry else pre.item_code,
        "item_name_en": entry.name_en if entry else pre.item_code,
        "subject_id": pre.subject_person_id,
        "subject_name": subject.name if subject else None,
        "created_at": created.isoformat(),
        "data": pre.data,
        "materials": pre.materials,
        "mismatches": pre.mismatches,
        "where_zh": catalogue.where_zh,
        "where_en": catalogue.where_en,
        "form_url": documents.signed_url(pre.number),
        "message_zh": f"预申请{pre.number}（{entry.name_zh if entry else pre.item_code}）：{label_zh}。{done_zh}{next_zh}。",
        "message_en": f"Pre-application {pre.number} ({entry.name_en if entry else pre.item_code}): {label_en}. "
        f"{done_en}{next_en}.",
    }
