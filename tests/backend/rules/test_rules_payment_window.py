import logging
from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import chinese_calendar
import pytest
from hypothesis import given
from hypothesis import strategies as st

from sz_backend.errors import BusinessError
from sz_backend.rules import payment_window
from sz_backend.rules.payment_window import PaymentCalendar, default_calendar

SH = ZoneInfo("Asia/Shanghai")
LOGGER = "sz_backend.rules.payment_window"


def at(y, mo, d, h=10, mi=0, s=0):
    return datetime(y, mo, d, h, mi, s, tzinfo=SH)


@pytest.fixture
def cal():
    # A fresh instance per test, so the once-per-year warning state is not shared.
    return PaymentCalendar.from_file(payment_window.DEFAULT_HOLIDAYS_FILE)


def write(tmp_path, text):
    path = tmp_path / "holidays.yml"
    path.write_text(text, encoding="utf-8")
    return path


# -- working days ---------------------------------------------------------------


def test_2026_holidays_and_adjusted_workdays(cal):
    assert not cal.is_working_day(date(2026, 10, 1))  # National Day (Thursday)
    assert cal.is_working_day(date(2026, 10, 10))  # Saturday, adjusted working day
    assert cal.is_working_day(date(2026, 2, 14))  # Saturday before Spring Festival
    assert not cal.is_working_day(date(2026, 2, 23))  # Monday, last Spring Festival day
    assert cal.is_working_day(date(2026, 11, 27))  # ordinary Friday
    assert not cal.is_working_day(date(2026, 11, 28))  # ordinary Saturday
    assert cal.is_working_day(datetime(2026, 10, 10, 3))  # a datetime counts as its date


def test_file_2026_agrees_with_chinese_calendar_every_day(cal):
    day = date(2026, 1, 1)
    while day.year == 2026:
        assert cal.is_working_day(day) == chinese_calendar.is_workday(day), day
        day += timedelta(days=1)


def test_package_years_are_used_when_the_file_does_not_list_them(cal):
    assert 2025 not in cal.file_years
    assert not cal.is_working_day(date(2025, 10, 8))  # National Day 2025 ran to 10-08
    assert cal.is_working_day(date(2025, 9, 28))  # Sunday, adjusted working day


def test_default_calendar_is_cached_and_reads_the_data_file():
    assert default_calendar() is default_calendar()
    assert 2026 in default_calendar().file_years


# -- opening hours ----------------------------------------------------------------


def test_opening_hours_boundaries(cal):
    assert not cal.is_open(at(2026, 11, 27, 8, 59, 59))
    assert cal.is_open(at(2026, 11, 27, 9, 0))
    assert cal.is_open(at(2026, 11, 27, 16, 59, 59))
    assert not cal.is_open(at(2026, 11, 27, 17, 0))
    assert not cal.is_open(at(2026, 10, 1, 10, 0))  # holiday
    assert cal.is_open(at(2026, 10, 10, 10, 0))  # working Saturday


def test_other_time_zones_are_converted(cal):
    # 01:30 UTC is 09:30 in Shanghai; 09:30 UTC is 17:30 in Shanghai
    assert cal.is_open(datetime(2026, 11, 27, 1, 30, tzinfo=timezone.utc))
    assert not cal.is_open(datetime(2026, 11, 27, 9, 30, tzinfo=timezone.utc))


def test_naive_datetimes_are_refused(cal):
    for fn in (cal.is_open, cal.next_opening, cal.check_open):
        with pytest.raises(ValueError):
            fn(datetime(2026, 11, 27, 10, 0))


def test_next_opening_across_national_day(cal):
    assert cal.is_working_day(date(2026, 10, 8))
    assert not any(cal.is_working_day(date(2026, 10, d)) for d in range(1, 8))
    nxt = cal.next_opening(at(2026, 9, 30, 17, 30))
    assert nxt == at(2026, 10, 8, 9, 0)
    assert nxt.tzinfo == SH


def test_next_opening_cases(cal):
    assert cal.next_opening(at(2026, 11, 27, 8, 0)) == at(2026, 11, 27, 9, 0)  # same morning
    assert cal.next_opening(at(2026, 11, 27, 17, 0)) == at(2026, 11, 30, 9, 0)  # Fri -> Mon
    assert cal.next_opening(at(2026, 11, 28, 12, 0)) == at(2026, 11, 30, 9, 0)  # Sat -> Mon
    assert cal.next_opening(at(2026, 10, 9, 18, 0)) == at(2026, 10, 10, 9, 0)  # working Sat
    open_now = at(2026, 11, 27, 10, 15)
    assert cal.next_opening(open_now) == open_now  # open: now
    # across the year end into the fallback year
    assert cal.next_opening(at(2026, 12, 31, 17, 0)).date() >= date(2027, 1, 1)


def test_check_open_error(cal):
    cal.check_open(at(2026, 11, 27, 10, 0))  # open: no error
    with pytest.raises(BusinessError) as exc:
        cal.check_open(at(2026, 11, 28, 10, 0))
    err = exc.value
    assert err.code == "PAYMENT_WINDOW_CLOSED" and err.status == 409
    assert "请于2026年11月30日（周一）09:00后再试" in err.message_zh
    assert "09:00 on Monday 30 November 2026" in err.message_en
    assert "工作日09:00至17:00" in err.message_zh
    assert err.fix_zh and err.fix_en
    assert err.extra["next_opening"] == "2026-11-30T09:00:00+08:00"
    assert err.to_dict()["details"]["next_opening"] == "2026-11-30T09:00:00+08:00"


def test_check_open_error_across_national_day(cal):
    with pytest.raises(BusinessError) as exc:
        cal.check_open(at(2026, 9, 30, 17, 30))
    assert "2026年10月8日（周四）09:00" in exc.value.message_zh
    assert "Thursday 8 October 2026" in exc.value.message_en


# -- fallback and precedence -------------------------------------------------------


def test_year_without_data_falls_back_with_one_warning(cal, caplog):
    caplog.set_level(logging.WARNING, logger=LOGGER)
    assert cal.is_working_day(date(2031, 1, 1))  # Wednesday: New Year, but no data
    assert not cal.is_working_day(date(2031, 1, 4))  # Saturday
    cal.next_opening(at(2031, 1, 3, 18, 0))
    warnings = [r for r in caplog.records if r.name == LOGGER and r.levelno == logging.WARNING]
    assert len(warnings) == 1
    assert "2031" in warnings[0].getMessage()
    cal.is_working_day(date(2032, 1, 1))
    warnings = [r for r in caplog.records if r.name == LOGGER]
    assert len(warnings) == 2 and "2032" in warnings[1].getMessage()


def test_2027_is_not_guessed(cal, caplog):
    # 2027 is not in the file (official schedule not available): weekday rule + warning.
    caplog.set_level(logging.WARNING, logger=LOGGER)
    assert 2027 not in cal.file_years
    with pytest.raises(NotImplementedError):
        chinese_calendar.is_workday(date(2027, 1, 1))
    assert cal.is_working_day(date(2027, 1, 1))  # Friday
    assert any("2027" in r.getMessage() for r in caplog.records)


def test_file_overrides_the_package(tmp_path, caplog):
    path = write(
        tmp_path,
        """
2026:
  source: test
  holidays:
    - 2026-03-02            # a Monday the package calls a working day
  workdays: [2026-03-07]   # a Saturday
2027:
  holidays: ["2027-01-01..2027-01-03"]
""",
    )
    caplog.set_level(logging.WARNING, logger=LOGGER)
    cal = PaymentCalendar.from_file(path)
    assert chinese_calendar.is_workday(date(2026, 3, 2))
    assert not cal.is_working_day(date(2026, 3, 2))
    assert cal.is_working_day(date(2026, 3, 7))
    # the file's year is complete on its own: 10-01 is a plain Thursday here
    assert cal.is_working_day(date(2026, 10, 1))
    assert not cal.is_working_day(date(2027, 1, 1))
    assert cal.is_working_day(date(2027, 1, 4))
    assert not caplog.records  # no fallback was needed


def test_calendar_without_package():
    cal = PaymentCalendar({}, use_package=False)
    assert cal.is_working_day(date(2026, 10, 1))


@pytest.mark.parametrize(
    "text",
    [
        "2026:\n  holiday: [2026-01-01]\n",  # typo in key
        "2026:\n  holidays: [2025-12-31]\n",  # wrong year
        "2026:\n  holidays: [2026-01-01]\n  workdays: [2026-01-01]\n",  # both
        "2026:\n  holidays: ['2026-01-05..2026-01-01']\n",  # reversed range
        "2026:\n  holidays: [2026-13-01]\n",  # not a date
        "twenty: {}\n",  # not a year
        "- 2026\n",  # not a mapping
    ],
)
def test_bad_files_are_rejected(tmp_path, text):
    with pytest.raises(ValueError):
        PaymentCalendar.from_file(write(tmp_path, text))


def test_empty_file_is_allowed(tmp_path):
    cal = PaymentCalendar.from_file(write(tmp_path, "# nothing yet\n"))
    assert not cal.is_working_day(date(2026, 10, 1))  # the package still answers


# -- properties ----------------------------------------------------------------------


@given(st.datetimes(datetime(2026, 1, 1), datetime(2026, 12, 20)))
def test_next_opening_is_open_and_nothing_earlier_is(naive):
    cal = default_calendar()
    start = naive.replace(tzinfo=SH)
    nxt = cal.next_opening(start)
    assert nxt >= start and cal.is_open(nxt)
    if nxt > start:
        assert nxt.time().hour == 9 and nxt.minute == 0
        # no working day between the start and the opening found
        day = start.date() + timedelta(days=1)
        while day < nxt.date():
            assert not cal.is_working_day(day)
            day += timedelta(days=1)
