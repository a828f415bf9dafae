"""An Idempotency-Key makes a state-changing call happen once."""

from __future__ import annotations

import threading

from sqlalchemy import func, select

from sz_backend.persistence.db import session_scope
from sz_backend.persistence.models import EnrolmentEvent, Person, Transaction


def _child_id() -> int:
    with session_scope() as s:
        return s.scalar(select(Person.id).where(Person.name == "李小明"))


def _count(model) -> int:  # noqa: ANN001
    with session_scope() as s:
        return s.scalar(select(func.count()).select_from(model))


def test_repeat_returns_the_first_result_and_changes_nothing(client, as_user):
    headers = as_user("lina") | {"Idempotency-Key": "stop-xiaoming-1"}
    body = {"subject_id": _child_id()}
    first = client.post("/items/stop_child_insurance", json=body, headers=headers)
    assert first.status_code == 200, first.text
    events = _count(EnrolmentEvent)
    again = client.post("/items/stop_child_insurance", json=body, headers=headers)
    assert again.status_code == 200
    assert again.json()["serial_no"] == first.json()["serial_no"] and again.json()["idempotent_replay"] is True
    assert _count(EnrolmentEvent) == events and _count(Transaction) == 1


def test_same_key_for_a_different_request_is_refused(client, as_user):
    headers = as_user("lina") | {"Idempotency-Key": "k-reused"}
    assert (
        client.post("/items/stop_child_insurance", json={"subject_id": _child_id()}, headers=headers).status_code == 200
    )
    other = client.post("/items/stop_student_insurance", json={}, headers=headers)
    assert other.status_code == 422 and other.json()["error"]["code"] == "IDEMPOTENCY_KEY_REUSED"


def test_a_refused_request_is_not_remembered(client, as_user):
    headers = as_user("lina") | {"Idempotency-Key": "k-refused"}
    r = client.post("/items/stop_individual_insurance", json={}, headers=headers)
    assert r.status_code == 409 and r.json()["error"]["code"] == "NO_INDIVIDUAL_ENROLMENT"
    assert _count(Transaction) == 0
    again = client.post("/items/stop_individual_insurance", json={}, headers=headers)
    assert again.status_code == 409 and "idempotent_replay" not in again.text


def test_concurrent_twins_act_once(client, as_user):
    headers = as_user("lina") | {"Idempotency-Key": "k-concurrent"}
    body = {"subject_id": _child_id()}
    results: list = []

    def call() -> None:
        results.append(client.post("/items/stop_child_insurance", json=body, headers=headers))

    threads = [threading.Thread(target=call) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert {r.status_code for r in results} <= {200, 409}
    assert len({r.json()["serial_no"] for r in results if r.status_code == 200}) == 1
    assert _count(Transaction) == 1


def test_racing_payments_without_a_key_pay_once(client, as_user):
    """Two payments of the same month at once: one pays, the other is a clear 409, never a 500."""
    headers = as_user("zhangwei")
    results: list = []

    def pay() -> None:
        results.append(client.post("/services/self_service_payment", json={}, headers=headers))

    threads = [threading.Thread(target=pay) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    codes = sorted(r.status_code for r in results)
    assert codes.count(200) == 1 and set(codes) <= {200, 409}, [r.text for r in results]
