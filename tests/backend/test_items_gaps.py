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
    preview = client.post(
        "/items/register_individual_insurance/validate", json={"fields": {"medical_tier": "一档"}}, headers=h
    ).json()["preview"]
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
    resp = client.post(
        "/items/register_individual_insurance", json={"fields": {"medical_tier": "一档"}}, headers=as_user("gaoyuan")
    )
    assert resp.status_code == 409 and resp.json()["error"]["code"] == "NOT_SHENZHEN_HUKOU"
    # The article's case: the legacy "非深户" with a non-Shenzhen registry is told to correct the category first.
    _set_record_category("高远", HukouCategory.non_shenzhen_legacy)
    resp = client.post(
        "/items/register_individual_insurance", json={"fields": {"medical_tier": "一档"}}, headers=as_user("gaoyuan")
    )
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
    preview = client.post(
        "/items/register_individual_insurance/validate", json={"fields": {"medical_tier": "1"}}, headers=h
    ).json()["preview"]
    assert any("缴费银行信息维护" in line for line in preview["lines_zh"])
    resp = client.post("/items/register_individual_insurance", json={"fields": {"medical_tier": "1"}}, headers=h)
    assert resp.status_code == 200 and "缴费银行信息维护" in resp.json()["message_zh"]


def test_account_needs_its_bank_and_a_cooperating_one(client, as_user):
    h = as_user("gaoyuan")
    body = client.post(
        "/items/register_individual_insurance/validate",
        json={"fields": {"medical_tier": "1", "account_no": "6225880299990001"}},
        headers=h,
    ).json()
    assert body["missing"] == ["bank_name"] and body["preview"] is None
    resp = client.post(
        "/items/register_individual_insurance",
        json={"fields": {"medical_tier": "1", "account_no": "6225880299990001"}},
        headers=h,
    )
    assert resp.status_code == 422 and resp.json()["error"]["code"] == "FIELD_MISSING"
    fields = {"medical_tier": "1", "bank_name": "花旗银行", "account_no": "6225880299990001"}
    body = client.post("/items/register_individual_insurance/validate", json={"fields": fields}, headers=h).json()
    assert body["errors"]["bank_name"]["code"] == "BANK_NOT_COOPERATING"
    resp = client.post("/items/register_individual_insurance", json={"fields": fields}, headers=h)
    assert resp.json()["error"]["code"] == "BANK_NOT_COOPERATING"


# ---- paths that exist now: a guardian's own mobile number, an ID upgrade that cannot be computed ----------

LINA_ID = "440305199008202426"
CHENJING_ID = "440306199202142240"


def _child(client, h, name: str) -> int:
    return next(c["id"] for c in client.get("/me", headers=h).json()["children"] if c["name"] == name)


def test_guardian_updates_her_mobile_number_through_guardian_information(client, as_user):
    h = as_user("lina")
    child = _child(client, h, "李小明")
    fields = {"guardian_name": "李娜", "guardian_id_number": LINA_ID, "relation": "妈妈", "phone": "139 1234 5678"}
    body = client.post(
        "/items/maintain_guardian_info/validate", json={"subject_id": child, "fields": fields}, headers=h
    ).json()
    assert body["errors"] == {} and any("139****5678" in line for line in body["preview"]["lines_zh"]), body
    resp = client.post("/items/maintain_guardian_info", json={"subject_id": child, "fields": fields}, headers=h)
    assert resp.status_code == 200 and resp.json()["outcome"] == "completed", resp.text
    assert "139****5678" in resp.json()["message_zh"]
    assert client.get("/me", headers=h).json()["phone"].endswith("5678")
    # The same again: nothing left to change.
    again = client.post("/items/maintain_guardian_info", json={"subject_id": child, "fields": fields}, headers=h)
    assert again.json()["error"]["code"] == "GUARDIAN_ALREADY_LINKED"


def test_another_guardians_mobile_number_is_theirs_to_change(client, as_user):
    h = as_user("lina")
    child = _child(client, h, "李小明")
    fields = {"guardian_name": "陈静", "guardian_id_number": CHENJING_ID, "relation": "母亲", "phone": "13912345678"}
    body = client.post(
        "/items/maintain_guardian_info/validate", json={"subject_id": child, "fields": fields}, headers=h
    ).json()
    assert (
        body["errors"]["phone"]["code"] == "GUARDIAN_PHONE_NOT_OWN"
        and "个人基本信息变更" in body["errors"]["phone"]["fix_zh"]
    )
    resp = client.post("/items/maintain_guardian_info", json={"subject_id": child, "fields": fields}, headers=h)
    assert resp.json()["error"]["code"] == "GUARDIAN_PHONE_NOT_OWN"


def test_id_upgrade_that_cannot_be_computed_becomes_a_pre_application(client, as_user):
    with session_scope() as s:  # a stored 15-digit number with an impossible birth date (Feb 31)
        s.scalar(select(Person).where(Person.name == "孙立")).id_number = "440301780231123"
    h = as_user("sunli")
    fields = {"new_id_number": "440301197805121237"}
    body = client.post("/items/upgrade_id_number/validate", json={"fields": fields}, headers=h).json()
    assert body["errors"] == {} and any("预申请" in line for line in body["preview"]["lines_zh"]), body
    resp = client.post("/items/upgrade_id_number", json={"fields": fields}, headers=h)
    assert resp.status_code == 200 and resp.json()["outcome"] == "pre_application", resp.text
    assert resp.json()["details"]["reason"] == "ID_UPGRADE_MANUAL"


def test_at_the_window_the_stale_category_takes_the_registrys_and_the_enrolment_is_made(client, as_user):
    _set_record_category("高远", HukouCategory.guangdong_non_shenzhen)
    h = as_user("gaoyuan")
    number = client.post(
        "/items/register_individual_insurance", json={"fields": {"medical_tier": "一档"}}, headers=h
    ).json()["pre_application"]["number"]
    staff = client.post("/window/auth/login", json={"username": "clerk01", "password": "Demo@2026"}).json()
    clerk = {"Authorization": f"Bearer {staff['token']}"}
    count = len(client.get(f"/window/pre-applications/{number}", headers=clerk).json()["materials"])
    client.post(f"/window/pre-applications/{number}/materials", json={"received": list(range(count))}, headers=clerk)
    done = client.post(f"/window/pre-applications/{number}/finish", json={}, headers=clerk)
    assert done.status_code == 200 and done.json()["status"] == "completed", done.text
    assert client.get("/me", headers=h).json()["hukou_category"] == "shenzhen"


def test_an_english_transfer_preview_names_the_places_in_english(client, as_user):
    """The English summary said 'moves to 成都, 四川省'."""
    h = as_user("wugang")
    preview = client.post(
        "/items/transfer_pension_out/validate",
        json={"fields": {"destination_province": "四川省", "destination_city": "成都"}},
        headers=h,
    ).json()["preview"]
    assert any("Chengdu, Sichuan" in line for line in preview["lines_en"]), preview
    assert any("四川省成都" in line for line in preview["lines_zh"]), preview
