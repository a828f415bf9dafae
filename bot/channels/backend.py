"""The backend's identity endpoints, as the channel servers call them.

Only channel servers hold the service key (header ``X-Service-Key``):

- ``POST /channels/bind``    {channel, external_id, username, password} -> {token, name, ...}
- ``POST /channels/token``   {channel, external_id} -> {token} | 404 NOT_BOUND
- ``POST /channels/unbind``  {channel, external_id} -> {unbound: bool}
- ``POST /channels/ivr/verify`` {phone, id_last4, pin} -> {token} | 401 CALLER_NOT_VERIFIED

Async (aiohttp, already a Rasa dependency) so the channel never blocks Rasa's
event loop. Request bodies (they carry passwords and PINs) are never logged.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from typing import Any, Dict, Optional

import aiohttp

from bot.settings import DEFAULT_BACKEND_URL as SETTINGS_BACKEND_URL
from bot.settings import DEFAULT_CHANNEL_SERVICE_KEY
from bot.settings import load as load_settings

log = logging.getLogger(__name__)

DEFAULT_BACKEND_URL = SETTINGS_BACKEND_URL
DEFAULT_SERVICE_KEY = DEFAULT_CHANNEL_SERVICE_KEY


class BackendUnavailable(Exception):
    """Connection failure, timeout, 5xx or an unreadable answer."""


@dataclass
class BackendRefusal(Exception):
    """A 4xx answer with the backend's stable code and bilingual messages."""

    status: int
    code: str
    message_zh: str = ""
    message_en: str = ""
    fix_zh: str = ""
    fix_en: str = ""

    def __str__(self) -> str:
        return f"{self.status} {self.code}"


class ChannelBackend:
    def __init__(
        self,
        base_url: Optional[str] = None,
        service_key: Optional[str] = None,
        timeout_seconds: float = 3.0,
        slow_timeout_seconds: float = 10.0,
    ) -> None:
        settings = load_settings()
        self.base_url = (base_url or settings.backend_url).rstrip("/")
        self.service_key = service_key or settings.channel_service_key
        self.timeout_seconds = float(timeout_seconds)  # token look-ups (every message)
        self.slow_timeout_seconds = float(slow_timeout_seconds)  # password/PIN checks (Argon2 is slow on purpose)

    async def _post(
        self, path: str, body: Optional[Dict[str, Any]], slow: bool = False, bearer: Optional[str] = None
    ) -> Dict[str, Any]:
        timeout = aiohttp.ClientTimeout(total=self.slow_timeout_seconds if slow else self.timeout_seconds)
        headers = {"Accept": "application/json"}
        if bearer:
            headers["Authorization"] = f"Bearer {bearer}"
        else:
            headers["X-Service-Key"] = self.service_key
        try:
            async with aiohttp.ClientSession(timeout=timeout) as session:
                async with session.post(f"{self.base_url}{path}", json=body, headers=headers) as resp:
                    status = resp.status
                    try:
                        data = await resp.json(content_type=None)
                    except (ValueError, aiohttp.ContentTypeError):
                        data = None
        except (aiohttp.ClientError, asyncio.TimeoutError, OSError) as err:
            log.warning("backend POST %s failed: %s", path, type(err).__name__)
            raise BackendUnavailable(type(err).__name__) from None
        log.info("backend POST %s -> %s", path, status)
        if status >= 500 or not isinstance(data, dict):
            raise BackendUnavailable(f"HTTP {status}")
        if status >= 400:
            error: Any = data.get("error") if isinstance(data.get("error"), dict) else {}
            raise BackendRefusal(
                status=status,
                code=str(error.get("code") or f"HTTP_{status}"),
                message_zh=str(error.get("message_zh") or ""),
                message_en=str(error.get("message_en") or ""),
                fix_zh=str(error.get("fix_zh") or ""),
                fix_en=str(error.get("fix_en") or ""),
            )
        return data

    async def bind(self, channel: str, external_id: str, username: str, password: str) -> Dict[str, Any]:
        return await self._post(
            "/channels/bind",
            {"channel": channel, "external_id": external_id, "username": username, "password": password},
            slow=True,
        )

    async def token(self, channel: str, external_id: str) -> Optional[Dict[str, Any]]:
        """The token body for a bound id, or None when nothing is bound."""
        try:
            return await self._post("/channels/token", {"channel": channel, "external_id": external_id})
        except BackendRefusal as err:
            if err.status == 404:
                return None
            raise

    async def unbind(self, channel: str, external_id: str) -> bool:
        body = await self._post("/channels/unbind", {"channel": channel, "external_id": external_id}, slow=True)
        return bool(body.get("unbound"))

    async def logout(self, token: str) -> bool:
        """Revoke a token (e.g. the ones a WeChat user had before unbinding)."""
        try:
            await self._post("/auth/logout", {}, bearer=token)
        except (BackendRefusal, BackendUnavailable):
            return False
        return True

    async def verify_caller(self, phone: str, id_last4: str, pin: str) -> Optional[Dict[str, Any]]:
        """The token body when the caller is verified, None when verification failed."""
        try:
            return await self._post(
                "/channels/ivr/verify", {"phone": phone, "id_last4": id_last4, "pin": pin}, slow=True
            )
        except BackendRefusal as err:
            if err.status in (401, 403, 404, 422):
                return None
            raise
