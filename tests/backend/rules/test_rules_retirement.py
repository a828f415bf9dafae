from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sz_backend.rules.retirement import (
    RetirementGroup,
    age_in_years,
    delay_months,
    has_reached_retirement,
    minimum_contribution_months,
    retirement_age_months,
    retirement_month,
)

M, F55, F50 = RetirementGroup.MALE_60, RetirementGroup.FEMALE_55, RetirementGroup.FEMALE_50


def test_enum_values():
    assert [g.value for g in RetirementGroup] == ["male_60", "female_55", "female_50"]
    assert retirement_month(1965, 1, "male_60") == (2025, 2)  # plain strings accepted


@pytest.mark.parametrize(
    "group, born, expected",
    [
        # rules.md vectors
        (M, (1965, 1), (2025, 2)),
        (M, (1965, 12), (2026, 3)),
        (F55, (1971, 4), (2026, 8)),
        (F50, (1995, 12), (2050, 12)),
        # before the reform starts: original ages
        (M, (1964, 12), (2024, 12)),
        (F55, (1969, 12), (2024, 12)),
        (F50, (1974, 12), (2024, 12)),
        # first delayed birth month of each group: +1 month
        (F55, (1970, 1), (2025, 2)),
        (F50, (1975, 1), (2025, 2)),
        (F50, (1975, 3), (2025, 5)),  # +1 month per 2 birth months: 1975-03 is +2
    ],
)
def test_retirement_month(group, born, expected):
    assert retirement_month(*born, group) == expected


@pytest.mark.parametrize(
    "group, first_capped, age_years",
    [
        (M, (1976, 9), 63),
        (F55, (1981, 9), 58),
        (F50, (1984, 11), 55),
    ],
)
def test_caps(group, first_capped, age_years):
    y, m = first_capped
    assert retirement_age_months(y, m, group) == age_years * 12
    assert retirement_month(y, m, group) == (y + age_years, m)
    # the month before is one month short of the cap
    py, pm = (y, m - 1) if m > 1 else (y - 1, 12)
    assert retirement_age_months(py, pm, group) == age_years * 12 - 1
    # and later births stay at the cap
    assert retirement_age_months(1990, 1, group) == age_years * 12
    assert retirement_month(1990, 1, group) == (1990 + age_years, 1)


def test_man_born_1990_retires_at_63():
    assert retirement_month(1990, 1, M) == (2053, 1)


def test_bad_month():
    for month in (0, 13):
        with pytest.raises(ValueError):
            retirement_month(1970, month, M)
    with pytest.raises(ValueError):
        retirement_month(1970, 1, "female_60")


@pytest.mark.parametrize(
    "year, months",
    [
        (2024, 180),
        (2029, 180),
        (2030, 186),
        (2031, 192),
        (2038, 234),
        (2039, 240),
        (2050, 240),
    ],
)
def test_minimum_contribution_months(year, months):
    assert minimum_contribution_months(year) == months


def test_age_in_years():
    born = date(1990, 6, 15)
    assert age_in_years(born, date(2008, 6, 14)) == 17
    assert age_in_years(born, date(2008, 6, 15)) == 18
    leap = date(2000, 2, 29)
    assert age_in_years(leap, date(2018, 2, 28)) == 17
    assert age_in_years(leap, date(2018, 3, 1)) == 18
    assert age_in_years(born, born) == 0
    with pytest.raises(ValueError):
        age_in_years(born, date(1990, 6, 14))


def test_has_reached_retirement_counts_from_the_first_day_of_the_month():
    born = date(1965, 1, 20)  # retires 2025-02
    assert not has_reached_retirement(born, M, date(2025, 1, 31))
    assert has_reached_retirement(born, M, date(2025, 2, 1))
    assert has_reached_retirement(born, M, date(2030, 1, 1))
    assert not has_reached_retirement(date(1971, 4, 30), "female_55", date(2026, 7, 31))
    assert has_reached_retirement(date(1971, 4, 30), "female_55", date(2026, 8, 1))


@given(st.sampled_from(list(RetirementGroup)), st.integers(1940, 2010), st.integers(1, 12))
def test_delay_is_bounded_and_monotonic(group, year, month):
    cap = {M: 36, F55: 36, F50: 60}[group]
    d = delay_months(year, month, group)
    assert 0 <= d <= cap
    ny, nm = (year, month + 1) if month < 12 else (year + 1, 1)
    # one birth month later never retires earlier, and the delay grows by at most 1
    assert 0 <= delay_months(ny, nm, group) - d <= 1
    assert retirement_month(ny, nm, group) > retirement_month(year, month, group)
