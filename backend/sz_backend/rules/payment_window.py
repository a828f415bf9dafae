"""When the bank accepts a contribution deduction: working days, 09:00-17:00.

Working days follow China's statutory holidays and adjusted working days (调休).
Sources, in order of precedence:
  1. the operator-maintained YAML file (backend/data/holidays.yml): a year listed
     there is taken from the file only, so operators can add the next year as soon
     as the State Council publishes it (usually in November) or fix a mistake;
  2. the `chinese_calendar` package (covers 2004-2026 in 1.11.0 and raises
     NotImplementedError outside its range);
  3. otherwise the plain Mon-Fri rule, with ONE logged warning per year, because
     the answer may then be wrong around holidays.
"""

from __future__ import annotations

import logging
import re
import threading
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any, Mapping
from zoneinfo import ZoneInfo

import chinese_calendar
import yaml

from sz_backend.errors import BusinessError, refused

logger = logging.getLogger("sz_backend.rules.payment_window")

TZ = ZoneInfo("Asia/Shanghai")
OPENS = time(9, 0)
CLOSES = time(17, 0)  # exclusive: 16:59:59 is open, 17:00:00 is closed

DEFAULT_HOLIDAYS_FILE = Path(__file__).resolve().parents[2] / "data" / "holidays.yml"

_WEEKDAYS_ZH = ("周一", "周二", "周三", "周四", "周五", "周六", "周日")
_WEEKDAYS_EN = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_MONTHS_EN = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)
_RANGE = re.compile(r"^\s*(\d{4}-\d{2}-\d{2})\s*\.\.\s*(\d{4}-\d{2}-\d{2})\s*$")
_YEAR_KEYS = frozenset({"holidays", "workdays", "source", "note"})
# Longest run of non-working days we accept before concluding the data is broken.
_MAX_SEARCH_DAYS = 60


@dataclass(frozen=True)
class YearSchedule:
    holidays: frozenset[date]
    workdays: frozenset[date]  # adjusted working days (weekend days that are worked)


def _parse_day(item: Any) -> list[date]:
    """A YAML item: a date, "YYYY-MM-DD" or an inclusive range "YYYY-MM-DD..YYYY-MM-DD"."""
    if isinstance(item, datetime):
        raise ValueError(f"expected a date, got a date-time: {item!r}")
    if isinstance(item, date):
        return [item]
    if isinstance(item, str):
        m = _RANGE.match(item)
        if m:
            start, end = date.fromisoformat(m.group(1)), date.fromisoformat(m.group(2))
            if end < start:
                raise ValueError(f"range ends before it starts: {item!r}")
            return [start + timedelta(days=i) for i in range((end - start).days + 1)]
        return [date.fromisoformat(item.strip())]
    raise ValueError(f"expected a date or a date range, got {item!r}")


def _parse_year(year: int, body: Any, source: str) -> YearSchedule:
    if body is None:
        body = {}
    if not isinstance(body, dict):
        raise ValueError(f"{source}: year {year} must map to holidays/workdays lists")
    unknown = set(body) - _YEAR_KEYS
    if unknown:  # a typo such as "holiday:" would otherwise silently drop data
        raise ValueError(f"{source}: year {year} has unknown keys {sorted(unknown)}")
    days: dict[str, frozenset[date]] = {}
    for key in ("holidays", "workdays"):
        items = body.get(key) or []
        if not isinstance(items, list):
            raise ValueError(f"{source}: {year}.{key} must be a list")
        parsed = frozenset(d for item in items for d in _parse_day(item))
        wrong_year = sorted(d for d in parsed if d.year != year)
        if wrong_year:
            raise ValueError(
                f"{source}: {year}.{key} contains dates of another year: {[d.isoformat() for d in wrong_year]}"
            )
        days[key] = parsed
    both = days["holidays"] & days["workdays"]
    if both:
        raise ValueError(
            f"{source}: {year} lists days as both holiday and workday: {sorted(d.isoformat() for d in both)}"
        )
    return YearSchedule(days["holidays"], days["workdays"])


def _fmt_zh(d: datetime) -> str:
    return f"{d.year}年{d.month}月{d.day}日（{_WEEKDAYS_ZH[d.weekday()]}）{d:%H:%M}"


def _fmt_en(d: datetime) -> str:
    return f"{d:%H:%M} on {_WEEKDAYS_EN[d.weekday()]} {d.day} {_MONTHS_EN[d.month - 1]} {d.year}"


class PaymentCalendar:
    def __init__(
        self, years: Mapping[int, YearSchedule] | None = None, *, use_package: bool = True, source: str = "<memory>"
    ) -> None:
        self._years = dict(years or {})
        self._use_package = use_package
        self._source = source
        self._warned: set[int] = set()
        self._lock = threading.Lock()

    @classmethod
    def from_file(cls, path: str | Path, *, use_package: bool = True) -> "PaymentCalendar":
        path = Path(path)
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        if not isinstance(data, dict):
            raise ValueError(f"{path}: top level must map years to schedules")
        years: dict[int, YearSchedule] = {}
        for key, body in data.items():
            try:
                year = int(key)
            except (TypeError, ValueError):
                raise ValueError(f"{path}: {key!r} is not a year") from None
            years[year] = _parse_year(year, body, str(path))
        return cls(years, use_package=use_package, source=str(path))

    @property
    def file_years(self) -> frozenset[int]:
        return frozenset(self._years)

    # -- days -----------------------------------------------------------------
    def is_working_day(self, d: date) -> bool:
        if isinstance(d, datetime):  # a datetime is a date subclass: be explicit
            d = d.date()
        schedule = self._years.get(d.year)
        if schedule is not None:
            if d in schedule.workdays:
                return True
            if d in schedule.holidays:
                return False
            return d.weekday() < 5
        if self._use_package:
            try:
                return bool(chinese_calendar.is_workday(d))
            except NotImplementedError:
                pass
        self._warn_fallback(d.year)
        return d.weekday() < 5

    def _warn_fallback(self, year: int) -> None:
        with self._lock:
            if year in self._warned:
                return
            self._warned.add(year)
        logger.warning(
            "No holiday data for %d (not in %s, not in chinese_calendar): using the "
            "Mon-Fri rule, answers may be wrong around holidays. Add the State "
            "Council's %d schedule to the holidays file.",
            year,
            self._source,
            year,
        )

    # -- times ----------------------------------------------------------------
    @staticmethod
    def _local(at: datetime) -> datetime:
        if at.tzinfo is None or at.utcoffset() is None:
            # A naive time is ambiguous (server clock zone?): refuse instead of guessing.
            raise ValueError("a timezone-aware datetime is required")
        return at.astimezone(TZ)

    def is_open(self, at: datetime) -> bool:
        local = self._local(at)
        return self.is_working_day(local.date()) and OPENS <= local.time() < CLOSES

    def next_opening(self, at: datetime) -> datetime:
        """The next moment the window opens (Asia/Shanghai). If it is open at `at`,
        that is `at` itself."""
        local = self._local(at)
        if self.is_open(local):
            return local
        day = local.date() if local.time() < OPENS else local.date() + timedelta(days=1)
        for _ in range(_MAX_SEARCH_DAYS):
            if self.is_working_day(day):
                return datetime.combine(day, OPENS, tzinfo=TZ)
            day += timedelta(days=1)
        raise RuntimeError(
            f"no working day within {_MAX_SEARCH_DAYS} days of {local.date()}: check the holiday data in {self._source}"
        )

    def closed_error(self, at: datetime) -> BusinessError:
        """The PAYMENT_WINDOW_CLOSED refusal for `at` (built, not raised)."""
        nxt = self.next_opening(at)
        when_zh, when_en = _fmt_zh(nxt), _fmt_en(nxt)
        return refused(
            "PAYMENT_WINDOW_CLOSED",
            f"现在不是银行扣款时间（工作日09:00至17:00，北京时间），此时缴费会扣款失败。请于{when_zh}后再试。",
            "Contributions can only be deducted on working days between 09:00 and "
            "17:00 (Beijing time); a payment now would fail. "
            f"Please try again after {when_en}.",
            fix_zh=f"请于{when_zh}后再试。",
            fix_en=f"Please try again after {when_en}.",
            next_opening=nxt.isoformat(),
        )

    def check_open(self, at: datetime) -> None:
        """Raise PAYMENT_WINDOW_CLOSED (409) unless a deduction is allowed at `at`."""
        if not self.is_open(at):
            raise self.closed_error(at)


@lru_cache(maxsize=1)
def default_calendar() -> PaymentCalendar:
    """The calendar of backend/data/holidays.yml plus chinese_calendar (cached)."""
    return PaymentCalendar.from_file(DEFAULT_HOLIDAYS_FILE)
