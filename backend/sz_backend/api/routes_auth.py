"""Log-in, log-out, the person's own profile, and channel bindings."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Header, Request

from ..persistence.db import session_scope
from ..services import identity, profile
from .deps import ContractRoute, bearer, channel_header
from .responses import Ok, Profile, Token, Unbound
from .schemas import BindRequest, CallerVerifyRequest, ChannelTokenRequest, LoginRequest

router = APIRouter(route_class=ContractRoute, tags=["identity"])


@router.post("/auth/login", response_model=Token, summary="Log in with user name and password; returns a bearer token")
def login(body: LoginRequest, request: Request, channel: str = Depends(channel_header)) -> dict[str, Any]:
    source = request.client.host if request.client else None
    with session_scope() as s:
        return identity.login(s, body.username, body.password, channel, source=source)


@router.post("/auth/logout", response_model=Ok, summary="Revoke the current token")
def logout(token: str | None = Depends(bearer)) -> dict[str, Any]:
    with session_scope() as s:
        identity.authenticate(s, token)
        identity.logout(s, token or "")
    return {"ok": True}


@router.get(
    "/me", response_model=Profile, summary="The logged-in person's profile (masked), enrolments and linked children"
)
def me(token: str | None = Depends(bearer)) -> dict[str, Any]:
    with session_scope() as s:
        who = identity.authenticate(s, token)
        return profile.profile(s, who.person)


@router.post(
    "/channels/bind",
    response_model=Token,
    summary="Bind a WeChat OpenID or phone number to an account (channel servers only)",
)
def bind(body: BindRequest, x_service_key: str | None = Header(default=None)) -> dict[str, Any]:
    identity.check_service_key(x_service_key)
    with session_scope() as s:
        return identity.bind_channel(s, body.channel, body.external_id, body.username, body.password)


@router.post(
    "/channels/token",
    response_model=Token,
    summary="A token for a bound WeChat OpenID or phone number (channel servers only)",
)
def channel_token(body: ChannelTokenRequest, x_service_key: str | None = Header(default=None)) -> dict[str, Any]:
    identity.check_service_key(x_service_key)
    with session_scope() as s:
        return identity.token_for_binding(s, body.channel, body.external_id)


@router.post("/channels/unbind", response_model=Unbound, summary="Remove a channel binding (channel servers only)")
def unbind(body: ChannelTokenRequest, x_service_key: str | None = Header(default=None)) -> dict[str, Any]:
    identity.check_service_key(x_service_key)
    with session_scope() as s:
        return {"unbound": identity.unbind_channel(s, body.channel, body.external_id)}


@router.post(
    "/channels/ivr/verify",
    response_model=Token,
    summary="Verify a phone caller (ID last 4 + phone PIN); IVR front end only",
)
def ivr_verify(body: CallerVerifyRequest, x_service_key: str | None = Header(default=None)) -> dict[str, Any]:
    identity.check_service_key(x_service_key)
    with session_scope() as s:
        return identity.verify_caller(s, body.phone, body.id_last4, body.pin)
