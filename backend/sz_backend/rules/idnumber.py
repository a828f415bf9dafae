"""Resident ID numbers (GB 11643-1999, and 15-digit GB 11643-1989 numbers).

18 characters: 6-digit address code + birth date YYYYMMDD + 3-digit sequence
(odd = male, even = female) + 1 check character (ISO 7064 MOD 11-2).
15 digits (old numbers): address code + YYMMDD + 3-digit sequence, no check.

The address code is fixed when the number is issued: it says nothing about the
person's hukou today, so nothing here derives hukou from it.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sz_backend.errors import BusinessError, invalid, refused

_TZ = ZoneInfo("Asia/Shanghai")

# Weights of GB 11643-1999 for positions 1..17 (rules.md). They are 2**(18-i) mod 11,
# i.e. exactly what iso7064_mod11_2 derives for a 17-digit string; a test checks that.
ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)

# Sequences 996-999 in 15-digit numbers were special codes for centenarians
# (1989 standard): their century is not 19xx, so they go to manual handling.
CENTENARIAN_SEQUENCES = frozenset({"996", "997", "998", "999"})

# The oldest plausible birth year: the standard's own test vector is born in 1880.
MIN_BIRTH_YEAR = 1800

# Every error code this module raises (all share the ID_NUMBER_ / ID_UPGRADE_ prefix).
ID_NUMBER_ERROR_CODES = frozenset({"ID_NUMBER_LENGTH", "ID_NUMBER_FORMAT", "ID_NUMBER_BIRTH_DATE", "ID_NUMBER_CHECK"})

_FIELD = "id_number"
# Users paste numbers with spaces or dashes of any kind; none of them are meaningful.
_SEPARATORS = re.compile(r"[\s\-\u2010-\u2015\u2212\u30fc\uff0d]+")
_RE_18 = re.compile(r"\d{17}[\dX]")
_RE_DIGITS = re.compile(r"\d+")


@dataclass(frozen=True)
class IdInfo:
    address_code: str
    birth_date: date
    gender: str  # 'M' or 'F'
    length: int  # 15 or 18
    # True for a 15-digit number with sequence 996-999 (centenarian code): the birth
    # century is then read as 18xx, an interpretation to confirm at a window.
    centenarian_code: bool = False


def normalize(raw: str) -> str:
    """Full-width -> ASCII (NFKC), drop spaces and dashes, lowercase x -> X."""
    text = unicodedata.normalize("NFKC", raw or "")
    return _SEPARATORS.sub("", text).upper()


def iso7064_mod11_2(digits: str) -> str:
    """ISO 7064 MOD 11-2 check character for a string of ASCII digits.

    The digit at distance k from the (future) check position has weight 2**k mod 11;
    the check character c makes sum + c == 1 (mod 11), 10 is written 'X'. Being a
    prime modulus with non-zero weights, it catches every single wrong digit and
    every swap of two adjacent different digits.
    """
    if not digits or not digits.isascii() or not digits.isdigit():
        raise ValueError("iso7064_mod11_2 needs a non-empty string of ASCII digits")
    n = len(digits)
    total = sum(int(ch) * pow(2, n - i, 11) for i, ch in enumerate(digits))
    value = (12 - total % 11) % 11
    return "X" if value == 10 else str(value)


def check_character(first17: str) -> str:
    """Check character of an 18-character ID number from its first 17 digits."""
    if len(first17) != 17:
        raise ValueError("check_character needs exactly 17 digits")
    return iso7064_mod11_2(first17)


def _today(today: date | None) -> date:
    return today if today is not None else datetime.now(_TZ).date()


def _length_error(n: int, expected: int) -> BusinessError:
    if expected == 18 and n == 15:
        return invalid(
            "ID_NUMBER_LENGTH",
            "这是15位的旧身份证号码，这里需要18位号码。",
            "This is an old 15-digit ID number; an 18-character number is needed here.",
            field=_FIELD,
            fix_zh="请输入18位身份证号码；如社保记录中仍是15位号码，请办理“身份证号正常升位”。",
            fix_en="Enter the 18-character ID number; if your record still has the "
            "15-digit number, use the 'ID number upgrade' service.",
        )
    return invalid(
        "ID_NUMBER_LENGTH",
        f"身份证号码应为{expected}位，您输入的是{n}位。",
        f"The ID number must have {expected} characters; {n} were entered.",
        field=_FIELD,
        fix_zh="请对照身份证重新输入完整号码。",
        fix_en="Re-enter the full number as printed on the ID card.",
    )


def _birth_date(yyyymmdd: str, today: date) -> date:
    """The birth date; raises ID_NUMBER_BIRTH_DATE if impossible or in the future."""
    fix_zh = "请核对第7至14位（出生日期）是否输错。"
    fix_en = "Check digits 7 to 14 (the birth date) for a typo."
    try:
        born = date(int(yyyymmdd[:4]), int(yyyymmdd[4:6]), int(yyyymmdd[6:8]))
    except ValueError:
        born = None
    if born is None or born.year < MIN_BIRTH_YEAR:
        raise invalid(
            "ID_NUMBER_BIRTH_DATE",
            "身份证号码中的出生日期不是有效日期。",
            "The birth date inside the ID number is not a valid date.",
            field=_FIELD,
            fix_zh=fix_zh,
            fix_en=fix_en,
        )
    if born > today:
        raise invalid(
            "ID_NUMBER_BIRTH_DATE",
            "身份证号码中的出生日期晚于今天。",
            "The birth date inside the ID number is in the future.",
            field=_FIELD,
            fix_zh=fix_zh,
            fix_en=fix_en,
        )
    return born


def validate(raw: str, *, today: date | None = None) -> str:
    """Return the normalised 18-character number or raise a BusinessError (422).

    Codes: ID_NUMBER_LENGTH, ID_NUMBER_FORMAT, ID_NUMBER_BIRTH_DATE, ID_NUMBER_CHECK.
    """
    number = normalize(raw)
    if len(number) != 18:
        raise _length_error(len(number), 18)
    if not _RE_18.fullmatch(number) or not number.isascii():
        raise invalid(
            "ID_NUMBER_FORMAT",
            "身份证号码前17位应为数字，最后一位为数字或字母X。",
            "The first 17 characters of the ID number must be digits and the last a digit or the letter X.",
            field=_FIELD,
            fix_zh="请检查是否混入了字母或其他符号。",
            fix_en="Check for letters or other symbols typed by mistake.",
        )
    _birth_date(number[6:14], _today(today))
    if check_character(number[:17]) != number[17]:
        # Never say which character would be right: that would help forge numbers
        # and would hide a typo elsewhere in the first 17 digits.
        raise invalid(
            "ID_NUMBER_CHECK",
            "身份证号码最后一位（校验码）与前17位不符，号码中可能有输错的数字。",
            "The last character of the ID number (the check character) does not "
            "match the first 17 digits; a digit may have been mistyped.",
            field=_FIELD,
            fix_zh="请对照身份证逐位核对后重新输入。",
            fix_en="Compare the number with the ID card digit by digit and re-enter it.",
        )
    return number


def _century_15(id15: str) -> str:
    return "18" if id15[12:15] in CENTENARIAN_SEQUENCES else "19"


def validate_15(raw: str, *, today: date | None = None) -> str:
    """Return the normalised 15-digit number or raise a BusinessError (422).

    Codes: ID_NUMBER_LENGTH, ID_NUMBER_FORMAT, ID_NUMBER_BIRTH_DATE (no check digit
    exists in 15-digit numbers).
    """
    number = normalize(raw)
    if len(number) != 15:
        raise _length_error(len(number), 15)
    if not (number.isascii() and _RE_DIGITS.fullmatch(number)):
        raise invalid(
            "ID_NUMBER_FORMAT",
            "15位身份证号码应全部为数字。",
            "A 15-digit ID number must contain digits only.",
            field=_FIELD,
            fix_zh="请检查是否混入了字母或其他符号。",
            fix_en="Check for letters or other symbols typed by mistake.",
        )
    _birth_date(_century_15(number) + number[6:12], _today(today))
    return number


def upgrade_15_to_18(id15: str, *, today: date | None = None) -> str:
    """身份证号正常升位: insert "19" after the address code, append the check char.

    Sequences 996-999 (centenarian codes) are refused with ID_UPGRADE_MANUAL: their
    birth century is not 19xx, so a person at a window has to decide.
    """
    number = validate_15(id15, today=today)
    if number[12:15] in CENTENARIAN_SEQUENCES:
        raise refused(
            "ID_UPGRADE_MANUAL",
            "该15位身份证号码使用了特殊顺序码（996-999），不能在网上自动升位。",
            "This 15-digit ID number uses a special sequence code (996-999) and "
            "cannot be upgraded online automatically.",
            fix_zh="请在网上提交预申请，打印申请表并携带身份证和户口簿到社保窗口办理。",
            fix_en="Submit a pre-application online, print the form and bring your ID "
            "card and household register to a social insurance service window.",
        )
    first17 = number[:6] + "19" + number[6:]
    return first17 + check_character(first17)


def parse(id_number: str, *, today: date | None = None) -> IdInfo:
    """Validate a 15- or 18-character number and split it into its parts."""
    number = normalize(id_number)
    if len(number) == 15:
        number = validate_15(number, today=today)
        century = _century_15(number)
        birth = number[6:12]
        sequence = number[12:15]
        return IdInfo(
            address_code=number[:6],
            birth_date=date(int(century + birth[:2]), int(birth[2:4]), int(birth[4:6])),
            gender="M" if int(sequence[2]) % 2 else "F",
            length=15,
            centenarian_code=sequence in CENTENARIAN_SEQUENCES,
        )
    number = validate(number, today=today)
    return IdInfo(
        address_code=number[:6],
        birth_date=date(int(number[6:10]), int(number[10:12]), int(number[12:14])),
        gender="M" if int(number[16]) % 2 else "F",
        length=18,
    )
