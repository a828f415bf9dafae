"""个缴自助缴费 (self-service payment) through the HTTP API.

Demo people: zhangwei (flexible worker, this month unpaid, bank account),
liuyang (flexible worker with an activated financial social security card),
lina (insured through an employer: nothing to pay here).
The clock is pinned to Friday 2026-11-27 10:00 (window open) unless a test moves it.
"""

from __future__ import annotations

from sqlalchemy import func, select

from sz_backend.persistence.db import session_scope
from sz_backend.persistence.models import (
    AuditEntry,
    BankAccount,
    Contribution,
    ContributionStatus,
    Person,
    Transaction,
)
from sz_backend.rules.numbers import is_valid_serial_number

MONTH = "2026-11"
URL = "/services/self_service_payment"


def _person_id(name: str) -> int:
    with session_scope() as s:
        return s.scalar(select(Person.id).where(Person.name == name))


def _state(person_id: int) -> tuple:
    """What a refused payment must leave untouched."""
    with session_scope() as s:
        rows = s.execute(
            select(Contribution.month, Contribution.insurance, Contribution.status, Contribution.transaction_id)
            .where(Contribution.person_id == person_id)
            .order_by(Contribution.id)
        ).all()
        return (
            tuple(rows),
            s.scalar(select(func.count()).select_from(Transaction)),
            s.scalar(
                select(func.count()).select_from(AuditEntry).where(AuditEntry.action == "service.self_service_payment")
            ),
        )


def test_pays_this_month_pension_and_medical(client, as_user):
    pid = _person_id("张伟")
    resp = client.post(URL, json={}, headers=as_user("zhangwei"))
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert body["outcome"] == "completed" and body["month"] == MONTH
    assert is_valid_serial_number(body["serial_no"]) and body["serial_no"].startswith("SZ20261127")
    # 2360.00 base: pension 20% = 472.00, medical tier 1 8% = 188.80 (policy.yml)
    items = {i["insurance"]: i for i in body["items"]}
    assert items["pension"]["amount_fen"] == 47200 and items["pension"]["amount_yuan"] == "472.00"
    assert items["medical"]["amount_fen"] == 18880 and items["medical"]["amount_yuan"] == "188.80"
    assert body["total_fen"] == 66080 and body["total_yuan"] == "660.80"
    assert body["account"] == {"bank_name": "招商银行", "account_no": "************5678", "kind": "bank"}
    assert "660.80" in body["message_zh"] and "660.80" in body["message_en"]
    assert "6225880212345678" not in resp.text  # the account number is masked

    with session_scope() as s:
        tx = s.scalar(select(Transaction).where(Transaction.serial_no == body["serial_no"]))
        assert tx.item_code == "self_service_payment" and tx.outcome.value == "completed"
        assert tx.actor_person_id == pid == tx.subject_person_id
        rows = list(s.scalars(select(Contribution).where(Contribution.person_id == pid, Contribution.month == MONTH)))
        assert {(r.insurance.value, r.personal_fen, r.status) for r in rows} == {
            ("pension", 47200, ContributionStatus.paid),
            ("medical", 18880, ContributionStatus.paid),
        }
        assert all(r.transaction_id == tx.id and r.paid_at is not None for r in rows)
        entry = s.scalar(select(AuditEntry).where(AuditEntry.action == "service.self_service_payment"))
        assert entry.actor_person_id == pid and entry.detail["serial_no"] == body["serial_no"]
        assert "6225880212345678" not in str(entry.detail)


def test_second_payment_is_refused_already_paid(client, as_user):
    headers = as_user("zhangwei")
    assert client.post(URL, json={}, headers=headers).status_code == 200
    before = _state(_person_id("张伟"))
    resp = client.post(URL, json={}, headers=headers)
    assert resp.status_code == 409
    assert resp.json()["error"]["code"] == "ALREADY_PAID"
    assert _state(_person_id("张伟")) == before


def test_activated_card_is_the_only_payment_account(client, as_user):
    resp = client.post(URL, json={}, headers=as_user("liuyang"))
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert body["account"]["kind"] == "card" and body["account"]["bank_name"] == "平安银行"
    assert body["account"]["account_no"].endswith("2345") and "金融社保卡" in body["message_zh"]
    # liuyang is tier 2: 1.5% of 2360.00 = 35.40
    assert {i["insurance"]: i["amount_yuan"] for i in body["items"]} == {"pension": "472.00", "medical": "35.40"}


def test_window_closed_on_saturday_states_next_opening(client, as_user, monkeypatch):
    headers = as_user("zhangwei")
    before = _state(_person_id("张伟"))
    monkeypatch.setenv("SZ_BACKEND_NOW", "2026-11-28T10:00:00+08:00")  # Saturday
    resp = client.post(URL, json={}, headers=headers)
    assert resp.status_code == 409
    err = resp.json()["error"]
    assert err["code"] == "PAYMENT_WINDOW_CLOSED"
    assert err["details"]["next_opening"].startswith("2026-11-30T09:00")  # Monday 09:00
    assert "2026年11月30日" in err["message_zh"] and "Monday" in err["message_en"]
    assert _state(_person_id("张伟")) == before


def test_window_closed_at_17_00(client, as_user, monkeypatch):
    headers = as_user("zhangwei")
    before = _state(_person_id("张伟"))
    monkeypatch.setenv("SZ_BACKEND_NOW", "2026-11-27T17:00:00+08:00")
    resp = client.post(URL, json={}, headers=headers)
    assert resp.json()["error"]["code"] == "PAYMENT_WINDOW_CLOSED"
    assert _state(_person_id("张伟")) == before


def test_no_flexible_enrolment(client, as_user):
    before = _state(_person_id("李娜"))
    resp = client.post(URL, json={}, headers=as_user("lina"))
    assert resp.status_code == 409
    err = resp.json()["error"]
    assert err["code"] == "NO_INDIVIDUAL_ENROLMENT" and "参保登记" in err["fix_zh"]
    assert _state(_person_id("李娜")) == before


def test_other_subject_is_refused(client, as_user):
    before = _state(_person_id("张伟"))
    resp = client.post(URL, json={"subject_id": _person_id("马超")}, headers=as_user("zhangwei"))
    assert resp.status_code == 403
    assert resp.json()["error"]["code"] == "SELF_ONLY"
    assert _state(_person_id("张伟")) == before


def test_own_subject_id_is_accepted(client, as_user):
    resp = client.post(URL, json={"subject_id": _person_id("张伟")}, headers=as_user("zhangwei"))
    assert resp.status_code == 200, resp.text


def test_no_payment_account(client, as_user):
    pid = _person_id("张伟")
    headers = as_user("zhangwei")
    with session_scope() as s:
        for account in s.scalars(select(BankAccount).where(BankAccount.person_id == pid)):
            account.is_payment_account = False
    before = _state(pid)
    resp = client.post(URL, json={}, headers=headers)
    assert resp.status_code == 409
    err = resp.json()["error"]
    assert err["code"] == "NO_PAYMENT_ACCOUNT" and "缴费银行信息维护" in err["fix_zh"]
    assert _state(pid) == before


def test_idempotent_replay_pays_once(client, as_user):
    headers = as_user("zhangwei") | {"Idempotency-Key": "pay-2026-11"}
    first = client.post(URL, json={}, headers=headers).json()
    second = client.post(URL, json={}, headers=headers).json()
    assert second["idempotent_replay"] is True and second["serial_no"] == first["serial_no"]
    with session_scope() as s:
        assert (
            s.scalar(
                select(func.count()).select_from(Transaction).where(Transaction.item_code == "self_service_payment")
            )
            == 1
        )


def test_quote_tells_the_amount_and_refuses_like_the_payment(client, as_user, monkeypatch):
    headers = as_user("zhangwei")
    quote = client.get("/services/self_service_payment/quote", headers=headers)
    assert quote.status_code == 200, quote.text
    body = quote.json()
    assert body["month"] == "2026-11" and body["total_yuan"] == "660.80" and "*" in body["account"]["account_no"]
    paid = client.post("/services/self_service_payment", json={}, headers=headers).json()
    assert paid["total_fen"] == body["total_fen"]
    again = client.get("/services/self_service_payment/quote", headers=headers)
    assert again.status_code == 409 and again.json()["error"]["code"] == "ALREADY_PAID"
    monkeypatch.setenv("SZ_BACKEND_NOW", "2026-11-28T10:00:00+08:00")  # a Saturday
    closed = client.get("/services/self_service_payment/quote", headers=as_user("machao"))
    assert closed.status_code == 409 and closed.json()["error"]["code"] == "PAYMENT_WINDOW_CLOSED"
