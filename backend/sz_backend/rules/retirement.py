"""Statutory retirement age after the 2025 reform.

NPC Standing Committee decision of 2024-09-13, in force 2025-01-01: the retirement
age rises by one month per k birth months from a first delayed birth month, up to
a cap. Which group a woman belongs to (50 for workers, 55 for cadres) is a field
of her record, never guessed here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import Enum


class RetirementGroup(str, Enum):
    MALE_60 = "male_60"
    FEMALE_55 = "female_55"
    FEMALE_50 = "female_50"


@dataclass(frozen=True)
class _DelayRule:
    original_age: int  # years
    start: tuple[int, int]  # first birth (year, month) whose retirement is delayed
    k: int  # one extra month of delay per k birth months
    cap: int  # maximum delay in months


_RULES: dict[RetirementGroup, _DelayRule] = {
    RetirementGroup.MALE_60: _DelayRule(60, (1965, 1), 4, 36),
    RetirementGroup.FEMALE_55: _DelayRule(55, (1970, 1), 4, 36),
    RetirementGroup.FEMALE_50: _DelayRule(50, (1975, 1), 2, 60),
}


def _check_month(year: int, month: int) -> None:
    if not 1 <= month <= 12:
        raise ValueError(f"month must be 1..12, got {month}")
    if year < 1:
        raise ValueError(f"year must be positive, got {year}")


def delay_months(birth_year: int, birth_month: int, group: RetirementGroup | str) -> int:
    """Months added to the original retirement age for this birth month."""
    _check_month(birth_year, birth_month)
    rule = _RULES[RetirementGroup(group)]
    n = (birth_year * 12 + birth_month) - (rule.start[0] * 12 + rule.start[1])
    return 0 if n < 0 else min(rule.cap, n // rule.k + 1)


def retirement_age_months(birth_year: int, birth_month: int, group: RetirementGroup | str) -> int:
    """Statutory retirement age in months (e.g. 63 years = 756)."""
    rule = _RULES[RetirementGroup(group)]
    return rule.original_age * 12 + delay_months(birth_year, birth_month, group)


def retirement_month(birth_year: int, birth_month: int, group: RetirementGroup | str) -> tuple[int, int]:
    """(year, month) in which the person reaches the statutory retirement age."""
    total = birth_year * 12 + (birth_month - 1) + retirement_age_months(birth_year, birth_month, group)
    return total // 12, total % 12 + 1


def minimum_contribution_months(retirement_year: int) -> int:
    """Minimum contribution for a monthly pension: 15 years up to 2029, then +6
    months a year until 20 years (from 2039)."""
    if retirement_year <= 2029:
        return 180
    return min(240, 180 + 6 * (retirement_year - 2029))


def age_in_years(birth: date, on: date) -> int:
    """Completed years (周岁) on a day; a 29 February birthday counts from 1 March
    in common years."""
    if on < birth:
        raise ValueError("the day is before the birth date")
    return on.year - birth.year - ((on.month, on.day) < (birth.month, birth.day))


def has_reached_retirement(birth: date, group: RetirementGroup | str, on: date) -> bool:
    """True from the first day of the retirement month on (the day of birth does
    not matter: the rule counts in months)."""
    return (on.year, on.month) >= retirement_month(birth.year, birth.month, group)
