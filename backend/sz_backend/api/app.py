"""The HTTP application: routers, error mapping, start-up."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.cors import CORSMiddleware
from fastapi.middleware.gzip import GZipMiddleware
from fastapi.responses import JSONResponse
from sqlalchemy.exc import IntegrityError
from starlette.exceptions import HTTPException as StarletteHTTPException

from ..errors import BusinessError
from ..settings import check_production_settings, get_settings
from . import routes_auth, routes_items, routes_pages, routes_registration, routes_services, routes_window
from .responses import Health
from .schemas import ErrorResponse

log = logging.getLogger("sz_backend")
_ERRORS: dict[int | str, dict[str, Any]] = {
    code: {"model": ErrorResponse} for code in (400, 401, 403, 404, 409, 422, 500)
}


def error_response(err: BusinessError) -> JSONResponse:
    """The one error body of the API: {"error": {code, message_zh, message_en, fix_*, field, details}}."""
    return JSONResponse({"error": err.to_dict()}, status_code=err.status)


def create_app() -> FastAPI:
    # Importing the handlers registers them under their catalogue codes.
    from ..services.items import handlers  # noqa: F401

    app = FastAPI(
        title="深圳社保个人网上服务 business core",
        version="1.0.0",
        responses=_ERRORS,
        description="Every fact and decision of the Shenzhen social insurance personal services. "
        "Errors carry a stable `code` and messages in Chinese and English.",
    )

    @app.exception_handler(BusinessError)
    async def business_error(_req: Request, exc: BusinessError) -> JSONResponse:
        return error_response(exc)

    @app.exception_handler(RequestValidationError)
    async def validation_error(_req: Request, exc: RequestValidationError) -> JSONResponse:
        first = exc.errors()[0] if exc.errors() else {}
        where = ".".join(str(p) for p in first.get("loc", ()) if p != "body")
        return error_response(
            BusinessError(
                "INVALID_REQUEST",
                f"请求内容不正确：{where}",
                f"Invalid request: {where} {first.get('msg', '')}",
                status=422,
                field=where or None,
            )
        )

    @app.exception_handler(StarletteHTTPException)
    async def http_error(_req: Request, exc: StarletteHTTPException) -> JSONResponse:
        codes = {
            404: ("NOT_FOUND", "找不到该地址", "Not found"),
            405: ("METHOD_NOT_ALLOWED", "不支持该请求方法", "Method not allowed"),
        }
        code, zh, en = codes.get(exc.status_code, ("HTTP_ERROR", "请求失败", str(exc.detail)))
        return error_response(BusinessError(code, zh, en, status=exc.status_code))

    @app.exception_handler(IntegrityError)
    async def conflict(_req: Request, exc: IntegrityError) -> JSONResponse:
        # Two requests raced for the same record (e.g. paying one month twice at once):
        # the loser's unit of work was rolled back whole, so nothing is half-written.
        log.warning("integrity conflict: %s", type(exc.orig).__name__)
        return error_response(
            BusinessError(
                "CONFLICT",
                "该业务刚刚已提交，请勿重复提交；可查询结果后再试",
                "This was just submitted by another request; check the result before retrying",
                status=409,
            )
        )

    @app.exception_handler(Exception)
    async def unexpected(_req: Request, exc: Exception) -> JSONResponse:
        log.exception("unexpected error")
        return error_response(
            BusinessError("INTERNAL", "系统繁忙，请稍后再试", "System busy, please try again later", status=500)
        )

    @app.on_event("startup")
    def refuse_development_secrets() -> None:
        # Also when started without cli.py (uvicorn sz_backend.api.app:app --workers N).
        check_production_settings(get_settings())

    @app.get("/health", tags=["meta"], response_model=Health)
    def health() -> dict[str, str]:
        return {"status": "ok"}

    origins = get_settings().cors_origins
    if origins:  # the help widget page logs in from its own origin
        app.add_middleware(
            CORSMiddleware,
            allow_origins=list(origins),
            allow_methods=["GET", "POST"],
            allow_headers=["Authorization", "Content-Type", "Idempotency-Key", "X-Channel"],
        )

    # Only large bodies are compressed: GET /catalogue with its field schemas (city lists) is ~450 kB raw.
    app.add_middleware(GZipMiddleware, minimum_size=32_000)

    for module in (routes_auth, routes_items, routes_services, routes_registration):
        app.include_router(module.router)
    app.include_router(routes_window.router)
    app.include_router(routes_window.residents)
    app.include_router(routes_pages.router)
    return app


app = create_app()
