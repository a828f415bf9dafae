"""Text messages (SMS) for the phone channel: the details a caller should not have to hear.

A phone prompt stays short (bot/channels/rendering.py ``phone_render``); what it
leaves out (month-by-month details, materials lists, download addresses, a
serial number to keep) is offered by SMS to the calling number.

No SMS adapter existed in the backend when this was written, so this minimal
one lives in the channel layer:

- ``outbox`` (default): development. Each message is appended as one JSON line
  to a file (``sms_outbox`` in the IVR credentials entry, env
  ``SZ_SMS_OUTBOX``, default ``var/sms-outbox.jsonl``); nothing leaves the
  machine. Tests and demos read it.
- ``http``: production. ``sms_gateway_url`` (env ``SZ_SMS_GATEWAY_URL``)
  receives ``POST {"to": phone, "text": text}`` with ``Authorization: Bearer
  <sms_gateway_key>`` (env ``SZ_SMS_GATEWAY_KEY``); a 2xx answer means sent.
  The operator's own gateway adapter turns that into its provider's API.

Message texts are never logged (they hold personal data); only the length and
the phone's last four digits.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
import uuid
from pathlib import Path
from typing import Any, Dict, List, Optional, cast

import aiohttp

from bot.settings import DEFAULT_SMS_OUTBOX
from bot.settings import load as load_settings

log = logging.getLogger(__name__)

DEFAULT_OUTBOX = DEFAULT_SMS_OUTBOX


class SmsFailed(Exception):
    pass


class SmsSender:
    def __init__(
        self,
        outbox: Optional[str] = None,
        gateway_url: Optional[str] = None,
        gateway_key: Optional[str] = None,
        timeout_seconds: float = 5.0,
    ) -> None:
        settings = load_settings()
        self.gateway_url = gateway_url or settings.sms_gateway_url
        self.gateway_key = gateway_key or settings.sms_gateway_key
        self.outbox = Path(outbox or settings.sms_outbox)
        self.timeout_seconds = float(timeout_seconds)
        self._lock = asyncio.Lock()

    @property
    def kind(self) -> str:
        return "http" if self.gateway_url else "outbox"

    async def send(self, phone: str, text: str) -> str:
        """Send ``text`` to ``phone``; returns a message id. Raises SmsFailed."""
        if not phone or not text:
            raise SmsFailed("no phone number or no text")
        message_id = uuid.uuid4().hex[:16]
        if self.gateway_url:
            await self._post(phone, text)
        else:
            record = {"id": message_id, "to": phone, "text": text, "at": time.time()}
            async with self._lock:
                await asyncio.get_running_loop().run_in_executor(None, self._append, record)
        log.info("sms sent via %s to *%s (%d characters)", self.kind, phone[-4:], len(text))
        return message_id

    def _append(self, record: Dict[str, Any]) -> None:
        self.outbox.parent.mkdir(parents=True, exist_ok=True)
        with self.outbox.open("a", encoding="utf-8") as fh:
            fh.write(json.dumps(record, ensure_ascii=False) + "\n")

    async def _post(self, phone: str, text: str) -> None:
        headers = {"Authorization": f"Bearer {self.gateway_key}"} if self.gateway_key else {}
        try:
            async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=self.timeout_seconds)) as session:
                async with session.post(
                    cast(str, self.gateway_url), json={"to": phone, "text": text}, headers=headers
                ) as r:
                    if r.status // 100 != 2:
                        raise SmsFailed(f"gateway answered {r.status}")
        except (aiohttp.ClientError, asyncio.TimeoutError) as err:
            raise SmsFailed(f"gateway unreachable: {type(err).__name__}") from err


def read_outbox(path: str | Path) -> List[Dict[str, Any]]:
    """The development outbox's messages, oldest first (for tests and demos)."""
    p = Path(path)
    if not p.exists():
        return []
    return [json.loads(line) for line in p.read_text(encoding="utf-8").splitlines() if line.strip()]
