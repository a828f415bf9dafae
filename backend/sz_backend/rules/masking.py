"""Masking of personal data wherever it is shown or logged: the one format.

This module is the only home of masking in the backend and the canonical format
for the whole project (issue 13): the bot's masking of numbers typed into the chat
(bot/masking.py) must produce exactly these strings, and its test loads this file
by path to compare both. Hence it stays pure: standard library only, no imports from
the package (tests/backend/rules/test_rules_masking.py checks that).

The format:

- resident ID number: first 4 and last 4 kept   4403**********123X  (15-digit: 4403*******1234)
- mobile phone (8+ digits): first 3 and last 4  138****5678
- bank account / card: last 4 kept             ************1234
- name: first character, and the last of 3+     张*, 张*丰, 欧**锋

Separators (spaces, hyphens, dashes) are dropped and full-width characters read as
ASCII (NFKC); the masked form has no separators; the ID check character is upper-case.
Each function accepts any string (or None) and never raises: a malformed value
must still be masked, never echoed in full. Input that is too short to keep any
part safely is masked completely.
"""

from __future__ import annotations

import re
import unicodedata

_SEPARATORS = re.compile(r"[\s\-\u2010-\u2015\u2212\uff0d]+")


def _clean(value: str | None) -> str:
    # NFKC so that full-width digits count as one character each, like ASCII ones.
    return _SEPARATORS.sub("", unicodedata.normalize("NFKC", value or ""))


def _keep(text: str, head: int, tail: int) -> str:
    hidden = len(text) - head - tail
    if hidden <= 0:
        return "*" * len(text)
    return text[:head] + "*" * hidden + text[len(text) - tail :]


def mask_id_number(value: str | None) -> str:
    """Keep the first 4 and last 4 characters: 4403**********123X."""
    text = _clean(value).upper()
    return _keep(text, 4, 4) if len(text) > 8 else "*" * len(text)


def mask_phone(value: str | None) -> str:
    """Mobile numbers keep 3 + 4 (138****5678); short numbers keep at most the last 2."""
    text = _clean(value)
    if len(text) >= 8:
        return _keep(text, 3, 4)
    return _keep(text, 0, 2) if len(text) > 4 else "*" * len(text)


def mask_bank_account(value: str | None) -> str:
    """Keep the last 4 digits only: ************1234."""
    text = _clean(value)
    return _keep(text, 0, 4) if len(text) > 4 else "*" * len(text)


def mask_name(value: str | None) -> str:
    """Keep the first character (and the last of 3+ characters): 张*, 张*三, 欧阳**锋."""
    text = (value or "").strip()
    if len(text) <= 1:
        return "*" * len(text)
    if len(text) == 2:
        return text[0] + "*"
    return _keep(text, 1, 1)


_ID_RUN = re.compile(r"(?<![0-9])(\d{17}[\dXx]|\d{15})(?![0-9])")
_PHONE_RUN = re.compile(r"(?<![0-9])1[3-9]\d{9}(?![0-9])")
_ACCOUNT_RUN = re.compile(r"(?<![0-9])\d{10,30}(?![0-9])")


def mask_text(text: str | None) -> str:
    """Free text with every run of digits that reads as an ID number (15 or 18 characters),
    a mobile number (1[3-9] + 9 digits) or an account number (10-30 digits) masked as above.

    Used on texts kept for analytics; runs must be plain digits (no separators)."""
    text = _ID_RUN.sub(lambda m: mask_id_number(m.group()), text or "")
    text = _PHONE_RUN.sub(lambda m: mask_phone(m.group()), text)
    return _ACCOUNT_RUN.sub(lambda m: mask_bank_account(m.group()), text)
