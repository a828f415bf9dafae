"""Numbers that identify: ID numbers, mobile numbers, bank accounts, pre-application numbers.

Spoken digits ('幺三八…', '叉') are read as digits; an 18-digit ID must carry
a matching check character.
"""

from __future__ import annotations

import re
from typing import Optional

from .numbers import digits_of

ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
ID_CHECK = "10X98765432"
PRE_APP_RE = re.compile(r"YS\d{12}[0-9X]")


def id_check_ok(number: str) -> bool:
    if len(number) != 18 or not number[:17].isdigit():
        return False
    total = sum(int(d) * w for d, w in zip(number[:17], ID_WEIGHTS, strict=True))
    return ID_CHECK[total % 11] == number[17]


def _compact(text: str) -> str:
    t = digits_of(text).upper().replace("叉", "X")
    return re.sub(r"(?<=[\dX])[\s\-–—.]+(?=[\dX])", "", t)


def id_number(text: str) -> Optional[str]:
    """An 18-digit ID with a valid check character, or a 15-digit one."""
    t = _compact(text)
    for m in re.finditer(r"(?<![0-9])(\d{17}[0-9X]|\d{15})(?![0-9X])", t):
        number = m.group(1)
        if len(number) == 15 or id_check_ok(number):
            return number
    return None


_CHILD = re.compile(r"(孩子|小孩|儿子|女儿|宝宝|娃|child|son|daughter|kid)[^，,。;；\d]{0,8}$", re.I)


def id_numbers(text: str) -> list:
    """Every valid ID number in the text with whether it is said to be a child's:
    '孩子的身份证是…，我的是…' -> [(child's, True), (mine, False)]."""
    t = _compact(text)
    out = []
    for m in re.finditer(r"(?<![0-9])(\d{17}[0-9X]|\d{15})(?![0-9X])", t):
        number = m.group(1)
        if len(number) == 15 or id_check_ok(number):
            out.append((number, bool(_CHILD.search(t[max(0, m.start() - 12) : m.start()]))))
    return out


def looks_like_id(text: str) -> bool:
    return bool(re.search(r"(?<![0-9])\d{17}[0-9X](?![0-9])", _compact(text)))


def phone(text: str) -> Optional[str]:
    t = _compact(text)
    t = re.sub(r"(?:\+|00)?86(?=1\d{10}(?!\d))", "", t)
    m = re.search(r"(?<!\d)1[3-9]\d{9}(?!\d)", t)
    return m.group() if m else None


def account(text: str) -> Optional[str]:
    """A bank account: 10 to 30 digits that are neither an ID number nor a mobile number."""
    t = _compact(text)
    for m in re.finditer(r"(?<![0-9X])(\d{10,30})(?![0-9X])", t):
        digits = m.group(1)
        if (len(digits) == 18 and id_check_ok(digits)) or re.fullmatch(r"1[3-9]\d{9}", digits):
            continue
        return digits
    return None


def pre_application(text: str) -> Optional[str]:
    m = PRE_APP_RE.search(_compact(text))
    return m.group() if m else None
