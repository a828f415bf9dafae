"""Log-in, tokens, and who may act for whom."""

from __future__ import annotations

from sqlalchemy import select

from sz_backend.persistence.db import session_scope
from sz_backend.persistence.models import AuditEntry, Person


def _person_id(name: str) -> int:
    with session_scope() as s:
        return s.scalar(select(Person.id).where(Person.name == name))


def test_wrong_password_is_refused_without_saying_which_part(client):
    for body in ({"username": "lina", "password": "wrong-password"}, {"username": "nobody", "password": "x"}):
        r = client.post("/auth/login", json=body)
        assert r.status_code == 401
        assert r.json()["error"]["code"] == "LOGIN_FAILED"


def test_personal_calls_need_a_token(client):
    for method, path in (("get", "/me"), ("post", "/items/stop_child_insurance"), ("get", "/services/contributions")):
        r = getattr(client, method)(path, **({"json": {}} if method == "post" else {}))
        assert r.status_code == 401 and r.json()["error"]["code"] == "AUTH_REQUIRED"
    r = client.get("/me", headers={"Authorization": "Bearer not-a-real-token"})
    assert r.status_code == 401 and r.json()["error"]["code"] == "AUTH_INVALID"


def test_logout_revokes_the_token(client, as_user):
    headers = as_user("zhangwei")
    assert client.post("/auth/logout", headers=headers).status_code == 200
    assert client.get("/me", headers=headers).json()["error"]["code"] == "AUTH_INVALID"


def test_profile_masks_identity_numbers(client, as_user):
    me = client.get("/me", headers=as_user("lina")).json()
    with session_scope() as s:
        full = s.scalar(select(Person.id_number).where(Person.name == "李娜"))
    assert full not in str(me)
    assert me["id_number"].startswith(full[:4]) and "*" in me["id_number"]
    assert all("*" in b["account_no"] for b in me["bank_accounts"])
    assert "*" in me["phone"]


def test_guardian_cannot_act_for_someone_elses_child(client, as_user):
    other_child = _person_id("陈安安")
    r = client.post("/items/stop_child_insurance", json={"subject_id": other_child}, headers=as_user("lina"))
    assert r.status_code == 403 and r.json()["error"]["code"] == "NOT_GUARDIAN"


def test_person_without_children_cannot_use_child_items(client, as_user):
    r = client.post("/items/stop_child_insurance", json={}, headers=as_user("zhangwei"))
    assert r.status_code == 403 and r.json()["error"]["code"] == "NO_LINKED_CHILD"


def test_adult_items_act_only_on_oneself(client, as_user):
    r = client.post(
        "/items/stop_individual_insurance", json={"subject_id": _person_id("马超")}, headers=as_user("zhangwei")
    )
    assert r.status_code == 403 and r.json()["error"]["code"] == "SELF_ONLY"


def test_guardian_with_several_children_must_choose(client, as_user):
    r = client.post("/items/stop_child_insurance", json={}, headers=as_user("lina"))
    assert r.status_code == 422 and r.json()["error"]["code"] == "SUBJECT_REQUIRED"
    assert {c["name"] for c in r.json()["error"]["details"]["children"]} == {"李小明", "李小红", "李小乐"}


def test_audit_log_records_actor_subject_and_channel(client, as_user):
    child = _person_id("李小明")
    r = client.post("/items/stop_child_insurance", json={"subject_id": child}, headers=as_user("lina", "wechat"))
    assert r.status_code == 200, r.text
    with session_scope() as s:
        entry = s.scalars(select(AuditEntry).where(AuditEntry.action == "item.stop_child_insurance")).one()
        assert (entry.actor_person_id, entry.subject_person_id, entry.channel) == (_person_id("李娜"), child, "wechat")
        assert entry.detail["serial_no"] == r.json()["serial_no"]


def test_unknown_channel_header_is_refused(client):
    r = client.post("/auth/login", json={"username": "lina", "password": "Demo@2026"}, headers={"X-Channel": "fax"})
    assert r.status_code == 400 and r.json()["error"]["code"] == "CHANNEL_UNKNOWN"


def test_channel_binding_needs_the_service_key_and_the_password(client):
    body = {"channel": "wechat", "external_id": "oOPENID123", "username": "lina", "password": "Demo@2026"}
    assert client.post("/channels/bind", json=body).json()["error"]["code"] == "SERVICE_KEY_INVALID"
    key = {"X-Service-Key": "dev-channel-key-change-me"}
    bad = client.post("/channels/bind", json=body | {"password": "nope"}, headers=key)
    assert bad.status_code == 401
    assert (
        client.post("/channels/token", json={"channel": "wechat", "external_id": "oOPENID123"}, headers=key).json()[
            "error"
        ]["code"]
        == "NOT_BOUND"
    )
    assert client.post("/channels/bind", json=body, headers=key).status_code == 200
    token = client.post("/channels/token", json={"channel": "wechat", "external_id": "oOPENID123"}, headers=key).json()
    me = client.get("/me", headers={"Authorization": f"Bearer {token['token']}"}).json()
    assert me["name"] == "李娜"
    assert client.post(
        "/channels/unbind", json={"channel": "wechat", "external_id": "oOPENID123"}, headers=key
    ).json() == {"unbound": True}
    revoked = client.get("/me", headers={"Authorization": f"Bearer {token['token']}"})
    assert revoked.status_code == 401 and revoked.json()["error"]["code"] == "AUTH_INVALID"


def test_ivr_caller_verification(client):
    key = {"X-Service-Key": "dev-channel-key-change-me"}
    with session_scope() as s:
        person = s.scalars(select(Person).where(Person.name == "张伟")).one()
        phone, last4 = person.phone, person.id_number[-4:]
    ok = client.post("/channels/ivr/verify", json={"phone": phone, "id_last4": last4, "pin": "202611"}, headers=key)
    assert ok.status_code == 200, ok.text
    assert client.get("/me", headers={"Authorization": f"Bearer {ok.json()['token']}"}).json()["name"] == "张伟"
    for wrong in ({"pin": "000000"}, {"id_last4": "0000"}, {"phone": "13900000000"}):
        r = client.post(
            "/channels/ivr/verify", json={"phone": phone, "id_last4": last4, "pin": "202611"} | wrong, headers=key
        )
        assert r.status_code == 401 and r.json()["error"]["code"] == "CALLER_NOT_VERIFIED"
    assert (
        client.post("/channels/ivr/verify", json={"phone": phone, "id_last4": last4, "pin": "202611"}).json()["error"][
            "code"
        ]
        == "SERVICE_KEY_INVALID"
    )
