"""Pension and medical transfers: out, cancel (direct) and in (pre-application), through the HTTP API."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from sz_backend.persistence.db import session_scope
from sz_backend.persistence.models import (
    Person,
    PreApplication,
    Transaction,
    Transfer,
    TransferStatus,
)
from sz_backend.rules.numbers import is_valid_pre_application_number

HUNAN = {"destination_province": "湖南", "destination_city": "长沙"}


def post(client, headers, code: str, fields: dict[str, Any] | None = None):
    return client.post(f"/items/{code}", json={"fields": fields or {}}, headers=headers)


def person_id(name: str) -> int:
    with session_scope() as s:
        return s.scalar(select(Person.id).where(Person.name == name))


def transfers(name: str) -> list[tuple[str, str, str, bool, str]]:
    with session_scope() as s:
        rows = s.scalars(select(Transfer).where(Transfer.person_id == person_id(name)).order_by(Transfer.id))
        return [
            (t.insurance.value, t.destination_province, t.destination_city, t.within_province, t.status.value)
            for t in rows
        ]


def state() -> tuple[int, int, list[tuple[int, str]]]:
    """Everything an item here could change: transactions, pre-applications, transfers."""
    with session_scope() as s:
        return (
            s.scalar(select(func.count()).select_from(Transaction)),
            s.scalar(select(func.count()).select_from(PreApplication)),
            [(t.id, t.status.value) for t in s.scalars(select(Transfer).order_by(Transfer.id))],
        )


def assert_refused(resp, code: str, status: int = 409) -> dict[str, Any]:
    assert resp.status_code == status, resp.text
    err = resp.json()["error"]
    assert err["code"] == code, err
    assert err["message_zh"] and err["message_en"]
    return err


# ---- transfer out ---------------------------------------------------------------


def test_pension_out_passes_for_stopped_flexible_worker(client, as_user):
    # 吴刚: flexible pension stopped, contributions on record.
    h = as_user("wugang")
    assert client.get("/items/transfer_pension_out/eligibility", headers=h).json()["eligible"] is True
    resp = post(client, h, "transfer_pension_out", HUNAN)
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert body["outcome"] == "completed" and body["serial_no"].startswith("SZ")
    assert "联系函" in body["message_zh"] and "15个工作日" in body["message_zh"] and "撤销" in body["message_zh"]
    assert "15 working days" in body["message_en"]
    d = body["details"]
    assert d["destination_province"] == "湖南省" and d["within_province"] is False and d["status"] == "submitted"
    assert transfers("吴刚") == [("pension", "湖南省", "长沙", False, "submitted")]
    with session_scope() as s:
        t = s.get(Transfer, d["transfer_id"])
        tx = s.get(Transaction, t.transaction_id)
        assert tx.serial_no == body["serial_no"] and tx.item_code == "transfer_pension_out"
    me = client.get("/me", headers=h).json()
    assert {
        "insurance": "pension",
        "destination_province": "湖南省",
        "destination_city": "长沙",
        "status": "submitted",
    } in me["transfers"]
    # A second one while the first is open is refused, with its destination.
    err = assert_refused(post(client, h, "transfer_pension_out", HUNAN), "TRANSFER_ALREADY_PENDING")
    assert err["details"]["destination_province"] == "湖南省"


def test_pension_out_within_guangdong(client, as_user):
    resp = post(
        client,
        as_user("qianfang"),
        "transfer_pension_out",
        {"destination_province": "广东省", "destination_city": "广州市"},
    )
    assert resp.status_code == 200, resp.text
    assert resp.json()["details"]["within_province"] is True
    assert "省内" in resp.json()["message_zh"]
    assert transfers("钱芳") == [("pension", "广东省", "广州", True, "submitted")]


def test_pension_out_refused_while_one_is_pending(client, as_user):
    h = as_user("zhoumin")
    before = state()
    elig = client.get("/items/transfer_pension_out/eligibility", headers=h).json()
    assert elig["eligible"] is False and elig["reason"]["code"] == "TRANSFER_ALREADY_PENDING"
    err = assert_refused(post(client, h, "transfer_pension_out", HUNAN), "TRANSFER_ALREADY_PENDING")
    assert "湖南省长沙" in err["message_zh"] and err["details"]["transfer_status"] == "submitted"
    assert "撤销" in err["fix_zh"]
    assert state() == before


def test_pension_out_refused_without_record(client, as_user):
    before = state()
    assert_refused(post(client, as_user("gaoyuan"), "transfer_pension_out", HUNAN), "NO_PENSION_RECORD")
    assert state() == before


def test_pension_out_refused_for_retired(client, as_user):
    before = state()
    assert_refused(post(client, as_user("zhaojianguo"), "transfer_pension_out", HUNAN), "ALREADY_RETIRED")
    assert state() == before


def test_active_enrolment_must_be_stopped_first(client, as_user):
    before = state()
    err = assert_refused(post(client, as_user("zhangwei"), "transfer_pension_out", HUNAN), "ACTIVE_ENROLMENT")
    assert "个人缴费人员停保" in err["fix_zh"] and err["details"]["scheme"] == "flexible"
    err = assert_refused(post(client, as_user("lina"), "transfer_medical_out", HUNAN), "ACTIVE_ENROLMENT")
    assert "单位" in err["fix_zh"] and err["details"]["scheme"] == "employee"
    assert state() == before


def test_stop_then_transfer_medical_out(client, as_user):
    # The ACTIVE_ENROLMENT fix, end to end: 张伟 stops his flexible insurance, then transfers out.
    h = as_user("zhangwei")
    assert post(client, h, "stop_individual_insurance").status_code == 200
    resp = post(client, h, "transfer_medical_out", {"destination_province": "江西", "destination_city": "南昌"})
    assert resp.status_code == 200, resp.text
    assert resp.json()["details"]["insurance"] == "medical"
    assert transfers("张伟") == [("medical", "江西省", "南昌", False, "submitted")]


def test_destination_shenzhen_refused(client, as_user):
    h = as_user("wugang")
    before = state()
    for city in ("深圳", "深圳市"):
        err = assert_refused(
            post(client, h, "transfer_pension_out", {"destination_province": "广东", "destination_city": city}),
            "TRANSFER_DESTINATION_SHENZHEN",
        )
        assert err["fix_zh"]
    assert state() == before


def test_destination_checks(client, as_user):
    h = as_user("wugang")
    before = state()
    assert_refused(
        post(client, h, "transfer_pension_out", {"destination_province": "香港", "destination_city": "香港"}),
        "TRANSFER_OUTSIDE_MAINLAND",
    )
    err = assert_refused(
        post(client, h, "transfer_pension_out", {"destination_province": "广东省", "destination_city": "长沙"}),
        "CITY_NOT_IN_PROVINCE",
        422,
    )
    assert err["field"] == "destination_city"
    assert_refused(
        post(client, h, "transfer_pension_out", {"destination_province": "湖南", "destination_city": "东莞"}),
        "CITY_NOT_IN_PROVINCE",
        422,
    )
    assert_refused(
        post(client, h, "transfer_pension_out", {"destination_province": "火星", "destination_city": "长沙"}),
        "FIELD_PROVINCE",
        422,
    )
    assert_refused(post(client, h, "transfer_pension_out", {"destination_province": "湖南"}), "FIELD_MISSING", 422)
    assert state() == before


def test_medical_out_passes_for_stopped_employee_medical(client, as_user):
    # 赵建国: employee medical stopped, contribution history from the old system.
    resp = post(
        client,
        as_user("zhaojianguo"),
        "transfer_medical_out",
        {"destination_province": "四川", "destination_city": "成都"},
    )
    assert resp.status_code == 200, resp.text
    assert transfers("赵建国") == [("medical", "四川省", "成都", False, "submitted")]


def test_medical_out_refusals(client, as_user):
    before = state()
    err = assert_refused(post(client, as_user("zhoumin"), "transfer_medical_out", HUNAN), "TRANSFER_ALREADY_PENDING")
    assert err["details"]["transfer_status"] == "accepted"
    err = assert_refused(post(client, as_user("wugang"), "transfer_medical_out", HUNAN), "ACTIVE_ENROLMENT")
    assert err["details"]["scheme"] == "flexible"
    # 何丽: residents' medical, no contribution history at all.
    assert_refused(post(client, as_user("heli"), "transfer_medical_out", HUNAN), "NO_MEDICAL_RECORD")
    assert_refused(post(client, as_user("gaoyuan"), "transfer_medical_out", HUNAN), "NO_MEDICAL_RECORD")
    assert state() == before


# ---- cancel ---------------------------------------------------------------------


def test_cancel_pension_transfer_out(client, as_user):
    h = as_user("zhoumin")
    resp = post(client, h, "cancel_pension_transfer_out")
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert body["outcome"] == "completed" and body["details"]["status"] == "cancelled"
    assert "湖南省长沙" in body["message_zh"]
    assert transfers("周敏") == [
        ("pension", "湖南省", "长沙", False, "cancelled"),
        ("medical", "湖南省", "长沙", False, "accepted"),
    ]
    me = client.get("/me", headers=h).json()
    assert [t["insurance"] for t in me["transfers"]] == ["medical"]
    before = state()
    assert_refused(post(client, h, "cancel_pension_transfer_out"), "NO_PENDING_TRANSFER")
    assert state() == before


def test_cancel_medical_refused_once_accepted(client, as_user):
    h = as_user("zhoumin")
    before = state()
    elig = client.get("/items/cancel_medical_transfer_out/eligibility", headers=h).json()
    assert elig["reason"]["code"] == "TRANSFER_ALREADY_ACCEPTED"
    err = assert_refused(post(client, h, "cancel_medical_transfer_out"), "TRANSFER_ALREADY_ACCEPTED")
    assert "湖南省长沙" in err["fix_zh"] and err["fix_en"]
    assert state() == before
    with session_scope() as s:
        assert (
            s.scalar(
                select(Transfer.status).where(Transfer.person_id == person_id("周敏"), Transfer.insurance == "medical")
            )
            == TransferStatus.accepted
        )


def test_cancel_without_transfer(client, as_user):
    before = state()
    assert_refused(post(client, as_user("zhangwei"), "cancel_pension_transfer_out"), "NO_PENDING_TRANSFER")
    assert_refused(post(client, as_user("zhangwei"), "cancel_medical_transfer_out"), "NO_PENDING_TRANSFER")
    assert state() == before


def test_transfer_then_cancel_then_transfer_again(client, as_user):
    h = as_user("wugang")
    assert post(client, h, "transfer_pension_out", HUNAN).status_code == 200
    assert post(client, h, "cancel_pension_transfer_out").status_code == 200
    resp = post(client, h, "transfer_pension_out", {"destination_province": "湖北", "destination_city": "武汉"})
    assert resp.status_code == 200, resp.text
    assert [t[-1] for t in transfers("吴刚")] == ["cancelled", "submitted"]


# ---- transfer in (pre-application) ----------------------------------------------


def assert_pre_application(client, body: dict[str, Any], code: str, subject: str) -> dict[str, Any]:
    assert body["outcome"] == "pre_application"
    pre = body["pre_application"]
    assert is_valid_pre_application_number(pre["number"])
    assert any("参保缴费凭证" in m["zh"] for m in pre["materials"])
    assert any("身份证" in m["zh"] for m in pre["materials"])
    pdf = client.get(pre["form_url"].replace("http://testserver", ""))
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF")
    with session_scope() as s:
        row = s.scalar(select(PreApplication).where(PreApplication.number == pre["number"]))
        assert row.item_code == code and row.subject_person_id == person_id(subject)
        assert row.status.value == "submitted"
        assert s.get(Transaction, row.transaction_id).outcome.value == "pre_application"
    return pre


def test_pension_transfer_in_is_a_pre_application(client, as_user):
    h = as_user("gaoyuan")
    before = state()
    resp = post(client, h, "transfer_pension_in", {"from_province": "湖南", "from_city": "长沙"})
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert_pre_application(client, body, "transfer_pension_in", "高远")
    assert "原参保地" in body["message_zh"] and "参保缴费凭证" in body["message_zh"]
    assert "former place" in body["message_en"]
    assert body["details"] == {
        "insurance": "pension",
        "from_province": "湖南省",
        "from_city": "长沙",
        "within_province": False,
    }
    assert state()[2] == before[2]  # a transfer-in creates no Transfer row: the window does it
    # The open one is not duplicated.
    err = assert_refused(
        post(client, h, "transfer_pension_in", {"from_province": "湖南", "from_city": "长沙"}),
        "PRE_APPLICATION_PENDING",
    )
    assert err["details"]["number"] == body["pre_application"]["number"]


def test_medical_transfer_in_within_guangdong(client, as_user):
    resp = post(client, as_user("zhangwei"), "transfer_medical_in", {"from_province": "广东", "from_city": "佛山"})
    assert resp.status_code == 200, resp.text
    assert_pre_application(client, resp.json(), "transfer_medical_in", "张伟")
    assert resp.json()["details"]["within_province"] is True


def test_transfer_in_from_shenzhen_refused(client, as_user):
    before = state()
    for code in ("transfer_pension_in", "transfer_medical_in"):
        assert_refused(
            post(client, as_user("gaoyuan"), code, {"from_province": "广东", "from_city": "深圳"}),
            "TRANSFER_ORIGIN_SHENZHEN",
        )
    assert state() == before
