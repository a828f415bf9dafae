"""What every business item handler gets and returns.

A handler holds the rules of one catalogue item: `check` (eligibility from the
person's stored state, before any field is asked for), `field_errors` (the rules
on the given fields that the type alone cannot decide: cross-field, against the
person's records), `preview` (what will happen, in plain lines, before anything
changes) and `execute` (the item's effect on stored state, given valid fields).
Submission and the validate call run the same `check` and `field_errors`. The runner (`runner.py`) does
everything common: authority, field validation, the transaction record, serial
and pre-application numbers, the printable form, the audit log.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, ClassVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from ...catalogue import CatalogueEntry
from ...clock import add_months, month_key
from ...errors import BusinessError
from ...persistence.models import (
    Enrolment,
    EnrolmentEvent,
    EnrolmentStatus,
    InsuranceType,
    Person,
    Scheme,
    Transaction,
)


@dataclass
class ItemContext:
    session: Session
    entry: CatalogueEntry
    actor: Person
    subject: Person
    channel: str
    now: datetime
    fields: dict[str, Any] = field(default_factory=dict)
    # Finishing a pre-application at a service window: the clerk has checked the originals,
    # so registry comparisons no longer send it back, and its own open pre-application is not a duplicate.
    at_window: bool = False
    pre_application_id: int | None = None

    @property
    def this_month(self) -> str:
        return month_key(self.now)

    @property
    def next_month(self) -> str:
        return add_months(self.this_month, 1)

    def enrolments(
        self,
        *,
        person: Person | None = None,
        insurance: InsuranceType | None = None,
        schemes: tuple[Scheme, ...] | None = None,
        statuses: tuple[EnrolmentStatus, ...] | None = None,
    ) -> list[Enrolment]:
        stmt = select(Enrolment).where(Enrolment.person_id == (person or self.subject).id)
        if insurance is not None:
            stmt = stmt.where(Enrolment.insurance == insurance)
        if schemes is not None:
            stmt = stmt.where(Enrolment.scheme.in_(schemes))
        if statuses is not None:
            stmt = stmt.where(Enrolment.status.in_(statuses))
        return list(self.session.scalars(stmt.order_by(Enrolment.id)))


@dataclass
class Mismatch:
    """One field where the submitted data and the hukou registry disagree."""

    field: str
    label_zh: str
    label_en: str
    submitted: str
    registry: str
    fix_zh: str
    fix_en: str


@dataclass
class ItemResult:
    completed: bool  # False -> becomes a pre-application
    message_zh: str
    message_en: str
    details: dict[str, Any] = field(default_factory=dict)
    mismatches: list[Mismatch] = field(default_factory=list)


class ItemHandler:
    code: ClassVar[str]

    def check(self, ctx: ItemContext) -> None:
        """Raise a BusinessError when this person cannot use the item now."""

    def field_errors(self, ctx: ItemContext) -> Iterator[BusinessError]:
        """Yield every rule broken by the given fields, each naming its field. `ctx.fields` holds the
        values that passed their type (in a validate call possibly only some): check only what is there.
        Submission raises the first; the validate call reports them all."""
        return iter(())

    def required_now(self, ctx: ItemContext) -> list[str]:
        """Optional fields that the given ones make required (e.g. an account number with a bank)."""
        return []

    def current_values(self, ctx: ItemContext) -> dict[str, Any]:
        """The value a change item's field has now (e.g. the present pension grade), by field name: listed
        as the field's `schema.current` in the eligibility answer, so that a client can read a change said
        relative to it ("往上调两档", "one tier higher") without keeping a copy of the record."""
        return {}

    def expected_outcome(self, ctx: ItemContext) -> str | None:
        """ "completed" or "pre_application" when the handler can tell in advance (a compare item that
        already sees the registry's answer); None: the catalogue mode decides."""
        return None

    def preview(self, ctx: ItemContext) -> list[tuple[str, str]]:
        """What submitting will do, as (zh, en) lines, for complete valid fields. Reads only."""
        return []

    def execute(self, ctx: ItemContext, tx: Transaction) -> ItemResult:
        raise NotImplementedError


REGISTRY: dict[str, ItemHandler] = {}


def handler(cls: type[ItemHandler]) -> type[ItemHandler]:
    """Class decorator: register one handler instance under its catalogue code."""
    if cls.code in REGISTRY:
        raise RuntimeError(f"duplicate handler for {cls.code}")
    REGISTRY[cls.code] = cls()
    return cls


def change_enrolment(ctx: ItemContext, enrolment: Enrolment, tx: Transaction, change: str, **detail: Any) -> None:
    """Record one change of an enrolment in its history (same unit of work as the change)."""
    ctx.session.add(EnrolmentEvent(enrolment_id=enrolment.id, change=change, detail=detail, transaction_id=tx.id))


def stop_enrolments(ctx: ItemContext, enrolments: list[Enrolment], tx: Transaction) -> str:
    """Stop from next month: this month stays covered (it may already be paid)."""
    last = ctx.this_month
    for e in enrolments:
        e.status = EnrolmentStatus.stopped
        e.end_month = last
        change_enrolment(ctx, e, tx, "stopped", last_month=last)
    return last
