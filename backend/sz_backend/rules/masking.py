"""Masking of personal data wherever it is shown or logged.

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
