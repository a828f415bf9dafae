"""The service-window console through the HTTP API: staff log-in and roles, look-up,
materials, finishing by the item's own handler, returning, audit, the resident's
status and history, and the notices (widget, SMS outbox, WeChat stand-in)."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest
from sqlalchemy import select

from sz_backend.persistence import db as dbmod
from sz_backend.persistence.db import session_scope
from sz_backend.persistence.models import (
    AuditEntry,
    AuthFailure,
    BankAccount,
    Enrolment,
    Notice,
    Person,
    PreApplication,
    SmsOutbox,
    Transaction,
)
from sz_backend.rules.numbers import make_pre_application_number

PASSWORD = "Demo@2026"
CHILD = "enroll_child_first_time"


def staff_login(client, username: str = "clerk01", password: str = PASSWORD):
    return client.post("/window/auth/login", json={"username": username, "password": password})


@pytest.fixture
def clerk(client) -> dict[str, str]:
    resp = staff_login(client)
    assert resp.status_code == 200, resp.text
    assert resp.json()["role"] == "clerk"
    return {"Authorization": f"Bearer {resp.json()['token']}"}


@pytest.fixture
def supervisor(client) -> dict[str, str]:
    resp = staff_login(client, "super01")
    assert resp.status_code == 200, resp.text
    return {"Authorization": f"Bearer {resp.json()['token']}"}


def child_pre_application(client, headers) -> str:
    """李小乐: the registry has no settle-in date, so the first enrolment goes to a window."""
    children = client.get("/me", headers=headers).json()["children"]
    sid = next(c["id"] for c in children if c["name"] == "李小乐")
    resp = client.post(
        f"/items/{CHILD}", json={"subject_id": sid, "fields": {"settle_in_date": "2026-06-01"}}, headers=headers
    )
    assert resp.status_code == 200, resp.text
    assert resp.json()["outcome"] == "pre_application"
    return resp.json()["pre_application"]["number"]


def child_enrolled(name: str) -> bool:
    with session_scope() as s:
        pid = s.scalar(select(Person.id).where(Person.name == name))
        return s.scalar(select(Enrolment.id).where(Enrolment.person_id == pid)) is not None


# -- staff accounts ----------------------------------------------------------------------------------------


def test_staff_and_resident_tokens_do_not_cross(client, clerk, as_user):
    lina = as_user("lina")
    assert client.get("/window/me", headers=clerk).json()["username"] == "clerk01"
    assert client.get("/window/me", headers=lina).json()["error"]["code"] == "STAFF_AUTH_INVALID"
    assert client.get("/me", headers=clerk).json()["error"]["code"] == "AUTH_INVALID"
    # A resident's user name and password do not open the console.
    assert staff_login(client, "lina").json()["error"]["code"] == "LOGIN_FAILED"
    assert client.get("/window/pre-applications?number=YS2026000012347").status_code == 401


def test_staff_lockout_after_five_wrong_passwords(client):
    """The residents' lock-out (services/lockout.py), counted per staff user name."""
    for _ in range(5):
        assert staff_login(client, password="wrong").json()["error"]["code"] == "LOGIN_FAILED"
    # Locked: even the right password is refused until the lock ends.
    resp = staff_login(client)
    assert resp.status_code == 429 and resp.json()["error"]["code"] == "TOO_MANY_ATTEMPTS"
    with session_scope() as s:
        assert (
            s.query(AuditEntry).filter(AuditEntry.action == "auth.locked", AuditEntry.channel == "window").count() == 1
        )
        s.query(AuthFailure).filter(AuthFailure.subject == "staff:clerk01").delete()  # the lock has run out
    assert staff_login(client).status_code == 200
    # Other staff, and a resident with the same user name, are not affected.
    assert staff_login(client, "super01").status_code == 200
    with session_scope() as s:
        assert s.query(AuthFailure).filter(AuthFailure.subject == "user:clerk01").count() == 0


def test_logout_revokes_the_staff_token(client, clerk):
    assert client.post("/window/auth/logout", headers=clerk).json() == {"ok": True}
    assert client.get("/window/me", headers=clerk).status_code == 401


# -- look-up -------------------------------------------------------------------------------------------------


def test_lookup_by_number_checks_the_check_character(client, clerk, as_user):
    number = child_pre_application(client, as_user("lina"))
    found = client.get("/window/pre-applications", params={"number": number.lower()}, headers=clerk).json()
    assert [r["number"] for r in found["results"]] == [number]
    mistyped = number[:-1] + ("0" if number[-1] != "0" else "1")
    err = client.get("/window/pre-applications", params={"number": mistyped}, headers=clerk).json()["error"]
    assert err["code"] == "PRE_APPLICATION_NUMBER_INVALID"
    unused = make_pre_application_number(2026, 999_999)
    assert client.get("/window/pre-applications", params={"number": unused}, headers=clerk).status_code == 404


def test_lookup_by_id_number_of_child_or_guardian(client, clerk, as_user):
    number = child_pre_application(client, as_user("lina"))
    with session_scope() as s:
        child_id = s.scalar(select(Person.id_number).where(Person.name == "李小乐"))
        lina_id = s.scalar(select(Person.id_number).where(Person.name == "李娜"))
    for id_number in (child_id, lina_id):
        found = client.get("/window/pre-applications", params={"id_number": id_number}, headers=clerk).json()
        assert [r["number"] for r in found["results"]] == [number]
        assert found["results"][0]["subject_name"] == "李小乐"
        assert child_id not in json.dumps(found)  # masked in the list
    bad = client.get("/window/pre-applications", params={"id_number": child_id[:-1] + "0"}, headers=clerk)
    if child_id[-1] != "0":
        assert bad.json()["error"]["code"] == "ID_NUMBER_INVALID"
    assert client.get("/window/pre-applications", headers=clerk).json()["error"]["code"] == "LOOKUP_ONE_KEY"


def test_detail_shows_item_data_materials_and_comparison_masked(client, clerk, as_user):
    number = child_pre_application(client, as_user("lina"))
    body = client.get(f"/window/pre-applications/{number}", headers=clerk).json()
    assert body["item_code"] == CHILD and body["status"] == "submitted" and body["channel"] == "web"
    assert body["subject"]["name"] == "李小乐" and "*" in body["subject"]["id_number"]
    assert body["applicant"]["name"] == "李娜" and "*" in body["applicant"]["id_number"]
    assert {"name": "settle_in_date", "value": "2026-06-01"}.items() <= body["data"][0].items()
    assert body["comparison"]["result"] == "failed"
    assert [m["field"] for m in body["comparison"]["mismatches"]] == ["settle_in_date"]
    assert body["materials"] and not any(m["received"] for m in body["materials"]) and not body["all_received"]
    with session_scope() as s:
        full = s.scalar(select(Person.id_number).where(Person.name == "李小乐"))
    assert full not in json.dumps(body, ensure_ascii=False)


# -- finishing -----------------------------------------------------------------------------------------------


def test_finish_runs_the_item_handler_with_a_serial_number_and_the_resident_sees_it(client, clerk, as_user):
    lina = as_user("lina")
    number = child_pre_application(client, lina)
    assert not child_enrolled("李小乐")

    early = client.post(f"/window/pre-applications/{number}/finish", json={}, headers=clerk).json()["error"]
    assert early["code"] == "MATERIALS_INCOMPLETE"
    count = len(client.get(f"/window/pre-applications/{number}", headers=clerk).json()["materials"])
    bad = client.post(f"/window/pre-applications/{number}/materials", json={"received": [count]}, headers=clerk)
    assert bad.json()["error"]["code"] == "MATERIAL_UNKNOWN"
    got = client.post(
        f"/window/pre-applications/{number}/materials", json={"received": list(range(count))}, headers=clerk
    ).json()
    assert got["status"] == "processing" and got["all_received"]
    assert client.get(f"/pre-applications/{number}", headers=lina).json()["status"] == "processing"

    done = client.post(f"/window/pre-applications/{number}/finish", json={}, headers=clerk)
    assert done.status_code == 200, done.text
    body = done.json()
    assert body["status"] == "completed" and body["serial_no"]
    assert body["details"]["comparison"] == "checked_at_window"
    assert child_enrolled("李小乐")  # the handler's own effect: children's medical insurance
    with session_scope() as s:
        tx = s.scalar(select(Transaction).where(Transaction.serial_no == body["serial_no"]))
        assert tx.channel == "window" and tx.staff_id is not None and tx.item_code == CHILD
        pre = s.scalar(select(PreApplication).where(PreApplication.number == number))
        assert pre.finished_transaction_id == tx.id
        actions = [
            a.action
            for a in s.scalars(
                select(AuditEntry).where(AuditEntry.actor_staff_id == tx.staff_id).order_by(AuditEntry.id)
            )
        ]
        assert actions[-3:] == ["window.view", "window.materials_received", "window.finished"]

    status = client.get(f"/pre-applications/{number}", headers=lina).json()
    assert status["status"] == "completed" and status["serial_no"] == body["serial_no"]
    assert [h["action"] for h in status["history"]] == ["submitted", "materials_received", "finished"]
    assert all("staff_id" not in h for h in status["history"])
    assert "办结" in status["message_zh"]

    again = client.post(f"/window/pre-applications/{number}/finish", json={}, headers=clerk).json()["error"]
    assert again["code"] == "PRE_APPLICATION_CLOSED"
    # The widget notice: shown once at the next visit, without personal data.
    shown = client.get("/notices", headers=lina).json()["notices"]
    assert len(shown) == 1 and number in shown[0]["text"] and body["serial_no"] in shown[0]["text"]
    assert "李" not in shown[0]["text_zh"]
    assert client.get("/notices", headers=lina).json()["notices"] == []


def test_a_failed_finish_changes_nothing(client, clerk, as_user):
    """The child becomes enrolled elsewhere meanwhile: the handler's check refuses, nothing is written."""
    number = child_pre_application(client, as_user("lina"))
    client.post(f"/window/pre-applications/{number}/materials", json={"received": [0, 1]}, headers=clerk)
    detail = client.get(f"/window/pre-applications/{number}", headers=clerk).json()
    client.post(
        f"/window/pre-applications/{number}/materials",
        json={"received": list(range(len(detail["materials"])))},
        headers=clerk,
    )
    with session_scope() as s:
        child = s.scalar(select(Person).where(Person.name == "李小乐"))
        child.in_school = True
        before = (s.query(Transaction).count(), s.query(Notice).count())
    err = client.post(f"/window/pre-applications/{number}/finish", json={}, headers=clerk).json()["error"]
    assert err["code"] == "CHILD_IN_SCHOOL"
    with session_scope() as s:
        assert (s.query(Transaction).count(), s.query(Notice).count()) == before
        assert s.scalar(select(PreApplication.status).where(PreApplication.number == number)).value == "processing"


def test_masked_numbers_must_be_typed_from_the_original(client, clerk, as_user):
    """缴费银行信息维护 with another holder: the account number is kept masked, so the clerk types it."""
    zhangwei = as_user("zhangwei")
    with session_scope() as s:
        own_id = s.scalar(select(Person.id_number).where(Person.name == "张伟"))
    resp = client.post(
        "/items/maintain_payment_bank",
        headers=zhangwei,
        json={
            "fields": {
                "bank_name": "工商银行",
                "account_no": "6222020200099998888",
                "holder_name": "张伟强",
                "holder_id_number": own_id,
            }
        },
    )
    number = resp.json()["pre_application"]["number"]
    detail = client.get(f"/window/pre-applications/{number}", headers=clerk).json()
    assert {d["name"] for d in detail["data"] if d["needs_original"]} == {"account_no", "holder_id_number"}
    client.post(
        f"/window/pre-applications/{number}/materials",
        json={"received": list(range(len(detail["materials"])))},
        headers=clerk,
    )
    url = f"/window/pre-applications/{number}/finish"
    err = client.post(url, json={}, headers=clerk).json()["error"]
    assert err["code"] == "ORIGINAL_VALUE_REQUIRED" and set(err["details"]["fields"]) == {
        "account_no",
        "holder_id_number",
    }
    wrong = {"account_no": "6222020200099997777", "holder_id_number": own_id}
    assert (
        client.post(url, json={"originals": wrong}, headers=clerk).json()["error"]["code"] == "ORIGINAL_VALUE_MISMATCH"
    )
    right = {"account_no": "6222 0202 0009 9998 888", "holder_id_number": own_id, "holder_name": "张伟"}
    done = client.post(url, json={"originals": right}, headers=clerk)
    assert done.status_code == 200, done.text
    with session_scope() as s:
        pid = s.scalar(select(Person.id).where(Person.name == "张伟"))
        paying = s.scalar(select(BankAccount).where(BankAccount.person_id == pid, BankAccount.is_payment_account))
        assert paying.account_no == "6222020200099998888"
    history = client.get(f"/pre-applications/{number}", headers=zhangwei).json()["history"]
    assert history[-1]["action"] == "finished" and history[-1]["corrected"] == ["holder_name"]


# -- returning -----------------------------------------------------------------------------------------------


def test_return_keeps_the_number_open_and_texts_an_ivr_caller(client, clerk, as_user):
    lina_phone = as_user("lina", channel="ivr")
    number = child_pre_application(client, lina_phone)
    resp = client.post(
        f"/window/pre-applications/{number}/return",
        headers=clerk,
        json={"reason": "户口簿未载明入户时间", "bring": ["派出所出具的入户时间证明"]},
    )
    assert resp.status_code == 200, resp.text
    assert resp.json()["status"] == "returned"
    status = client.get(f"/pre-applications/{number}", headers=as_user("lina")).json()
    assert status["status"] == "returned"
    assert status["history"][-1]["bring"] == ["派出所出具的入户时间证明"]
    assert status["history"][-1]["reason"] == "户口簿未载明入户时间"
    assert "入户时间证明" in status["message_zh"]
    # Made on the phone: an SMS (development outbox) to the number on record, with no personal data.
    with session_scope() as s:
        phone = s.scalar(select(Person.phone).where(Person.name == "李娜"))
        texts = [(m.phone, m.text) for m in s.scalars(select(SmsOutbox))]
    assert len(texts) == 1 and texts[0][0] == phone
    assert number in texts[0][1] and "入户时间证明" in texts[0][1] and "李" not in texts[0][1]
    # The supervisor sees the outbox (phones masked) and the audit trail with the clerk.
    sup = staff_login(client, "super01").json()["token"]
    outbox = client.get("/window/sms-outbox", headers={"Authorization": f"Bearer {sup}"}).json()["messages"]
    assert outbox[0]["phone"] != phone and "*" in outbox[0]["phone"]
    trail = client.get(f"/window/pre-applications/{number}/audit", headers={"Authorization": f"Bearer {sup}"}).json()
    assert [(e["action"], e["staff"]) for e in trail["entries"]] == [("window.returned", "clerk01")]
    assert (
        client.get(f"/window/pre-applications/{number}/audit", headers=clerk).json()["error"]["code"]
        == "STAFF_ROLE_REQUIRED"
    )
    # Brought back later: it can still be finished.
    count = len(client.get(f"/window/pre-applications/{number}", headers=clerk).json()["materials"])
    client.post(f"/window/pre-applications/{number}/materials", json={"received": list(range(count))}, headers=clerk)
    assert (
        client.post(f"/window/pre-applications/{number}/finish", json={}, headers=clerk).json()["status"] == "completed"
    )


def test_return_needs_a_reason(client, clerk, as_user):
    number = child_pre_application(client, as_user("lina"))
    resp = client.post(f"/window/pre-applications/{number}/return", json={"reason": "", "bring": []}, headers=clerk)
    assert resp.status_code == 422 and resp.json()["error"]["code"] == "INVALID_REQUEST"


# -- WeChat notice through a stand-in WeChat API --------------------------------------------------------------


class _WeChatStandIn(BaseHTTPRequestHandler):
    sent: list[dict[str, Any]] = []
    tokens_issued = 0

    def log_message(self, *args: Any) -> None:
        pass

    def _json(self, body: dict[str, Any]) -> None:
        data = json.dumps(body).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self) -> None:  # noqa: N802
        url = urlparse(self.path)
        q = parse_qs(url.query)
        if url.path == "/cgi-bin/token" and q.get("appid") == ["wx-test"] and q.get("secret") == ["s3cret"]:
            type(self).tokens_issued += 1
            return self._json({"access_token": f"tok{type(self).tokens_issued}", "expires_in": 7200})
        return self._json({"errcode": 40013, "errmsg": "invalid appid"})

    def do_POST(self) -> None:  # noqa: N802
        url = urlparse(self.path)
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        if url.path != "/cgi-bin/message/custom/send" or not parse_qs(url.query).get("access_token"):
            return self._json({"errcode": 40001, "errmsg": "invalid credential"})
        type(self).sent.append(body)
        return self._json({"errcode": 0, "errmsg": "ok"})


@pytest.fixture
def wechat_api(monkeypatch):
    _WeChatStandIn.sent, _WeChatStandIn.tokens_issued = [], 0
    server = ThreadingHTTPServer(("127.0.0.1", 0), _WeChatStandIn)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    monkeypatch.setenv("WECHAT_APP_ID", "wx-test")
    monkeypatch.setenv("WECHAT_APP_SECRET", "s3cret")
    monkeypatch.setenv("WECHAT_API_BASE", f"http://127.0.0.1:{server.server_port}")
    dbmod.get_settings.cache_clear()
    yield _WeChatStandIn
    server.shutdown()
    server.server_close()
    dbmod.get_settings.cache_clear()


def test_finished_notice_goes_to_the_bound_wechat_user(client, clerk, wechat_api):
    from sz_backend.settings import get_settings

    key = {"X-Service-Key": get_settings().channel_service_key}
    bound = client.post(
        "/channels/bind",
        headers=key,
        json={"channel": "wechat", "external_id": "o_lina_openid", "username": "lina", "password": PASSWORD},
    )
    assert bound.status_code == 200, bound.text
    headers = {"Authorization": f"Bearer {bound.json()['token']}"}
    number = child_pre_application(client, headers)
    count = len(client.get(f"/window/pre-applications/{number}", headers=clerk).json()["materials"])
    client.post(f"/window/pre-applications/{number}/materials", json={"received": list(range(count))}, headers=clerk)
    serial = client.post(f"/window/pre-applications/{number}/finish", json={}, headers=clerk).json()["serial_no"]
    assert [(m["touser"], m["msgtype"]) for m in wechat_api.sent] == [("o_lina_openid", "text")]
    content = wechat_api.sent[0]["text"]["content"]
    assert number in content and serial in content and "李" not in content
    with session_scope() as s:
        notice = s.scalar(select(Notice))
        assert (notice.channel, notice.status) == ("wechat", "sent")
        assert s.scalar(select(SmsOutbox)) is None


def test_wechat_without_binding_falls_back_to_sms(client, clerk, as_user, wechat_api):
    headers = as_user("lina", channel="wechat")  # a WeChat token, but the binding was removed since
    number = child_pre_application(client, headers)
    client.post(
        f"/window/pre-applications/{number}/return", json={"reason": "材料不全", "bring": ["户口簿"]}, headers=clerk
    )
    assert wechat_api.sent == []
    with session_scope() as s:
        notice = s.scalar(select(Notice))
        assert (notice.channel, notice.status) == ("sms", "sent") and "WeChat" in notice.error
        assert number in s.scalar(select(SmsOutbox.text))


def test_console_page_is_served_with_a_strict_policy(client):
    page = client.get("/console")
    assert page.status_code == 200 and "窗口办理" in page.text and "/console/console.js" in page.text
    assert "default-src 'self'" in page.headers["content-security-policy"]
    assert "frame-ancestors 'none'" in page.headers["content-security-policy"]
    assert client.get("/console/console.js").headers["content-type"].startswith("text/javascript")
    board = client.get("/dashboard")
    assert board.status_code == 200 and "/console/dashboard.js" in board.text
    assert "frame-ancestors 'none'" in board.headers["content-security-policy"]
    for other in ("/console/console.html", "/console/dashboard.html", "/console/..%2Fapi%2Fapp.py", "/console/seed.py"):
        assert client.get(other).status_code == 404


def test_a_failing_wechat_send_is_retried_then_falls_back_to_sms(client, clerk, wechat_api, monkeypatch):
    """WeChat refuses the message (e.g. the 48-hour customer-service window is over): kept pending,
    retried by `deliver-notices`, and after three attempts sent as an SMS instead."""
    from sz_backend.services import notices
    from sz_backend.settings import get_settings

    key = {"X-Service-Key": get_settings().channel_service_key}
    token = client.post(
        "/channels/bind",
        headers=key,
        json={"channel": "wechat", "external_id": "o_lina_2", "username": "lina", "password": PASSWORD},
    ).json()["token"]
    number = child_pre_application(client, {"Authorization": f"Bearer {token}"})
    monkeypatch.setattr(_WeChatStandIn, "do_POST", lambda self: self._json({"errcode": 45015, "errmsg": "out of time"}))
    client.post(
        f"/window/pre-applications/{number}/return", json={"reason": "材料不全", "bring": ["户口簿"]}, headers=clerk
    )
    with session_scope() as s:
        notice = s.scalar(select(Notice))
        assert (notice.channel, notice.status, notice.attempts) == ("wechat", "pending", 1)
        assert "45015" in notice.error
    assert notices.deliver_pending() == 0
    assert notices.deliver_pending() == 1  # third attempt fails too: SMS instead
    with session_scope() as s:
        notice = s.scalar(select(Notice))
        assert (notice.channel, notice.status) == ("sms", "sent")
        assert number in s.scalar(select(SmsOutbox.text))
    assert notices.deliver_pending() == 0  # nothing left, nothing sent twice
    with session_scope() as s:
        assert s.query(SmsOutbox).count() == 1


def test_two_clerks_finishing_at_once_give_one_serial_number(client, clerk, supervisor, as_user):
    from concurrent.futures import ThreadPoolExecutor

    from fastapi.testclient import TestClient

    from sz_backend.api.app import app

    number = child_pre_application(client, as_user("lina"))
    count = len(client.get(f"/window/pre-applications/{number}", headers=clerk).json()["materials"])
    client.post(f"/window/pre-applications/{number}/materials", json={"received": list(range(count))}, headers=clerk)

    def finish(headers):
        with TestClient(app) as own:
            return own.post(f"/window/pre-applications/{number}/finish", json={}, headers=headers)

    with ThreadPoolExecutor(2) as pool:
        answers = list(pool.map(finish, [clerk, supervisor]))
    assert sorted(r.status_code for r in answers) == [200, 409], [r.text for r in answers]
    assert next(r for r in answers if r.status_code == 409).json()["error"]["code"] == "PRE_APPLICATION_CLOSED"
    with session_scope() as s:
        assert s.query(Transaction).filter(Transaction.channel == "window").count() == 1
        assert s.query(Notice).count() == 1
        pid = s.scalar(select(Person.id).where(Person.name == "李小乐"))
        assert s.query(Enrolment).filter(Enrolment.person_id == pid).count() == 1
