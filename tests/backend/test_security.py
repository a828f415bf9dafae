"""Security findings of issue 11 on the backend, each reproduced and shown closed.

- finding 2: account takeover by registration (name and ID number were enough;
  any card became the person's payment account);
- finding 5: the started backend ran on the development secrets without a word;
- finding 6: phone PIN guesses over several calls, password guesses across
  channels and log-in attempts from one address were never limited;
- finding 7: malformed bodies (clean 4xx, never 500).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select, update

from sz_backend.persistence.db import session_scope
from sz_backend.persistence.models import AuditEntry, AuthFailure, BankAccount, Person, SmsOutbox, UserAccount
from sz_backend.seed import make_id
from sz_backend.settings import (
    DEV_CHANNEL_SERVICE_KEY,
    DEV_DOCUMENT_LINK_SECRET,
    InsecureSettings,
    check_production_settings,
    get_settings,
)

BACKEND_DIR = Path(__file__).resolve().parents[2] / "backend"
KEY = {"X-Service-Key": DEV_CHANNEL_SERVICE_KEY}
LINXIAO = {
    "id_number": make_id("440304", datetime(1998, 1, 20).date(), 260),
    "name": "林晓",
    "phone": "13800138014",
    "bank_name": "招商银行",
    "bank_account": "6225880211112222",
    "bank_opened_in_shenzhen": True,
}
ACCOUNT = {"username": "linxiao", "password": "Linxiao2026"}
ATTACKER_CARD = {"bank_name": "中国建设银行", "bank_account": "6217003200098765"}  # 刘洋's card, not 林晓's


def _code_for(phone: str) -> str:
    with session_scope() as s:
        text = s.scalars(select(SmsOutbox.text).where(SmsOutbox.phone == phone).order_by(SmsOutbox.id.desc())).first()
    assert text, "no text message in the outbox"
    return re.search(r"验证码(\d{6})", text).group(1)


def _accounts(name: str) -> int:
    with session_scope() as s:
        return s.scalar(
            select(func.count())
            .select_from(UserAccount)
            .join(Person, Person.id == UserAccount.person_id)
            .where(Person.name == name)
        )


def _error(r: Any, status: int) -> str:
    assert r.status_code == status, r.text
    return r.json()["error"]["code"]


# ---------------------------------------------------------------- finding 2: registration
def test_takeover_with_name_and_id_number_and_an_attackers_card_is_refused(client):
    # the attack of the issue: name + ID number + any card + any phone
    attack = LINXIAO | ATTACKER_CARD | {"phone": "13912345678"} | ACCOUNT
    assert _error(client.post("/accounts", json=attack), 409) == "BANK_VERIFICATION_FAILED"
    assert (
        _error(client.post("/accounts/code", json={k: v for k, v in attack.items() if k not in ACCOUNT}), 409)
        == "BANK_VERIFICATION_FAILED"
    )
    # the victim's real card with the attacker's phone: the bank holds another phone, no code is sent
    assert (
        _error(client.post("/accounts/code", json=LINXIAO | {"phone": "13912345678"}), 409)
        == "BANK_VERIFICATION_FAILED"
    )
    with session_scope() as s:
        assert s.scalar(select(func.count()).select_from(SmsOutbox)) == 0
        assert s.scalar(select(func.count()).select_from(BankAccount).join(Person).where(Person.name == "林晓")) == 0
    assert _accounts("林晓") == 0


def test_registration_needs_the_code_sent_to_the_phone_the_bank_holds(client):
    # without a code, with a made-up one: refused
    assert _error(client.post("/accounts", json=LINXIAO | ACCOUNT), 422) == "OTP_REQUIRED"
    sent = client.post("/accounts/code", json=LINXIAO)
    assert sent.status_code == 200, sent.text
    assert sent.json()["phone"] != LINXIAO["phone"] and "6225880211112222" not in sent.text
    otp_id, code = sent.json()["otp_id"], _code_for(LINXIAO["phone"])
    wrong = f"{(int(code) + 1) % 10**6:06d}"
    assert (
        _error(client.post("/accounts", json=LINXIAO | ACCOUNT | {"otp_id": otp_id, "otp_code": wrong}), 422)
        == "OTP_INVALID"
    )
    # the code confirms this card and phone only
    other = LINXIAO | ATTACKER_CARD | ACCOUNT | {"otp_id": otp_id, "otp_code": code}
    assert _error(client.post("/accounts", json=other), 409) == "BANK_VERIFICATION_FAILED"
    assert _accounts("林晓") == 0
    ok = client.post("/accounts", json=LINXIAO | ACCOUNT | {"otp_id": otp_id, "otp_code": code})
    assert ok.status_code == 200, ok.text
    assert client.post("/auth/login", json=ACCOUNT).status_code == 200
    # used once
    assert (
        _error(
            client.post(
                "/accounts", json=LINXIAO | ACCOUNT | {"otp_id": otp_id, "otp_code": code, "username": "linxiao2"}
            ),
            409,
        )
        == "ACCOUNT_EXISTS"
    )


def test_one_time_code_guessing_is_limited_and_codes_are_not_sent_in_a_burst(client):
    otp_id = client.post("/accounts/code", json=LINXIAO).json()["otp_id"]
    code = _code_for(LINXIAO["phone"])
    guesses = [f"{(int(code) + k) % 10**6:06d}" for k in range(1, 6)]
    for guess in guesses:
        assert (
            _error(client.post("/accounts", json=LINXIAO | ACCOUNT | {"otp_id": otp_id, "otp_code": guess}), 422)
            == "OTP_INVALID"
        )
    # the right code after five wrong ones: too late, a new code is needed
    assert (
        _error(client.post("/accounts", json=LINXIAO | ACCOUNT | {"otp_id": otp_id, "otp_code": code}), 429)
        == "OTP_LOCKED"
    )
    assert _error(client.post("/accounts/code", json=LINXIAO), 429) == "OTP_TOO_SOON"
    assert _accounts("林晓") == 0


def test_expired_code_is_refused(client):
    otp_id = client.post("/accounts/code", json=LINXIAO).json()["otp_id"]
    from sz_backend.persistence.models import OneTimeCode

    with session_scope() as s:
        s.execute(update(OneTimeCode).values(expires_at=datetime.now(timezone.utc) - timedelta(seconds=1)))
    body = LINXIAO | ACCOUNT | {"otp_id": otp_id, "otp_code": _code_for(LINXIAO["phone"])}
    assert _error(client.post("/accounts", json=body), 422) == "OTP_INVALID"


# ---------------------------------------------------------------- finding 6: lock-out and throttling
def _zhangwei_caller() -> dict[str, str]:
    with session_scope() as s:
        person = s.scalars(select(Person).where(Person.name == "张伟")).one()
        return {"phone": person.phone, "id_last4": person.id_number[-4:]}


def test_phone_pin_guesses_over_several_calls_lock_the_account(client):
    caller = _zhangwei_caller()
    # the attack: wrong PINs over four calls (each call a separate request, from any number)
    for pin in ("000000", "111111", "222222", "333333", "444444"):
        r = client.post("/channels/ivr/verify", json=caller | {"pin": pin}, headers=KEY)
        assert _error(r, 401) == "CALLER_NOT_VERIFIED"
    right = client.post("/channels/ivr/verify", json=caller | {"pin": "202611"}, headers=KEY)
    assert _error(right, 429) == "TOO_MANY_ATTEMPTS"
    assert right.json()["error"]["message_zh"]
    with session_scope() as s:
        locked = s.scalars(select(AuditEntry).where(AuditEntry.action == "auth.locked")).all()
        assert len(locked) == 1 and locked[0].detail["kind"] == "pin" and locked[0].channel == "ivr"
        # the lock is time-based: once the window has passed, the right PIN works again
        s.execute(update(AuthFailure).values(at=datetime.now(timezone.utc) - timedelta(minutes=16)))
    assert client.post("/channels/ivr/verify", json=caller | {"pin": "202611"}, headers=KEY).status_code == 200
    with session_scope() as s:  # and a success clears the count
        assert s.scalar(select(func.count()).select_from(AuthFailure).where(AuthFailure.kind == "pin")) == 0


def test_password_guesses_count_across_web_log_in_and_wechat_binding(client):
    for _ in range(3):
        assert (
            _error(client.post("/auth/login", json={"username": "lina", "password": "wrong-1"}), 401) == "LOGIN_FAILED"
        )
    bind = {"channel": "wechat", "external_id": "oATTACKER1", "username": "lina"}
    for _ in range(2):
        assert (
            _error(client.post("/channels/bind", json=bind | {"password": "wrong-2"}, headers=KEY), 401)
            == "LOGIN_FAILED"
        )
    # locked now, on every channel, the right password included
    assert (
        _error(client.post("/auth/login", json={"username": "lina", "password": "Demo@2026"}), 429)
        == "TOO_MANY_ATTEMPTS"
    )
    assert (
        _error(client.post("/channels/bind", json=bind | {"password": "Demo@2026"}, headers=KEY), 429)
        == "TOO_MANY_ATTEMPTS"
    )
    # other people are not affected
    assert client.post("/auth/login", json={"username": "zhangwei", "password": "Demo@2026"}).status_code == 200


def test_unknown_user_names_answer_like_known_ones(client):
    for _ in range(5):
        client.post("/auth/login", json={"username": "no-such-user", "password": "x"})
    assert (
        _error(client.post("/auth/login", json={"username": "no-such-user", "password": "x"}), 429)
        == "TOO_MANY_ATTEMPTS"
    )


def test_log_in_failures_from_one_address_are_throttled(client, monkeypatch):
    monkeypatch.setenv("SZ_SOURCE_MAX_FAILURES", "8")
    get_settings.cache_clear()
    for k in range(8):  # a different user name each time: no per-account lock is reached
        assert client.post("/auth/login", json={"username": f"spray{k}", "password": "Demo@2026"}).status_code == 401
    r = client.post("/auth/login", json={"username": "zhangwei", "password": "Demo@2026"})
    assert _error(r, 429) == "TOO_MANY_ATTEMPTS"
    get_settings.cache_clear()


# ---------------------------------------------------------------- finding 5: secrets
def _serve(env: dict[str, str], tmp_path: Path) -> subprocess.CompletedProcess:
    base = {k: v for k, v in os.environ.items() if not k.startswith("SZ_")}
    return subprocess.run(
        [sys.executable, "-m", "sz_backend.cli", "serve", "--port", "1"],
        cwd=BACKEND_DIR,
        env=base | {"DATABASE_URL": f"sqlite:///{tmp_path / 'x.sqlite3'}"} | env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_the_started_backend_refuses_development_secrets_outside_development_mode(tmp_path):
    run = _serve({}, tmp_path)
    assert run.returncode == 2
    assert "SZ_CHANNEL_SERVICE_KEY" in run.stderr and "SZ_DOCUMENT_LINK_SECRET" in run.stderr
    assert "SZ_SMS_GATEWAY" in run.stderr
    assert not (tmp_path / "x.sqlite3").exists()  # refused before touching anything


def test_production_settings_pass_with_real_secrets_and_adapters(monkeypatch):
    monkeypatch.delenv("SZ_DEV_MODE", raising=False)
    monkeypatch.setenv("SZ_CHANNEL_SERVICE_KEY", "k" * 32)
    monkeypatch.setenv("SZ_DOCUMENT_LINK_SECRET", "s" * 32)
    monkeypatch.setenv("SZ_SMS_GATEWAY", "operator-gateway")
    get_settings.cache_clear()
    try:
        check_production_settings(get_settings())
        monkeypatch.setenv("SZ_DOCUMENT_LINK_SECRET", DEV_DOCUMENT_LINK_SECRET)
        get_settings.cache_clear()
        with pytest.raises(InsecureSettings):
            check_production_settings(get_settings())
    finally:
        get_settings.cache_clear()


def test_development_outbox_is_not_served_outside_development_mode(client, monkeypatch):
    assert client.get("/dev/sms-outbox", params={"phone": "13800138014"}).status_code == 200
    monkeypatch.setenv("SZ_DEV_MODE", "0")
    get_settings.cache_clear()
    try:
        assert client.get("/dev/sms-outbox", params={"phone": "13800138014"}).status_code == 404
    finally:
        get_settings.cache_clear()


# ---------------------------------------------------------------- finding 7: malformed bodies
@pytest.mark.parametrize(
    "path",
    [
        "/auth/login",
        "/accounts",
        "/accounts/code",
        "/channels/bind",
        "/channels/ivr/verify",
        "/items/stop_insurance/validate",
    ],
)
@pytest.mark.parametrize("body", [b"[]", b'"x"', b"{", b"null", '{"username": "\u0000"}'.encode()])
def test_malformed_bodies_get_a_clean_4xx(client, path, body):
    r = client.post(path, content=body, headers={"Content-Type": "application/json"} | KEY)
    assert 400 <= r.status_code < 500, (path, body, r.status_code, r.text)
    assert r.json()["error"]["code"]
