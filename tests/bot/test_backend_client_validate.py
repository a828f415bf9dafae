"""BackendClient.validate_fields against a real backend process (contract #1 of issue 16).

The bot asks the backend whether a value is right at the moment it is given; this
checks the client method end to end: values, errors, missing, preview, refusal.
"""

from __future__ import annotations

import asyncio

import pytest
import requests

from bot.actions.backend_client import BackendClient, BackendError  # noqa: E402


def _token(url: str, username: str) -> str:
    r = requests.post(
        f"{url}/auth/login",
        json={"username": username, "password": "Demo@2026"},
        headers={"X-Channel": "web"},
        timeout=10,
    )
    r.raise_for_status()
    return r.json()["token"]


def test_validate_fields_partial_then_complete(backend_url: str) -> None:
    client, token = BackendClient(backend_url, timeout=(2, 10)), _token(backend_url, "qianfang")
    body = asyncio.run(client.validate_fields(token, "transfer_pension_out", {"destination_city": "成都市"}))
    assert body["values"] == {"destination_city": "成都"} and body["missing"] == ["destination_province"]
    assert body["preview"] is None
    body = asyncio.run(
        client.validate_fields(
            token, "transfer_pension_out", {"destination_province": "浙江", "destination_city": "成都"}
        )
    )
    assert body["errors"]["destination_city"]["code"] == "CITY_NOT_IN_PROVINCE" and body["preview"] is None
    body = asyncio.run(
        client.validate_fields(
            token, "transfer_pension_out", {"destination_province": "四川", "destination_city": "成都"}
        )
    )
    assert body["errors"] == {} and any("四川省成都" in line for line in body["preview"]["lines_zh"])


def test_validate_fields_for_a_child_uses_the_subject(backend_url: str) -> None:
    client, token = BackendClient(backend_url, timeout=(2, 10)), _token(backend_url, "chenjing")
    child = requests.get(f"{backend_url}/me", headers={"Authorization": f"Bearer {token}"}, timeout=10).json()
    child_id = next(c["id"] for c in child["children"] if c["name"] == "陈安安")
    body = asyncio.run(
        client.validate_fields(token, "enroll_child_first_time", {"settle_in_date": "2020-01-01"}, subject_id=child_id)
    )
    assert body["errors"]["settle_in_date"]["code"] == "SETTLE_IN_DATE_INVALID"
    assert "陈安安" in body["errors"]["settle_in_date"]["message_zh"]
    with pytest.raises(BackendError) as err:  # a child of someone else: refused like the submission
        asyncio.run(
            client.validate_fields(_token(backend_url, "lina"), "enroll_child_first_time", {}, subject_id=child_id)
        )
    assert err.value.code == "NOT_GUARDIAN"
