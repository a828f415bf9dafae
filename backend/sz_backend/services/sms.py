"""Text messages (SMS) to residents: one adapter for every purpose.

Development and tests use the outbox gateway (the default): each text is stored
in the `sms_outbox` table instead of being sent, so a newcomer or a test can read
exactly what a resident would receive (`GET /dev/sms-outbox` lists it when the
outbox gateway is active). A production gateway plugs in here (`SZ_SMS_GATEWAY`);
until one is configured, anything but "outbox" is refused at start-up of a send.
Texts carry the least personal data that does the job (a number, an item name),
never an ID, account or full phone number.
"""

from __future__ import annotations

import logging

from sqlalchemy.orm import Session

from ..persistence.models import SmsOutbox
from ..rules.masking import mask_phone
from ..settings import get_settings

log = logging.getLogger(__name__)
SIGNATURE = "【深圳社保】"


class SmsNotConfigured(RuntimeError):
    pass


def send(session: Session, phone: str, text: str, purpose: str) -> None:
    """Send (or, in development, store) one text; raises SmsNotConfigured when no gateway is set."""
    gateway = get_settings().sms_gateway
    if gateway != "outbox":
        raise SmsNotConfigured(f"SMS gateway {gateway!r} is not implemented; use SZ_SMS_GATEWAY=outbox")
    body = text if text.startswith(SIGNATURE) else SIGNATURE + text
    session.add(SmsOutbox(phone=phone, text=body, purpose=purpose))
    log.info("sms to %s stored in the outbox (%s)", mask_phone(phone), purpose)
