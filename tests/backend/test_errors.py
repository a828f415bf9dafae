"""One error type with stable codes (issue 13): every error the API answers with is a
`BusinessError` with an UPPER_SNAKE_CASE code, in the one documented body
(`{"error": {code, message_zh, message_en, ...}}`, api/schemas.py: ErrorResponse)."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from sz_backend.api.schemas import ErrorResponse
from sz_backend.errors import BusinessError, invalid, refused, refused_field

BACKEND = Path(__file__).resolve().parents[2] / "backend" / "sz_backend"
CODE = re.compile(r"^[A-Z][A-Z0-9]*(_[A-Z0-9]+)*$")
MAKERS = {"BusinessError": 0, "invalid": 0, "refused": 0, "refused_field": 1}


def _error_codes() -> list[tuple[str, str]]:
    found = []
    for path in sorted(BACKEND.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call):
                continue
            name = node.func.id if isinstance(node.func, ast.Name) else getattr(node.func, "attr", None)
            if name in MAKERS and len(node.args) > MAKERS[name]:
                arg = node.args[MAKERS[name]]
                if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                    found.append((arg.value, f"{path.relative_to(BACKEND)}:{node.lineno}"))
    return found


def test_every_error_code_is_upper_snake_case():
    codes = _error_codes()
    assert len({c for c, _ in codes}) > 100  # the scan sees the errors
    assert [(c, where) for c, where in codes if not CODE.match(c)] == []


def test_no_other_error_class_or_ad_hoc_error_body():
    """The API raises no HTTPException and builds no error JSON of its own: errors go through
    BusinessError and api/app.py's error_response."""
    offenders = []
    for path in sorted(BACKEND.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and getattr(node.func, "id", getattr(node.func, "attr", "")) in (
                "HTTPException",
                "StarletteHTTPException",
            ):
                offenders.append(f"{path.name}:{node.lineno}: HTTPException")
            if isinstance(node, ast.Dict) and any(
                isinstance(k, ast.Constant) and k.value == "error" and isinstance(v, ast.Dict)
                for k, v in zip(node.keys, node.values, strict=True)
            ):
                offenders.append(f"{path.name}:{node.lineno}: an error body built by hand")
    assert offenders == []


@pytest.mark.parametrize(
    "err",
    [
        BusinessError("X_Y", "中", "en"),
        invalid("BAD_FIELD", "中", "en", field="name", fix_zh="改", fix_en="fix"),
        refused("NOT_NOW", "中", "en", fix_zh="改", fix_en="fix", month="2026-01"),
        refused_field("phone", "PHONE_TAKEN", "中", "en", fix_zh="改", fix_en="fix"),
    ],
)
def test_error_bodies_fit_the_documented_shape(err: BusinessError):
    body = {"error": err.to_dict()}
    assert ErrorResponse.model_validate(body).model_dump(exclude_unset=True) == body
    assert set(body["error"]) >= {"code", "message_zh", "message_en"}


@pytest.mark.parametrize(
    "method, path, kwargs, status, code",
    [
        ("get", "/no/such/path", {}, 404, "NOT_FOUND"),
        ("put", "/auth/login", {}, 405, "METHOD_NOT_ALLOWED"),
        ("post", "/auth/login", {"json": {"username": ""}}, 422, "INVALID_REQUEST"),
        ("get", "/me", {}, 401, None),
        ("get", "/catalogue/NO_SUCH_ITEM", {}, 404, "ITEM_UNKNOWN"),
    ],
)
def test_framework_and_service_errors_share_the_body(client, method, path, kwargs, status, code):
    resp = getattr(client, method)(path, **kwargs)
    assert resp.status_code == status
    body = resp.json()
    assert set(body) == {"error"} and ErrorResponse.model_validate(body)
    assert CODE.match(body["error"]["code"]) and (code is None or body["error"]["code"] == code)
