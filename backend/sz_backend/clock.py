"""The one source of "now" (Asia/Shanghai, aware).

`SZ_BACKEND_NOW` (ISO 8601) pins the clock: tests and demos use it to show the
payment window open or closed without waiting for 09:00.
"""

from __future__ import annotations

import os
from datetime import datetime
from zoneinfo import ZoneInfo

SHANGHAI = ZoneInfo("Asia/Shanghai")


def now() -> datetime:
    pinned = os.environ.get("SZ_BACKEND_NOW")
    if pinned:
        value = datetime.fromisoformat(pinned)
        return value if value.tzinfo else value.replace(tzinfo=SHANGHAI)
    return datetime.now(SHANGHAI)


def month_key(at: datetime) -> str:
    return f"{at.year:04d}-{at.month:02d}"


def add_months(month: str, n: int) -> str:
    year, mon = (int(p) for p in month.split("-"))
    total = year * 12 + (mon - 1) + n
    return f"{total // 12:04d}-{total % 12 + 1:02d}"
