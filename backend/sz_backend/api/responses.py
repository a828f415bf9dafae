"""Response bodies: the typed contract of every JSON route (issue 13).

Each route declares one of these as its `response_model`, so the OpenAPI document names
the shape of every answer and FastAPI checks each answer against it. The services still
build plain dicts; the models describe them without changing a byte the clients read:

- the routers send only the keys a handler gave (`response_model_exclude_unset`, set for
  every route by `deps.ContractRoute`), so an optional key that a handler leaves out
  stays out, and one it sets to null stays null;
- fields are declared in the order the services write them, so the JSON keeps its order;
- payloads that differ per item or per step (an item's `details`, a history entry's
  step details, the fields' canonical values) are typed as their common envelope with
  the rest open (`extra="allow"` or `dict[str, Any]`).

tests/backend/conftest.py compares, for every response of the backend suite, what the
route sends with what the handler returned (same keys, same values, same order), and
tests/backend/test_contract.py that every JSON route names a response schema.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from ..services.items.base import Mismatch  # a dataclass: one definition for the services and the contract
from .schemas import ErrorBody


class Body(BaseModel):
    """A response part whose keys are all declared."""


class Open(BaseModel):
    """A response part with a declared envelope and further keys of its own (kept in order)."""

    model_config = ConfigDict(extra="allow")


# -- plain answers -----------------------------------------------------------------------------------


class Health(Body):
    status: str


class Ok(Body):
    ok: bool


class Unbound(Body):
    unbound: bool


class Messages(Body):
    message_zh: str
    message_en: str


# -- identity ------------------------------------------------------------------------------------------


class Token(Body):
    """A resident's bearer token (log-in, channel binding, channel token, phone caller)."""

    token: str
    token_type: str
    expires_at: str
    person_id: int
    name: str


class StaffMe(Body):
    username: str
    display_name: str
    role: str


class StaffToken(Body):
    token: str
    token_type: str
    expires_at: str
    username: str
    display_name: str
    role: str


class EnrolmentView(Body):
    insurance: str
    scheme: str
    status: str
    medical_tier: int | None
    pension_grade: int | None
    start_month: str
    end_month: str | None


class PersonSummary(Body):
    id: int
    name: str
    id_number: str = Field(description="masked")
    id_number_length: int
    gender: str
    birth_date: str
    hukou_category: str
    in_school: bool
    is_retired: bool
    enrolments: list[EnrolmentView]


class BankAccountView(Body):
    bank_name: str
    account_no: str = Field(description="masked")
    is_payment_account: bool


class CardView(Body):
    bank_name: str
    card_no: str = Field(description="masked")
    activated: bool


class TransferView(Body):
    insurance: str
    destination_province: str
    destination_city: str
    status: str


class Profile(PersonSummary):
    """GET /me: the person (masked), accounts, cards, open transfers and linked children."""

    phone: str = Field(description="masked")
    bank_accounts: list[BankAccountView]
    social_security_cards: list[CardView]
    transfers: list[TransferView]
    children: list[PersonSummary]


# -- catalogue and items --------------------------------------------------------------------------------


class AllowedValue(Open):
    """One value of a closed list (a city also names its province and prefecture)."""

    value: Any = Field(description="the canonical value (a string, number or boolean, as the field's type)")
    label_zh: str
    label_en: str
    aliases: list[str] = []


class FieldSchema(Open):
    """How a field is checked. The keys after `format_en` depend on the field's type and
    come in its own order: `pattern` (formatted numbers), `max_length` and `text_format`
    (text), `province_field` (a city), `rule_zh` / `rule_en` (the item's own rule)."""

    type: str
    required: bool
    allowed: list[AllowedValue] | None
    format_zh: str
    format_en: str


class PublicField(Body):
    name: str
    type: str
    required: bool
    label_zh: str
    label_en: str
    choices: list[str]
    schema_: FieldSchema = Field(alias="schema")


class Material(Body):
    zh: str
    en: str


class CatalogueMaterial(Body):
    key: str
    zh: str
    en: str


class CatalogueEntry(Open):
    """One item or service of the catalogue with each field's schema."""

    code: str
    name_zh: str
    name_en: str
    kind: str
    mode: str
    acts_for: str
    fields: list[PublicField]
    materials: list[CatalogueMaterial]


class Catalogue(Body):
    """GET /catalogue (sent pre-rendered: the model documents it)."""

    items: list[CatalogueEntry]
    services: list[CatalogueEntry]
    where_zh: str
    where_en: str


class Eligibility(Body):
    """Can this person (or this child) use the item now; `reason` when not."""

    code: str
    eligible: bool
    subject_id: int | None
    subject_name: str | None = None
    mode: str | None = None
    fields: list[PublicField] | None = None
    reason: ErrorBody | None = None


class Options(Body):
    options: list[Eligibility]


class FieldError(ErrorBody):
    """An error as the validate calls list it (under its field, or `_item`)."""


class Preview(Body):
    lines_zh: list[str]
    lines_en: list[str]
    outcome: str


class Validation(Body):
    """POST /items/{code}/validate: canonical values, errors by field, what is missing, the preview."""

    code: str
    subject_id: int
    subject_name: str
    values: dict[str, Any] = Field(description="canonical value by field name (types per field)")
    errors: dict[str, FieldError]
    missing: list[str]
    preview: Preview | None
    eligible: bool
    refusal: FieldError | None


class IssuedPreApplication(Body):
    number: str
    materials: list[Material]
    where_zh: str
    where_en: str
    form_url: str
    mismatches: list[Mismatch]


class ItemResult(Body):
    """POST /items/{code}: completed (serial number), or a pre-application to finish at a window."""

    code: str
    name_zh: str
    name_en: str
    serial_no: str
    subject_id: int
    subject_name: str
    message_zh: str
    message_en: str
    details: dict[str, Any] = Field(description="what the item did; keys per item")
    outcome: str = Field(description="completed or pre_application")
    pre_application: IssuedPreApplication | None = None
    idempotent_replay: bool | None = Field(default=None, description="true when this repeats an earlier answer")


# -- services ----------------------------------------------------------------------------------------------


class PaymentLine(Body):
    month: str
    insurance: str
    insurance_zh: str
    scheme: str
    base_fen: int
    base_yuan: str
    amount_fen: int
    amount_yuan: str


class PaymentAccount(Body):
    bank_name: str
    account_no: str = Field(description="masked")
    kind: str = Field(description="card (financial social security card) or bank")


class Quote(Body):
    month: str
    items: list[PaymentLine]
    total_fen: int
    total_yuan: str
    account: PaymentAccount


class Payment(Body):
    code: str
    outcome: str
    serial_no: str
    subject_id: int
    month: str
    items: list[PaymentLine]
    total_fen: int
    total_yuan: str
    account: PaymentAccount
    message_zh: str
    message_en: str
    idempotent_replay: bool | None = None


class ContributionLine(Body):
    insurance: str
    insurance_zh: str
    insurance_en: str
    scheme: str
    base_fen: int
    base_yuan: str
    employer_fen: int
    employer_yuan: str
    personal_fen: int
    personal_yuan: str
    total_fen: int
    total_yuan: str
    status: str
    status_zh: str


class ContributionMonth(Body):
    month: str
    items: list[ContributionLine]
    employer_fen: int
    employer_yuan: str
    personal_fen: int
    personal_yuan: str
    total_fen: int
    total_yuan: str


class ContributionTotal(Body):
    months: int
    employer_fen: int
    employer_yuan: str
    personal_fen: int
    personal_yuan: str
    total_fen: int
    total_yuan: str


class ContributionTotals(Body):
    by_insurance: dict[str, ContributionTotal]
    all: ContributionTotal


class PensionMonths(Body):
    recorded: int
    prior: int
    extended: int
    total: int


class Contributions(Body):
    code: str
    subject_id: int
    subject_name: str
    id_number: str = Field(description="masked")
    from_month: str | None
    to_month: str | None
    months: list[ContributionMonth]
    totals: ContributionTotals
    failed_months: list[str]
    pension_paid_months: PensionMonths
    message_zh: str
    message_en: str


class Certificate(Body):
    code: str
    certificate_no: str
    url: str
    subject_id: int
    subject_name: str
    contribution_rows: int
    pension_paid_months: PensionMonths
    message_zh: str
    message_en: str


class HistoryEntry(Open):
    """A step of a pre-application; the step's own details (received, reason, bring, ...) follow."""

    at: str
    action: str
    status: str


class Returned(Open):
    reason: str | None = None
    bring: list[str] | None = None


class PreApplicationStatus(Body):
    """GET /pre-applications/{number}: the resident's view of a pre-application."""

    history: list[HistoryEntry]
    serial_no: str | None
    returned: Returned | None = None
    number: str
    status: str
    status_zh: str
    status_en: str
    item_code: str
    item_name_zh: str
    item_name_en: str
    subject_id: int
    subject_name: str | None
    created_at: str
    data: dict[str, Any] = Field(description="the submitted fields (numbers masked)")
    materials: list[Material]
    mismatches: list[Mismatch]
    where_zh: str
    where_en: str
    form_url: str | None
    message_zh: str
    message_en: str


class Notice(Body):
    id: int
    kind: str
    text: str
    text_zh: str
    text_en: str


class Notices(Body):
    notices: list[Notice]


# -- registration -------------------------------------------------------------------------------------------


class RegistrationCode(Body):
    otp_id: str
    phone: str = Field(description="masked")
    expires_in_seconds: int
    message_zh: str
    message_en: str


class Registered(Body):
    code: str
    username: str
    person_id: int
    name: str
    id_number: str = Field(description="masked")
    phone: str = Field(description="masked")
    bank_name: str
    bank_account: str = Field(description="masked")
    is_payment_account: bool
    message_zh: str
    message_en: str


class SetupLink(Body):
    url: str
    expires_in_seconds: int
    message_zh: str
    message_en: str


class RegistrationCheck(Body):
    values: dict[str, str] = Field(description="canonical value by field name")
    errors: dict[str, ErrorBody]


class OutboxMessage(Body):
    text: str
    at: str


class Outbox(Body):
    messages: list[OutboxMessage]


# -- the service window ----------------------------------------------------------------------------------------


class WindowSummary(Body):
    number: str
    status: str
    item_code: str
    item_name_zh: str
    subject_name: str | None
    subject_id_number: str | None = Field(description="masked")
    created_at: str


class WindowFind(Body):
    results: list[WindowSummary]


class Subject(Body):
    name: str
    id_number: str = Field(description="masked")
    phone: str | None = Field(description="masked")


class Applicant(Body):
    name: str
    id_number: str = Field(description="masked")


class DataRow(Body):
    name: str
    label_zh: str
    label_en: str
    value: Any
    needs_original: bool


class Comparison(Body):
    result: str
    mismatches: list[Mismatch]


class MaterialRow(Body):
    index: int
    zh: str | None
    en: str | None
    received: bool


class WindowDetail(WindowSummary):
    """A pre-application as the clerk sees it; finishing adds the result's messages and details."""

    item_name_en: str
    channel: str | None
    subject: Subject
    applicant: Applicant | None
    data: list[DataRow]
    comparison: Comparison
    online_result: dict[str, Any] | None = Field(description="the details of the online step; keys per item")
    materials: list[MaterialRow]
    all_received: bool
    serial_no: str | None
    history: list[HistoryEntry]
    message_zh: str | None = None
    message_en: str | None = None
    details: dict[str, Any] | None = None


class AuditEntryView(Body):
    at: str
    action: str
    staff: str | None
    detail: dict[str, Any]


class AuditTrail(Body):
    entries: list[AuditEntryView]


class OutboxRow(Body):
    phone: str = Field(description="masked")
    text: str
    purpose: str
    at: str


class StaffOutbox(Body):
    messages: list[OutboxRow]


class Latency(Body):
    p50: int
    p95: int
    count: int


class ItemFunnel(Open):
    """One item's sessions per step (started, collect, confirm, confirmed, completed, ..., dropped)."""

    item_code: str


class DailyRow(Body):
    day: str
    channel: str
    sessions: int
    handoffs: int
    turns: int
    fallbacks: int
    fallback_rate: float
    handoff_rate: float


class NotUnderstood(Body):
    text: str
    best_guess: str | None
    confidence: float | None
    channel: str | None
    first_seen: str
    times: int


class AnalyticsSummary(Body):
    days: int
    sessions: int
    contained: int
    containment_rate: float | None
    items_finished: int
    latency_ms: Latency | None
    items: list[ItemFunnel]
    daily: list[DailyRow]
    not_understood: list[NotUnderstood]
