"""One open pre-application per item and person.

A pre-application only waits for the person to come to a window; a second one for
the same item would be a duplicate the window has to sort out. So while one is
open, the item is refused with the existing number (not personal data), which is
also how someone who lost the number gets it back. The pre-application items call
this in their checks (refused before any field is asked); the runner calls it for
every other outcome that would become a pre-application (a failed comparison, an ID
upgrade that cannot be computed), in the submission and in the validate preview.
"""

from __future__ import annotations

from sqlalchemy import select

from ...errors import refused
from ...persistence.models import PreApplication, PreApplicationStatus
from .base import ItemContext

OPEN = (PreApplicationStatus.submitted, PreApplicationStatus.processing, PreApplicationStatus.returned)


def refuse_if_open_pre_application(ctx: ItemContext) -> None:
    open_one = ctx.session.scalar(
        select(PreApplication)
        .where(
            PreApplication.subject_person_id == ctx.subject.id,
            PreApplication.item_code == ctx.entry.code,
            PreApplication.status.in_(OPEN),
            PreApplication.id != (ctx.pre_application_id or 0),
        )
        .order_by(PreApplication.id.desc())
        .limit(1)
    )
    if open_one is not None:
        raise refused(
            "PRE_APPLICATION_PENDING",
            f"您已提交过“{ctx.entry.name_zh}”的预申请（编号{open_one.number}），尚未办结",
            f"You already have an open pre-application for this item (number {open_one.number})",
            fix_zh="请携带材料到窗口办理，或用“预申请进度查询”查看进度",
            fix_en="Bring the materials to a service window, or check its status with the number",
            number=open_one.number,
        )
