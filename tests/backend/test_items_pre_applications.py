"""Pre-application items (延缴, 趸缴, residents' pension and medical, back payments, refund) through the HTTP API."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from sqlalchemy import func, select

from sz_backend.catalogue import get_catalogue
from sz_backend.persistence.db import session_scope
from sz_backend.persistence.models import HukouCategory, HukouRecord, Person, PreApplication, Transaction
from sz_backend.rules.numbers import is_valid_pre_application_number
from sz_backend.services.items.hukou import OUTDATED_FIX_ZH


def post(client, headers, code: str, fields: dict[str, Any] | None = None):
    return client.post(f"/items/{code}", json={"fields": fields or {}}, headers=headers)


def person_id(name: str) -> int:
    with session_scope() as s:
        return s.scalar(select(Person.id).where(Person.name == name))


def update_person(name: str, **values: Any) -> None:
    with session_scope() as s:
        person = s.scalar(select(Person).where(Person.name == name))
        for key, value in values.items():
            setattr(person, key, value)


def update_registry(name: str, category: HukouCategory) -> None:
    """The registry agrees with a non-Shenzhen record (a stale record is tested in test_items_gaps)."""
    with session_scope() as s:
        id_number = s.scalar(select(Person.id_number).where(Person.name == name))
        s.scalar(select(HukouRecord).where(HukouRecord.id_number == id_number)).hukou_category = category


def counts() -> tuple[int, int]:
    with session_scope() as s:
        return (
            s.scalar(select(func.count()).select_from(Transaction)),
            s.scalar(select(func.count()).select_from(PreApplication)),
        )


def refused(
    client,
    headers,
    code: str,
    fields: dict[str, Any] | None,
    expected: str,
    status: int = 409,
    early: bool | None = None,
) -> dict[str, Any]:
    """Submit, expect the error code, and check nothing was stored (and, for `early`
    refusals (409 unless told), that the eligibility check before any field says the same)."""
    before = counts()
    resp = post(client, headers, code, fields)
    assert resp.status_code == status, resp.text
    err = resp.json()["error"]
    assert err["code"] == expected, err
    assert err["message_zh"] and err["message_en"]
    assert counts() == before
    if early if early is not None else status == 409:
        elig = client.get(f"/items/{code}/eligibility", headers=headers).json()
        assert elig["eligible"] is False and elig["reason"]["code"] == expected
    return err


def passes(client, headers, code: str, subject: str, fields: dict[str, Any] | None = None) -> dict[str, Any]:
    assert client.get(f"/items/{code}/eligibility", headers=headers).json()["eligible"] is True
    resp = post(client, headers, code, fields)
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert body["outcome"] == "pre_application"
    pre = body["pre_application"]
    assert is_valid_pre_application_number(pre["number"])
    expected = [{"zh": m.zh, "en": m.en} for m in get_catalogue().get(code).materials]
    assert pre["materials"] == expected and any("预申请表" in m["zh"] for m in expected)
    pdf = client.get(pre["form_url"].replace("http://testserver", ""))
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF")
    with session_scope() as s:
        row = s.scalar(select(PreApplication).where(PreApplication.number == pre["number"]))
        assert row.item_code == code and row.subject_person_id == person_id(subject)
        assert row.status.value == "submitted" and row.materials == expected
        assert row.data == {k: body["details"][k] for k in (fields or {})}  # the normalised fields
        tx = s.get(Transaction, row.transaction_id)
        assert tx.outcome.value == "pre_application" and tx.serial_no == body["serial_no"]
    # One open pre-application per item: a repeat gets the number back instead of a duplicate.
    err = refused(client, headers, code, fields, "PRE_APPLICATION_PENDING")
    assert err["details"]["number"] == pre["number"]
    return body


# ---- 延缴 ------------------------------------------------------------------------


def test_extended_contribution_passes(client, as_user):
    # 吴刚: man born 1966-01, retirement age reached 2026-05; 140 prior + 10 paid months = 150 < 180.
    body = passes(client, as_user("wugang"), "register_extended_contribution", "吴刚")
    assert body["details"] == {"total_months": 150, "minimum_months": 180, "missing_months": 30}
    assert "30个月" in body["message_zh"] and "30 more" in body["message_en"]


def test_extended_contribution_refusals(client, as_user):
    err = refused(client, as_user("zhangwei"), "register_extended_contribution", None, "NOT_RETIRED_YET")
    assert err["details"]["retirement_month"] == "2051-05"  # born 1988-05: 63 years
    err = refused(client, as_user("zhaojianguo"), "register_extended_contribution", None, "ENOUGH_MONTHS")
    assert err["details"] == {"total_months": 300, "minimum_months": 180}
    update_person("高远", birth_date=date(1960, 6, 6))
    refused(client, as_user("gaoyuan"), "register_extended_contribution", None, "NO_PENSION_RECORD")


# ---- 趸缴 ------------------------------------------------------------------------


def test_lump_sum_passes(client, as_user):
    # 钱芳: woman (50 group) born 1972-04, retired age in 2022; 100 prior + 60 extended = 160 < 180;
    # first insured 2009 (before 2011-07-01); extended 5 years.
    body = passes(client, as_user("qianfang"), "register_lump_sum_contribution", "钱芳")
    assert body["details"]["missing_months"] == 20 and "20个月" in body["message_zh"]


def test_lump_sum_refused_before_five_years_of_extension(client, as_user):
    err = refused(client, as_user("wugang"), "register_lump_sum_contribution", None, "LUMP_SUM_NOT_ELIGIBLE")
    assert err["details"] == {"reason": "extension_too_short", "extended_months": 0, "required_months": 60}
    assert "延缴" in err["fix_zh"]


def test_lump_sum_other_refusals(client, as_user):
    refused(client, as_user("zhangwei"), "register_lump_sum_contribution", None, "NOT_RETIRED_YET")
    update_person("钱芳", first_insured_on=date(2011, 7, 1))
    err = refused(client, as_user("qianfang"), "register_lump_sum_contribution", None, "LUMP_SUM_NOT_ELIGIBLE")
    assert err["details"]["reason"] == "insured_after_cutoff"
    update_person("钱芳", first_insured_on=None)
    err = refused(client, as_user("qianfang"), "register_lump_sum_contribution", None, "LUMP_SUM_NOT_ELIGIBLE")
    assert err["details"]["reason"] == "first_insured_unknown"
    update_person("钱芳", first_insured_on=date(2009, 5, 1), prior_contribution_months=120)
    refused(client, as_user("qianfang"), "register_lump_sum_contribution", None, "ENOUGH_MONTHS")


# ---- 居民养老参保登记 ------------------------------------------------------------


def test_resident_pension_passes(client, as_user):
    body = passes(client, as_user("gaoyuan"), "register_resident_pension", "高远", {"pension_grade": "第3档"})
    assert body["details"] == {"pension_grade": 3, "yearly_fen": 240000}
    assert "2400.00元" in body["message_zh"]


def test_resident_pension_outdated_hukou_category(client, as_user):
    # 黄强: stored as the old “非深户”: the article's fix comes first (before his employee enrolment).
    err = refused(
        client, as_user("huangqiang"), "register_resident_pension", {"pension_grade": 1}, "HUKOU_CATEGORY_OUTDATED"
    )
    assert err["fix_zh"] == OUTDATED_FIX_ZH and "个人基本信息变更" in err["fix_zh"] and err["fix_en"]


def test_resident_pension_refusals(client, as_user):
    refused(client, as_user("heli"), "register_resident_pension", {"pension_grade": 1}, "ALREADY_ENROLLED")
    refused(client, as_user("lina"), "register_resident_pension", {"pension_grade": 1}, "ENROLLED_AS_EMPLOYEE")
    refused(client, as_user("gaoyuan"), "register_resident_pension", {"pension_grade": 11}, "FIELD_GRADE", 422)
    update_person("高远", hukou_category=HukouCategory.outside_guangdong)
    update_registry("高远", HukouCategory.outside_guangdong)
    refused(client, as_user("gaoyuan"), "register_resident_pension", {"pension_grade": 1}, "NOT_SHENZHEN_HUKOU")
    update_person("高远", hukou_category=HukouCategory.shenzhen, birth_date=date(2010, 11, 28))  # 16 tomorrow
    update_registry("高远", HukouCategory.shenzhen)
    err = refused(client, as_user("gaoyuan"), "register_resident_pension", {"pension_grade": 1}, "TOO_YOUNG")
    assert err["details"]["min_age"] == 16
    update_person("高远", birth_date=date(2010, 11, 27))  # 16 today
    update_person("高远", in_school=True)
    refused(client, as_user("gaoyuan"), "register_resident_pension", {"pension_grade": 1}, "IN_SCHOOL")
    update_person("高远", in_school=False)
    assert client.get("/items/register_resident_pension/eligibility", headers=as_user("gaoyuan")).json()["eligible"]


def test_resident_pension_stopped_points_to_resume(client, as_user):
    h = as_user("heli")
    assert post(client, h, "stop_resident_insurance").status_code == 200
    err = refused(client, h, "register_resident_pension", {"pension_grade": 1}, "RESIDENT_PENSION_STOPPED")
    assert "居民恢复参保" in err["fix_zh"]


# ---- 超龄居民老人缴纳医疗保险 ------------------------------------------------------


def test_elderly_resident_medical_passes(client, as_user):
    # 钱芳: past retirement age, Shenzhen hukou, no medical insurance.
    passes(client, as_user("qianfang"), "elderly_resident_medical", "钱芳")


def test_elderly_resident_medical_refusals(client, as_user):
    err = refused(client, as_user("wugang"), "elderly_resident_medical", None, "ALREADY_ENROLLED")
    assert err["details"]["scheme"] == "flexible"
    refused(client, as_user("zhangwei"), "elderly_resident_medical", None, "NOT_RETIRED_YET")
    refused(client, as_user("huangqiang"), "elderly_resident_medical", None, "HUKOU_CATEGORY_OUTDATED")
    update_person("钱芳", hukou_category=HukouCategory.guangdong_non_shenzhen)
    update_registry("钱芳", HukouCategory.guangdong_non_shenzhen)
    refused(client, as_user("qianfang"), "elderly_resident_medical", None, "NOT_SHENZHEN_HUKOU")


# ---- 居民一次性补缴 --------------------------------------------------------------


def test_resident_back_payment_passes(client, as_user):
    body = passes(client, as_user("heli"), "resident_back_payment", "何丽", {"years": "15年"})
    assert body["details"] == {"years": 15, "max_years": 15}


@pytest.mark.parametrize("years", [0, 16])
def test_resident_back_payment_years_out_of_range(client, as_user, years):
    err = refused(client, as_user("heli"), "resident_back_payment", {"years": years}, "YEARS_OUT_OF_RANGE", 422)
    assert err["field"] == "years"


def test_resident_back_payment_refusals(client, as_user):
    err = refused(client, as_user("zhangwei"), "resident_back_payment", {"years": 3}, "NO_RESIDENT_PENSION")
    assert "居民养老参保登记" in err["fix_zh"]
    refused(client, as_user("huangqiang"), "resident_back_payment", {"years": 3}, "HUKOU_CATEGORY_OUTDATED")


# ---- 工龄一次性补缴 --------------------------------------------------------------


def test_work_years_back_payment_passes(client, as_user):
    # 孙立, born 1978: 16 in 1994.
    body = passes(
        client,
        as_user("sunli"),
        "work_years_back_payment",
        "孙立",
        {"work_start_year": 1994, "work_end_year": "1999年"},
    )
    assert body["details"] == {"work_start_year": 1994, "work_end_year": 1999}


@pytest.mark.parametrize(
    "start,end,code,field",
    [
        (2000, 1999, "WORK_YEARS_ORDER", "work_end_year"),
        (2020, 2027, "WORK_YEARS_IN_FUTURE", "work_end_year"),
        (1993, 1999, "WORK_YEARS_BEFORE_AGE_16", "work_start_year"),
    ],
)
def test_work_years_back_payment_invalid(client, as_user, start, end, code, field):
    err = refused(
        client, as_user("sunli"), "work_years_back_payment", {"work_start_year": start, "work_end_year": end}, code, 422
    )
    assert err["field"] == field


# ---- 四类人员一次性补缴 ------------------------------------------------------------


def test_four_categories_back_payment(client, as_user):
    body = passes(client, as_user("wugang"), "four_categories_back_payment", "吴刚", {"category": "被征地农民"})
    assert body["details"] == {"category": "被征地农民"}
    refused(client, as_user("zhangwei"), "four_categories_back_payment", {"category": "学生"}, "FIELD_CHOICE", 422)


# ---- 养老保险重复缴费退费 ----------------------------------------------------------


def test_refund_duplicate_pension_passes(client, as_user):
    # 张伟: flexible pension paid 2024-12..2026-10.
    body = passes(
        client,
        as_user("zhangwei"),
        "refund_duplicate_pension",
        "张伟",
        {"from_month": "2024年10月", "to_month": "2025-03", "other_place": "湖南长沙"},
    )
    d = body["details"]
    assert (
        d["shenzhen_months"] == 4 and d["first_shenzhen_month"] == "2024-12" and d["last_shenzhen_month"] == "2025-03"
    )
    assert d["from_month"] == "2024-10" and d["other_place"] == "湖南长沙"


def test_refund_duplicate_pension_refusals(client, as_user):
    h = as_user("zhangwei")
    err = refused(
        client,
        h,
        "refund_duplicate_pension",
        {"from_month": "2020-01", "to_month": "2020-12", "other_place": "湖南长沙"},
        "NO_CONTRIBUTIONS_IN_RANGE",
        early=False,
    )
    assert err["fix_zh"]
    for fields, code in (
        ({"from_month": "2025-06", "to_month": "2025-01", "other_place": "湖南长沙"}, "MONTH_RANGE_ORDER"),
        ({"from_month": "2026-10", "to_month": "2026-12", "other_place": "湖南长沙"}, "MONTH_IN_FUTURE"),
        ({"from_month": "2025-01", "to_month": "2025-06", "other_place": "深圳市"}, "OTHER_PLACE_SHENZHEN"),
    ):
        refused(client, h, "refund_duplicate_pension", fields, code, 422)
    # 钱芳: only old-system months, no paid pension contributions on record here.
    refused(
        client,
        as_user("qianfang"),
        "refund_duplicate_pension",
        {"from_month": "2010-01", "to_month": "2012-12", "other_place": "湖南长沙"},
        "NO_PENSION_RECORD",
    )
