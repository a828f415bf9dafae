"""个人参保信息变更, 身份证号正常升位, 缴费银行信息维护 through the HTTP API.

Demo people: zhangwei (flexible worker, medical tier 1, 18-digit ID, bank
招商银行), sunli (15-digit ID 440301780512123), liuyang (activated financial
social security card), lina (insured through an employer).
"""

from __future__ import annotations

from sqlalchemy import func, select

from sz_backend.persistence.db import session_scope
from sz_backend.persistence.models import (
    BankAccount,
    Enrolment,
    EnrolmentEvent,
    HukouRecord,
    InsuranceType,
    Person,
    PreApplication,
    Scheme,
    Transaction,
)
from sz_backend.rules.idnumber import check_character
from sz_backend.rules.numbers import is_valid_pre_application_number

ZHANGWEI_ID = "440304198805121310"
SUNLI_15 = "440301780512123"
SUNLI_18 = "440301197805121237"


def _pid(name: str) -> int:
    with session_scope() as s:
        return s.scalar(select(Person.id).where(Person.name == name))


def _state(person_id: int) -> tuple:
    with session_scope() as s:
        person = s.get(Person, person_id)
        accounts = s.execute(
            select(BankAccount.bank_name, BankAccount.account_no, BankAccount.is_payment_account)
            .where(BankAccount.person_id == person_id)
            .order_by(BankAccount.id)
        ).all()
        enrolments = s.execute(
            select(Enrolment.id, Enrolment.medical_tier, Enrolment.status)
            .where(Enrolment.person_id == person_id)
            .order_by(Enrolment.id)
        ).all()
        return (
            person.id_number,
            tuple(accounts),
            tuple(enrolments),
            tuple(s.scalars(select(HukouRecord.id_number).order_by(HukouRecord.id))),
            s.scalar(select(func.count()).select_from(EnrolmentEvent)),
            s.scalar(select(func.count()).select_from(Transaction)),
            s.scalar(select(func.count()).select_from(PreApplication)),
        )


def _post(client, headers, code: str, fields: dict):
    return client.post(f"/items/{code}", json={"fields": fields}, headers=headers)


def _refused(resp, code: str, status: int = 409) -> dict:
    assert resp.status_code == status, resp.text
    err = resp.json()["error"]
    assert err["code"] == code, err
    return err


def _assert_pre_application(client, body: dict, materials: list[str]) -> dict:
    assert body["outcome"] == "pre_application"
    pre = body["pre_application"]
    assert is_valid_pre_application_number(pre["number"])
    assert [m["zh"] for m in pre["materials"]] == materials
    pdf = client.get(pre["form_url"].replace("http://testserver", ""))
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF")
    return pre


# -- 个人参保信息变更 ----------------------------------------------------------------------------------


def test_change_medical_tier_from_next_month(client, as_user):
    pid = _pid("张伟")
    resp = _post(client, as_user("zhangwei"), "change_enrollment_info", {"medical_tier": "二档"})
    assert resp.status_code == 200, resp.text
    d = resp.json()["details"]
    assert d == {
        "old_tier": 1,
        "new_tier": 2,
        "effective_from": "2026-12",
        "monthly_fen": 3540,
        "monthly_yuan": "35.40",
    }
    with session_scope() as s:
        e = s.scalar(
            select(Enrolment).where(
                Enrolment.person_id == pid,
                Enrolment.insurance == InsuranceType.medical,
                Enrolment.scheme == Scheme.flexible,
            )
        )
        assert e.medical_tier == 2
        assert [(ev.change, ev.detail) for ev in e.history] == [
            ("tier_changed", {"old_tier": 1, "new_tier": 2, "from_month": "2026-12"})
        ]


def test_tier_change_leaves_this_month_at_the_old_tier(client, as_user):
    headers = as_user("zhangwei")
    assert _post(client, headers, "change_enrollment_info", {"medical_tier": "2"}).status_code == 200
    paid = client.post("/services/self_service_payment", json={}, headers=headers)
    assert paid.status_code == 200, paid.text
    assert {i["insurance"]: i["amount_yuan"] for i in paid.json()["items"]}["medical"] == "188.80"  # tier 1, 8%


def test_change_tier_same_tier(client, as_user):
    headers, before = as_user("zhangwei"), _state(_pid("张伟"))
    err = _refused(_post(client, headers, "change_enrollment_info", {"medical_tier": "1"}), "SAME_TIER")
    assert "二档" in err["fix_zh"]
    assert _state(_pid("张伟")) == before


def test_eligibility_lists_the_current_tier_and_grade(client, as_user):
    """A change item's field says its present value (schema.current): the chat reads "升一档" from it."""
    elig = client.get("/items/change_enrollment_info/eligibility", headers=as_user("liuyang")).json()
    assert [f["schema"].get("current") for f in elig["fields"]] == ["2"]
    elig = client.get("/items/change_resident_pension_grade/eligibility", headers=as_user("heli")).json()
    assert [f["schema"].get("current") for f in elig["fields"]] == ["3"]
    elig = client.get("/items/transfer_pension_out/eligibility", headers=as_user("wugang")).json()
    assert elig["eligible"] is True
    assert all("current" not in f["schema"] for f in elig["fields"])


def test_change_tier_without_flexible_medical(client, as_user):
    headers, before = as_user("lina"), _state(_pid("李娜"))
    elig = client.get("/items/change_enrollment_info/eligibility", headers=headers).json()
    assert elig["eligible"] is False and elig["reason"]["code"] == "NO_INDIVIDUAL_ENROLMENT"
    _refused(_post(client, headers, "change_enrollment_info", {"medical_tier": "2"}), "NO_INDIVIDUAL_ENROLMENT")
    assert _state(_pid("李娜")) == before


# -- 身份证号正常升位 ----------------------------------------------------------------------------------


def test_upgrade_id_number(client, as_user):
    pid = _pid("孙立")
    resp = _post(client, as_user("sunli"), "upgrade_id_number", {"new_id_number": SUNLI_18})
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert body["outcome"] == "completed" and body["details"]["new_id_number"] == "4403**********1237"
    assert SUNLI_18 not in resp.text
    with session_scope() as s:
        assert s.get(Person, pid).id_number == SUNLI_18
        assert s.scalar(select(func.count()).select_from(HukouRecord).where(HukouRecord.id_number == SUNLI_18)) == 1
        assert not s.scalar(select(func.count()).select_from(HukouRecord).where(HukouRecord.id_number == SUNLI_15))
    assert client.get("/me", headers=as_user("sunli")).json()["id_number_length"] == 18


def test_upgrade_id_number_mismatch_does_not_reveal_the_number(client, as_user):
    headers, before = as_user("sunli"), _state(_pid("孙立"))
    first17 = "44030119780512124"  # one digit off in the sequence, valid check character
    err = _refused(
        _post(client, headers, "upgrade_id_number", {"new_id_number": first17 + check_character(first17)}),
        "ID_UPGRADE_MISMATCH",
    )
    assert SUNLI_18 not in str(err) and "1237" not in str(err) and "身份证" in err["fix_zh"]
    assert _state(_pid("孙立")) == before


def test_upgrade_id_number_already_18(client, as_user):
    headers, before = as_user("zhangwei"), _state(_pid("张伟"))
    elig = client.get("/items/upgrade_id_number/eligibility", headers=headers).json()
    assert elig["eligible"] is False and elig["reason"]["code"] == "ALREADY_18_DIGITS"
    _refused(_post(client, headers, "upgrade_id_number", {"new_id_number": ZHANGWEI_ID}), "ALREADY_18_DIGITS")
    assert _state(_pid("张伟")) == before


def test_upgrade_id_number_centenarian_goes_to_manual_handling(client, as_user):
    pid = _pid("孙立")
    with session_scope() as s:  # a 15-digit number with the centenarian sequence 996
        s.get(Person, pid).id_number = "440301050512996"
    headers = as_user("sunli")
    typed = "44030118050512996" + check_character("44030118050512996")
    resp = _post(client, headers, "upgrade_id_number", {"new_id_number": typed})
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert body["details"]["reason"] == "ID_UPGRADE_MANUAL" and "996-999" in body["message_zh"]
    _assert_pre_application(client, body, ["本人居民身份证原件及复印件", "打印并签名的预申请表"])
    with session_scope() as s:
        assert s.get(Person, pid).id_number == "440301050512996"  # unchanged: a window decides
        pre = s.scalar(select(PreApplication).where(PreApplication.number == body["pre_application"]["number"]))
        assert pre.item_code == "upgrade_id_number" and typed not in str(pre.data)


def test_upgrade_id_number_already_used_elsewhere(client, as_user):
    with session_scope() as s:
        s.scalar(select(Person).where(Person.name == "林晓")).id_number = SUNLI_18
    headers, before = as_user("sunli"), _state(_pid("孙立"))
    _refused(_post(client, headers, "upgrade_id_number", {"new_id_number": SUNLI_18}), "ID_NUMBER_IN_USE")
    assert _state(_pid("孙立")) == before


# -- 缴费银行信息维护 ----------------------------------------------------------------------------------


def _bank_fields(**over: str) -> dict:
    return {
        "bank_name": "工商银行",
        "account_no": "6222 0202 0009 9998 888",
        "holder_name": "张伟",
        "holder_id_number": ZHANGWEI_ID,
    } | over


def test_maintain_payment_bank_passes(client, as_user):
    pid = _pid("张伟")
    resp = _post(client, as_user("zhangwei"), "maintain_payment_bank", _bank_fields())
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert body["outcome"] == "completed"
    assert body["details"] == {"bank_name": "中国工商银行", "account_no": "***************8888"}
    assert "6222020200099998888" not in resp.text
    with session_scope() as s:
        accounts = list(s.scalars(select(BankAccount).where(BankAccount.person_id == pid).order_by(BankAccount.id)))
        assert [(a.bank_name, a.is_payment_account) for a in accounts] == [("招商银行", False), ("中国工商银行", True)]
        assert accounts[1].account_no == "6222020200099998888" and accounts[1].holder_name == "张伟"
    paid = client.post("/services/self_service_payment", json={}, headers=as_user("zhangwei")).json()
    assert paid["account"]["bank_name"] == "中国工商银行"  # the next deduction uses the new account


def test_maintain_payment_bank_holder_mismatch_is_pre_application(client, as_user):
    headers, pid = as_user("zhangwei"), _pid("张伟")
    before = _state(pid)
    resp = _post(
        client,
        headers,
        "maintain_payment_bank",
        _bank_fields(holder_name="张伟强", holder_id_number="11010519491231002X"),
    )
    assert resp.status_code == 200, resp.text
    body = resp.json()
    pre = _assert_pre_application(
        client, body, ["本人居民身份证原件及复印件", "本人深圳开户的合作银行账户卡", "打印并签名的预申请表"]
    )
    fields = {m["field"]: m for m in pre["mismatches"]}
    assert set(fields) == {"holder_name", "holder_id_number"}
    assert "本人名下" in fields["holder_name"]["fix_zh"]
    assert fields["holder_id_number"]["submitted"] == "1101**********002X"  # masked
    assert "本人名下" in body["message_zh"]
    after = _state(pid)
    assert after[1] == before[1]  # no bank account change
    assert after[6] == before[6] + 1


def test_maintain_payment_bank_name_only_mismatch(client, as_user):
    resp = _post(client, as_user("zhangwei"), "maintain_payment_bank", _bank_fields(holder_name="王芳"))
    assert resp.json()["outcome"] == "pre_application"
    assert [m["field"] for m in resp.json()["pre_application"]["mismatches"]] == ["holder_name"]


def test_maintain_payment_bank_card_locks_account(client, as_user):
    headers, before = as_user("liuyang"), _state(_pid("刘洋"))
    elig = client.get("/items/maintain_payment_bank/eligibility", headers=headers).json()
    assert elig["eligible"] is False and elig["reason"]["code"] == "CARD_LOCKS_ACCOUNT"
    err = _refused(
        _post(client, headers, "maintain_payment_bank", _bank_fields(holder_name="刘洋")), "CARD_LOCKS_ACCOUNT"
    )
    assert "金融社保卡" in err["message_zh"] and "无法变更" in err["message_zh"]
    assert "6230580000012345" not in str(err)
    assert _state(_pid("刘洋")) == before


def test_maintain_payment_bank_not_cooperating(client, as_user):
    headers, before = as_user("zhangwei"), _state(_pid("张伟"))
    err = _refused(
        _post(client, headers, "maintain_payment_bank", _bank_fields(bank_name="汇丰银行")), "BANK_NOT_COOPERATING"
    )
    assert "招商银行" in err["fix_zh"] and len(err["details"]["banks"]) == 12
    assert _state(_pid("张伟")) == before


def test_maintain_payment_bank_same_account(client, as_user):
    headers, before = as_user("zhangwei"), _state(_pid("张伟"))
    _refused(
        _post(
            client, headers, "maintain_payment_bank", _bank_fields(bank_name="招商银行", account_no="6225880212345678")
        ),
        "ALREADY_PAYMENT_ACCOUNT",
    )
    assert _state(_pid("张伟")) == before


def test_maintain_payment_bank_with_15_digit_record(client, as_user):
    # 孙立's record still has the 15-digit number; the bank knows the 18-character one.
    resp = _post(
        client,
        as_user("sunli"),
        "maintain_payment_bank",
        _bank_fields(bank_name="建设银行", holder_name="孙立", holder_id_number=SUNLI_18),
    )
    assert resp.status_code == 200 and resp.json()["outcome"] == "completed", resp.text
