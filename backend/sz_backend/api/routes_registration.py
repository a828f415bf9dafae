"""Registration finished on a one-time page (services/registration_link.py): the chat gets the
link with the confirmed SMS code, the person sets user name and password on the page.

The page is plain server-rendered HTML with a form that posts to itself: no script, and the
same headers as the staff pages (no framing, nothing from another origin, not cached)."""

from __future__ import annotations

import html
from typing import Any
from urllib.parse import parse_qs

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse

from ..errors import BusinessError
from ..persistence.db import session_scope
from ..services import registration_link
from .deps import ContractRoute, channel_header
from .responses import RegistrationCheck, SetupLink
from .routes_pages import HEADERS
from .schemas import RegistrationCheckRequest, RegistrationLinkRequest

router = APIRouter(route_class=ContractRoute)
MAX_FORM_BYTES = 4096


@router.post(
    "/accounts/setup-link",
    response_model=SetupLink,
    summary="Chat registration step 2: the SMS code for a one-time link to the "
    "page where the user name and password are set",
)
def setup_link(body: RegistrationLinkRequest, channel: str = Depends(channel_header)) -> dict[str, Any]:
    with session_scope() as s:
        return registration_link.issue_link(s, body, channel)


@router.post(
    "/accounts/check",
    response_model=RegistrationCheck,
    summary="Check registration details one by one (format, cooperating bank); nobody is looked up",
)
def check(body: RegistrationCheckRequest) -> dict[str, Any]:
    return registration_link.check_fields({k: v[:64] for k, v in body.fields.items()})


def _page(title: str, body: str, status: int = 200) -> HTMLResponse:
    doc = (
        f'<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><meta name="viewport" '
        f'content="width=device-width,initial-scale=1"><title>{html.escape(title)}</title></head>'
        f'<body style="font-family:sans-serif;max-width:32rem;margin:2rem auto;padding:0 1rem">'
        f'<h1 style="font-size:1.3rem">{html.escape(title)}</h1>{body}</body></html>'
    )
    return HTMLResponse(doc, status_code=status, headers=HEADERS)


def _error_page(err: BusinessError) -> HTMLResponse:
    fix = f"<p>{html.escape(err.fix_zh)}</p>" if err.fix_zh else ""
    return _page(
        "新用户注册",
        f'<p role="alert" id="error">{html.escape(err.message_zh)}</p>{fix}'
        f'<p lang="en">{html.escape(err.message_en)}</p>',
        err.status,
    )


def _form(token: str, view: registration_link.LinkView, error: BusinessError | None = None, username: str = "") -> str:
    alert = ""
    if error is not None:
        fix = f" {html.escape(error.fix_zh)}" if error.fix_zh else ""
        alert = f'<p role="alert" id="error" style="color:#b00">{html.escape(error.message_zh)}{fix}</p>'
    return (
        f"<p>为 {html.escape(view.name)} 注册社保个人网上服务账户；缴费银行账户："
        f"{html.escape(view.bank_name)} {html.escape(view.account)}。</p>{alert}"
        '<form method="post" action="/accounts/setup">'
        f'<input type="hidden" name="t" value="{html.escape(token)}">'
        "<p><label>用户名（4到32位字母、数字或 _ . -）<br>"
        f'<input name="username" id="username" autocomplete="username" required value="{html.escape(username)}">'
        "</label></p><p><label>密码（至少8位，含字母和数字）<br>"
        '<input name="password" id="password" type="password" autocomplete="new-password" required></label></p>'
        '<p><label>再次输入密码<br><input name="password_again" id="password_again" type="password" '
        'autocomplete="new-password" required></label></p>'
        '<p><button type="submit" id="submit">完成注册</button></p></form>'
    )


@router.get("/accounts/setup", include_in_schema=False)
def setup_page(t: str = Query(default="", max_length=64)) -> HTMLResponse:
    try:
        with session_scope() as s:
            view = registration_link.view(s, t)
    except BusinessError as err:
        return _error_page(err)
    return _page("新用户注册：设置用户名和密码", _form(t, view))


@router.post("/accounts/setup", include_in_schema=False)
async def setup_submit(request: Request) -> HTMLResponse:
    raw = await request.body()
    if len(raw) > MAX_FORM_BYTES:
        return _error_page(BusinessError("FORM_TOO_LARGE", "提交的内容过长", "The form is too large", status=413))
    form = {k: v[0] for k, v in parse_qs(raw.decode("utf-8", "replace")).items()}
    token, username = form.get("t", "")[:64], form.get("username", "")[:64]
    try:
        with session_scope() as s:
            done = registration_link.complete(
                s, token, username, form.get("password", "")[:128], form.get("password_again", "")[:128], channel="web"
            )
    except BusinessError as err:
        if err.code in ("REGISTRATION_LINK_INVALID", "ACCOUNT_EXISTS"):
            return _error_page(err)
        with session_scope() as s:  # the link still works: the form again, with the reason
            try:
                view = registration_link.view(s, token)
            except BusinessError as gone:
                return _error_page(gone)
        return _page("新用户注册：设置用户名和密码", _form(token, view, err, username), err.status)
    return _page(
        "注册成功",
        f'<p id="done">{html.escape(done["message_zh"])}</p><p lang="en">{html.escape(done["message_en"])}</p>',
    )
