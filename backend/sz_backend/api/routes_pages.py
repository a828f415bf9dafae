"""Staff web pages served by the backend (plain HTML + JS, no build step): the window
console at /console and the analytics dashboard at /dashboard (assets under /console/).

Only the files named here are served; every answer forbids framing and any script
or connection to another origin."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import Response

from ..settings import PACKAGE_DIR

router = APIRouter(include_in_schema=False)
WEB_DIR = PACKAGE_DIR / "web"
FILES = {
    "console.html": "text/html; charset=utf-8",
    "console.js": "text/javascript; charset=utf-8",
    "console.css": "text/css; charset=utf-8",
    "dashboard.html": "text/html; charset=utf-8",
    "dashboard.js": "text/javascript; charset=utf-8",
    "dashboard.css": "text/css; charset=utf-8",
}
HEADERS = {
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data: blob:; frame-ancestors 'none'; "
    "base-uri 'none'; form-action 'self'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}


def _file(name: str) -> Response:
    return Response((WEB_DIR / name).read_bytes(), media_type=FILES[name], headers=HEADERS)


@router.get("/console")
def console_page() -> Response:
    return _file("console.html")


@router.get("/dashboard")
def dashboard_page() -> Response:
    return _file("dashboard.html")


@router.get("/console/{name}")
def console_asset(name: str) -> Response:
    if name not in FILES or name.endswith(".html"):
        return Response(status_code=404)
    return _file(name)
