"""The WeChat Official Account API, as far as the backend needs it: customer-service
text messages (客服消息) to a bound OpenID, for notices.

Same settings as the WeChat channel (WECHAT_APP_ID, WECHAT_APP_SECRET,
WECHAT_API_BASE). The access token is cached until five minutes before it
expires and fetched again once when WeChat says it was revoked. Tests point
WECHAT_API_BASE at a stand-in HTTP server.
"""

from __future__ import annotations

import threading
import time
from typing import Any

import httpx

from ..settings import get_settings

TIMEOUT_SECONDS = 5.0
_TOKEN_ERRORS = {40001, 40014, 42001}
_lock = threading.Lock()
_cache: dict[str, tuple[str, float]] = {}


class WeChatAPIError(RuntimeError):
    def __init__(self, errcode: Any, errmsg: str = "") -> None:
        super().__init__(f"errcode={errcode} {errmsg}"[:200])
        self.errcode = errcode


def configured() -> bool:
    s = get_settings()
    return bool(s.wechat_app_id and s.wechat_app_secret)


def _access_token(force: bool = False) -> str:
    s = get_settings()
    key = f"{s.wechat_api_base}|{s.wechat_app_id}"
    with _lock:
        cached = _cache.get(key)
        if cached and not force and time.monotonic() < cached[1]:
            return cached[0]
        try:
            resp = httpx.get(
                f"{s.wechat_api_base}/cgi-bin/token",
                timeout=TIMEOUT_SECONDS,
                params={"grant_type": "client_credential", "appid": s.wechat_app_id, "secret": s.wechat_app_secret},
            )
            data = resp.json()
        except (httpx.HTTPError, ValueError) as err:
            raise WeChatAPIError("network", type(err).__name__) from None
        if not isinstance(data, dict) or not data.get("access_token"):
            raise WeChatAPIError(
                data.get("errcode") if isinstance(data, dict) else None,
                str(data.get("errmsg", "")) if isinstance(data, dict) else "",
            )
        token = str(data["access_token"])
        _cache[key] = (token, time.monotonic() + max(60, int(data.get("expires_in") or 7200) - 300))
        return token


def send_text(openid: str, content: str) -> None:
    """One customer-service text message; raises WeChatAPIError when WeChat refuses it."""
    s = get_settings()
    for attempt in range(2):
        token = _access_token(force=attempt > 0)
        try:
            resp = httpx.post(
                f"{s.wechat_api_base}/cgi-bin/message/custom/send",
                params={"access_token": token},
                timeout=TIMEOUT_SECONDS,
                json={"touser": openid, "msgtype": "text", "text": {"content": content}},
            )
            data = resp.json()
        except (httpx.HTTPError, ValueError) as err:
            raise WeChatAPIError("network", type(err).__name__) from None
        errcode = data.get("errcode", 0) if isinstance(data, dict) else "bad-body"
        if errcode in (0, "0"):
            return
        if errcode in _TOKEN_ERRORS and attempt == 0:
            continue
        raise WeChatAPIError(errcode, str(data.get("errmsg", "")) if isinstance(data, dict) else "")
