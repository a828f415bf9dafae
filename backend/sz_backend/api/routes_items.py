"""The catalogue and its business items."""

from __future__ import annotations

import json
from functools import lru_cache
from typing import Any

from fastapi import APIRouter, Depends, Header, Query, Response
from sqlalchemy.orm import Session

from ..catalogue import get_catalogue
from ..errors import BusinessError
from ..persistence.db import session_scope
from ..persistence.models import Person
from ..services import identity
from ..services.items import runner
from ..services.items.schema import public_field
from .deps import ContractRoute, bearer, run_idempotent
from .responses import Catalogue, CatalogueEntry, Eligibility, ItemResult, Options, Validation
from .schemas import ItemRequest

router = APIRouter(route_class=ContractRoute, tags=["items"])


def _entry(entry: Any) -> dict[str, Any]:
    """A catalogue entry with each field's schema (type, required, allowed values, format, rules)."""
    return entry.to_dict() | {"fields": [public_field(f) for f in entry.fields]}


@router.get(
    "/catalogue",
    summary="Every business item and service: names, mode, fields with their schema, materials",
    responses={200: {"model": Catalogue}},
)
def catalogue() -> Response:
    return Response(_catalogue_body(), media_type="application/json")


@lru_cache(maxsize=1)
def _catalogue_body() -> bytes:
    """Rendered once: the catalogue and its data files do not change while the process runs."""
    cat = get_catalogue()
    body = {
        "items": [_entry(e) for e in cat.items],
        "services": [_entry(e) for e in cat.services],
        "where_zh": cat.where_zh,
        "where_en": cat.where_en,
    }
    return json.dumps(body, ensure_ascii=False).encode("utf-8")


@router.get("/catalogue/{code}", response_model=CatalogueEntry, summary="One catalogue entry")
def catalogue_entry(code: str) -> dict[str, Any]:
    entry = get_catalogue().get(code)
    if entry is None:
        raise BusinessError(
            "ITEM_UNKNOWN",
            "没有这项业务",
            "No such business item",
            status=404,
            fix_zh="请从业务目录中选择要办理的业务",
            fix_en="Choose an item from the catalogue",
        )
    return _entry(entry)


@router.get(
    "/options",
    response_model=Options,
    summary="Which of the given items this person (and each linked child) can use now",
)
def options(
    codes: str = Query(min_length=1, max_length=2000, description="comma-separated item codes"),
    token: str | None = Depends(bearer),
) -> dict[str, Any]:
    with session_scope() as s:
        who = identity.authenticate(s, token)
        children = runner.linked_children(s, who.person)
        out: list[dict[str, Any]] = []
        for code in dict.fromkeys(c.strip() for c in codes.split(",") if c.strip()):
            entry = runner.item_entry(code)
            # No linked child: one entry saying so (NO_LINKED_CHILD), so a reason is never missing.
            subjects: list[int | None] = ([c.id for c in children] or [None]) if entry.acts_for == "child" else [None]
            out.extend(runner.check_eligibility(s, who.person, code, sid, who.channel) for sid in subjects)
        return {"options": out}


@router.get(
    "/items/{code}/eligibility",
    response_model=Eligibility,
    summary="Can this person use the item now (before giving any field)?",
)
def eligibility(
    code: str, subject_id: int | None = Query(default=None, ge=1, le=2**31 - 1), token: str | None = Depends(bearer)
) -> dict[str, Any]:
    with session_scope() as s:
        who = identity.authenticate(s, token)
        return runner.check_eligibility(s, who.person, code, subject_id, who.channel)


@router.post(
    "/items/{code}/validate",
    response_model=Validation,
    summary="Check fields (some or all) exactly as submission would, without changing anything",
)
def validate(code: str, body: ItemRequest, token: str | None = Depends(bearer)) -> dict[str, Any]:
    """200 {"values": {name: canonical}, "errors": {name: {code, message_*, fix_*}}, "missing": [required names
    not given], "preview": null | {"lines_zh", "lines_en"}, "eligible", "refusal", "subject_id", "subject_name"}.
    `preview` is there when nothing is missing, nothing is wrong and the person may use the item; an error
    that concerns no single field is listed under "_item"; `refusal` is the item's eligibility refusal."""
    with session_scope() as s:
        who = identity.authenticate(s, token)
        return runner.validate_item(s, who.person, code, body.subject_id, dict(body.fields), who.channel)


@router.post(
    "/items/{code}", response_model=ItemResult, summary="Carry out a business item: completed, or a pre-application"
)
def submit(
    code: str,
    body: ItemRequest,
    token: str | None = Depends(bearer),
    idempotency_key: str | None = Header(default=None),
) -> dict[str, Any]:
    with session_scope() as s:
        who = identity.authenticate(s, token)
        account_id, person_id, channel = who.account.id, who.person.id, who.channel

    def work(session: Session) -> dict[str, Any]:
        actor = session.get(Person, person_id)
        assert actor is not None  # the account's person (authenticated above)
        return runner.run_item(session, actor, code, body.subject_id, dict(body.fields), channel)

    return run_idempotent(account_id, idempotency_key, {"code": code, **body.model_dump()}, work)
