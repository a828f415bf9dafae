"""Does this card belong to this person? (the cooperating bank's answer)

Registration proves identity the way the real system does: the bank confirms
that the card number belongs to the person with this name and ID number and that
the phone number given is the one the bank holds for it; a one-time code then
goes to that phone. ``SZ_BANK_VERIFIER``:
- ``records`` (default): the ``bank_card_records`` table, the banks' records as
  this backend knows them (seeded for the demo people; filled from the bank
  accounts on file when the table was created);
- ``package.module:Class``: a class with the ``verify`` method below that asks
  the bank's real interface.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import Protocol

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..persistence.models import BankCardRecord
from ..settings import get_settings
from .items.comparison import same_name


@dataclass(frozen=True)
class CardCheck:
    bank: str
    card_no: str
    name: str
    id_number: str
    phone: str


class BankVerifier(Protocol):
    def verify(self, session: Session, check: CardCheck) -> bool:
        """True only when the bank holds this card for this name, ID number and phone."""


class RecordsBankVerifier:
    def verify(self, session: Session, check: CardCheck) -> bool:
        row = session.scalar(
            select(BankCardRecord).where(
                BankCardRecord.bank_name == check.bank, BankCardRecord.card_no == check.card_no
            )
        )
        return (
            row is not None
            and row.opened_in_shenzhen
            and same_name(row.holder_name, check.name)
            and row.holder_id_number.upper() == check.id_number.upper()
            and row.phone == check.phone
        )


def load_adapter(spec: str) -> object:
    module, _, name = spec.partition(":")
    return getattr(importlib.import_module(module), name)()


def verifier() -> BankVerifier:
    spec = get_settings().bank_verifier
    if spec == "records":
        return RecordsBankVerifier()
    return load_adapter(spec)  # type: ignore[return-value]
