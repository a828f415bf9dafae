"""Notices to residents when the window finishes or returns a pre-application.

The resident is told on the channel the pre-application was made on:
- WeChat: a customer-service message to the OpenID bound to the applicant's account;
- phone (IVR): an SMS to the applicant's phone number on record;
- the web widget, REST and API: a notice shown at the next visit (`GET /notices`).
WeChat without a binding, or a WeChat message that keeps failing, falls back to SMS.

Notices are rows written in the same unit of work as the window step (an outbox),
and delivered after it commits (`deliver_pending`), so a slow or failing gateway
never holds or undoes the clerk's work; undelivered ones are retried by the next
delivery run (`python -m sz_backend.cli deliver-notices`). A notice holds the
number, the item name and the outcome (for a return, the reason and what to
bring): no name, ID, account or phone number.
"""

from __future__ import annotations

import logging
from datetime import datetime, timezone
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..catalogue import get_catalogue
from ..persistence.db import session_scope
from ..persistence.models import ChannelBinding, Notice, Person, PreApplication, Transaction, UserAccount
from . import sms, wechat_api

log = logging.getLogger(__name__)
MAX_ATTEMPTS = 3
WIDGET_CHANNELS = ("web", "rest", "api")


def _texts(pre: PreApplication, kind: str, detail: dict[str, Any]) -> tuple[str, str]:
    entry = get_catalogue().get(pre.item_code)
    zh_item, en_item = (entry.name_zh, entry.name_en) if entry else (pre.item_code, pre.item_code)
    if kind == "finished":
        return (
            f"您的预申请{pre.number}（{zh_item}）已在窗口办结，业务流水号{detail['serial_no']}。",
            f"Your pre-application {pre.number} ({en_item}) was completed at the window; "
            f"serial number {detail['serial_no']}.",
        )
    bring = "、".join(detail.get("bring") or [])
    bring_en = "; ".join(detail.get("bring") or [])
    return (
        f"您的预申请{pre.number}（{zh_item}）被窗口退回：{detail['reason']}。"
        + (f"请携带：{bring}，" if bring else "请")
        + "再到窗口办理，编号不变。",
        f"Your pre-application {pre.number} ({en_item}) was returned by the window: {detail['reason']}. "
        + (f"Please bring: {bring_en}, and " if bring_en else "Please ")
        + "come back; the number stays the same.",
    )


def _channel_of(session: Session, pre: PreApplication) -> str:
    tx = session.get(Transaction, pre.transaction_id)
    made_on = tx.channel if tx else "web"
    if made_on == "wechat":
        return "wechat"
    if made_on == "ivr":
        return "sms"
    return "widget"


def pre_application_changed(session: Session, pre: PreApplication, kind: str, **detail: Any) -> Notice:
    """Queue the notice for the applicant (the guardian for a child's item)."""
    zh, en = _texts(pre, kind, detail)
    notice = Notice(
        person_id=pre.applicant_person_id,
        pre_application_id=pre.id,
        channel=_channel_of(session, pre),
        kind=f"pre_application.{kind}",
        text_zh=zh,
        text_en=en,
        status="pending",
    )
    session.add(notice)
    return notice


def _openid(session: Session, person_id: int) -> str | None:
    return session.scalar(
        select(ChannelBinding.external_id)
        .join(UserAccount, UserAccount.id == ChannelBinding.account_id)
        .where(UserAccount.person_id == person_id, ChannelBinding.channel == "wechat")
        .order_by(ChannelBinding.id.desc())
        .limit(1)
    )


def _deliver(session: Session, notice: Notice) -> None:
    person = session.get(Person, notice.person_id)
    notice.attempts += 1
    try:
        if notice.channel == "wechat":
            openid = _openid(session, notice.person_id)
            if openid is None or not wechat_api.configured():
                _fall_back_to_sms(notice, "no WeChat binding" if openid is None else "WeChat API not configured")
            else:
                wechat_api.send_text(openid, notice.text_zh)
        if notice.channel == "sms":
            if person is None or not person.phone:
                notice.status, notice.error = "failed", "no phone number on record"
                return
            sms.send(session, person.phone, notice.text_zh, notice.kind)
    except (wechat_api.WeChatAPIError, sms.SmsNotConfigured) as err:
        notice.error = str(err)[:200]
        if notice.attempts >= MAX_ATTEMPTS:
            if notice.channel == "wechat":
                _fall_back_to_sms(notice, notice.error)
                return _deliver(session, notice)
            notice.status = "failed"
        log.warning("notice %s not delivered (%s), attempt %s", notice.id, notice.error, notice.attempts)
        return
    notice.status, notice.delivered_at = "sent", datetime.now(timezone.utc)


def _fall_back_to_sms(notice: Notice, why: str) -> None:
    notice.channel, notice.error, notice.attempts = "sms", f"fell back to SMS: {why}"[:200], max(notice.attempts, 1)


def deliver_pending(limit: int = 100) -> int:
    """Deliver queued WeChat and SMS notices (widget ones wait for the visit); returns how many were sent."""
    sent = 0
    with session_scope() as session:
        ids = list(
            session.scalars(
                select(Notice.id)
                .where(Notice.status == "pending", Notice.channel != "widget")
                .order_by(Notice.id)
                .limit(limit)
            )
        )
    for notice_id in ids:  # one unit of work each: one failure never blocks the others
        with session_scope() as session:
            notice = session.get(Notice, notice_id, with_for_update=True)
            if notice is None or notice.status != "pending":
                continue
            _deliver(session, notice)
            sent += notice.status == "sent"
    return sent


def for_visit(session: Session, person_id: int, language: str = "zh") -> list[dict[str, Any]]:
    """The widget notices not shown yet; they count as shown once returned."""
    rows = list(
        session.scalars(
            select(Notice)
            .where(Notice.person_id == person_id, Notice.channel == "widget", Notice.status == "pending")
            .order_by(Notice.id)
        )
    )
    now = datetime.now(timezone.utc)
    for n in rows:
        n.status, n.delivered_at = "shown", now
    return [
        {
            "id": n.id,
            "kind": n.kind,
            "text": n.text_en if language == "en" else n.text_zh,
            "text_zh": n.text_zh,
            "text_en": n.text_en,
        }
        for n in rows
    ]
