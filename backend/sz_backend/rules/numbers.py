"""Numbers we hand out: pre-application numbers and transaction serial numbers.

Pre-application number (预申请编号), read aloud or typed at a service window, so it
carries a check character:

    YS 2026 00001234 7
    |  |    |        +- ISO 7064 MOD 11-2 over the 12 digits "2026" + "00001234"
    |  |    +---------- sequence within the year, 8 digits, zero-padded
    |  +--------------- year of the pre-application
    +------------------ fixed prefix ("预申")

It is the same check as the last character of an ID number (0-9 or X). It detects
every single mistyped digit and every swap of two adjacent characters.

Transaction serial number: "SZ" + local date YYYYMMDD + 6-digit sequence of the
day, e.g. SZ20261127000042. It is only generated and shown, not typed back, so it
has no check character.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import datetime
from zoneinfo import ZoneInfo

from sz_backend.rules.idnumber import iso7064_mod11_2

PRE_APPLICATION_PREFIX = "YS"
SERIAL_PREFIX = "SZ"
_TZ = ZoneInfo("Asia/Shanghai")
_SEPARATORS = re.compile(r"[\s\-\u2010-\u2015\u2212\u30fc\uff0d]+")
_PRE_RE = re.compile(r"YS([0-9]{12})([0-9X])")
_SERIAL_RE = re.compile(r"SZ([0-9]{8})([0-9]{6})")


def make_pre_application_number(year: int, seq: int) -> str:
    if not 1000 <= year <= 9999:
        raise ValueError(f"year must have 4 digits, got {year}")
    if not 1 <= seq <= 99_999_999:
        raise ValueError(f"seq must be 1..99999999, got {seq}")
    digits = f"{year:04d}{seq:08d}"
    return PRE_APPLICATION_PREFIX + digits + iso7064_mod11_2(digits)


def normalize_pre_application_number(s: str) -> str:
    """Full-width -> ASCII, drop spaces and dashes, upper case (ys... -> YS..., x -> X).
    Does not validate."""
    return _SEPARATORS.sub("", unicodedata.normalize("NFKC", s or "")).upper()


def is_valid_pre_application_number(s: str) -> bool:
    m = _PRE_RE.fullmatch(normalize_pre_application_number(s))
    return m is not None and iso7064_mod11_2(m.group(1)) == m.group(2)


def make_serial_number(at: datetime, seq: int) -> str:
    """The date part is the Asia/Shanghai date of `at` (aware datetimes only)."""
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError("a timezone-aware datetime is required")
    if not 1 <= seq <= 999_999:
        raise ValueError(f"seq must be 1..999999, got {seq}")
    return f"{SERIAL_PREFIX}{at.astimezone(_TZ):%Y%m%d}{seq:06d}"


def is_valid_serial_number(s: str) -> bool:
    m = _SERIAL_RE.fullmatch(normalize_pre_application_number(s))
    if not m:
        return False
    try:
        datetime.strptime(m.group(1), "%Y%m%d")
    except ValueError:
        return False
    return m.group(2) != "000000"
