"""POST /items/{code}/validate and the field schema of GET /catalogue.

The promise: the validate call and submission decide alike. For every field type a
value that validate refuses is refused by submission with the same code, and a set
that validate accepts (a preview, no errors) is accepted by submission. Real
backend app, real database (SQLite or PostgreSQL like the rest of the suite).
"""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from sz_backend.persistence.db import session_scope
from sz_backend.persistence.models import Person


def person_id(name: str) -> int:
    with session_scope() as s:
        return s.scalar(select(Person.id).where(Person.name == name))


def validate(client, headers, code: str, fields: dict[str, Any], subject: str | None = None):
    body: dict[str, Any] = {"fields": fields}
    if subject:
        body["subject_id"] = person_id(subject)
    return client.post(f"/items/{code}/validate", json=body, headers=headers)


def submit(client, headers, code: str, fields: dict[str, Any], subject: str | None = None):
    body: dict[str, Any] = {"fields": fields}
    if subject:
        body["subject_id"] = person_id(subject)
    return client.post(f"/items/{code}", json=body, headers=headers)


# (user, item, child or None, a complete valid set, the field under test, a value it must refuse, the code)
CASES = [
    ("machao", "retry_individual_collection", None, {"month": "2026年10月份"}, "month", "2026-13", "FIELD_MONTH"),
    ("machao", "retry_individual_collection", None, {"month": "2026-10"}, "month", "2026-12", "MONTH_IN_FUTURE"),
    ("machao", "retry_individual_collection", None, {"month": "2026-10"}, "month", "2026-09", "NO_FAILED_DEDUCTION"),
    ("liuyang", "change_enrollment_info", None, {"medical_tier": "一档"}, "medical_tier", "三档", "FIELD_TIER"),
    ("liuyang", "change_enrollment_info", None, {"medical_tier": "tier 1"}, "medical_tier", "二档", "SAME_TIER"),
    (
        "heli",
        "change_resident_pension_grade",
        None,
        {"pension_grade": "第五档"},
        "pension_grade",
        "第11档",
        "FIELD_GRADE",
    ),
    ("heli", "change_resident_pension_grade", None, {"pension_grade": "5"}, "pension_grade", "三档", "SAME_GRADE"),
    (
        "qianfang",
        "transfer_pension_out",
        None,
        {"destination_province": "湖南", "destination_city": "长沙"},
        "destination_province",
        "火星",
        "FIELD_PROVINCE",
    ),
    (
        "qianfang",
        "transfer_pension_out",
        None,
        {"destination_province": "湖南", "destination_city": "长沙市"},
        "destination_city",
        "随便",
        "FIELD_CITY",
    ),
    (
        "qianfang",
        "transfer_pension_out",
        None,
        {"destination_province": "Sichuan", "destination_city": "Chengdu"},
        "destination_city",
        "杭州",
        "CITY_NOT_IN_PROVINCE",
    ),
    (
        "qianfang",
        "transfer_pension_out",
        None,
        {"destination_province": "广东", "destination_city": "广州"},
        "destination_city",
        "深圳",
        "TRANSFER_DESTINATION_SHENZHEN",
    ),
    (
        "sunli",
        "upgrade_id_number",
        None,
        {"new_id_number": "440301197805121237"},
        "new_id_number",
        "12345",
        "ID_NUMBER_LENGTH",
    ),
    (
        "sunli",
        "upgrade_id_number",
        None,
        {"new_id_number": "440301197805121237"},
        "new_id_number",
        "440304198805121310",
        "ID_UPGRADE_MISMATCH",
    ),
    (
        "zhangwei",
        "maintain_payment_bank",
        None,
        {
            "bank_name": "招行",
            "account_no": "6225 8802 1234 0000",
            "holder_name": "张伟",
            "holder_id_number": "440304198805121310",
        },
        "account_no",
        "12ab",
        "FIELD_ACCOUNT",
    ),
    (
        "zhangwei",
        "maintain_payment_bank",
        None,
        {
            "bank_name": "中国银行",
            "account_no": "6225880212340000",
            "holder_name": "张伟",
            "holder_id_number": "440304198805121310",
        },
        "bank_name",
        "花旗银行",
        "BANK_NOT_COOPERATING",
    ),
    (
        "zhangwei",
        "maintain_payment_bank",
        None,
        {
            "bank_name": "中国银行",
            "account_no": "6225880212340000",
            "holder_name": "张伟",
            "holder_id_number": "440304198805121310",
        },
        "holder_name",
        "张" * 101,
        "FIELD_TEXT",
    ),
    (
        "zhangwei",
        "maintain_payment_bank",
        None,
        {
            "bank_name": "中国银行",
            "account_no": "6225880212340000",
            "holder_name": "张伟",
            "holder_id_number": "440304198805121310",
        },
        "holder_name",
        "确认",
        "FIELD_NOT_AN_ANSWER",
    ),
    (
        "zhangwei",
        "maintain_payment_bank",
        None,
        {
            "bank_name": "中国银行",
            "account_no": "6225880212340000",
            "holder_name": "Zhang Wei",
            "holder_id_number": "440304198805121310",
        },
        "holder_name",
        "13800138000",
        "FIELD_NAME",
    ),
    (
        "zhangwei",
        "maintain_payment_bank",
        None,
        {
            "bank_name": "中国银行",
            "account_no": "6225880212340000",
            "holder_name": "张 伟",
            "holder_id_number": "440304198805121310",
        },
        "bank_name",
        "随便",
        "FIELD_NOT_AN_ANSWER",
    ),
    (
        "zhangwei",
        "refund_duplicate_pension",
        None,
        {"from_month": "2025-01", "to_month": "2025-03", "other_place": "广州"},
        "other_place",
        "什么是参保地？",
        "FIELD_NOT_AN_ANSWER",
    ),
    ("gaoyuan", "four_categories_back_payment", None, {"category": "失地农民"}, "category", "随便", "FIELD_CHOICE"),
    (
        "gaoyuan",
        "work_years_back_payment",
        None,
        {"work_start_year": "2015", "work_end_year": "2018"},
        "work_start_year",
        "去年",
        "FIELD_NUMBER",
    ),
    (
        "gaoyuan",
        "work_years_back_payment",
        None,
        {"work_start_year": "2015", "work_end_year": "2018"},
        "work_start_year",
        "2010",
        "WORK_YEARS_BEFORE_AGE_16",
    ),
    (
        "gaoyuan",
        "work_years_back_payment",
        None,
        {"work_start_year": "2015", "work_end_year": "2018"},
        "work_end_year",
        "2014",
        "WORK_YEARS_ORDER",
    ),
    (
        "chenjing",
        "enroll_child_first_time",
        "陈安安",
        {"settle_in_date": "2025年1月10号"},
        "settle_in_date",
        "2025-02-30",
        "FIELD_DATE",
    ),
    (
        "chenjing",
        "enroll_child_first_time",
        "陈安安",
        {"settle_in_date": "2025-01-10"},
        "settle_in_date",
        "2024-10-01",
        "SETTLE_IN_DATE_INVALID",
    ),
    ("zhangwei", "change_basic_info", None, {"phone": "139 0013 9000"}, "phone", "12345", "PHONE_INVALID"),
    (
        "zhangwei",
        "refund_duplicate_pension",
        None,
        {"from_month": "2025-01", "to_month": "2025-03", "other_place": "广州"},
        "to_month",
        "2024-12",
        "MONTH_RANGE_ORDER",
    ),
    (
        "lina",
        "maintain_guardian_info",
        "李小明",
        {"guardian_name": "李娜", "guardian_id_number": "440305199008202426", "relation": "监护人"},
        "relation",
        "爸爸",
        "RELATION_GENDER_MISMATCH",
    ),
]


@pytest.mark.parametrize(
    "user, code, child, good, field, bad, error", CASES, ids=[f"{c[1]}-{c[4]}-{c[6]}" for c in CASES]
)
def test_validate_refuses_what_submission_refuses(client, as_user, user, code, child, good, field, bad, error):
    h = as_user(user)
    fields = {**good, field: bad}
    body = validate(client, h, code, fields, child).json()
    assert body["errors"][field]["code"] == error, body
    err = body["errors"][field]
    assert err["message_zh"] and err["fix_zh"] and err["message_en"] and err["fix_en"]
    assert not err["message_zh"].rstrip().endswith(("：", ":"))
    assert body["preview"] is None and field not in body["values"]
    # Alone, the value is refused the same way (the rule needs nothing else given).
    alone = validate(client, h, code, {field: bad}, child).json()
    if error.startswith("FIELD_") and error != "FIELD_NOT_AN_ANSWER" or error in ("PHONE_INVALID", "ID_NUMBER_LENGTH"):
        assert alone["errors"][field]["code"] == error
    resp = submit(client, h, code, fields, child)
    assert resp.status_code in (409, 422), resp.text
    assert resp.json()["error"]["code"] == error


@pytest.mark.parametrize(
    "user, code, child, good",
    sorted({(c[0], c[1], c[2], tuple(c[3].items())) for c in CASES}),
    ids=lambda v: v if isinstance(v, str) else None,
)
def test_what_validate_accepts_submission_accepts(client, as_user, user, code, child, good):
    h = as_user(user)
    fields = dict(good)
    body = validate(client, h, code, fields, child).json()
    assert body["errors"] == {} and body["missing"] == [] and body["eligible"] is True, body
    assert body["preview"] and body["preview"]["lines_zh"] and body["preview"]["lines_en"]
    assert len(body["preview"]["lines_zh"]) == len(body["preview"]["lines_en"])
    resp = submit(client, h, code, fields, child)
    assert resp.status_code == 200, resp.text
    # The canonical values are what submission stored/used (e.g. the city as people write it).
    assert resp.json()["outcome"] in ("completed", "pre_application")


def test_partial_input_lists_what_is_missing_and_no_preview(client, as_user):
    h = as_user("qianfang")
    body = validate(client, h, "transfer_pension_out", {}).json()
    assert body["missing"] == ["destination_province", "destination_city"]
    assert body["preview"] is None and body["errors"] == {} and body["eligible"] is True
    body = validate(client, h, "transfer_pension_out", {"destination_city": "Chengdu"}).json()
    assert body["values"] == {"destination_city": "成都"} and body["missing"] == ["destination_province"]


def test_counts_in_words_and_spoken_dates_are_read_like_digits(client, as_user):
    h = as_user("gaoyuan")
    body = validate(client, h, "work_years_back_payment", {"work_start_year": "2015年", "work_end_year": "2018"}).json()
    assert body["values"] == {"work_start_year": 2015, "work_end_year": 2018}
    body = validate(client, as_user("heli"), "resident_back_payment", {"years": "三年"}).json()
    assert body["values"] == {"years": 3}
    body = validate(client, as_user("heli"), "resident_back_payment", {"years": "二十"}).json()
    assert body["errors"]["years"]["code"] == "YEARS_OUT_OF_RANGE"


def test_unknown_field_is_an_error_of_that_field(client, as_user):
    body = validate(client, as_user("liuyang"), "change_enrollment_info", {"colour": "red"}).json()
    assert body["errors"]["colour"]["code"] == "FIELD_UNKNOWN"
    assert body["missing"] == ["medical_tier"]


def test_ineligible_person_gets_the_refusal_and_no_preview(client, as_user):
    body = validate(client, as_user("gaoyuan"), "change_enrollment_info", {"medical_tier": "二档"}).json()
    assert body["eligible"] is False and body["refusal"]["code"] == "NO_INDIVIDUAL_ENROLMENT"
    assert body["values"] == {"medical_tier": 2} and body["preview"] is None


def test_per_person_checks_use_the_token_and_the_subject(client, as_user):
    # A child of someone else: the same refusal as submission.
    resp = validate(client, as_user("chenjing"), "stop_child_insurance", {}, "李小明")
    assert resp.status_code == 403 and resp.json()["error"]["code"] == "NOT_GUARDIAN"
    assert client.post("/items/stop_child_insurance/validate", json={"fields": {}}).status_code == 401
    # Two children: the subject is required, as on submission.
    resp = client.post("/items/stop_child_insurance/validate", json={"fields": {}}, headers=as_user("lina"))
    assert resp.status_code == 422 and resp.json()["error"]["code"] == "SUBJECT_REQUIRED"


def test_preview_says_what_stops_from_when_and_what_stays(client, as_user):
    body = validate(client, as_user("lina"), "stop_child_insurance", {}, "李小明").json()
    text = "\n".join(body["preview"]["lines_zh"])
    assert "李小明" in text and "2026-12" in text and "2026-11" in text and "医疗保险" in text


def test_preview_of_a_tier_change_gives_the_new_monthly_amount_in_yuan(client, as_user):
    body = validate(client, as_user("liuyang"), "change_enrollment_info", {"medical_tier": "一档"}).json()
    text = "\n".join(body["preview"]["lines_zh"])
    assert "二档" in text and "一档" in text and "2026-12" in text and "188.80元" in text


def test_catalogue_fields_carry_a_schema_with_the_accepted_names(client):
    items = {e["code"]: e for e in client.get("/catalogue").json()["items"]}
    for entry in items.values():
        for f in entry["fields"]:
            schema = f["schema"]
            assert schema["type"] == f["type"] and schema["required"] == f["required"]
            if f["type"] in ("tier", "grade", "province", "city", "bank", "choice"):
                assert schema["allowed"], f
            else:
                assert schema["allowed"] is None and schema["format_zh"], f
    relation = next(f for f in items["maintain_guardian_info"]["fields"] if f["name"] == "relation")["schema"]
    assert {"value": "mother", "label_zh": "母亲"}.items() <= relation["allowed"][1].items()
    assert "妈妈" in relation["allowed"][1]["aliases"]
    city = next(f for f in items["transfer_pension_out"]["fields"] if f["name"] == "destination_city")["schema"]
    changsha = next(c for c in city["allowed"] if c["value"] == "长沙")
    assert changsha["province"] == "湖南省" and city["province_field"] == "destination_province"


@pytest.mark.parametrize(
    "code, field",
    [
        ("change_enrollment_info", "medical_tier"),
        ("change_resident_pension_grade", "pension_grade"),
        ("change_basic_info", "hukou_category"),
        ("maintain_child_student_info", "in_school"),
        ("maintain_guardian_info", "relation"),
        ("four_categories_back_payment", "category"),
        ("maintain_payment_bank", "bank_name"),
        ("transfer_medical_in", "from_province"),
    ],
)
def test_every_listed_name_is_accepted_as_its_value(client, as_user, code, field):
    """The schema's aliases and labels are exactly names the validator accepts (one source)."""
    entry = client.get(f"/catalogue/{code}").json()
    schema = next(f for f in entry["fields"] if f["name"] == field)["schema"]
    child = "李小明" if entry["acts_for"] == "child" else None
    h = as_user("lina")
    for row in schema["allowed"][:6]:
        for name in [row["label_zh"], row["label_en"], *row["aliases"]][:8]:
            body = validate(client, h, code, {field: name}, child).json()
            assert body["values"].get(field) == row["value"] or body["errors"].get(field, {}).get("code") not in (
                "FIELD_TIER",
                "FIELD_GRADE",
                "FIELD_CHOICE",
                "FIELD_PROVINCE",
                "FIELD_CITY",
            ), (name, body)


# A plausible complete answer for every field, as a resident would type it.
ANSWERS = {
    "month": "2026-10",
    "medical_tier": "二档",
    "pension_grade": "第五档",
    "destination_province": "湖南",
    "destination_city": "长沙",
    "from_province": "湖南省",
    "from_city": "长沙",
    "new_id_number": "440301197805121237",
    "bank_name": "招行",
    "account_no": "6225 8802 1234 0000",
    "years": "3",
    "work_start_year": "2013",
    "work_end_year": "2015",
    "category": "被征地农民",
    "from_month": "2025-01",
    "to_month": "2025-03",
    "other_place": "广州",
    "settle_in_date": "2025-01-10",
    "hukou_category": "广东省内非深户",
    "phone": "13900139000",
    "address": "深圳市南山区科技园",
    "in_school": "是",
    "school_name": "南山实验学校",
    "guardian_name": "李娜",
    "guardian_id_number": "440305199008202426",
    "relation": "监护人",
}
HOLDERS = {"zhangwei": ("张伟", "440304198805121310")}


def test_every_items_preview_tells_the_outcome_that_submission_gives(client, as_user):
    """For every item someone may use: the preview's lines are complete, and when the preview says
    the result is a pre-application, submission gives one (and the other way round)."""
    from sz_backend.catalogue import get_catalogue

    users = (
        "zhangwei",
        "lina",
        "chenjing",
        "liuyang",
        "zhaojianguo",
        "sunli",
        "zhoumin",
        "wugang",
        "qianfang",
        "heli",
        "machao",
        "gaoyuan",
    )
    checked = set()
    for entry in get_catalogue().items:
        for user in users:
            h = as_user(user)
            options = client.get("/options", params={"codes": entry.code}, headers=h).json()["options"]
            usable = [o for o in options if o["eligible"]]
            if not usable:
                continue
            subject = usable[0]["subject_id"] if entry.acts_for == "child" else None
            name, holder_id = HOLDERS.get(user, (None, None))
            fields = {f.name: ANSWERS[f.name] for f in entry.fields if f.name in ANSWERS}
            if "holder_name" in {f.name for f in entry.fields}:
                if not name:
                    continue
                fields |= {"holder_name": name, "holder_id_number": holder_id}
            body = client.post(
                f"/items/{entry.code}/validate", json={"subject_id": subject, "fields": fields}, headers=h
            ).json()
            if body["errors"] or body["missing"]:
                continue
            lines_zh, lines_en = body["preview"]["lines_zh"], body["preview"]["lines_en"]
            assert len(lines_zh) == len(lines_en) >= 2, (entry.code, lines_zh)
            assert all(line and not line.endswith(("：", ":")) for line in lines_zh + lines_en)
            assert body["subject_name"] in lines_zh[0]
            expected = body["preview"]["outcome"]
            resp = client.post(
                f"/items/{entry.code}",
                json={"subject_id": subject, "fields": fields},
                headers={**h, "Idempotency-Key": f"preview-{entry.code}-{user}"},
            )
            assert resp.status_code == 200, (entry.code, user, resp.text)
            assert expected in (resp.json()["outcome"], "comparison"), (entry.code, user, expected, lines_zh)
            assert (expected == "pre_application") == any("预申请" in line for line in lines_zh), lines_zh
            checked.add(entry.code)
            break
    assert len(checked) >= 25, sorted({e.code for e in get_catalogue().items} - checked)


@pytest.mark.parametrize(
    "user, code, child, good",
    sorted({(c[0], c[1], c[2], tuple(c[3].items())) for c in CASES}),
    ids=lambda v: v if isinstance(v, str) else None,
)
def test_canonical_values_read_back_as_themselves(client, as_user, user, code, child, good):
    """What validate returns can be sent again (by the assistant, at submission) unchanged."""
    h = as_user(user)
    first = validate(client, h, code, dict(good), child).json()["values"]
    again = validate(client, h, code, first, child).json()
    assert again["values"] == first and again["errors"] == {}
