"""The services besides the catalogue items: payment, contribution details,
certificate, pre-application status, new-user registration, document download."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Header, Query
from fastapi.responses import Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from ..errors import BusinessError
from ..persistence.db import session_scope
from ..persistence.models import Person, SmsOutbox
from ..services import certificate, contributions, documents, identity, payments, pre_applications, registration
from ..settings import get_settings
from .deps import ContractRoute, bearer, channel_header, run_idempotent
from .responses import (
    Certificate,
    Contributions,
    Outbox,
    Payment,
    PreApplicationStatus,
    Quote,
    Registered,
    RegistrationCode,
)
from .schemas import PaymentRequest, RegisterAccountRequest, RegistrationCodeRequest

router = APIRouter(route_class=ContractRoute, tags=["services"])
MONTH = r"^\d{4}-(0[1-9]|1[0-2])$"


@router.post(
    "/services/self_service_payment",
    response_model=Payment,
    summary="Pay this month's contribution (working days 09:00-17:00)",
)
def self_service_payment(
    body: PaymentRequest, token: str | None = Depends(bearer), idempotency_key: str | None = Header(default=None)
) -> dict[str, Any]:
    with session_scope() as s:
        who = identity.authenticate(s, token)
        account_id, person_id, channel = who.account.id, who.person.id, who.channel

    def work(session: Session) -> dict[str, Any]:
        actor = session.get(Person, person_id)
        assert actor is not None  # the account's person (authenticated above)
        return payments.self_service_payment(session, actor, body.subject_id, channel)

    return run_idempotent(account_id, idempotency_key, {"service": "self_service_payment", **body.model_dump()}, work)


@router.get(
    "/services/self_service_payment/quote",
    response_model=Quote,
    summary="What paying this month would charge, and from which account (refusals as for paying)",
)
def self_service_payment_quote(token: str | None = Depends(bearer)) -> dict[str, Any]:
    with session_scope() as s:
        who = identity.authenticate(s, token)
        return payments.quote(s, who.person)


@router.get(
    "/services/contributions",
    response_model=Contributions,
    summary="Monthly contribution details of the five insurances",
)
def query_contributions(
    from_month: str | None = Query(default=None, pattern=MONTH),
    to_month: str | None = Query(default=None, pattern=MONTH),
    subject_id: int | None = Query(default=None, ge=1, le=2**31 - 1),
    token: str | None = Depends(bearer),
) -> dict[str, Any]:
    with session_scope() as s:
        who = identity.authenticate(s, token)
        return contributions.query(s, who.person, subject_id, from_month, to_month, who.channel)


@router.post(
    "/services/certificate",
    response_model=Certificate,
    summary="Issue an insurance certificate PDF; returns its download link",
)
def print_certificate(body: PaymentRequest, token: str | None = Depends(bearer)) -> dict[str, Any]:
    with session_scope() as s:
        who = identity.authenticate(s, token)
        return certificate.issue(s, who.person, body.subject_id, who.channel)


@router.get(
    "/pre-applications/{number}",
    response_model=PreApplicationStatus,
    summary="Status of a pre-application by its number",
)
def pre_application_status(number: str, token: str | None = Depends(bearer)) -> dict[str, Any]:
    with session_scope() as s:
        who = identity.authenticate(s, token)
        return pre_applications.status(s, who.person, number)


@router.post(
    "/accounts/code",
    response_model=RegistrationCode,
    summary="Registration step 1: the bank confirms the card; a one-time code goes by SMS to the phone the bank holds",
)
def registration_code(body: RegistrationCodeRequest, channel: str = Depends(channel_header)) -> dict[str, Any]:
    with session_scope() as s:
        return registration.request_code(s, body, channel)


@router.post(
    "/accounts",
    response_model=Registered,
    summary="Registration step 2: the account (needs the one-time code of step 1)",
)
def register_account(body: RegisterAccountRequest, channel: str = Depends(channel_header)) -> dict[str, Any]:
    with session_scope() as s:
        return registration.register(s, body, channel)


@router.get(
    "/dev/sms-outbox",
    response_model=Outbox,
    summary="Development only: the text messages the outbox SMS adapter kept",
    include_in_schema=False,
)
def sms_outbox(phone: str = Query(min_length=5, max_length=20)) -> dict[str, Any]:
    settings = get_settings()
    if not (settings.dev_mode and settings.sms_gateway == "outbox"):
        raise BusinessError("NOT_FOUND", "找不到该地址", "Not found", status=404)
    with session_scope() as s:
        rows = s.scalars(select(SmsOutbox).where(SmsOutbox.phone == phone).order_by(SmsOutbox.id.desc()).limit(10))
        return {"messages": [{"text": r.text, "at": r.created_at.isoformat()} for r in rows]}


@router.get(
    "/documents/{number}.pdf",
    summary="Download a generated PDF through its signed link",
    response_class=Response,
    responses={200: {"content": {"application/pdf": {}}}},
)
def download(number: str, exp: int = Query(ge=0, le=2**40), sig: str = Query(min_length=1, max_length=64)) -> Response:
    with session_scope() as s:
        doc = documents.fetch(s, number, exp, sig)
        return Response(
            doc.content,
            media_type="application/pdf",
            headers={"Content-Disposition": f'inline; filename="{doc.number}.pdf"'},
        )
