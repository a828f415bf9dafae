"""Persistent state of the business core (SQLAlchemy 2, typed mappings).

Months are stored as "YYYY-MM" strings (sortable, no day-of-month ambiguity);
money as integer fen; timestamps as aware UTC datetimes.
"""

from __future__ import annotations

import enum
from datetime import date, datetime, timezone
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    Enum,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


class Base(DeclarativeBase):
    type_annotation_map = {dict[str, Any]: JSON, list[Any]: JSON}


def _enum(cls: type[enum.Enum]) -> Enum:
    # Store the value (stable, readable) rather than the Python name.
    return Enum(cls, values_callable=lambda e: [m.value for m in e], native_enum=False, length=32)


class HukouCategory(str, enum.Enum):
    shenzhen = "shenzhen"  # 深户
    guangdong_non_shenzhen = "guangdong_non_shenzhen"  # 广东省内非深户
    outside_guangdong = "outside_guangdong"  # 广东省外户籍
    non_shenzhen_legacy = "non_shenzhen"  # 非深户 (old, too coarse: must be corrected)


class RetirementGroupCol(str, enum.Enum):
    male_60 = "male_60"
    female_55 = "female_55"
    female_50 = "female_50"


class InsuranceType(str, enum.Enum):
    pension = "pension"
    medical = "medical"
    unemployment = "unemployment"
    work_injury = "work_injury"
    maternity = "maternity"


class Scheme(str, enum.Enum):
    employee = "employee"  # through an employer
    flexible = "flexible"  # 个人缴费人员 / 灵活就业
    resident = "resident"  # adult residents' insurance (居民)
    child = "child"  # 少儿 (not in kindergarten/school)
    student = "student"  # 学生 (in kindergarten/school)
    retiree = "retiree"  # continuing medical after retirement


class EnrolmentStatus(str, enum.Enum):
    active = "active"
    suspended = "suspended"
    stopped = "stopped"


class ContributionStatus(str, enum.Enum):
    paid = "paid"
    failed = "failed"  # the bank deduction (托收) failed
    pending = "pending"


class TransferStatus(str, enum.Enum):
    submitted = "submitted"  # waiting for the receiving side
    accepted = "accepted"  # receiving side sent its acceptance letter: no cancel
    completed = "completed"
    cancelled = "cancelled"


class Outcome(str, enum.Enum):
    completed = "completed"
    pre_application = "pre_application"


class PreApplicationStatus(str, enum.Enum):
    submitted = "submitted"  # waiting for the person to come to a window
    processing = "processing"
    completed = "completed"
    rejected = "rejected"
    returned = "returned"  # sent back by the window: bring what is missing, same number stays open


class Person(Base):
    __tablename__ = "people"

    id: Mapped[int] = mapped_column(primary_key=True)
    id_number: Mapped[str] = mapped_column(String(18), unique=True, index=True)
    name: Mapped[str] = mapped_column(String(64))
    gender: Mapped[str] = mapped_column(String(1))  # M / F
    birth_date: Mapped[date] = mapped_column(Date)
    phone: Mapped[str | None] = mapped_column(String(20))
    address: Mapped[str | None] = mapped_column(String(200))
    hukou_category: Mapped[HukouCategory] = mapped_column(_enum(HukouCategory))
    settle_in_date: Mapped[date | None] = mapped_column(Date)  # date of settling in Shenzhen
    retirement_group: Mapped[RetirementGroupCol] = mapped_column(_enum(RetirementGroupCol))
    is_retired: Mapped[bool] = mapped_column(Boolean, default=False)
    in_school: Mapped[bool] = mapped_column(Boolean, default=False)  # kindergarten/school/university
    school_name: Mapped[str | None] = mapped_column(String(100))
    first_insured_on: Mapped[date | None] = mapped_column(Date)
    # Contribution months recorded before this system (old system / other places).
    prior_contribution_months: Mapped[int] = mapped_column(Integer, default=0)
    extended_months: Mapped[int] = mapped_column(Integer, default=0)  # months of 延缴 done
    # Four-category back payment eligibility etc. are window decisions: data only.
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    enrolments: Mapped[list[Enrolment]] = relationship(back_populates="person", order_by="Enrolment.id")
    bank_accounts: Mapped[list[BankAccount]] = relationship(back_populates="person", order_by="BankAccount.id")
    cards: Mapped[list[SocialSecurityCard]] = relationship(back_populates="person")


class HukouRecord(Base):
    """The registry the comparisons check against (stand-in for public security's)."""

    __tablename__ = "hukou_registry"

    id: Mapped[int] = mapped_column(primary_key=True)
    id_number: Mapped[str] = mapped_column(String(18), unique=True, index=True)
    name: Mapped[str] = mapped_column(String(64))
    hukou_category: Mapped[HukouCategory] = mapped_column(_enum(HukouCategory))
    hukou_address: Mapped[str | None] = mapped_column(String(200))
    settle_in_date: Mapped[date | None] = mapped_column(Date)
    imported_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class Enrolment(Base):
    __tablename__ = "enrolments"

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"), index=True)
    insurance: Mapped[InsuranceType] = mapped_column(_enum(InsuranceType))
    scheme: Mapped[Scheme] = mapped_column(_enum(Scheme))
    status: Mapped[EnrolmentStatus] = mapped_column(_enum(EnrolmentStatus))
    medical_tier: Mapped[int | None] = mapped_column(Integer)  # 1 or 2 (employee medical)
    pension_grade: Mapped[int | None] = mapped_column(Integer)  # residents' pension grade
    base_fen: Mapped[int] = mapped_column(BigInteger, default=0)  # contribution base per month
    start_month: Mapped[str] = mapped_column(String(7))
    end_month: Mapped[str | None] = mapped_column(String(7))  # last covered month when stopped

    person: Mapped[Person] = relationship(back_populates="enrolments")
    history: Mapped[list[EnrolmentEvent]] = relationship(back_populates="enrolment", order_by="EnrolmentEvent.id")


class EnrolmentEvent(Base):
    __tablename__ = "enrolment_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    enrolment_id: Mapped[int] = mapped_column(ForeignKey("enrolments.id"), index=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    change: Mapped[str] = mapped_column(String(32))  # created / stopped / resumed / tier_changed ...
    detail: Mapped[dict[str, Any]] = mapped_column(default=dict)
    transaction_id: Mapped[int | None] = mapped_column(ForeignKey("transactions.id"))

    enrolment: Mapped[Enrolment] = relationship(back_populates="history")


class Contribution(Base):
    __tablename__ = "contributions"
    __table_args__ = (UniqueConstraint("person_id", "month", "insurance", name="uq_contribution_month"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"), index=True)
    month: Mapped[str] = mapped_column(String(7), index=True)
    insurance: Mapped[InsuranceType] = mapped_column(_enum(InsuranceType))
    scheme: Mapped[Scheme] = mapped_column(_enum(Scheme))
    base_fen: Mapped[int] = mapped_column(BigInteger)
    employer_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    personal_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    status: Mapped[ContributionStatus] = mapped_column(_enum(ContributionStatus))
    paid_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    transaction_id: Mapped[int | None] = mapped_column(ForeignKey("transactions.id"))


class BankAccount(Base):
    __tablename__ = "bank_accounts"

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"), index=True)
    bank_name: Mapped[str] = mapped_column(String(32))
    account_no: Mapped[str] = mapped_column(String(32))
    holder_name: Mapped[str] = mapped_column(String(64))
    opened_in_shenzhen: Mapped[bool] = mapped_column(Boolean, default=True)
    is_payment_account: Mapped[bool] = mapped_column(Boolean, default=False)

    person: Mapped[Person] = relationship(back_populates="bank_accounts")


class SocialSecurityCard(Base):
    """Financial social security card (金融社保卡): once activated it is the only payment account."""

    __tablename__ = "social_security_cards"

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"), index=True)
    bank_name: Mapped[str] = mapped_column(String(32))
    card_no: Mapped[str] = mapped_column(String(32))
    activated: Mapped[bool] = mapped_column(Boolean, default=False)

    person: Mapped[Person] = relationship(back_populates="cards")


class GuardianLink(Base):
    __tablename__ = "guardian_links"
    __table_args__ = (UniqueConstraint("guardian_id", "child_id", name="uq_guardian_child"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    guardian_id: Mapped[int] = mapped_column(ForeignKey("people.id"), index=True)
    child_id: Mapped[int] = mapped_column(ForeignKey("people.id"), index=True)
    relation: Mapped[str] = mapped_column(String(16))  # father / mother / guardian


class Transfer(Base):
    __tablename__ = "transfers"

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"), index=True)
    insurance: Mapped[InsuranceType] = mapped_column(_enum(InsuranceType))
    destination_province: Mapped[str] = mapped_column(String(16))
    destination_city: Mapped[str | None] = mapped_column(String(32))
    within_province: Mapped[bool] = mapped_column(Boolean)
    status: Mapped[TransferStatus] = mapped_column(_enum(TransferStatus))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    transaction_id: Mapped[int | None] = mapped_column(ForeignKey("transactions.id"))


class StaffRole(str, enum.Enum):
    clerk = "clerk"  # window clerk: finds, receives, finishes, returns
    supervisor = "supervisor"  # also sees the audit trail and the analytics dashboard


class StaffAccount(Base):
    """A service-window employee. Separate from residents' accounts: no person, no channel bindings."""

    __tablename__ = "staff_accounts"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True, index=True)
    display_name: Mapped[str] = mapped_column(String(64))
    role: Mapped[StaffRole] = mapped_column(_enum(StaffRole))
    password_hash: Mapped[str] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class StaffToken(Base):
    __tablename__ = "staff_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True, index=True)  # sha256 hex
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff_accounts.id"), index=True)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    revoked: Mapped[bool] = mapped_column(Boolean, default=False)


class UserAccount(Base):
    __tablename__ = "user_accounts"

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"), unique=True)
    username: Mapped[str] = mapped_column(String(64), unique=True, index=True)
    password_hash: Mapped[str] = mapped_column(String(200))
    # Phone PIN for IVR caller verification (hashed like the password).
    phone_pin_hash: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    person: Mapped[Person] = relationship()


class AuthToken(Base):
    __tablename__ = "auth_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True, index=True)  # sha256 hex
    account_id: Mapped[int] = mapped_column(ForeignKey("user_accounts.id"), index=True)
    channel: Mapped[str] = mapped_column(String(16))
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    revoked: Mapped[bool] = mapped_column(Boolean, default=False)


class ChannelBinding(Base):
    """A WeChat OpenID or a phone number bound to an account."""

    __tablename__ = "channel_bindings"
    __table_args__ = (UniqueConstraint("channel", "external_id", name="uq_channel_external"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("user_accounts.id"), index=True)
    channel: Mapped[str] = mapped_column(String(16))  # wechat / phone
    external_id: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class Transaction(Base):
    """One business item or service carried out (completed or turned into a pre-application)."""

    __tablename__ = "transactions"

    id: Mapped[int] = mapped_column(primary_key=True)
    serial_no: Mapped[str] = mapped_column(String(32), unique=True, index=True)
    item_code: Mapped[str] = mapped_column(String(64), index=True)
    actor_person_id: Mapped[int] = mapped_column(ForeignKey("people.id"), index=True)
    subject_person_id: Mapped[int] = mapped_column(ForeignKey("people.id"), index=True)
    channel: Mapped[str] = mapped_column(String(16))
    outcome: Mapped[Outcome] = mapped_column(_enum(Outcome))
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)
    result: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    # The clerk who carried it out at a window (channel "window"); None online.
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff_accounts.id"))


class PreApplication(Base):
    __tablename__ = "pre_applications"

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(20), unique=True, index=True)
    transaction_id: Mapped[int] = mapped_column(ForeignKey("transactions.id"))
    item_code: Mapped[str] = mapped_column(String(64))
    applicant_person_id: Mapped[int] = mapped_column(ForeignKey("people.id"), index=True)
    subject_person_id: Mapped[int] = mapped_column(ForeignKey("people.id"), index=True)
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)
    mismatches: Mapped[list[Any]] = mapped_column(default=list)
    materials: Mapped[list[Any]] = mapped_column(default=list)
    status: Mapped[PreApplicationStatus] = mapped_column(_enum(PreApplicationStatus))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    # Indexes into `materials` the window has received (checked originals).
    materials_received: Mapped[list[Any]] = mapped_column(default=list)
    # The window's transaction (serial number) once finished.
    finished_transaction_id: Mapped[int | None] = mapped_column(ForeignKey("transactions.id"))

    history: Mapped[list[PreApplicationEvent]] = relationship(
        order_by="PreApplicationEvent.id", back_populates="pre_application"
    )


class PreApplicationEvent(Base):
    """One step of a pre-application's life: submitted, materials received, finished, returned."""

    __tablename__ = "pre_application_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    pre_application_id: Mapped[int] = mapped_column(ForeignKey("pre_applications.id"), index=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    action: Mapped[str] = mapped_column(String(32))  # submitted / materials_received / finished / returned
    status: Mapped[str] = mapped_column(String(32))  # the status after this step
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff_accounts.id"))
    # Reason and what to bring (returned), serial number (finished): no personal data.
    detail: Mapped[dict[str, Any]] = mapped_column(default=dict)

    pre_application: Mapped[PreApplication] = relationship(back_populates="history")


class Notice(Base):
    """A message to a resident about their pre-application, on the channel they used (outbox row).

    Written in the same unit of work as the change it reports; delivered afterwards
    (services/notices.py), so a failed delivery never undoes the change and can be retried.
    """

    __tablename__ = "notices"

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"), index=True)  # who is told
    pre_application_id: Mapped[int | None] = mapped_column(ForeignKey("pre_applications.id"))
    channel: Mapped[str] = mapped_column(String(16))  # sms / wechat / widget
    kind: Mapped[str] = mapped_column(String(32))  # pre_application.finished / pre_application.returned
    text_zh: Mapped[str] = mapped_column(Text)
    text_en: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default="pending")  # pending / sent / failed / shown
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)
    delivered_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class SmsOutbox(Base):
    """Development SMS gateway: every text the backend would send, instead of sending it."""

    __tablename__ = "sms_outbox"

    id: Mapped[int] = mapped_column(primary_key=True)
    phone: Mapped[str] = mapped_column(String(20), index=True)
    text: Mapped[str] = mapped_column(Text)
    purpose: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class Counter(Base):
    """Per-name sequence (serial and pre-application numbers) that works on SQLite and PostgreSQL."""

    __tablename__ = "counters"

    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    value: Mapped[int] = mapped_column(BigInteger, default=0)


class IdempotencyRecord(Base):
    __tablename__ = "idempotency_keys"
    __table_args__ = (UniqueConstraint("account_id", "key", name="uq_idempotency_account_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("user_accounts.id"))
    key: Mapped[str] = mapped_column(String(128))
    request_hash: Mapped[str] = mapped_column(String(64))
    status_code: Mapped[int] = mapped_column(Integer)
    body: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class AuditEntry(Base):
    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)
    actor_person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    channel: Mapped[str] = mapped_column(String(16))
    action: Mapped[str] = mapped_column(String(64))
    subject_person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    detail: Mapped[dict[str, Any]] = mapped_column(default=dict)
    actor_staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff_accounts.id"))  # window steps


class Document(Base):
    """A generated PDF (certificate or application form), kept so a link can be downloaded later."""

    __tablename__ = "documents"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))  # certificate / application_form
    number: Mapped[str] = mapped_column(String(32), unique=True, index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"))
    content: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    note: Mapped[str | None] = mapped_column(Text)


# -- conversation analytics (filled from Rasa's event broker by sz_backend.analytics.consumer) -------------------


class AnalyticsEvent(Base):
    """Ledger of every broker event taken in: its content hash makes a redelivered event a no-op."""

    __tablename__ = "analytics_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    uid: Mapped[str] = mapped_column(String(64), unique=True)  # sha256 of the event as published
    conversation: Mapped[str] = mapped_column(String(32), index=True)  # keyed hash of the sender id
    event: Mapped[str] = mapped_column(String(32))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    summary: Mapped[dict[str, Any]] = mapped_column(default=dict)  # non-personal fields only, text masked
    received_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class AnalyticsSession(Base):
    """One conversation session (Rasa's session_started, or the first event of a sender)."""

    __tablename__ = "analytics_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    conversation: Mapped[str] = mapped_column(String(32), index=True)
    channel: Mapped[str | None] = mapped_column(String(32))
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    last_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    user_turns: Mapped[int] = mapped_column(Integer, default=0)
    fallbacks: Mapped[int] = mapped_column(Integer, default=0)
    handoff: Mapped[bool] = mapped_column(Boolean, default=False)
    items_started: Mapped[int] = mapped_column(Integer, default=0)
    items_finished: Mapped[int] = mapped_column(Integer, default=0)  # completed or pre-applied
    state: Mapped[dict[str, Any]] = mapped_column(default=dict)  # task in progress, outcome awaited


class AnalyticsTurn(Base):
    """One user message: intent, confidence, fallback, and the bot's response latency."""

    __tablename__ = "analytics_turns"

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("analytics_sessions.id"), index=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    channel: Mapped[str | None] = mapped_column(String(32))
    text: Mapped[str] = mapped_column(Text)  # masked
    intent: Mapped[str | None] = mapped_column(String(64), index=True)
    confidence: Mapped[float | None] = mapped_column()
    best_guess: Mapped[str | None] = mapped_column(String(64))  # best intent other than nlu_fallback
    fallback: Mapped[bool] = mapped_column(Boolean, default=False)
    latency_ms: Mapped[int | None] = mapped_column(Integer)


class AnalyticsItemStep(Base):
    """How far an item got: started, collect, confirm, confirmed (submitted), completed / pre_applied / refused."""

    __tablename__ = "analytics_item_steps"

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("analytics_sessions.id"), index=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    channel: Mapped[str | None] = mapped_column(String(32))
    item_code: Mapped[str] = mapped_column(String(64), index=True)
    step: Mapped[str] = mapped_column(String(16))


class BankCardRecord(Base):
    """The cooperating banks' own record of a card: whose it is and the phone the bank holds.

    Stands in for the banks' verification interface (services/bank_verification.py):
    registration checks name, ID number, card number and phone against it.
    """

    __tablename__ = "bank_card_records"
    __table_args__ = (UniqueConstraint("bank_name", "card_no", name="uq_bank_card"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    bank_name: Mapped[str] = mapped_column(String(32))
    card_no: Mapped[str] = mapped_column(String(32), index=True)
    holder_name: Mapped[str] = mapped_column(String(64))
    holder_id_number: Mapped[str] = mapped_column(String(18))
    phone: Mapped[str] = mapped_column(String(20))
    opened_in_shenzhen: Mapped[bool] = mapped_column(Boolean, default=True)


class OneTimeCode(Base):
    """A one-time code sent by SMS; only its hash is kept, with what it may confirm."""

    __tablename__ = "one_time_codes"

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(String(40), unique=True, index=True)
    purpose: Mapped[str] = mapped_column(String(32))
    phone: Mapped[str] = mapped_column(String(20), index=True)
    binding: Mapped[str] = mapped_column(String(64))  # sha256 of what the code confirms (person, card, phone)
    code_hash: Mapped[str] = mapped_column(String(64))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    used: Mapped[bool] = mapped_column(Boolean, default=False)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)


class AuthFailure(Base):
    """One failed secret check (password, phone PIN, one-time code) or log-in from a source.

    Counted per subject over a time window to lock out guessing across calls and
    channels (services/lockout.py); a success of the same kind clears them.
    """

    __tablename__ = "auth_failures"
    __table_args__ = (Index("ix_auth_failures_kind_subject_at", "kind", "subject", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    subject: Mapped[str] = mapped_column(String(160))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class RegistrationLink(Base):
    """A one-time page link on which a person who proved identity in the chat sets the new
    account's user name and password (the chat never takes a password). Only the link
    token's hash is kept; the card and phone the bank confirmed go into the account."""

    __tablename__ = "registration_links"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True, index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"))
    bank_name: Mapped[str] = mapped_column(String(32))
    account_no: Mapped[str] = mapped_column(String(32))
    phone: Mapped[str] = mapped_column(String(20))
    used: Mapped[bool] = mapped_column(Boolean, default=False)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
