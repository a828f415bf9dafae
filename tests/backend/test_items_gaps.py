"""Two gaps residents met in conversations (issue 16):

- a rule that needs Shenzhen hukou read the (stale) insurance record and refused a
  resident whose hukou had moved to Shenzhen; it must compare with the registry and
  end in the comparison's pre-application;
- the payment account given while enrolling as a flexible worker was dropped, so
  the first payment was refused for lack of an account.
"""
from __future__ import annotations

from sqlalchemy import delete, select

from sz_backend.persistence.db import session_scope
from sz_backend.persistence.models import BankAccount, HukouCategory, HukouRecord, Person


def _set_record_category(name: str, category: HukouCategory, *, registry: HukouCategory | None = None) -> None:
    with session_scope() as s:
        person = s.scalar(select(Person).where(Person.name == name))
        person.hukou_category = category
        if registry is not None:
            s.scalar(select(HukouRecord).where(HukouRecord.id_number == person.id_number)).hukou_category = registry


def _drop_bank_accounts(name: str) -> None:
    with session_scope() as s:
        pid = s.scalar(select(Person.id).where(Person.name == name))
        s.execute(delete(BankAccount).where(BankAccount.person_id == pid))


def test_stale_record_with_shenzhen_registry_gets_the_comparison_pre_application(client, as_user):
    # 高远's hukou is Shenzhen in the registry; his insurance record still says 广东省内非深户.
    _set_record_category("高远", HukouCategory.guangdong_non_shenzhen)
    h = as_user("gaoyuan")
    assert client.get("/items/register_individual_insurance/eligibility", headers=h).json()["eligible"] is True
    preview = client.post("/items/register_individual_insurance/validate", json={"fields": {"medical_tier": "一档"}},
                          headers=h).json()["preview"]
    assert any("预申请" in line and "户籍类别" in line for line in preview["lines_zh"]), preview
    resp = client.post("/items/register_individual_insurance", json={"fields": {"medical_tier": "一档"}}, headers=h)
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert body["outcome"] == "pre_application"
    assert [m["field"] for m in body["pre_application"]["mismatches"]] == ["hukou_category"]


def test_stale_record_on_a_pre_application_item_is_not_refused_and_names_the_mismatch(client, as_user):
    _set_record_category("高远", HukouCategory.outside_guangdong)
    h = as_user("gaoyuan")
    resp = client.post("/items/register_resident_pension", json={"fields": {"pension_grade": "3"}}, headers=h)
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert body["outcome"] == "pre_application"
    assert [m["field"] for m in body["pre_application"]["mismatches"]] == ["hukou_category"]
    assert "户籍登记" in body["message_zh"]


def test_neither_record_nor_registry_shenzhen_is_still_refused(client, as_user):
    _set_record_category("高远", HukouCategory.guangdong_non_shenzhen, registry=HukouCategory.guangdong_non_shenzhen)
    resp = client.post("/items/register_individual_insurance", json={"fields": {"medical_tier": "一档"}},
                       headers=as_user("gaoyuan"))
    assert resp.status_code == 409 and resp.json()["error"]["code"] == "NOT_SHENZHEN_HUKOU"
    # The article's case: the legacy "非深户" with a non-Shenzhen registry is told to correct the category first.
    _set_record_category("高远", HukouCategory.non_shenzhen_legacy)
    resp = client.post("/items/register_individual_insurance", json={"fields": {"medical_tier": "一档"}},
                       headers=as_user("gaoyuan"))
    assert resp.status_code == 409 and resp.json()["error"]["code"] == "HUKOU_CATEGORY_OUTDATED"


def test_account_given_when_enrolling_is_the_payment_account_so_the_first_payment_works(client, as_user):
    _drop_bank_accounts("高远")
    h = as_user("gaoyuan")
    fields = {"medical_tier": "二档", "bank_name": "招行", "account_no": "6225 8802 9999 0001"}
    body = client.post("/items/register_individual_insurance/validate", json={"fields": fields}, headers=h).json()
    assert body["errors"] == {} and body["values"]["bank_name"] == "招商银行"
    assert any("招商银行" in line for line in body["preview"]["lines_zh"])
    resp = client.post("/items/register_individual_insurance", json={"fields": fields}, headers=h)
    assert resp.status_code == 200 and resp.json()["outcome"] == "completed", resp.text
    pay = client.post("/services/self_service_payment", json={}, headers={**h, "Idempotency-Key": "first-pay"})
    assert pay.status_code == 200, pay.text
    assert "招商银行" in pay.json()["message_zh"]


def test_without_an_account_the_enrolment_says_how_to_pay(client, as_user):
    _drop_bank_accounts("高远")
    h = as_user("gaoyuan")
    preview = client.post("/items/register_individual_insurance/validate", json={"fields": {"medical_tier": "1"}},
                          headers=h).json()["preview"]
    assert any("缴费银行信息维护" in line for line in preview["lines_zh"])
    resp = client.post("/items/register_individual_insurance", json={"fields": {"medical_tier": "1"}}, headers=h)
    assert resp.status_code == 200 and "缴费银行信息维护" in resp.json()["message_zh"]


def test_account_needs_its_bank_and_a_cooperating_one(client, as_user):
    h = as_user("gaoyuan")
    body = client.post("/items/register_individual_insurance/validate",
                       json={"fields": {"medical_tier": "1", "account_no": "6225880299990001"}}, headers=h).json()
    assert body["missing"] == ["bank_name"] and body["preview"] is None
    resp = client.post("/items/register_individual_insurance",
                       json={"fields": {"medical_tier": "1", "account_no": "6225880299990001"}}, headers=h)
    assert resp.status_code == 422 and resp.json()["error"]["code"] == "FIELD_MISSING"
    fields = {"medical_tier": "1", "bank_name": "花旗银行", "account_no": "6225880299990001"}
    body = client.post("/items/register_individual_insurance/validate", json={"fields": fields}, headers=h).json()
    assert body["errors"]["bank_name"]["code"] == "BANK_NOT_COOPERATING"
    resp = client.post("/items/register_individual_insurance", json={"fields": fields}, headers=h)
    assert resp.json()["error"]["code"] == "BANK_NOT_COOPERATING"
