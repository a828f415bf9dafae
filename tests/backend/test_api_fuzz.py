"""Fuzz every operation of the backend's own OpenAPI description (schemathesis).

Whatever the generated input, the answer must never be a server error, and
every error body must carry a stable code with Chinese and English messages.
Requests are made as a logged-in guardian so the fuzzer reaches past the
authentication check into the business code.
"""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, settings

from sz_backend.api.app import app


@pytest.fixture
def api_schema(client):  # noqa: ANN001 - depends on a fresh database
    return schemathesis.openapi.from_asgi("/openapi.json", app)


@pytest.fixture
def guardian_headers(as_user) -> dict[str, str]:  # noqa: ANN001
    return as_user("lina")


schema = schemathesis.pytest.from_fixture("api_schema")


@schema.parametrize()
@settings(max_examples=15, deadline=None, suppress_health_check=list(HealthCheck))
def test_no_server_errors(case, guardian_headers) -> None:  # noqa: ANN001
    if case.operation.path == "/auth/logout":
        return  # would revoke the shared token; covered in test_identity_and_authority
    headers = dict(case.headers or {})
    headers.setdefault("Authorization", guardian_headers["Authorization"])
    case.headers = headers
    response = case.call()
    assert response.status_code < 500, response.text
    if response.status_code >= 400:
        error = response.json()["error"]
        assert error["code"].isupper() and error["message_zh"] and error["message_en"]
