"""The one way the action server talks to the business backend.

Every call goes through `requests` with a timeout, and runs off the event loop
(`asyncio.to_thread`): rasa_sdk 3.6 runs all actions on one event loop, so one
blocking call would stall every conversation.

Outcomes of a call:
- the JSON body (2xx);
- `BackendError` for a 4xx answer: the backend's stable `code`, bilingual
  message and fix, and the `field` it concerns (turned into plain advice or a
  re-ask by the actions);
- `BackendUnavailable` for a connection error, a timeout or a 5xx: the user is
  told the system is busy and nothing is changed on our side.

The caller's bearer token is passed per call and never stored or logged here.
"""

from __future__ import annotations

import asyncio
import logging
import os
import threading
import time
from dataclasses import dataclass
from dataclasses import field as dc_field
from typing import Any, Dict, List, Mapping, Optional

import requests

log = logging.getLogger(__name__)

DEFAULT_URL = "http://127.0.0.1:8000"
# (connect, read) seconds. The Rasa server waits for the action server; WeChat
# waits 5 s for the whole turn, so a slow backend must fail fast.
DEFAULT_TIMEOUT = (2.0, 6.0)
CATALOGUE_TTL_SECONDS = 300.0


@dataclass
class BackendError(Exception):
    """A 4xx answer: the backend refused or rejected the request."""

    status: int
    code: str
    message_zh: str
    message_en: str
    fix_zh: Optional[str] = None
    fix_en: Optional[str] = None
    field: Optional[str] = None
    details: Dict[str, Any] = dc_field(default_factory=dict)

    def __str__(self) -> str:
        return f"{self.status} {self.code}: {self.message_en}"

    @classmethod
    def from_response(cls, resp: requests.Response) -> "BackendError":
        try:
            body = resp.json().get("error") or {}
        except (ValueError, AttributeError):
            body = {}
        return cls(
            status=resp.status_code,
            code=str(body.get("code") or f"HTTP_{resp.status_code}"),
            message_zh=str(body.get("message_zh") or "请求未能完成"),
            message_en=str(body.get("message_en") or "The request could not be completed"),
            fix_zh=body.get("fix_zh"),
            fix_en=body.get("fix_en"),
            field=body.get("field"),
            details=body.get("details") or {},
        )

    @property
    def is_auth(self) -> bool:
        return self.status == 401


class BackendUnavailable(Exception):
    """Connection error, timeout or 5xx: the backend cannot answer now."""


class BackendClient:
    """A small typed wrapper over the backend's HTTP API.

    The public methods are coroutines; each runs one blocking `requests` call in
    a worker thread.
    """

    def __init__(self, base_url: Optional[str] = None, timeout: Any = None, channel: str = "api") -> None:
        self.base_url = (base_url or os.environ.get("SZ_BACKEND_URL") or DEFAULT_URL).rstrip("/")
        self.timeout = timeout or _timeout_from_env()
        self._local = threading.local()
        self._catalogue: Optional[Dict[str, Any]] = None
        self._catalogue_at = 0.0
        self._entries: Dict[str, tuple] = {}

    # ---- plumbing ---------------------------------------------------------
    def _session(self) -> requests.Session:
        # requests.Session is not thread-safe: one per worker thread.
        sess = getattr(self._local, "session", None)
        if sess is None:
            sess = requests.Session()
            self._local.session = sess
        return sess

    def _request(
        self,
        method: str,
        path: str,
        *,
        token: Optional[str] = None,
        params: Optional[Mapping[str, Any]] = None,
        json: Any = None,
        headers: Optional[Mapping[str, str]] = None,
    ) -> Dict[str, Any]:
        hdrs = {"Accept": "application/json"}
        if token:
            hdrs["Authorization"] = f"Bearer {token}"
        if headers:
            hdrs.update(headers)
        url = f"{self.base_url}{path}"
        started = time.monotonic()
        try:
            resp = self._session().request(method, url, params=params, json=json, headers=hdrs, timeout=self.timeout)
        except requests.RequestException as err:  # connection refused, DNS, timeout ...
            log.warning(
                "backend %s %s failed after %.2fs: %s", method, path, time.monotonic() - started, type(err).__name__
            )
            raise BackendUnavailable(type(err).__name__) from None
        log.info("backend %s %s -> %s in %.2fs", method, path, resp.status_code, time.monotonic() - started)
        if resp.status_code >= 500:
            raise BackendUnavailable(f"HTTP {resp.status_code}")
        if resp.status_code >= 400:
            raise BackendError.from_response(resp)
        try:
            body = resp.json()
        except ValueError:
            raise BackendUnavailable("invalid JSON") from None
        if not isinstance(body, dict):
            raise BackendUnavailable("unexpected body")
        return body

    async def _call(self, method: str, path: str, **kwargs: Any) -> Dict[str, Any]:
        return await asyncio.to_thread(self._request, method, path, **kwargs)

    # ---- registration (no login; bot/actions/registration.py) -------------------
    async def registration_check(self, fields: Dict[str, str]) -> Dict[str, Any]:
        """POST /accounts/check: each detail checked on its own -> {"values", "errors"}."""
        return await self._call("POST", "/accounts/check", json={"fields": fields})

    async def registration_code(self, details: Dict[str, Any]) -> Dict[str, Any]:
        """POST /accounts/code: the bank checks the card; an SMS code goes to the phone it holds."""
        return await self._call("POST", "/accounts/code", json=details)

    async def registration_link(self, details: Dict[str, Any]) -> Dict[str, Any]:
        """POST /accounts/setup-link: the code -> the one-time page for user name and password."""
        return await self._call("POST", "/accounts/setup-link", json=details)

    # ---- catalogue (public, cached) --------------------------------------
    async def catalogue(self) -> Dict[str, Any]:
        """Every item and service with names, mode, fields and materials (cached)."""
        now = time.monotonic()
        if self._catalogue is None or now - self._catalogue_at > CATALOGUE_TTL_SECONDS:
            self._catalogue = await self._call("GET", "/catalogue")
            self._catalogue_at = now
        return self._catalogue

    async def catalogue_entry(self, code: str) -> Dict[str, Any]:
        """One catalogue entry (cached); BackendError ITEM_UNKNOWN (404) for a bad code."""
        now = time.monotonic()
        cached = self._entries.get(code)
        if cached and now - cached[0] <= CATALOGUE_TTL_SECONDS:
            return cached[1]
        entry = await self._call("GET", f"/catalogue/{code}")
        self._entries[code] = (now, entry)
        return entry

    # ---- the person ------------------------------------------------------
    async def me(self, token: str) -> Dict[str, Any]:
        return await self._call("GET", "/me", token=token)

    async def options(self, token: str, codes: List[str]) -> List[Dict[str, Any]]:
        body = await self._call("GET", "/options", token=token, params={"codes": ",".join(codes)})
        return list(body.get("options") or [])

    async def eligibility(self, token: str, code: str, subject_id: Optional[int] = None) -> Dict[str, Any]:
        params = {"subject_id": subject_id} if subject_id else None
        return await self._call("GET", f"/items/{code}/eligibility", token=token, params=params)

    async def validate_fields(
        self, token: str, code: str, fields: Mapping[str, Any], subject_id: Optional[int] = None
    ) -> Dict[str, Any]:
        """The submission's own checks on some or all fields, changing nothing: {"values", "errors",
        "missing", "preview", "eligible", "refusal"} (backend POST /items/{code}/validate)."""
        body: Dict[str, Any] = {"fields": dict(fields)}
        if subject_id:
            body["subject_id"] = subject_id
        return await self._call("POST", f"/items/{code}/validate", token=token, json=body)

    # ---- changes (always with an Idempotency-Key) -------------------------
    async def submit_item(
        self, token: str, code: str, fields: Mapping[str, Any], *, subject_id: Optional[int], idempotency_key: str
    ) -> Dict[str, Any]:
        body: Dict[str, Any] = {"fields": dict(fields)}
        if subject_id:
            body["subject_id"] = subject_id
        return await self._call(
            "POST", f"/items/{code}", token=token, json=body, headers={"Idempotency-Key": idempotency_key}
        )

    async def payment_quote(self, token: str) -> Dict[str, Any]:
        """This month's amount and account; refused (window closed, already paid) like the payment."""
        return await self._call("GET", "/services/self_service_payment/quote", token=token)

    async def self_service_payment(
        self, token: str, *, subject_id: Optional[int], idempotency_key: str
    ) -> Dict[str, Any]:
        body = {"subject_id": subject_id} if subject_id else {}
        return await self._call(
            "POST",
            "/services/self_service_payment",
            token=token,
            json=body,
            headers={"Idempotency-Key": idempotency_key},
        )

    # ---- read-only services ----------------------------------------------
    async def contributions(
        self,
        token: str,
        *,
        from_month: Optional[str] = None,
        to_month: Optional[str] = None,
        subject_id: Optional[int] = None,
    ) -> Dict[str, Any]:
        params = {
            k: v for k, v in (("from_month", from_month), ("to_month", to_month), ("subject_id", subject_id)) if v
        }
        return await self._call("GET", "/services/contributions", token=token, params=params or None)

    async def certificate(self, token: str, *, subject_id: Optional[int] = None) -> Dict[str, Any]:
        body = {"subject_id": subject_id} if subject_id else {}
        return await self._call("POST", "/services/certificate", token=token, json=body)

    async def pre_application(self, token: str, number: str) -> Dict[str, Any]:
        return await self._call("GET", f"/pre-applications/{number}", token=token)


def _timeout_from_env() -> Any:
    raw = os.environ.get("SZ_BACKEND_TIMEOUT")
    if not raw:
        return DEFAULT_TIMEOUT
    try:
        read = float(raw)
    except ValueError:
        return DEFAULT_TIMEOUT
    return (min(DEFAULT_TIMEOUT[0], read), read)


_client: Optional[BackendClient] = None
_client_lock = threading.Lock()


def get_client() -> BackendClient:
    """The process-wide client (base URL from SZ_BACKEND_URL)."""
    global _client
    with _client_lock:
        if _client is None:
            _client = BackendClient()
        return _client


def set_client(client: Optional[BackendClient]) -> None:
    """Replace the process-wide client (tests point it at their own backend)."""
    global _client
    with _client_lock:
        _client = client
