"""The one client of the business backend, for the action server and the channel servers.

Why one: the actions (items, services, registration), the channels (binding, token
look-up, caller verification) and the web widget (token check) each had their own
HTTP code with their own error classes, so "the backend said no" and "the backend
is down" were told apart three ways. Here every call has:

- a timeout on every request (``requests``' ``timeout=``) and a total deadline: a
  slow backend is a busy backend (WeChat waits 5 s for a whole turn);
- one outcome per answer: the JSON object (2xx); ``BackendError`` for a 4xx answer
  (the backend's stable ``code``, bilingual message and fix, and the ``field`` it
  concerns); ``BackendUnavailable`` for a connection error, a timeout, a 5xx or an
  unreadable answer. Both are ``BackendFailure``s.

Calls run off the event loop, in this module's own thread pool: rasa_sdk 3.6 runs
every action on one event loop and the channels run on the Rasa server's, so one
blocking call would stall every conversation; the pool is the client's own so that
slow password checks cannot queue behind (or in front of) the server's other work
in the loop's default executor.

Who authenticates how: the person's bearer token (actions, web token check,
logout), passed per call and never stored or logged here; the channel servers'
service key (header ``X-Service-Key``) for ``/channels/*``. Request bodies (they
carry passwords and PINs) are never logged.
"""

from __future__ import annotations

import asyncio
import contextvars
import functools
import logging
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from dataclasses import field as dc_field
from typing import Any, Dict, List, Mapping, Optional, Tuple, Union

import requests

from bot.settings import DEFAULT_BACKEND_URL
from bot.settings import load as load_settings

log = logging.getLogger(__name__)

DEFAULT_URL = DEFAULT_BACKEND_URL
# (connect, read) seconds of the action server's calls. The Rasa server waits for the
# action server; WeChat waits 5 s for the whole turn, so a slow backend must fail fast.
DEFAULT_TIMEOUT = (2.0, 6.0)
# The channel servers' calls: token look-ups (every message) and password / PIN checks
# (Argon2 is slow on purpose). A number is the total seconds of a call.
CHANNEL_TIMEOUT = 3.0
CHANNEL_SLOW_TIMEOUT = 10.0
CATALOGUE_TTL_SECONDS = 300.0
POOL_THREADS = 32

Timeout = Union[float, Tuple[float, float]]


class BackendFailure(Exception):
    """A backend call that did not give an answer to use (the base of the two below)."""


@dataclass
class BackendError(BackendFailure):
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
        if not isinstance(body, dict):
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


class BackendUnavailable(BackendFailure):
    """Connection error, timeout, 5xx or an unreadable answer: the backend cannot answer now."""


# The channels' former name of a 4xx answer.
BackendRefusal = BackendError

_pool: Optional[ThreadPoolExecutor] = None
_pool_lock = threading.Lock()


def _executor() -> ThreadPoolExecutor:
    global _pool
    with _pool_lock:
        if _pool is None:
            _pool = ThreadPoolExecutor(max_workers=POOL_THREADS, thread_name_prefix="backend")
        return _pool


def _deadline(timeout: Timeout) -> float:
    """The total seconds a call may take: the number itself, or connect + read."""
    if isinstance(timeout, (tuple, list)):
        return float(sum(timeout))
    return float(timeout)


def _default_timeout() -> Timeout:
    read = load_settings().backend_read_timeout  # SZ_BACKEND_TIMEOUT
    return DEFAULT_TIMEOUT if read is None else (min(DEFAULT_TIMEOUT[0], read), read)


class BackendClient:
    """A small typed wrapper over the backend's HTTP API.

    ``timeout``: (connect, read) seconds, or a number for both and the whole call
    (default: DEFAULT_TIMEOUT, or SZ_BACKEND_TIMEOUT); ``slow_timeout``: the same for
    the password / PIN checks of the channel endpoints. The public methods are
    coroutines; each runs one blocking ``requests`` call in the client's thread pool.
    """

    def __init__(
        self,
        base_url: Optional[str] = None,
        timeout: Optional[Timeout] = None,
        channel: str = "api",
        *,
        service_key: Optional[str] = None,
        slow_timeout: Optional[Timeout] = None,
    ) -> None:
        settings = load_settings()
        self.base_url = (base_url or settings.backend_url).rstrip("/")
        self.timeout: Timeout = timeout or _default_timeout()
        self.slow_timeout: Timeout = slow_timeout or CHANNEL_SLOW_TIMEOUT
        self.service_key = service_key or settings.channel_service_key
        self.channel = channel
        self._local = threading.local()
        self._catalogue: Optional[Dict[str, Any]] = None
        self._catalogue_at = 0.0
        self._entries: Dict[str, Tuple[float, Dict[str, Any]]] = {}

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
        service: bool = False,
        params: Optional[Mapping[str, Any]] = None,
        json: Any = None,
        headers: Optional[Mapping[str, str]] = None,
        timeout: Optional[Timeout] = None,
    ) -> Dict[str, Any]:
        """One blocking call: the JSON object of a 2xx answer, else BackendError / BackendUnavailable."""
        hdrs = {"Accept": "application/json"}
        if token:
            hdrs["Authorization"] = f"Bearer {token}"
        elif service:
            hdrs["X-Service-Key"] = self.service_key
        if headers:
            hdrs.update(headers)
        url = f"{self.base_url}{path}"
        started = time.monotonic()
        try:
            resp = self._session().request(
                method, url, params=params, json=json, headers=hdrs, timeout=timeout or self.timeout
            )
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

    async def _call(self, method: str, path: str, *, slow: bool = False, **kwargs: Any) -> Dict[str, Any]:
        """``_request`` in the client's thread pool, within the call's total deadline."""
        timeout = kwargs.pop("timeout", None) or (self.slow_timeout if slow else self.timeout)
        context = contextvars.copy_context()
        job = functools.partial(context.run, self._request, method, path, timeout=timeout, **kwargs)
        future = asyncio.get_running_loop().run_in_executor(_executor(), job)
        try:
            return await asyncio.wait_for(future, _deadline(timeout))
        except asyncio.TimeoutError:
            log.warning("backend %s %s: no answer within %.1fs", method, path, _deadline(timeout))
            raise BackendUnavailable("Timeout") from None

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
    async def me(
        self, token: str, *, channel: Optional[str] = None, timeout: Optional[Timeout] = None
    ) -> Dict[str, Any]:
        """GET /me: whose the token is (``channel``: the X-Channel header, e.g. the widget's "web")."""
        headers = {"X-Channel": channel} if channel else None
        return await self._call("GET", "/me", token=token, headers=headers, timeout=timeout)

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

    # ---- identity for the channel servers (service key) ------------------------
    # POST /channels/bind {channel, external_id, username, password} -> {token, name, ...}
    # POST /channels/token {channel, external_id} -> {token} | 404 NOT_BOUND
    # POST /channels/unbind {channel, external_id} -> {unbound: bool}
    # POST /channels/ivr/verify {phone, id_last4, pin} -> {token} | 401 CALLER_NOT_VERIFIED
    async def bind(self, channel: str, external_id: str, username: str, password: str) -> Dict[str, Any]:
        body = {"channel": channel, "external_id": external_id, "username": username, "password": password}
        return await self._call("POST", "/channels/bind", json=body, service=True, slow=True)

    async def token(self, channel: str, external_id: str) -> Optional[Dict[str, Any]]:
        """The token body for a bound id, or None when nothing is bound."""
        try:
            return await self._call(
                "POST", "/channels/token", json={"channel": channel, "external_id": external_id}, service=True
            )
        except BackendError as err:
            if err.status == 404:
                return None
            raise

    async def unbind(self, channel: str, external_id: str) -> bool:
        body = await self._call(
            "POST", "/channels/unbind", json={"channel": channel, "external_id": external_id}, service=True, slow=True
        )
        return bool(body.get("unbound"))

    async def logout(self, token: str) -> bool:
        """Revoke a token (e.g. the ones a WeChat user had before unbinding)."""
        try:
            await self._call("POST", "/auth/logout", json={}, token=token)
        except BackendFailure:
            return False
        return True

    async def verify_caller(self, phone: str, id_last4: str, pin: str) -> Optional[Dict[str, Any]]:
        """The token body when the caller is verified, None when verification failed."""
        try:
            return await self._call(
                "POST",
                "/channels/ivr/verify",
                json={"phone": phone, "id_last4": id_last4, "pin": pin},
                service=True,
                slow=True,
            )
        except BackendError as err:
            if err.status in (401, 403, 404, 422):
                return None
            raise

    # ---- a blocking call for command-line tools (`rasa shell`, bot/channels/console.py) ----
    def login(self, username: str, password: str, channel: str = "web") -> Optional[str]:
        """POST /auth/login -> the bearer token (None when the answer has none)."""
        body = self._request(
            "POST",
            "/auth/login",
            json={"username": username, "password": password},
            headers={"X-Channel": channel},
            timeout=10.0,
        )
        token = body.get("token")
        return str(token) if token else None


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
