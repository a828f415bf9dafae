"""The service-window console API (staff only) and the residents' notices."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, BackgroundTasks, Depends, Query, Request
from fastapi.responses import PlainTextResponse
from sqlalchemy import select

from ..errors import invalid
from ..persistence.db import session_scope
from ..persistence.models import SmsOutbox, StaffRole
from ..rules.masking import mask_phone
from ..services import identity, notices, staff, window
from ..services.analytics import report
from .deps import ContractRoute, bearer
from .responses import (
    AnalyticsSummary,
    AuditTrail,
    Notices,
    Ok,
    StaffMe,
    StaffOutbox,
    StaffToken,
    WindowDetail,
    WindowFind,
)
from .schemas import FinishRequest, MaterialsRequest, ReturnRequest, StaffLoginRequest

router = APIRouter(route_class=ContractRoute, prefix="/window", tags=["window"])
residents = APIRouter(route_class=ContractRoute, tags=["services"])


@router.post(
    "/auth/login", response_model=StaffToken, summary="Staff log-in (clerk or supervisor); returns a bearer token"
)
def login(body: StaffLoginRequest, request: Request) -> dict[str, Any]:
    source = request.client.host if request.client else None
    with session_scope() as s:
        return staff.login(s, body.username, body.password, source=source)


@router.post("/auth/logout", response_model=Ok, summary="Revoke the staff token")
def logout(token: str | None = Depends(bearer)) -> dict[str, Any]:
    with session_scope() as s:
        staff.authenticate(s, token)
        staff.logout(s, token or "")
    return {"ok": True}


@router.get("/me", response_model=StaffMe, summary="The logged-in clerk")
def me(token: str | None = Depends(bearer)) -> dict[str, Any]:
    with session_scope() as s:
        a = staff.authenticate(s, token).staff
        return {"username": a.username, "display_name": a.display_name, "role": a.role.value}


@router.get(
    "/pre-applications",
    response_model=WindowFind,
    summary="Find pre-applications by number or by the resident's ID number",
)
def find(
    number: str | None = Query(default=None, max_length=40),
    id_number: str | None = Query(default=None, max_length=24),
    token: str | None = Depends(bearer),
) -> dict[str, Any]:
    with session_scope() as s:
        who = staff.authenticate(s, token)
        return window.find(s, who, number=number, id_number=id_number)


@router.get(
    "/pre-applications/{number}",
    response_model=WindowDetail,
    summary="One pre-application: item, data (masked), materials, comparison",
)
def detail(number: str, token: str | None = Depends(bearer)) -> dict[str, Any]:
    with session_scope() as s:
        return window.detail(s, staff.authenticate(s, token), number)


@router.post(
    "/pre-applications/{number}/materials",
    response_model=WindowDetail,
    summary="Mark materials of the checklist as received",
)
def receive(number: str, body: MaterialsRequest, token: str | None = Depends(bearer)) -> dict[str, Any]:
    with session_scope() as s:
        return window.receive_materials(s, staff.authenticate(s, token), number, body.received)


@router.post(
    "/pre-applications/{number}/finish",
    response_model=WindowDetail,
    summary="Finish it: the item's effect by its own handler, a serial number, the resident told",
)
def finish(
    number: str, body: FinishRequest, tasks: BackgroundTasks, token: str | None = Depends(bearer)
) -> dict[str, Any]:
    with session_scope() as s:
        result = window.finish(s, staff.authenticate(s, token), number, dict(body.originals))
    tasks.add_task(notices.deliver_pending)
    return result


@router.post(
    "/pre-applications/{number}/return",
    response_model=WindowDetail,
    summary="Return it with a reason and what to bring",
)
def return_(
    number: str, body: ReturnRequest, tasks: BackgroundTasks, token: str | None = Depends(bearer)
) -> dict[str, Any]:
    bring = [b.strip() for b in body.bring if b.strip()]
    if any(len(b) > 100 for b in bring):
        raise invalid(
            "BRING_TOO_LONG", "每项材料不超过100个字", "Each item to bring is at most 100 characters", field="bring"
        )
    with session_scope() as s:
        result = window.return_(s, staff.authenticate(s, token), number, body.reason.strip(), bring)
    tasks.add_task(notices.deliver_pending)
    return result


@router.get(
    "/pre-applications/{number}/audit", response_model=AuditTrail, summary="Every audited window step (supervisors)"
)
def audit_trail(number: str, token: str | None = Depends(bearer)) -> dict[str, Any]:
    with session_scope() as s:
        staff.authenticate(s, token, role=StaffRole.supervisor)
        return {"entries": window.audit_trail(s, number)}


@router.get(
    "/sms-outbox",
    response_model=StaffOutbox,
    summary="The development SMS outbox, newest first (supervisors; phones masked)",
)
def sms_outbox(limit: int = Query(default=20, ge=1, le=200), token: str | None = Depends(bearer)) -> dict[str, Any]:
    with session_scope() as s:
        staff.authenticate(s, token, role=StaffRole.supervisor)
        rows = s.scalars(select(SmsOutbox).order_by(SmsOutbox.id.desc()).limit(limit))
        return {
            "messages": [
                {"phone": mask_phone(r.phone), "text": r.text, "purpose": r.purpose, "at": r.created_at.isoformat()}
                for r in rows
            ]
        }


@router.get(
    "/analytics/summary",
    response_model=AnalyticsSummary,
    summary="Conversation analytics for the dashboard (supervisors)",
)
def analytics_summary(
    days: int = Query(default=30, ge=1, le=366), token: str | None = Depends(bearer)
) -> dict[str, Any]:
    with session_scope() as s:
        staff.authenticate(s, token, role=StaffRole.supervisor)
        return report.summary(s, days)


@router.get(
    "/analytics/not-understood.yml",
    response_class=PlainTextResponse,
    summary="Messages not understood, in Rasa's NLU YAML format, for review (supervisors)",
)
def analytics_nlu_export(
    days: int = Query(default=30, ge=1, le=366), token: str | None = Depends(bearer)
) -> PlainTextResponse:
    with session_scope() as s:
        staff.authenticate(s, token, role=StaffRole.supervisor)
        text = report.nlu_export(s, days)
    return PlainTextResponse(
        text,
        media_type="application/x-yaml; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="not-understood.yml"'},
    )


@residents.get(
    "/notices", response_model=Notices, summary="Notices not shown yet (the widget shows them at the next visit)"
)
def my_notices(
    language: str = Query(default="zh", pattern="^(zh|en)$"), token: str | None = Depends(bearer)
) -> dict[str, Any]:
    with session_scope() as s:
        who = identity.authenticate(s, token)
        return {"notices": notices.for_visit(s, who.person.id, language)}
