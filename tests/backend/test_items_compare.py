"""The compare items: pass -> completed online; mismatch -> pre-application naming the field; refusals."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from sqlalchemy import delete, func, select

from sz_backend.catalogue import get_catalogue
from sz_backend.persistence.db import session_scope
from sz_backend.persistence.models import (
    Enrolment,
    EnrolmentEvent,
    EnrolmentStatus,
    GuardianLink,
    HukouCategory,
    HukouRecord,
    Person,
    PreApplication,
    PreApplicationStatus,
    Scheme,
    Transaction,
)
from sz_backend.rules.numbers import is_valid_pre_application_number
from sz_backend.seed import make_id

# ----------------------------------------------------------------------------- helpers


def pid(name: str) -> int:
    with session_scope() as s:
        return s.scalar(select(Person.id).where(Person.name == name))


def id_of(name: str) -> str:
    with session_scope() as s:
        return s.scalar(select(Person.id_number).where(Person.name == name))


def edit_person(who: str, /, **values: Any) -> None:
    with session_scope() as s:
        person = s.scalar(select(Person).where(Person.name == who))
        for key, value in values.items():
            setattr(person, key, value)


def edit_registry(who: str, /, **values: Any) -> None:
    with session_scope() as s:
        record = s.scalar(select(HukouRecord).where(HukouRecord.name == who))
        for key, value in values.items():
            setattr(record, key, value)


def drop_registry(name: str) -> None:
    with session_scope() as s:
        s.execute(delete(HukouRecord).where(HukouRecord.name == name))


def window_closes(name: str) -> None:
    """The window finishes every open pre-application of this person (a second scenario can then
    issue a new one: while one is open, a repeat is refused with its number)."""
    with session_scope() as s:
        pid_ = s.scalar(select(Person.id).where(Person.name == name))
        for row in s.scalars(select(PreApplication).where(PreApplication.subject_person_id == pid_)):
            row.status = PreApplicationStatus.completed


def state(name: str) -> dict[str, Any]:
    """Everything an item may change about a person, to assert that nothing did."""
    with session_scope() as s:
        p = s.scalar(select(Person).where(Person.name == name))
        enrolments = [
            (e.insurance.value, e.scheme.value, e.status.value, e.medical_tier, e.start_month)
            for e in s.scalars(select(Enrolment).where(Enrolment.person_id == p.id).order_by(Enrolment.id))
        ]
        links = sorted(
            (g.guardian_id, g.relation) for g in s.scalars(select(GuardianLink).where(GuardianLink.child_id == p.id))
        )
        return {
            "hukou": p.hukou_category.value,
            "phone": p.phone,
            "address": p.address,
            "in_school": p.in_school,
            "school": p.school_name,
            "settle_in": p.settle_in_date,
            "first_insured": p.first_insured_on,
            "enrolments": enrolments,
            "links": links,
            "transactions": s.scalar(select(func.count()).select_from(Transaction)),
        }


def submit(client, headers, code: str, fields: dict[str, Any] | None = None, subject: str | None = None):
    body: dict[str, Any] = {"fields": fields or {}}
    if subject is not None:
        body["subject_id"] = pid(subject)
    return client.post(f"/items/{code}", json=body, headers=headers)


def refused(resp, code: str, status: int | None = None) -> dict[str, Any]:
    assert resp.status_code >= 400, resp.text
    if status is not None:
        assert resp.status_code == status, resp.text
    error = resp.json()["error"]
    assert error["code"] == code, resp.text
    assert error["message_zh"] and error["message_en"]
    return error


def pre_application(client, resp, code: str, field: str) -> dict[str, Any]:
    """A pre-application whose mismatches name `field`: number, materials, stored row, printable form."""
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert body["outcome"] == "pre_application", body
    pre = body["pre_application"]
    assert is_valid_pre_application_number(pre["number"])
    entry = get_catalogue().get(code)
    assert pre["materials"] == [{"zh": m.zh, "en": m.en} for m in entry.materials]
    assert field in [m["field"] for m in pre["mismatches"]]
    assert all(m["fix_zh"] and m["fix_en"] for m in pre["mismatches"])
    pdf = client.get(pre["form_url"].replace("http://testserver", ""))
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF")
    with session_scope() as s:
        row = s.scalar(select(PreApplication).where(PreApplication.number == pre["number"]))
        assert row is not None and row.item_code == code
    return pre


def mismatch(pre: dict[str, Any], field: str) -> dict[str, Any]:
    return next(m for m in pre["mismatches"] if m["field"] == field)


# ----------------------------------------------------------------------------- 个人缴费人员参保登记

REGISTER = "register_individual_insurance"


def test_register_flexible_worker_passes_and_can_pay_this_month(client, as_user):
    headers = as_user("gaoyuan")
    assert client.get(f"/items/{REGISTER}/eligibility", headers=headers).json()["eligible"] is True
    r = submit(client, headers, REGISTER, {"medical_tier": "二档"})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["outcome"] == "completed" and body["serial_no"].startswith("SZ20261127")
    assert body["details"]["start_month"] == "2026-11" and body["details"]["medical_tier"] == 2
    assert "个缴自助缴费" in body["message_zh"] and "9:00-17:00" in body["message_zh"]
    # pension 20% and tier-2 medical 1.5% of the 2360.00 base (policy.yml)
    assert body["details"]["this_month_total_fen"] == 47200 + 3540

    with session_scope() as s:
        p = s.scalar(select(Person).where(Person.name == "高远"))
        rows = list(s.scalars(select(Enrolment).where(Enrolment.person_id == p.id)))
        assert {(e.insurance.value, e.scheme, e.status, e.medical_tier, e.start_month, e.base_fen) for e in rows} == {
            ("pension", Scheme.flexible, EnrolmentStatus.active, None, "2026-11", 236000),
            ("medical", Scheme.flexible, EnrolmentStatus.active, 2, "2026-11", 236000),
        }
        events = list(s.scalars(select(EnrolmentEvent).where(EnrolmentEvent.enrolment_id.in_([e.id for e in rows]))))
        assert [e.change for e in events] == ["created", "created"]
        assert p.first_insured_on == date(2026, 11, 27)

    # the article: "登记完成后 ... 当月即可缴费"
    paid = client.post("/services/self_service_payment", json={}, headers=headers)
    assert paid.status_code == 200, paid.text
    assert paid.json()["month"] == "2026-11" and paid.json()["total_fen"] == 47200 + 3540


def test_register_flexible_worker_with_non_shenzhen_registry_becomes_pre_application(client, as_user):
    edit_registry("高远", hukou_category=HukouCategory.outside_guangdong, settle_in_date=None)
    before = state("高远")
    r = submit(client, as_user("gaoyuan"), REGISTER, {"medical_tier": 1})
    pre = pre_application(client, r, REGISTER, "hukou_category")
    m = mismatch(pre, "hukou_category")
    assert m["label_zh"] == "户籍类别" and m["submitted"] == "深户" and m["registry"] == "广东省外户籍"
    assert "户籍类别" in r.json()["message_zh"]
    after = state("高远")
    assert after["enrolments"] == before["enrolments"] == [] and after["first_insured"] is None


def test_register_flexible_worker_without_registry_record_or_other_name(client, as_user):
    edit_registry("高远", name="高原")
    pre = pre_application(client, submit(client, as_user("gaoyuan"), REGISTER, {"medical_tier": 1}), REGISTER, "name")
    assert mismatch(pre, "name")["registry"] == "高原"
    window_closes("高远")
    drop_registry("高原")
    pre = pre_application(
        client, submit(client, as_user("gaoyuan"), REGISTER, {"medical_tier": 1}), REGISTER, "id_number"
    )
    assert mismatch(pre, "id_number")["registry"] == "户籍信息未找到"
    assert "户口簿" in mismatch(pre, "id_number")["fix_zh"]
    assert state("高远")["enrolments"] == []


def test_failed_comparison_while_one_is_open_gets_the_number_back_not_a_duplicate(client, as_user):
    """One open pre-application per item and person holds for compare items too: a repeat whose
    comparison fails again is refused with the open number (the summary says so before any
    confirmation), and a repeat that now passes still completes online."""
    edit_registry("高远", name="高原")
    headers = as_user("gaoyuan")
    first = pre_application(client, submit(client, headers, REGISTER, {"medical_tier": 1}), REGISTER, "name")
    with session_scope() as s:
        before = (s.scalar(select(func.count()).select_from(PreApplication)), state("高远"))
    check = client.post(f"/items/{REGISTER}/validate", json={"fields": {"medical_tier": 1}}, headers=headers).json()
    assert check["eligible"] is False and check["preview"] is None
    assert check["refusal"]["code"] == "PRE_APPLICATION_PENDING"
    err = refused(submit(client, headers, REGISTER, {"medical_tier": 1}), "PRE_APPLICATION_PENDING", 409)
    assert err["details"]["number"] == first["number"] and first["number"] in err["message_zh"]
    with session_scope() as s:
        assert (s.scalar(select(func.count()).select_from(PreApplication)), state("高远")) == before
    edit_registry("高原", name="高远")  # the registry now agrees: the online path is open again
    r = submit(client, headers, REGISTER, {"medical_tier": 1})
    assert r.status_code == 200 and r.json()["outcome"] == "completed", r.text


@pytest.mark.parametrize(
    "user, edit, code",
    [
        ("zhangwei", {}, "ALREADY_INSURED"),  # flexible worker already
        ("lina", {}, "ALREADY_INSURED"),  # insured through an employer
        ("heli", {}, "RESIDENT_INSURANCE_ACTIVE"),
        ("zhaojianguo", {}, "REACHED_RETIREMENT_AGE"),  # retired
        ("qianfang", {}, "REACHED_RETIREMENT_AGE"),  # woman (50 group) born 1972
        ("gaoyuan", {"birth_date": date(2010, 1, 1)}, "UNDER_MIN_AGE"),
        ("gaoyuan", {"in_school": True, "school_name": "深圳大学"}, "FULL_TIME_STUDENT"),
        # Refused only when the hukou registry does not say Shenzhen either (test_items_gaps: a stale record).
        (
            "gaoyuan",
            {"hukou_category": HukouCategory.non_shenzhen_legacy, "registry": HukouCategory.guangdong_non_shenzhen},
            "HUKOU_CATEGORY_OUTDATED",
        ),
        (
            "gaoyuan",
            {"hukou_category": HukouCategory.guangdong_non_shenzhen, "registry": HukouCategory.guangdong_non_shenzhen},
            "NOT_SHENZHEN_HUKOU",
        ),
    ],
)
def test_register_flexible_worker_refusals(client, as_user, user, edit, code):
    name = {
        "zhangwei": "张伟",
        "lina": "李娜",
        "heli": "何丽",
        "zhaojianguo": "赵建国",
        "qianfang": "钱芳",
        "gaoyuan": "高远",
    }[user]
    edit = dict(edit)
    if "registry" in edit:
        edit_registry(name, hukou_category=edit.pop("registry"))
    if edit:
        edit_person(name, **edit)
    headers = as_user(user)
    before = state(name)
    error = refused(submit(client, headers, REGISTER, {"medical_tier": 1}), code, 409)
    assert error.get("fix_zh")
    assert state(name) == before
    eligibility = client.get(f"/items/{REGISTER}/eligibility", headers=headers).json()
    assert eligibility["eligible"] is False and eligibility["reason"]["code"] == code


def test_register_flexible_worker_bad_tier(client, as_user):
    before = state("高远")
    refused(submit(client, as_user("gaoyuan"), REGISTER, {"medical_tier": "三档"}), "FIELD_TIER", 422)
    assert state("高远") == before


# ----------------------------------------------------------------------------- 深户非在园在校少儿首次参保

CHILD = "enroll_child_first_time"


def test_first_child_enrolment_passes(client, as_user):
    r = submit(client, as_user("chenjing"), CHILD, {"settle_in_date": "2025年1月10日"}, subject="陈安安")
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["outcome"] == "completed" and body["subject_name"] == "陈安安"
    assert body["details"] == {"comparison": "passed", "start_month": "2026-11", "insurance_year_end": "2027-08"}
    assert "少儿医保缴费" in body["message_zh"]
    assert state("陈安安")["enrolments"] == [("medical", "child", "active", None, "2026-11")]
    children = client.get("/me", headers=as_user("chenjing")).json()["children"]
    assert children[0]["enrolments"][0]["scheme"] == "child"


def test_first_child_enrolment_without_registry_settle_in_date_becomes_pre_application(client, as_user):
    before = state("李小乐")
    r = submit(client, as_user("lina"), CHILD, {"settle_in_date": "2026-06-01"}, subject="李小乐")
    pre = pre_application(client, r, CHILD, "settle_in_date")
    m = mismatch(pre, "settle_in_date")
    assert m["label_zh"] == "入户时间" and m["submitted"] == "2026-06-01" and m["registry"] == "未登记"
    assert "入户时间" in r.json()["message_zh"]
    assert state("李小乐")["enrolments"] == before["enrolments"] == []


def test_first_child_enrolment_with_other_date_or_hukou(client, as_user):
    headers = as_user("chenjing")
    pre = pre_application(
        client,
        submit(client, headers, CHILD, {"settle_in_date": "2025-01-11"}, subject="陈安安"),
        CHILD,
        "settle_in_date",
    )
    assert mismatch(pre, "settle_in_date")["registry"] == "2025-01-10"
    window_closes("陈安安")
    edit_registry("陈安安", hukou_category=HukouCategory.guangdong_non_shenzhen)
    pre = pre_application(
        client,
        submit(client, headers, CHILD, {"settle_in_date": "2025-01-10"}, subject="陈安安"),
        CHILD,
        "hukou_category",
    )
    assert mismatch(pre, "hukou_category")["registry"] == "广东省内非深户"
    assert state("陈安安")["enrolments"] == []


@pytest.mark.parametrize(
    "user, child, edit, code, status",
    [
        ("lina", "李小明", {}, "ALREADY_ENROLLED", 409),
        ("lina", "李小红", {}, "CHILD_IN_SCHOOL", 409),
        ("chenjing", "陈安安", {"birth_date": date(2000, 1, 1)}, "NOT_A_CHILD", 409),
        ("lina", "陈安安", {}, "NOT_GUARDIAN", 403),
    ],
)
def test_first_child_enrolment_refusals(client, as_user, user, child, edit, code, status):
    if edit:
        edit_person(child, **edit)
    before = state(child)
    refused(submit(client, as_user(user), CHILD, {"settle_in_date": "2025-01-10"}, subject=child), code, status)
    assert state(child) == before


def test_first_child_enrolment_settle_in_before_birth(client, as_user):
    before = state("陈安安")
    error = refused(
        submit(client, as_user("chenjing"), CHILD, {"settle_in_date": "2020-01-01"}, subject="陈安安"),
        "SETTLE_IN_DATE_INVALID",
        422,
    )
    assert error["field"] == "settle_in_date"
    assert state("陈安安") == before


# ----------------------------------------------------------------------------- 个人基本信息变更

BASIC = "change_basic_info"


def test_huangqiang_fixes_legacy_hukou_category(client, as_user):
    headers = as_user("huangqiang")
    r = submit(client, headers, BASIC, {"hukou_category": "guangdong_non_shenzhen"})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["outcome"] == "completed"
    assert body["details"]["hukou_category"] == "guangdong_non_shenzhen"
    assert body["details"]["previous_hukou_category"] == "non_shenzhen"
    assert "广东省内非深户" in body["message_zh"]
    assert client.get("/me", headers=headers).json()["hukou_category"] == "guangdong_non_shenzhen"


def test_huangqiang_choosing_outside_guangdong_becomes_pre_application(client, as_user):
    before = state("黄强")
    r = submit(client, as_user("huangqiang"), BASIC, {"hukou_category": "outside_guangdong"})
    pre = pre_application(client, r, BASIC, "hukou_category")
    m = mismatch(pre, "hukou_category")
    assert m["submitted"] == "广东省外户籍" and m["registry"] == "广东省内非深户"
    assert state("黄强")["hukou"] == before["hukou"] == "non_shenzhen"


def test_address_changes_even_when_the_category_goes_to_a_window(client, as_user):
    r = submit(
        client, as_user("huangqiang"), BASIC, {"hukou_category": "outside_guangdong", "address": "深圳市宝安区新安街道"}
    )
    pre = pre_application(client, r, BASIC, "hukou_category")
    assert r.json()["details"]["changed"] == ["address"] and "联系地址已更新" in r.json()["message_zh"]
    after = state("黄强")
    assert after["address"] == "深圳市宝安区新安街道" and after["hukou"] == "non_shenzhen"
    assert pre["number"]


def test_hukou_category_change_without_registry_record(client, as_user):
    drop_registry("黄强")
    pre = pre_application(
        client,
        submit(client, as_user("huangqiang"), BASIC, {"hukou_category": "guangdong_non_shenzhen"}),
        BASIC,
        "hukou_category",
    )
    assert mismatch(pre, "hukou_category")["registry"] == "户籍信息未找到"
    assert state("黄强")["hukou"] == "non_shenzhen"


def test_phone_changes_directly_and_is_masked(client, as_user):
    headers = as_user("zhangwei")
    r = submit(client, headers, BASIC, {"phone": "+86 139-1234-5678"})
    assert r.status_code == 200, r.text
    assert r.json()["outcome"] == "completed" and r.json()["details"]["comparison"] == "not_needed"
    assert "13912345678" not in r.text and "139****5678" in r.text
    assert state("张伟")["phone"] == "13912345678"


@pytest.mark.parametrize(
    "fields, code",
    [
        ({}, "NOTHING_TO_CHANGE"),
        ({"phone": "13800138001"}, "NOTHING_TO_CHANGE"),  # the number on record
        ({"hukou_category": "shenzhen"}, "NOTHING_TO_CHANGE"),
        ({"phone": "12345"}, "PHONE_INVALID"),
        ({"phone": "23800138001"}, "PHONE_INVALID"),
        ({"hukou_category": "non_shenzhen"}, "FIELD_CHOICE"),  # the legacy value cannot be chosen
    ],
)
def test_basic_info_refusals(client, as_user, fields, code):
    before = state("张伟")
    refused(submit(client, as_user("zhangwei"), BASIC, fields), code)
    assert state("张伟") == before


# ----------------------------------------------------------------------------- 少儿、学生参保信息维护

STUDENT = "maintain_child_student_info"


def test_child_starts_school_moves_to_student_scheme(client, as_user):
    r = submit(
        client, as_user("lina"), STUDENT, {"in_school": "yes", "school_name": "南山区第一幼儿园"}, subject="李小明"
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["outcome"] == "completed"
    assert body["details"]["switched"] == [{"insurance": "medical", "from": "child", "to": "student"}]
    after = state("李小明")
    assert after["in_school"] is True and after["school"] == "南山区第一幼儿园"
    assert after["enrolments"][0][1] == "student"
    with session_scope() as s:
        event = s.scalar(select(EnrolmentEvent).where(EnrolmentEvent.change == "scheme_changed"))
        assert event.detail == {"old_scheme": "child", "new_scheme": "student", "from_month": "2026-11"}


def test_student_leaves_school_moves_to_child_scheme(client, as_user):
    r = submit(client, as_user("lina"), STUDENT, {"in_school": "no", "school_name": "ignored"}, subject="李小红")
    assert r.status_code == 200, r.text
    after = state("李小红")
    assert after["in_school"] is False and after["school"] is None
    assert after["enrolments"][0][1] == "child"


def test_school_name_change_keeps_the_scheme(client, as_user):
    r = submit(client, as_user("lina"), STUDENT, {"in_school": "yes", "school_name": "深圳中学"}, subject="李小红")
    assert r.status_code == 200 and r.json()["details"]["switched"] == []
    assert state("李小红")["school"] == "深圳中学" and state("李小红")["enrolments"][0][1] == "student"


def test_child_info_with_registry_name_mismatch_becomes_pre_application(client, as_user):
    edit_registry("李小明", name="李晓明")
    before = state("李小明")
    r = submit(
        client, as_user("lina"), STUDENT, {"in_school": "yes", "school_name": "南山区第一幼儿园"}, subject="李小明"
    )
    pre = pre_application(client, r, STUDENT, "name")
    assert mismatch(pre, "name")["registry"] == "李晓明"
    assert state("李小明") == before | {"transactions": before["transactions"] + 1}


@pytest.mark.parametrize(
    "fields, code",
    [
        ({"in_school": "yes"}, "SCHOOL_NAME_REQUIRED"),
        ({"in_school": "yes", "school_name": "深圳市南山区第二实验学校"}, "NOTHING_TO_CHANGE"),
        ({"in_school": "maybe"}, "FIELD_CHOICE"),
    ],
)
def test_child_info_refusals(client, as_user, fields, code):
    before = state("李小红")
    refused(submit(client, as_user("lina"), STUDENT, fields, subject="李小红"), code)
    assert state("李小红") == before


# ----------------------------------------------------------------------------- 监护人信息维护

GUARDIAN = "maintain_guardian_info"


def guardian_fields(name: str = "陈静", id_number: str | None = None, relation: str = "guardian") -> dict[str, str]:
    return {"guardian_name": name, "guardian_id_number": id_number or id_of("陈静"), "relation": relation}


def test_second_guardian_is_linked(client, as_user):
    r = submit(client, as_user("lina"), GUARDIAN, guardian_fields(), subject="李小明")
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["outcome"] == "completed" and body["details"]["linked"] is True
    assert id_of("陈静") not in r.text
    assert sorted(rel for _, rel in state("李小明")["links"]) == ["guardian", "mother"]
    # the new guardian now acts for the child
    children = client.get("/me", headers=as_user("chenjing")).json()["children"]
    assert "李小明" in [c["name"] for c in children]
    # and a repeat is refused rather than duplicated
    before = state("李小明")
    refused(
        submit(client, as_user("lina"), GUARDIAN, guardian_fields(), subject="李小明"), "GUARDIAN_ALREADY_LINKED", 409
    )
    assert state("李小明") == before


def test_guardian_corrects_own_relation(client, as_user):
    r = submit(client, as_user("lina"), GUARDIAN, guardian_fields("李娜", id_of("李娜"), "guardian"), subject="李小明")
    assert r.status_code == 200, r.text
    assert r.json()["details"]["previous_relation"] == "mother" and r.json()["details"]["linked"] is False
    assert state("李小明")["links"] == [(pid("李娜"), "guardian")]


def test_guardian_name_mismatch_becomes_pre_application_with_masked_registry_name(client, as_user):
    before = state("李小明")
    r = submit(client, as_user("lina"), GUARDIAN, guardian_fields(name="陈晶"), subject="李小明")
    pre = pre_application(client, r, GUARDIAN, "guardian_name")
    m = mismatch(pre, "guardian_name")
    assert m["submitted"] == "陈晶" and m["registry"] == "陈*"
    assert state("李小明")["links"] == before["links"]


def test_guardian_not_in_registry_or_not_known(client, as_user):
    stranger = make_id("440304", date(1985, 3, 3), 155)
    r = submit(client, as_user("lina"), GUARDIAN, guardian_fields("王五", stranger, "father"), subject="李小明")
    pre = pre_application(client, r, GUARDIAN, "guardian_id_number")
    assert mismatch(pre, "guardian_id_number")["registry"] == "户籍信息未找到"
    assert stranger not in r.text
    window_closes("李小明")
    # in the registry, but no person record in the social insurance system
    with session_scope() as s:
        s.add(HukouRecord(id_number=stranger, name="王五", hukou_category=HukouCategory.shenzhen))
    r = submit(client, as_user("lina"), GUARDIAN, guardian_fields("王五", stranger, "father"), subject="李小明")
    pre = pre_application(client, r, GUARDIAN, "guardian_id_number")
    assert "未登记" in mismatch(pre, "guardian_id_number")["registry"]
    assert len(state("李小明")["links"]) == 1


@pytest.mark.parametrize(
    "fields, code, status",
    [
        (lambda: guardian_fields(relation="father"), "RELATION_GENDER_MISMATCH", 422),
        (lambda: guardian_fields("李小明", id_of("李小明")), "GUARDIAN_IS_CHILD", 422),
        (lambda: guardian_fields("李小红", id_of("李小红")), "GUARDIAN_NOT_ADULT", 409),
        (
            lambda: guardian_fields(id_number=id_of("陈静")[:-1] + ("0" if id_of("陈静")[-1] != "0" else "1")),
            "ID_NUMBER_CHECK",
            422,
        ),
        (lambda: guardian_fields(relation="uncle"), "FIELD_CHOICE", 422),
    ],
)
def test_guardian_refusals(client, as_user, fields, code, status):
    before = state("李小明")
    refused(submit(client, as_user("lina"), GUARDIAN, fields(), subject="李小明"), code, status)
    assert state("李小明") == before


def test_guardian_item_needs_to_be_guardian_already(client, as_user):
    refused(submit(client, as_user("zhangwei"), GUARDIAN, guardian_fields(), subject="李小明"), "NOT_GUARDIAN", 403)
