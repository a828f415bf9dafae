"""社保参保证明打印: the insurance certificate as a PDF behind a signed download link."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from .. import clock
from ..errors import refused
from ..persistence.db import next_value
from ..persistence.models import Contribution, Enrolment, InsuranceType, Person
from ..rules.masking import mask_id_number
from . import audit, documents
from .contributions import InsuranceLabels, pension_months, service_subject

SERVICE_CODE = "print_insurance_certificate"
PREFIX = "ZM"  # 证明


def certificate_number(session: Session, day: str) -> str:
    """ZM + local date + 6-digit sequence of the day, e.g. ZM20261127000001."""
    return f"{PREFIX}{day}{next_value(session, f'certificate:{day}'):06d}"


def issue(session: Session, actor: Person, subject_id: int | None, channel: str) -> dict[str, Any]:
    from ..pdf import CertificateData, ContributionRow, EnrolmentRow, render_insurance_certificate  # local: reportlab

    subject = service_subject(session, actor, subject_id)
    enrolments = list(
        session.scalars(
            select(Enrolment).where(Enrolment.person_id == subject.id).order_by(Enrolment.start_month, Enrolment.id)
        )
    )
    if not enrolments:
        # A certificate saying "no record" proves nothing useful and is easily misread: refuse instead.
        raise refused(
            "NO_INSURANCE_RECORD",
            f"{subject.name}在深圳没有参保记录，无法出具参保证明",
            f"{subject.name} has no insurance record in Shenzhen, so there is nothing to certify",
            fix_zh="如在外地参保，请向原参保地申请参保缴费凭证；深户灵活就业人员可先办理“个人缴费人员参保登记”",
            fix_en="If you were insured elsewhere, ask that place for a contribution certificate; flexible "
            "workers with Shenzhen hukou can enrol first",
        )
    now = clock.now()
    number = certificate_number(session, f"{now:%Y%m%d}")
    labels = InsuranceLabels(session, subject)
    contributions = sorted(
        session.scalars(select(Contribution).where(Contribution.person_id == subject.id)),
        key=lambda c: (c.month, list(InsuranceType).index(c.insurance)),
    )
    data = CertificateData(
        person_name=subject.name,
        id_number_masked=mask_id_number(subject.id_number),
        certificate_number=number,
        issued_at=now,
        enrolments=[EnrolmentRow(_enrolment_label(e), e.status.value, e.start_month, e.end_month) for e in enrolments],
        contributions=[
            ContributionRow(c.month, labels.zh(c), c.base_fen, c.personal_fen, c.employer_fen, c.status.value)
            for c in contributions
        ],
    )
    url = documents.store(
        session, kind="certificate", number=number, person=subject, content=render_insurance_certificate(data)
    )
    pension = pension_months(session, subject)
    days = documents.LINK_TTL_SECONDS // 86400
    audit.record(
        session,
        action=f"service.{SERVICE_CODE}",
        channel=channel,
        actor_person_id=actor.id,
        subject_person_id=subject.id,
        certificate_no=number,
    )
    return {
        "code": SERVICE_CODE,
        "certificate_no": number,
        "url": url,
        "subject_id": subject.id,
        "subject_name": subject.name,
        "contribution_rows": len(contributions),
        "pension_paid_months": pension,
        "message_zh": f"已为{subject.name}出具社保参保证明（编号{number}），请点击链接下载打印，链接{days}天内有效。",
        "message_en": f"The insurance certificate of {subject.name} (number {number}) is ready: download and print it "
        f"from the link, valid for {days} days.",
    }


def _enrolment_label(e: Enrolment) -> str:
    from ..pdf import insurance_label_zh

    return insurance_label_zh(e.insurance.value, medical_tier=e.medical_tier, scheme=e.scheme.value)
