"""补托收, 少儿医保缴费, 居保缴费档次变更, 退休后继续缴纳医疗保险 through the HTTP API.

Demo people: machao (last month's deduction failed), zhangwei (nothing failed;
not retired), lina (guardian of 李小明 enrolled in children's medical from
2026-10, and of 李小乐 not enrolled), heli (residents' pension grade 3),
zhaojianguo (retired, no active medical), wugang (past retirement age with an
active flexible medical enrolment). Clock: Friday 2026-11-27 10:00.
"""

from __future__ import annotations

from sqlalchemy import func, select

from sz_backend.persistence.db import session_scope
from sz_backend.persistence.models import (
    BankAccount,
    Contribution,
    ContributionStatus,
    Enrolment,
    EnrolmentEvent,
    EnrolmentStatus,
    InsuranceType,
    Person,
    Scheme,
    Transaction,
)
from sz_backend.services.items.handlers.payments import monthly_shares

SATURDAY = "2026-11-28T10:00:00+08:00"


def _pid(name: str) -> int:
    with session_scope() as s:
        return s.scalar(select(Person.id).where(Person.name == name))


def _state(person_id: int) -> tuple:
    """Contributions, enrolments, history and transactions: untouched by a refusal."""
    with session_scope() as s:
        contributions = s.execute(
            select(
                Contribution.month,
                Contribution.insurance,
                Contribution.status,
                Contribution.personal_fen,
                Contribution.transaction_id,
            )
            .where(Contribution.person_id == person_id)
            .order_by(Contribution.id)
        ).all()
        enrolments = s.execute(
            select(
                Enrolment.id, Enrolment.status, Enrolment.medical_tier, Enrolment.pension_grade, Enrolment.start_month
            )
            .where(Enrolment.person_id == person_id)
            .order_by(Enrolment.id)
        ).all()
        return (
            tuple(contributions),
            tuple(enrolments),
            s.scalar(select(func.count()).select_from(EnrolmentEvent)),
            s.scalar(select(func.count()).select_from(Transaction)),
        )


def _post(client, headers, code: str, fields: dict | None = None, subject_id: int | None = None):
    return client.post(f"/items/{code}", json={"subject_id": subject_id, "fields": fields or {}}, headers=headers)


def _refused(resp, code: str, status: int = 409) -> dict:
    assert resp.status_code == status, resp.text
    err = resp.json()["error"]
    assert err["code"] == code, err
    return err


# -- 补托收 ---------------------------------------------------------------------------------------------


def test_retry_collection_pays_the_failed_month(client, as_user):
    pid = _pid("马超")
    resp = _post(client, as_user("machao"), "retry_individual_collection", {"month": "2026年10月"})
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert body["outcome"] == "completed"
    d = body["details"]
    assert d["month"] == "2026-10" and d["total_fen"] == 66080 and d["total_yuan"] == "660.80"
    assert d["account"]["account_no"] == "************2121"
    assert "660.80" in body["message_zh"] and "660.80" in body["message_en"]
    with session_scope() as s:
        tx = s.scalar(select(Transaction).where(Transaction.serial_no == body["serial_no"]))
        rows = list(
            s.scalars(select(Contribution).where(Contribution.person_id == pid, Contribution.month == "2026-10"))
        )
        assert len(rows) == 2
        assert all(r.status == ContributionStatus.paid and r.transaction_id == tx.id and r.paid_at for r in rows)
        assert sorted(r.personal_fen for r in rows) == [18880, 47200]  # same amounts as the failed deduction
        assert not s.scalar(
            select(func.count())
            .select_from(Contribution)
            .where(Contribution.person_id == pid, Contribution.status == ContributionStatus.failed)
        )


def test_retry_collection_wrong_month_lists_failed_months(client, as_user):
    headers, before = as_user("machao"), _state(_pid("马超"))
    err = _refused(_post(client, headers, "retry_individual_collection", {"month": "2026-09"}), "NO_FAILED_DEDUCTION")
    assert err["details"]["failed_months"] == ["2026-10"] and "2026-10" in err["message_zh"]
    assert _state(_pid("马超")) == before


def test_retry_collection_future_month(client, as_user):
    headers, before = as_user("machao"), _state(_pid("马超"))
    _refused(_post(client, headers, "retry_individual_collection", {"month": "2026-12"}), "MONTH_IN_FUTURE")
    assert _state(_pid("马超")) == before


def test_retry_collection_nothing_failed(client, as_user):
    headers, before = as_user("zhangwei"), _state(_pid("张伟"))
    elig = client.get("/items/retry_individual_collection/eligibility", headers=headers).json()
    assert elig["eligible"] is False and elig["reason"]["code"] == "NO_FAILED_DEDUCTION"
    _refused(_post(client, headers, "retry_individual_collection", {"month": "2026-10"}), "NO_FAILED_DEDUCTION")
    assert _state(_pid("张伟")) == before


def test_retry_collection_outside_window(client, as_user, monkeypatch):
    headers, before = as_user("machao"), _state(_pid("马超"))
    monkeypatch.setenv("SZ_BACKEND_NOW", SATURDAY)
    err = _refused(_post(client, headers, "retry_individual_collection", {"month": "2026-10"}), "PAYMENT_WINDOW_CLOSED")
    assert err["details"]["next_opening"].startswith("2026-11-30T09:00")
    assert _state(_pid("马超")) == before


# -- 少儿医保缴费 ------------------------------------------------------------------------------------


def test_monthly_shares_add_up_to_the_yearly_premium():
    assert monthly_shares(42000) == [3500] * 12
    assert monthly_shares(42005) == [3501] * 5 + [3500] * 7 and sum(monthly_shares(42005)) == 42005


def test_pay_child_medical_pro_rata_from_enrolment_month(client, as_user):
    child = _pid("李小明")
    resp = _post(client, as_user("lina"), "pay_child_medical", subject_id=child)
    assert resp.status_code == 200, resp.text
    body = resp.json()
    d = body["details"]
    # enrolled 2026-10: 11 of the 12 months of the 2026-09..2027-08 insurance year, 420.00 x 11/12
    assert d["insurance_year"] == {"from": "2026-09", "to": "2027-08"}
    assert d["months"][0] == "2026-10" and d["months"][-1] == "2027-08" and d["month_count"] == 11
    assert d["total_fen"] == 38500 and d["total_yuan"] == "385.00" and "385.00" in body["message_zh"]
    assert d["account"]["bank_name"] == "中国银行"  # the guardian's account
    with session_scope() as s:
        tx = s.scalar(select(Transaction).where(Transaction.serial_no == body["serial_no"]))
        assert tx.actor_person_id == _pid("李娜") and tx.subject_person_id == child
        rows = list(s.scalars(select(Contribution).where(Contribution.person_id == child).order_by(Contribution.month)))
        assert [r.month for r in rows] == d["months"]
        assert all(
            r.insurance == InsuranceType.medical
            and r.scheme == Scheme.child
            and r.personal_fen == 3500
            and r.status == ContributionStatus.paid
            and r.transaction_id == tx.id
            for r in rows
        )


def test_pay_child_medical_full_year(client, as_user):
    child = _pid("李小明")
    with session_scope() as s:
        s.scalar(select(Enrolment).where(Enrolment.person_id == child)).start_month = "2025-03"
    resp = _post(client, as_user("lina"), "pay_child_medical", subject_id=child)
    assert resp.status_code == 200, resp.text
    assert resp.json()["details"]["month_count"] == 12 and resp.json()["details"]["total_yuan"] == "420.00"


def test_pay_child_medical_twice_is_already_paid(client, as_user):
    headers, child = as_user("lina"), _pid("李小明")
    assert _post(client, headers, "pay_child_medical", subject_id=child).status_code == 200
    before = _state(child)
    _refused(_post(client, headers, "pay_child_medical", subject_id=child), "ALREADY_PAID")
    elig = client.get(f"/items/pay_child_medical/eligibility?subject_id={child}", headers=headers).json()
    assert elig["eligible"] is False and elig["reason"]["code"] == "ALREADY_PAID"
    assert _state(child) == before


def test_pay_child_medical_child_not_enrolled(client, as_user):
    headers, child = as_user("lina"), _pid("李小乐")
    before = _state(child)
    err = _refused(_post(client, headers, "pay_child_medical", subject_id=child), "NO_CHILD_MEDICAL_ENROLMENT")
    assert "首次参保" in err["fix_zh"]
    assert _state(child) == before


def test_pay_child_medical_not_the_guardian(client, as_user):
    child = _pid("李小明")
    before = _state(child)
    _refused(_post(client, as_user("chenjing"), "pay_child_medical", subject_id=child), "NOT_GUARDIAN", 403)
    assert _state(child) == before


def test_pay_child_medical_outside_window(client, as_user, monkeypatch):
    headers, child = as_user("lina"), _pid("李小明")
    before = _state(child)
    monkeypatch.setenv("SZ_BACKEND_NOW", "2026-11-27T08:59:00+08:00")
    err = _refused(_post(client, headers, "pay_child_medical", subject_id=child), "PAYMENT_WINDOW_CLOSED")
    assert err["details"]["next_opening"].startswith("2026-11-27T09:00")
    assert _state(child) == before


def test_pay_child_medical_guardian_without_account(client, as_user):
    headers, child = as_user("lina"), _pid("李小明")
    with session_scope() as s:
        for account in s.scalars(select(BankAccount).where(BankAccount.person_id == _pid("李娜"))):
            account.is_payment_account = False
    before = _state(child)
    _refused(_post(client, headers, "pay_child_medical", subject_id=child), "NO_PAYMENT_ACCOUNT")
    assert _state(child) == before


# -- 居保缴费档次变更 --------------------------------------------------------------------------------


def test_change_resident_pension_grade(client, as_user):
    pid = _pid("何丽")
    resp = _post(client, as_user("heli"), "change_resident_pension_grade", {"pension_grade": "第五档"})
    assert resp.status_code == 200, resp.text
    d = resp.json()["details"]
    assert d == {
        "old_grade": 3,
        "new_grade": 5,
        "yearly_fen": 360000,
        "yearly_yuan": "3600.00",
        "effective_from": "2026-12",
    }
    with session_scope() as s:
        e = s.scalar(select(Enrolment).where(Enrolment.person_id == pid, Enrolment.insurance == InsuranceType.pension))
        assert e.pension_grade == 5
        event = s.scalar(select(EnrolmentEvent).where(EnrolmentEvent.enrolment_id == e.id))
        assert event.change == "grade_changed"
        assert event.detail == {"old_grade": 3, "new_grade": 5, "from_month": "2026-12"}


def test_change_resident_pension_grade_same_grade(client, as_user):
    headers, before = as_user("heli"), _state(_pid("何丽"))
    _refused(_post(client, headers, "change_resident_pension_grade", {"pension_grade": "3"}), "SAME_GRADE")
    assert _state(_pid("何丽")) == before


def test_change_resident_pension_grade_not_enrolled(client, as_user):
    headers, before = as_user("zhangwei"), _state(_pid("张伟"))
    _refused(
        _post(client, headers, "change_resident_pension_grade", {"pension_grade": "2"}), "NO_RESIDENT_PENSION_ENROLMENT"
    )
    assert _state(_pid("张伟")) == before


# -- 退休后继续缴纳医疗保险 --------------------------------------------------------------------------


def test_continue_medical_after_retirement(client, as_user):
    pid = _pid("赵建国")
    resp = _post(client, as_user("zhaojianguo"), "continue_medical_after_retirement", {"medical_tier": "一档"})
    assert resp.status_code == 200, resp.text
    d = resp.json()["details"]
    assert d["medical_tier"] == 1 and d["start_month"] == "2026-12" and d["monthly_yuan"] == "188.80"
    with session_scope() as s:
        e = s.scalar(select(Enrolment).where(Enrolment.person_id == pid, Enrolment.status == EnrolmentStatus.active))
        assert (e.insurance, e.scheme, e.medical_tier, e.start_month) == (
            InsuranceType.medical,
            Scheme.retiree,
            1,
            "2026-12",
        )
        assert [ev.change for ev in e.history] == ["created"]
    me = client.get("/me", headers=as_user("zhaojianguo")).json()
    assert {"insurance": "medical", "scheme": "retiree", "status": "active"}.items() <= me["enrolments"][-1].items()


def test_continue_medical_twice_is_already_enrolled(client, as_user):
    headers = as_user("zhaojianguo")
    assert _post(client, headers, "continue_medical_after_retirement", {"medical_tier": "2"}).status_code == 200
    before = _state(_pid("赵建国"))
    _refused(_post(client, headers, "continue_medical_after_retirement", {"medical_tier": "1"}), "ALREADY_ENROLLED")
    assert _state(_pid("赵建国")) == before


def test_continue_medical_not_retired(client, as_user):
    headers, before = as_user("zhangwei"), _state(_pid("张伟"))
    err = _refused(_post(client, headers, "continue_medical_after_retirement", {"medical_tier": "1"}), "NOT_RETIRED")
    assert err["details"]["retirement_month"] == "2051-05"  # man born 1988-05: 63 years
    assert _state(_pid("张伟")) == before


def test_continue_medical_past_age_but_medical_active(client, as_user):
    # 吴刚 (man, 1966-01) reached the statutory age in 2026-05 but his flexible medical is still active.
    headers, before = as_user("wugang"), _state(_pid("吴刚"))
    _refused(_post(client, headers, "continue_medical_after_retirement", {"medical_tier": "1"}), "ALREADY_ENROLLED")
    assert _state(_pid("吴刚")) == before
