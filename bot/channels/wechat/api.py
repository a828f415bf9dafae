"""The WeChat server API, as the channel calls it: one client class, one error type.

Why apart from the channel: it is the one external service the channel calls
besides the backend (bot/backend_client.py), with its own credentials (AppID and
AppSecret), its own access token to cache and its own error codes.

- ``{api_base}/cgi-bin/token``: the access token, cached until 5 minutes before
  it expires (several processes that each fetch one invalidate each other's: use
  one token service then);
- ``{api_base}/cgi-bin/message/custom/send``: customer-service text messages (the
  replies that miss the passive reply's 5 s);
- ``{api_base}/sns/oauth2/access_token``: the OpenID behind a web page's OAuth
  code (the binding page, bot/channels/wechat/bind_page.py).

Every request carries ``timeout=``; any failure is a ``WeChatAPIError`` (its
``errcode`` is WeChat's, or "network").
"""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any, Dict, Optional

import aiohttp

DEFAULT_API_BASE = "https://api.weixin.qq.com"
TOKEN_ERRORS = {40001, 40014, 42001}  # the access token is invalid or expired
NETWORK_ERRORS = (aiohttp.ClientError, asyncio.TimeoutError, ValueError, OSError)


class WeChatAPIError(Exception):
    def __init__(self, errcode: Any, errmsg: str = "") -> None:
        super().__init__(f"errcode={errcode} {errmsg}")
        self.errcode = errcode


class WeChatAPI:
    """Access token (cached until 5 minutes before expiry), customer-service text messages, OAuth."""

    def __init__(
        self,
        app_id: Optional[str],
        app_secret: Optional[str],
        api_base: str = DEFAULT_API_BASE,
        timeout_seconds: float = 5.0,
    ) -> None:
        self.app_id = app_id or ""
        self.app_secret = app_secret or ""
        self.api_base = (api_base or DEFAULT_API_BASE).rstrip("/")
        self.timeout = aiohttp.ClientTimeout(total=timeout_seconds)
        self._token: Optional[str] = None
        self._expires = 0.0
        self._lock: Optional[asyncio.Lock] = None

    @property
    def configured(self) -> bool:
        return bool(self.app_id and self.app_secret)

    async def _get(self, path: str, params: Dict[str, Any]) -> Any:
        try:
            async with aiohttp.ClientSession() as session:
                async with session.get(f"{self.api_base}{path}", params=params, timeout=self.timeout) as resp:
                    return await resp.json(content_type=None)
        except NETWORK_ERRORS as err:
            raise WeChatAPIError("network", type(err).__name__) from None

    async def access_token(self, force: bool = False) -> str:
        if self._lock is None:
            self._lock = asyncio.Lock()
        async with self._lock:
            if not force and self._token and time.monotonic() < self._expires:
                return self._token
            params = {"grant_type": "client_credential", "appid": self.app_id, "secret": self.app_secret}
            data = await self._get("/cgi-bin/token", params)
            if not isinstance(data, dict) or not data.get("access_token"):
                errcode = data.get("errcode") if isinstance(data, dict) else None
                raise WeChatAPIError(errcode, str(data.get("errmsg", "")) if isinstance(data, dict) else "")
            expires_in = int(data.get("expires_in") or 7200)
            self._token = str(data["access_token"])
            self._expires = time.monotonic() + max(60, expires_in - 300)
            return self._token

    async def send_text(self, openid: str, content: str) -> None:
        body = json.dumps(
            {"touser": openid, "msgtype": "text", "text": {"content": content}}, ensure_ascii=False
        ).encode("utf-8")  # WeChat wants raw UTF-8, not \\u escapes
        for attempt in range(2):
            token = await self.access_token(force=attempt > 0)
            try:
                async with aiohttp.ClientSession() as session:
                    async with session.post(
                        f"{self.api_base}/cgi-bin/message/custom/send",
                        params={"access_token": token},
                        data=body,
                        headers={"Content-Type": "application/json; charset=utf-8"},
                        timeout=self.timeout,
                    ) as resp:
                        data = await resp.json(content_type=None)
            except NETWORK_ERRORS as err:
                raise WeChatAPIError("network", type(err).__name__) from None
            errcode = data.get("errcode", 0) if isinstance(data, dict) else "bad-body"
            if errcode in (0, "0"):
                return
            if errcode in TOKEN_ERRORS and attempt == 0:
                continue  # token revoked or expired early: fetch a new one once
            raise WeChatAPIError(errcode, str(data.get("errmsg", "")) if isinstance(data, dict) else "")

    async def oauth_openid(self, code: str) -> str:
        """The OpenID of the WeChat user who opened a page with this OAuth ``code``."""
        params = {"appid": self.app_id, "secret": self.app_secret, "code": code, "grant_type": "authorization_code"}
        data = await self._get("/sns/oauth2/access_token", params)
        if not isinstance(data, dict) or not data.get("openid"):
            raise WeChatAPIError(data.get("errcode") if isinstance(data, dict) else "?", "code refused")
        return str(data["openid"])
