"""The typed contract (issue 13): every JSON route names its response schema in the OpenAPI
document (api/responses.py), and its errors the one error body. The checks are functions so
that a test can show they fail for a route without a model. That each answer really fits its
model, byte for byte, is checked on every response of the suite (conftest.py)."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from pydantic import BaseModel

from sz_backend.api.app import app


def _json_schema_missing(openapi: dict[str, Any]) -> list[str]:
    """Operations whose success answer is JSON without a named (component) schema."""
    missing = []
    for path, operations in openapi["paths"].items():
        for method, op in operations.items():
            ok = next((r for code, r in op["responses"].items() if code.startswith("2")), {})
            content = ok.get("content", {})
            json_schema = content.get("application/json", {}).get("schema")
            if "application/json" in content and not (json_schema and "$ref" in json_schema):
                missing.append(f"{method.upper()} {path}")
    return missing


def _routes_without_model(application: FastAPI) -> list[str]:
    """JSON routes (also those left out of the document) without a response model."""
    missing = []
    for route in application.routes:
        if not isinstance(route, APIRoute):
            continue
        response_class = getattr(route.response_class, "value", route.response_class)
        if not issubclass(response_class, JSONResponse):
            continue
        model = route.response_model or route.responses.get(200, {}).get("model")
        if not (isinstance(model, type) and issubclass(model, BaseModel)):
            missing.append(f"{sorted(route.methods)} {route.path}")
    return missing


def test_every_json_route_names_its_response_schema():
    assert _json_schema_missing(app.openapi()) == []
    assert _routes_without_model(app) == []


def test_the_checks_fail_for_a_route_without_a_model():
    bare = FastAPI()

    @bare.get("/untyped")
    def untyped() -> dict[str, Any]:
        return {"a": 1}

    @bare.get("/hidden", include_in_schema=False)
    def hidden() -> dict[str, Any]:
        return {"a": 1}

    assert _json_schema_missing(bare.openapi()) == ["GET /untyped"]
    assert _routes_without_model(bare) == ["['GET'] /untyped", "['GET'] /hidden"]


def test_every_operation_documents_the_one_error_body():
    for path, operations in app.openapi()["paths"].items():
        for method, op in operations.items():
            errors = {code: r for code, r in op["responses"].items() if code[0] in "45"}
            assert errors, f"{method} {path}"
            for code, resp in errors.items():
                if code == "422" and "HTTPValidationError" in str(resp):
                    continue  # FastAPI's own entry for request validation; answered as ErrorResponse too
                # (the YAML export's errors are listed under its own media type by FastAPI; they are JSON)
                schemas = [c.get("schema") for c in resp["content"].values()]
                assert schemas == [{"$ref": "#/components/schemas/ErrorResponse"}], f"{method} {path} {code}"


def test_the_model_fields_the_clients_read_are_documented():
    """A few keys the bot reads, as the document names them (a renamed key fails here)."""
    schemas = app.openapi()["components"]["schemas"]
    assert {"token", "person_id", "name"} <= set(schemas["Token"]["properties"])
    assert {"values", "errors", "missing", "preview", "eligible", "refusal"} <= set(schemas["Validation"]["properties"])
    assert {"serial_no", "outcome", "details", "pre_application"} <= set(schemas["ItemResult"]["properties"])
    assert {"schema"} <= set(schemas["PublicField"]["properties"])
