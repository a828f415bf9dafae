from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sz_backend.rules.money import fen_to_yuan_str, percent_of, yuan_to_fen


@pytest.mark.parametrize(
    "fen, text",
    [
        (0, "0.00"),
        (5, "0.05"),
        (50, "0.50"),
        (123450, "1234.50"),
        (100, "1.00"),
        (-5, "-0.05"),
        (-123456, "-1234.56"),
    ],
)
def test_fen_to_yuan_str(fen, text):
    assert fen_to_yuan_str(fen) == text


def test_fen_to_yuan_str_rejects_non_int():
    for bad in (1.5, Decimal("1"), "1", True):
        with pytest.raises(TypeError):
            fen_to_yuan_str(bad)


@pytest.mark.parametrize(
    "value, fen",
    [
        ("1234.5", 123450),
        ("1234.50", 123450),
        ("0.01", 1),
        (" 12 ", 1200),
        ("１２.３", 1230),
        ("1.230", 123),
        ("-3.5", -350),
        (Decimal("99.99"), 9999),
        (7, 700),
        ("1E+2", 10000),
    ],
)
def test_yuan_to_fen(value, fen):
    assert yuan_to_fen(value) == fen


@pytest.mark.parametrize(
    "bad", ["0.001", "1.005", "abc", "", "NaN", "Infinity", "1,234.00", Decimal("0.125"), "1" * 70 + ".01"]
)
def test_yuan_to_fen_rejects(bad):
    with pytest.raises(ValueError):
        yuan_to_fen(bad)


def test_yuan_to_fen_rejects_floats_and_other_types():
    for bad in (0.1, 1.0, True, None, [1]):
        with pytest.raises(TypeError):
            yuan_to_fen(bad)


@pytest.mark.parametrize(
    "base, rate, fen",
    [
        (1000, Decimal("0.08"), 80),
        (1006, Decimal("0.08"), 80),  # 80.48 -> 80
        (1000625, Decimal("0.08"), 80050),  # 80050.00
        (1001, Decimal("0.005"), 5),  # 5.005 -> 5
        (100, Decimal("0.005"), 1),  # 0.5 -> 1 (half up)
        (300, Decimal("0.005"), 2),  # 1.5 -> 2 (half up, not to even)
        (500, Decimal("0.005"), 3),  # 2.5 -> 3 (half up, not to even)
        (-100, Decimal("0.005"), -1),  # half away from zero
        (12345, "0.1", 1235),
        (12345, 1, 12345),
        (12345, 0, 0),
    ],
)
def test_percent_of(base, rate, fen):
    assert percent_of(base, rate) == fen


def test_percent_of_rejects():
    with pytest.raises(TypeError):
        percent_of(1000, 0.08)
    with pytest.raises(TypeError):
        percent_of(1000.0, Decimal("0.08"))
    for bad in (Decimal("8"), Decimal("-0.01")):
        with pytest.raises(ValueError):
            percent_of(1000, bad)


@given(st.integers(-(10**15), 10**15))
def test_roundtrip(fen):
    assert yuan_to_fen(fen_to_yuan_str(fen)) == fen


@given(st.decimals(min_value=0, max_value=10**9, places=2, allow_nan=False, allow_infinity=False))
def test_decimal_roundtrip(amount):
    assert Decimal(fen_to_yuan_str(yuan_to_fen(amount))) == amount
