"""Registration finished on the one-time page (the chat's path; services/registration_link.py).

The chat proves identity as POST /accounts does (bank check, SMS code) and gets a
link instead of taking a password; the page sets user name and password once."""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from urllib.parse import urlparse

from sqlalchemy import select, update
from test_security import ACCOUNT, ATTACKER_CARD, LINXIAO, _accounts, _code_for, _error

from sz_backend.persistence.db import session_scope
from sz_backend.persistence.models import AuditEntry, BankAccount, Person, RegistrationLink


def _link(client) -> str:
    otp_id = client.post("/accounts/code", json=LINXIAO).json()["otp_id"]
    r = client.post("/accounts/setup-link", json=LINXIAO | {"otp_id": otp_id, "otp_code": _code_for(LINXIAO["phone"])})
    assert r.status_code == 200, r.text
    url = urlparse(r.json()["url"])
    assert url.path == "/accounts/setup" and "6225880211112222" not in r.text
    return f"{url.path}?{url.query}"


def _token(path: str) -> str:
    return path.split("t=", 1)[1]


def _submit(client, path: str, **form: str):
    return client.post("/accounts/setup", data={"t": _token(path), **form})


def test_the_link_needs_the_right_code_for_the_same_card(client):
    assert (
        _error(client.post("/accounts/setup-link", json=LINXIAO | {"otp_id": "x", "otp_code": "123456"}), 422)
        == "OTP_INVALID"
    )
    otp_id = client.post("/accounts/code", json=LINXIAO).json()["otp_id"]
    code = _code_for(LINXIAO["phone"])
    wrong = f"{(int(code) + 1) % 10**6:06d}"
    assert (
        _error(client.post("/accounts/setup-link", json=LINXIAO | {"otp_id": otp_id, "otp_code": wrong}), 422)
        == "OTP_INVALID"
    )
    assert (
        _error(
            client.post("/accounts/setup-link", json=LINXIAO | ATTACKER_CARD | {"otp_id": otp_id, "otp_code": code}),
            409,
        )
        == "BANK_VERIFICATION_FAILED"
    )
    with session_scope() as s:
        assert s.scalar(select(RegistrationLink.id)) is None


def test_the_page_sets_the_password_once_and_the_person_logs_in(client):
    path = _link(client)
    page = client.get(path)
    assert page.status_code == 200 and "林*" in page.text and "************2222" in page.text
    assert "frame-ancestors 'none'" in page.headers["content-security-policy"]
    # a weak password and a mismatch: the form again with the reason, the link still works
    weak = _submit(client, path, username="linxiao", password="short", password_again="short")
    assert weak.status_code == 422 and "至少8位" in weak.text and 'value="linxiao"' in weak.text
    differ = _submit(client, path, username="linxiao", password="Linxiao2026", password_again="Linxiao2027")
    assert differ.status_code == 422 and "不一致" in differ.text
    taken = _submit(client, path, username="zhangwei", password="Linxiao2026", password_again="Linxiao2026")
    assert taken.status_code == 409 and "已被使用" in taken.text
    assert _accounts("林晓") == 0
    done = _submit(
        client, path, username=ACCOUNT["username"], password=ACCOUNT["password"], password_again=ACCOUNT["password"]
    )
    assert done.status_code == 200 and "注册成功" in done.text, done.text
    assert client.post("/auth/login", json=ACCOUNT).status_code == 200
    with session_scope() as s:
        card = s.scalar(select(BankAccount).join(Person).where(Person.name == "林晓"))
        assert card.account_no == "6225880211112222" and card.is_payment_account
        actions = set(s.scalars(select(AuditEntry.action)))
        assert {"service.register_account.link_issued", "service.register_account"} <= actions
        assert s.scalar(select(RegistrationLink.token_hash)) != _token(path)  # only the hash is kept
    # used once
    again = _submit(client, path, username="linxiao2", password="Linxiao2026", password_again="Linxiao2026")
    assert again.status_code == 403 and "已使用" in again.text
    assert client.get(path).status_code == 403
    assert _accounts("林晓") == 1


def test_a_forged_or_expired_link_opens_nothing(client):
    assert client.get("/accounts/setup?t=forged").status_code == 403
    assert client.get("/accounts/setup").status_code == 403
    path = _link(client)
    with session_scope() as s:
        s.execute(update(RegistrationLink).values(expires_at=datetime.now(timezone.utc) - timedelta(seconds=1)))
    page = client.get(path)
    assert page.status_code == 403 and re.search("过期", page.text)
    r = _submit(client, path, username="linxiao", password="Linxiao2026", password_again="Linxiao2026")
    assert r.status_code == 403
    assert _accounts("林晓") == 0


def test_details_are_checked_one_by_one_as_the_steps_check_them(client):
    r = client.post(
        "/accounts/check",
        json={
            "fields": {
                "name": " 林晓 ",
                "id_number": LINXIAO["id_number"].lower(),
                "bank_name": "招行",
                "bank_account": "6225 8802 1111 2222",
                "phone": "+86 138-0013-8014",
            }
        },
    )
    assert r.status_code == 200, r.text
    assert r.json() == {
        "values": {
            "name": "林晓",
            "id_number": LINXIAO["id_number"],
            "bank_name": "招商银行",
            "bank_account": "6225880211112222",
            "phone": "13800138014",
        },
        "errors": {},
    }
    bad = client.post(
        "/accounts/check",
        json={
            "fields": {
                "name": "13800138014",
                "id_number": "440304199801202600",
                "bank_name": "浦发银行",
                "bank_account": "12ab",
                "phone": "12345",
            }
        },
    ).json()
    assert bad["values"] == {}
    assert {k: v["code"] for k, v in bad["errors"].items()} == {
        "name": "NAME_INVALID",
        "id_number": "ID_NUMBER_CHECK",
        "bank_name": "BANK_NOT_COOPERATING",
        "bank_account": "BANK_ACCOUNT_INVALID",
        "phone": "PHONE_INVALID",
    }
    assert "招商银行" in bad["errors"]["bank_name"]["message_zh"]
