"""Generated PDFs and their signed, short-lived download links.

A chat channel cannot attach an Authorization header to a link the person
clicks, so each link carries an expiry and an HMAC over (number, expiry).
"""

from __future__ import annotations

import hashlib
import hmac
import time
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..catalogue import CatalogueEntry
from ..errors import BusinessError
from ..persistence.models import Document, Person, PreApplication
from ..settings import get_settings

LINK_TTL_SECONDS = 7 * 24 * 3600


def _signature(number: str, expires: int) -> str:
    key = get_settings().document_link_secret.encode()
    return hmac.new(key, f"{number}:{expires}".encode(), hashlib.sha256).hexdigest()[:32]


def signed_url(number: str) -> str:
    expires = int(time.time()) + LINK_TTL_SECONDS
    return f"{get_settings().public_base_url}/documents/{number}.pdf?exp={expires}&sig={_signature(number, expires)}"


def fetch(session: Session, number: str, expires: int, sig: str) -> Document:
    if expires < time.time() or not hmac.compare_digest(sig.encode(), _signature(number, expires).encode()):
        raise BusinessError(
            "DOCUMENT_LINK_INVALID",
            "下载链接无效或已过期，请重新获取",
            "The download link is invalid or has expired; ask for a new one",
            status=403,
            fix_zh="请用“预申请进度查询”重新获取申请表链接",
            fix_en="Get the form link again from the pre-application status",
        )
    doc = session.scalar(select(Document).where(Document.number == number))
    if doc is None:
        raise BusinessError(
            "DOCUMENT_NOT_FOUND",
            "找不到该文件",
            "Document not found",
            status=404,
            fix_zh="请用“预申请进度查询”重新获取申请表链接",
            fix_en="Get the form link again from the pre-application status",
        )
    return doc


def store(session: Session, *, kind: str, number: str, person: Person, content: bytes) -> str:
    session.add(Document(kind=kind, number=number, person_id=person.id, content=content))
    return signed_url(number)


def store_application_form(
    session: Session, pre: PreApplication, entry: CatalogueEntry, subject: Person, now: datetime
) -> str:
    from .forms import application_form_pdf  # local: keeps reportlab off the import path of the API startup

    return store(
        session,
        kind="application_form",
        number=pre.number,
        person=subject,
        content=application_form_pdf(pre, entry, subject, now),
    )
