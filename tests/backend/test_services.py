"""Services besides the items: contribution details, certificate, pre-application status, registration."""

from __future__ import annotations

import re
import shutil
import subprocess
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from sz_backend.persistence.db import session_scope
from sz_backend.persistence.models import (
    AuditEntry,
    BankAccount,
    Document,
    GuardianLink,
    Person,
    SmsOutbox,
    UserAccount,
)
from sz_backend.rules.numbers import make_pre_application_number
from sz_backend.seed import make_id


def pid(name: str) -> int:
    with session_scope() as s:
        return s.scalar(select(Person.id).where(Person.name == name))


def error_code(resp, status: int) -> str:
    assert resp.status_code == status, resp.text
    error = resp.json()["error"]
    assert error["message_zh"] and error["message_en"]
    return error["code"]


def pdftotext(pdf: bytes, tmp_path: Path) -> str:
    tool = shutil.which("pdftotext")
    if tool is None:
        pytest.fail("pdftotext (poppler-utils) is required")
    target = tmp_path / "doc.pdf"
    target.write_bytes(pdf)
    result = subprocess.run([tool, "-layout", str(target), "-"], capture_output=True, text=True, check=True)
    if "Unknown CMap" in result.stderr or "language pack" in result.stderr:
        pytest.fail(f"pdftotext cannot decode the Chinese font: install poppler-data ({result.stderr.strip()})")
    return result.stdout


# ----------------------------------------------------------------------------- 五险缴费明细查询


def test_contributions_default_to_the_last_12_months(client, as_user):
    r = client.get("/services/contributions", headers=as_user("zhangwei"))
    assert r.status_code == 200, r.text
    body = r.json()
    assert (body["from_month"], body["to_month"]) == ("2025-12", "2026-11")
    months = [m["month"] for m in body["months"]]
    assert months == ["2025-12"] + [f"2026-{m:02d}" for m in range(1, 11)]  # paid up to last month
    first = body["months"][0]
    pension = next(i for i in first["items"] if i["insurance"] == "pension")
    medical = next(i for i in first["items"] if i["insurance"] == "medical")
    assert (pension["personal_fen"], pension["personal_yuan"], pension["employer_yuan"]) == (47200, "472.00", "0.00")
    assert medical["insurance_zh"] == "医疗保险（一档）" and medical["personal_fen"] == 18880
    assert pension["status"] == "paid" and pension["status_zh"] == "已缴费"
    assert first["total_fen"] == 47200 + 18880
    assert body["totals"]["by_insurance"]["pension"]["personal_fen"] == 11 * 47200
    assert body["totals"]["all"]["total_yuan"] == "7268.80"
    # 23 months on record + 60 before this system
    assert body["pension_paid_months"] == {"recorded": 23, "prior": 60, "extended": 0, "total": 83}
    assert "*" in body["id_number"]


def test_employee_contributions_have_five_insurances_and_both_parts(client, as_user):
    body = client.get("/services/contributions?from_month=2026-01&to_month=2026-03", headers=as_user("lina")).json()
    assert [m["month"] for m in body["months"]] == ["2026-01", "2026-02", "2026-03"]
    items = {i["insurance"]: i for i in body["months"][0]["items"]}
    assert list(items) == ["pension", "medical", "unemployment", "work_injury", "maternity"]
    assert (items["pension"]["employer_fen"], items["pension"]["personal_fen"]) == (192000, 96000)
    assert (items["work_injury"]["employer_yuan"], items["work_injury"]["personal_yuan"]) == ("48.00", "0.00")
    assert body["totals"]["by_insurance"]["maternity"]["months"] == 3


def test_failed_deduction_is_listed_but_not_counted(client, as_user):
    body = client.get("/services/contributions?from_month=2026-10&to_month=2026-10", headers=as_user("machao")).json()
    assert body["failed_months"] == ["2026-10"]
    assert {i["status"] for i in body["months"][0]["items"]} == {"failed"}
    assert body["totals"]["all"]["total_fen"] == 0 and "扣款失败" in body["message_zh"]


def test_contribution_range_with_only_a_start(client, as_user):
    body = client.get("/services/contributions?from_month=2026-06", headers=as_user("zhangwei")).json()
    assert (body["from_month"], body["to_month"]) == ("2026-06", "2026-11")
    body = client.get("/services/contributions?to_month=2026-03", headers=as_user("zhangwei")).json()
    assert (body["from_month"], body["to_month"]) == ("2025-04", "2026-03")


@pytest.mark.parametrize(
    "query, code",
    [
        ("from_month=2026-05&to_month=2026-01", "INVALID_RANGE"),
        ("from_month=2000-01&to_month=2026-11", "RANGE_TOO_LONG"),
        ("from_month=2026-13", "INVALID_REQUEST"),
        ("to_month=0000-01", "INVALID_MONTH"),
    ],
)
def test_contribution_range_refusals(client, as_user, query, code):
    assert error_code(client.get(f"/services/contributions?{query}", headers=as_user("zhangwei")), 422) == code


def test_contributions_at_most_120_months(client, as_user):
    r = client.get("/services/contributions?from_month=2016-12&to_month=2026-11", headers=as_user("zhangwei"))
    assert r.status_code == 200


def test_contributions_of_a_linked_child_only(client, as_user):
    r = client.get(f"/services/contributions?subject_id={pid('李小明')}", headers=as_user("lina"))
    assert r.status_code == 200 and r.json()["subject_name"] == "李小明" and r.json()["months"] == []
    r = client.get(f"/services/contributions?subject_id={pid('李小明')}", headers=as_user("chenjing"))
    assert error_code(r, 403) == "NOT_GUARDIAN"
    r = client.get(f"/services/contributions?subject_id={pid('李娜')}", headers=as_user("zhangwei"))
    assert error_code(r, 403) == "NOT_GUARDIAN"


# ----------------------------------------------------------------------------- 社保参保证明打印


def test_certificate_pdf(client, as_user, tmp_path):
    r = client.post("/services/certificate", json={}, headers=as_user("zhangwei"))
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["certificate_no"] == "ZM20261127000001"
    assert body["message_zh"] and body["message_en"]
    pdf = client.get(body["url"].replace("http://testserver", ""))
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    text = pdftotext(pdf.content, tmp_path)
    assert "张伟" in text and "参保证明" in text and "472.00" in text and body["certificate_no"] in text
    with session_scope() as s:
        full_id = s.scalar(select(Person.id_number).where(Person.name == "张伟"))
        assert s.scalar(select(Document.kind).where(Document.number == body["certificate_no"])) == "certificate"
        assert (
            s.scalar(
                select(func.count())
                .select_from(AuditEntry)
                .where(AuditEntry.action == "service.print_insurance_certificate")
            )
            == 1
        )
    assert full_id not in text and full_id[:4] in text
    again = client.post("/services/certificate", json={}, headers=as_user("zhangwei")).json()
    assert again["certificate_no"] == "ZM20261127000002"


def test_certificate_for_a_linked_child(client, as_user, tmp_path):
    r = client.post("/services/certificate", json={"subject_id": pid("李小明")}, headers=as_user("lina"))
    assert r.status_code == 200, r.text
    text = pdftotext(client.get(r.json()["url"].replace("http://testserver", "")).content, tmp_path)
    assert "李小明" in text and "医疗保险（居民）" in text
    r = client.post("/services/certificate", json={"subject_id": pid("陈安安")}, headers=as_user("lina"))
    assert error_code(r, 403) == "NOT_GUARDIAN"


def test_no_certificate_without_any_insurance_record(client, as_user):
    r = client.post("/services/certificate", json={}, headers=as_user("gaoyuan"))
    assert error_code(r, 409) == "NO_INSURANCE_RECORD"
    assert r.json()["error"]["fix_zh"]
    with session_scope() as s:
        assert s.scalar(select(func.count()).select_from(Document)) == 0


# ----------------------------------------------------------------------------- 预申请进度查询


def make_pre_application(client, as_user) -> str:
    """李娜 enrols 李小乐: the registry has no settle-in date, so it becomes a pre-application."""
    r = client.post(
        "/items/enroll_child_first_time",
        json={"subject_id": pid("李小乐"), "fields": {"settle_in_date": "2026-06-01"}},
        headers=as_user("lina"),
    )
    assert r.json()["outcome"] == "pre_application", r.text
    return r.json()["pre_application"]["number"]


def test_pre_application_status_for_the_applicant(client, as_user):
    number = make_pre_application(client, as_user)
    headers = as_user("lina")
    for typed in (number, number.lower(), f"{number[:6]} {number[6:]}"):
        r = client.get(f"/pre-applications/{typed}", headers=headers)
        assert r.status_code == 200, r.text
        body = r.json()
        assert body["number"] == number and body["status"] == "submitted"
        assert body["item_code"] == "enroll_child_first_time" and body["item_name_zh"] == "深户非在园在校少儿首次参保"
        assert body["subject_name"] == "李小乐" and body["created_at"]
        assert [m["zh"] for m in body["materials"]][-1] == "打印并签名的预申请表"
        assert body["mismatches"][0]["field"] == "settle_in_date" and body["where_zh"]
    pdf = client.get(body["form_url"].replace("http://testserver", ""))
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"


def test_pre_application_status_for_the_subject_and_guardians(client, as_user):
    # 黄强's own pre-application (the category he chose is not the registry's)
    r = client.post(
        "/items/change_basic_info",
        json={"fields": {"hukou_category": "outside_guangdong"}},
        headers=as_user("huangqiang"),
    )
    own = r.json()["pre_application"]["number"]
    assert client.get(f"/pre-applications/{own}", headers=as_user("huangqiang")).status_code == 200
    # a second guardian of the child sees the first guardian's pre-application for that child
    number = make_pre_application(client, as_user)
    with session_scope() as s:
        s.add(GuardianLink(guardian_id=pid("陈静"), child_id=pid("李小乐"), relation="guardian"))
    assert client.get(f"/pre-applications/{number}", headers=as_user("chenjing")).status_code == 200


def test_pre_application_status_refusals(client, as_user):
    number = make_pre_application(client, as_user)
    # someone else's: the same answer as a number that does not exist
    other = client.get(f"/pre-applications/{number}", headers=as_user("zhangwei"))
    unknown = client.get(f"/pre-applications/{make_pre_application_number(2026, 9999)}", headers=as_user("lina"))
    assert error_code(other, 404) == error_code(unknown, 404) == "PRE_APPLICATION_NOT_FOUND"
    assert other.json() == unknown.json()
    # one digit mistyped: the check character catches it
    digit = "1" if number[8] != "1" else "2"
    mistyped = number[:8] + digit + number[9:]
    r = client.get(f"/pre-applications/{mistyped}", headers=as_user("lina"))
    assert error_code(r, 422) == "PRE_APPLICATION_NUMBER_INVALID" and r.json()["error"]["fix_zh"]
    assert (
        error_code(client.get("/pre-applications/hello", headers=as_user("lina")), 422)
        == "PRE_APPLICATION_NUMBER_INVALID"
    )


# ----------------------------------------------------------------------------- 新用户注册

LINXIAO_ID = make_id("440304", date(1998, 1, 20), 260)


def registration(**changes: Any) -> dict[str, Any]:
    return {
        "id_number": LINXIAO_ID,
        "name": "林晓",
        "phone": "13800138014",
        "username": "linxiao",
        "password": "Linxiao2026",
        "bank_name": "招商银行",
        "bank_account": "6225 8802 1111 2222",
        "bank_opened_in_shenzhen": True,
    } | changes


def with_code(client, body: dict[str, Any]) -> dict[str, Any]:
    """Registration step 1 (the bank checks the card, a code goes by SMS), the code read from the
    development outbox: the body of step 2."""
    step1 = {k: v for k, v in body.items() if k not in ("username", "password")}
    r = client.post("/accounts/code", json=step1)
    assert r.status_code == 200, r.text
    with session_scope() as s:
        text = s.scalars(
            select(SmsOutbox.text).where(SmsOutbox.phone == body["phone"]).order_by(SmsOutbox.id.desc())
        ).first()
    code = re.search(r"验证码(\d{6})", text).group(1)
    return body | {"otp_id": r.json()["otp_id"], "otp_code": code}


def accounts_of(name: str) -> int:
    with session_scope() as s:
        return s.scalar(
            select(func.count())
            .select_from(UserAccount)
            .join(Person, Person.id == UserAccount.person_id)
            .where(Person.name == name)
        )


def test_linxiao_registers_and_logs_in(client):
    r = client.post(
        "/accounts", json=with_code(client, registration(id_number=LINXIAO_ID.lower())), headers={"X-Channel": "web"}
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["username"] == "linxiao" and body["name"] == "林晓"
    assert LINXIAO_ID not in r.text and "6225880211112222" not in r.text and "13800138014" not in r.text
    assert body["bank_account"].endswith("2222") and body["is_payment_account"] is True
    with session_scope() as s:
        person = s.scalar(select(Person).where(Person.name == "林晓"))
        account = s.scalar(select(UserAccount).where(UserAccount.person_id == person.id))
        assert account.username == "linxiao" and account.password_hash.startswith("$argon2")
        bank = s.scalar(select(BankAccount).where(BankAccount.person_id == person.id))
        assert (bank.bank_name, bank.account_no, bank.is_payment_account) == ("招商银行", "6225880211112222", True)
        assert (
            s.scalar(select(AuditEntry.action).where(AuditEntry.actor_person_id == person.id))
            == "service.register_account"
        )
        assert (
            s.scalar(select(AuditEntry.action).where(AuditEntry.subject_person_id == person.id).order_by(AuditEntry.id))
            == "service.register_account.code_sent"
        )
    login = client.post("/auth/login", json={"username": "linxiao", "password": "Linxiao2026"})
    assert login.status_code == 200 and login.json()["name"] == "林晓"


@pytest.mark.parametrize(
    "changes, code, status",
    [
        ({"name": "林小"}, "PERSON_NOT_FOUND", 404),
        ({"id_number": make_id("440304", date(1998, 1, 20), 262), "name": "林晓"}, "PERSON_NOT_FOUND", 404),
        ({"id_number": LINXIAO_ID[:-1] + ("0" if LINXIAO_ID[-1] != "0" else "1")}, "ID_NUMBER_CHECK", 422),
        ({"username": "lina"}, "USERNAME_TAKEN", 409),
        ({"phone": "23800138014"}, "PHONE_INVALID", 422),
        ({"bank_name": "汇丰银行"}, "BANK_NOT_COOPERATING", 409),
        ({"bank_opened_in_shenzhen": False}, "BANK_NOT_IN_SHENZHEN", 409),
        ({"password": "abcdefghij"}, "WEAK_PASSWORD", 422),
        ({"password": "1234567890"}, "WEAK_PASSWORD", 422),
        ({"bank_account": "12345abcde"}, "BANK_ACCOUNT_INVALID", 422),
    ],
)
def test_registration_refusals(client, changes, code, status):
    r = client.post("/accounts", json=registration(**changes))
    assert error_code(r, status) == code
    assert accounts_of("林晓") == 0
    with session_scope() as s:
        assert s.scalar(select(func.count()).select_from(BankAccount).join(Person).where(Person.name == "林晓")) == 0


def test_bank_refusal_lists_the_12_banks(client):
    error = client.post("/accounts", json=registration(bank_name="汇丰银行")).json()["error"]
    assert len(error["details"]["banks"]) == 12 and "深圳农村商业银行" in error["message_zh"]


def test_existing_account_is_refused(client):
    with session_scope() as s:
        zhang = s.scalar(select(Person).where(Person.name == "张伟"))
        sun = s.scalar(select(Person).where(Person.name == "孙立"))
        ids = {"张伟": zhang.id_number, "孙立": sun.id_number}
    r = client.post("/accounts", json=registration(id_number=ids["张伟"], name="张伟", username="zhangwei2"))
    assert error_code(r, 409) == "ACCOUNT_EXISTS"
    # 孙立's record still holds his 15-digit number: the 18-digit form finds him
    from sz_backend.rules.idnumber import upgrade_15_to_18

    r = client.post(
        "/accounts", json=registration(id_number=upgrade_15_to_18(ids["孙立"]), name="孙立", username="sunli2")
    )
    assert error_code(r, 409) == "ACCOUNT_EXISTS"
    assert accounts_of("张伟") == accounts_of("孙立") == 1


def test_registration_keeps_an_existing_payment_account(client):
    with session_scope() as s:
        person = s.scalar(select(Person).where(Person.name == "林晓"))
        s.add(
            BankAccount(
                person_id=person.id,
                bank_name="中国银行",
                account_no="6216610200099999",
                holder_name="林晓",
                opened_in_shenzhen=True,
                is_payment_account=True,
            )
        )
    body = client.post("/accounts", json=with_code(client, registration())).json()
    assert body["is_payment_account"] is False
    with session_scope() as s:
        rows = s.scalars(select(BankAccount).join(Person).where(Person.name == "林晓").order_by(BankAccount.id))
        assert [(b.bank_name, b.is_payment_account) for b in rows] == [("中国银行", True), ("招商银行", False)]
