from datetime import datetime, timezone
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sz_backend.rules.idnumber import iso7064_mod11_2
from sz_backend.rules.numbers import (
    is_valid_pre_application_number,
    is_valid_serial_number,
    make_pre_application_number,
    make_serial_number,
    normalize_pre_application_number,
)

SH = ZoneInfo("Asia/Shanghai")
SAMPLES = [(2026, 1), (2026, 1234), (2026, 98765432), (2027, 50505050), (2031, 10)]


def test_format():
    n = make_pre_application_number(2026, 1234)
    assert n.startswith("YS202600001234") and len(n) == 15
    assert n[-1] == iso7064_mod11_2("202600001234")
    assert is_valid_pre_application_number(n)


def test_check_character_can_be_x():
    xs = [s for s in range(1, 200) if make_pre_application_number(2026, s).endswith("X")]
    assert xs
    n = make_pre_application_number(2026, xs[0])
    assert is_valid_pre_application_number(n.lower())


def test_normalization():
    n = make_pre_application_number(2026, 1234)
    fancy = " ｙｓ-2026 0000-1234 " + n[-1].lower()
    assert normalize_pre_application_number(fancy) == n
    assert is_valid_pre_application_number(fancy)


@pytest.mark.parametrize("bad", ["", "YS", "YS20260000123", "XS2026000012345", "YS2026000012345X", "YS20260000ABCD1"])
def test_malformed(bad):
    assert not is_valid_pre_application_number(bad)


@pytest.mark.parametrize("year, seq", [(999, 1), (10000, 1), (2026, 0), (2026, 100_000_000)])
def test_make_rejects_out_of_range(year, seq):
    with pytest.raises(ValueError):
        make_pre_application_number(year, seq)


@pytest.mark.parametrize("year, seq", SAMPLES)
def test_every_single_substitution_is_detected(year, seq):
    n = make_pre_application_number(year, seq)
    for i, ch in enumerate(n):
        for other in "0123456789XYS":
            if other != ch:
                assert not is_valid_pre_application_number(n[:i] + other + n[i + 1 :]), (i, other)


@pytest.mark.parametrize("year, seq", SAMPLES)
def test_every_adjacent_swap_is_detected(year, seq):
    n = make_pre_application_number(year, seq)
    for i in range(len(n) - 1):
        if n[i] != n[i + 1]:
            swapped = n[:i] + n[i + 1] + n[i] + n[i + 2 :]
            assert not is_valid_pre_application_number(swapped), i


@given(st.integers(1000, 9999), st.integers(1, 99_999_999))
def test_roundtrip(year, seq):
    n = make_pre_application_number(year, seq)
    assert is_valid_pre_application_number(n)
    assert normalize_pre_application_number(n) == n
    assert int(n[2:6]) == year and int(n[6:14]) == seq


def test_serial_number():
    assert make_serial_number(datetime(2026, 11, 27, 10, tzinfo=SH), 42) == "SZ20261127000042"
    # 2026-11-27 17:00 UTC is already 11-28 in Shanghai
    assert make_serial_number(datetime(2026, 11, 27, 17, tzinfo=timezone.utc), 1) == "SZ20261128000001"
    assert is_valid_serial_number("SZ20261127000042")
    assert not is_valid_serial_number("SZ20261131000042")
    assert not is_valid_serial_number("SZ20261127000000")
    with pytest.raises(ValueError):
        make_serial_number(datetime(2026, 11, 27, 10), 1)
    for seq in (0, 1_000_000):
        with pytest.raises(ValueError):
            make_serial_number(datetime(2026, 11, 27, 10, tzinfo=SH), seq)
