"""The person's own view: masked identity, enrolments, accounts, linked children."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..persistence.models import Enrolment, Person, Transfer, TransferStatus
from ..rules.masking import mask_bank_account, mask_id_number, mask_phone
from .items.runner import linked_children


def _enrolments(session: Session, person: Person) -> list[dict[str, Any]]:
    rows = session.scalars(select(Enrolment).where(Enrolment.person_id == person.id).order_by(Enrolment.id))
    return [
        {
            "insurance": e.insurance.value,
            "scheme": e.scheme.value,
            "status": e.status.value,
            "medical_tier": e.medical_tier,
            "pension_grade": e.pension_grade,
            "start_month": e.start_month,
            "end_month": e.end_month,
        }
        for e in rows
    ]


def person_summary(session: Session, person: Person) -> dict[str, Any]:
    return {
        "id": person.id,
        "name": person.name,
        "id_number": mask_id_number(person.id_number),
        "id_number_length": len(person.id_number),
        "gender": person.gender,
        "birth_date": person.birth_date.isoformat(),
        "hukou_category": person.hukou_category.value,
        "in_school": person.in_school,
        "is_retired": person.is_retired,
        "enrolments": _enrolments(session, person),
    }


def profile(session: Session, person: Person) -> dict[str, Any]:
    transfers = session.scalars(
        select(Transfer).where(
            Transfer.person_id == person.id, Transfer.status.in_((TransferStatus.submitted, TransferStatus.accepted))
        )
    )
    return person_summary(session, person) | {
        "phone": mask_phone(person.phone),
        "bank_accounts": [
            {
                "bank_name": b.bank_name,
                "account_no": mask_bank_account(b.account_no),
                "is_payment_account": b.is_payment_account,
            }
            for b in person.bank_accounts
        ],
        "social_security_cards": [
            {"bank_name": c.bank_name, "card_no": mask_bank_account(c.card_no), "activated": c.activated}
            for c in person.cards
        ],
        "transfers": [
            {
                "insurance": t.insurance.value,
                "destination_province": t.destination_province,
                "destination_city": t.destination_city,
                "status": t.status.value,
            }
            for t in transfers
        ],
        "children": [person_summary(session, c) for c in linked_children(session, person)],
    }
