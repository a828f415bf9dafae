"""Masking of personal numbers typed into the chat (pure, no dependencies).

One pattern for the tracker store (bot/rasa_ext/tracker_store.py: stored user and
bot events) and for log lines (``mask_text`` on anything a person typed, or
``MaskingFilter`` on a handler). What counts as a personal number:

- a resident ID number: 18 characters (17 digits and a digit or X check
  character) or the old 15 digits          -> first 6 and last 4 kept: 440304********123X
- a bank account / card number: 12-19 digits -> last 4 kept:            ************7890
- a mainland mobile number: 11 digits 1[3-9]... -> first 3 and last 4:  138****5678

Digits may be full-width or grouped by single spaces or hyphens
("6222 0212 3456 7890"); a run glued to letters or longer than 19 digits is not
a personal number (pre-application numbers such as YS2026000000034 stay). The
masked form has no separators.
"""

from __future__ import annotations

import logging
import re
from typing import Any

_ALNUM = r"A-Za-z0-9\uff10-\uff19\uff21-\uff3a\uff41-\uff5a"
# 11 to 19 digits, single spaces / hyphens between them, an optional X check character
NUMBER_RUN = re.compile(
    rf"(?<![{_ALNUM}])\d(?:[ \-\u2010-\u2015\uff0d]?\d){{10,18}}(?:[ \-]?[Xx\uff38\uff58])?(?![{_ALNUM}])"
)
_SEPARATORS = re.compile(r"[ \-\u2010-\u2015\uff0d]")
_FULL_WIDTH = str.maketrans("０１２３４５６７８９Ｘｘ", "0123456789XX")
_MOBILE = re.compile(r"1[3-9]\d{9}")


def _digits(run: str) -> str:
    return _SEPARATORS.sub("", run).translate(_FULL_WIDTH).upper()


def mask_number(number: str) -> str:
    """The mask of one personal number (digits and X only), or the number unchanged
    when it is not one (wrong length)."""
    n = len(number)
    if number.endswith("X"):
        return number[:6] + "*" * 8 + number[-4:] if n == 18 else number
    if n in (15, 18):  # resident ID (old / current)
        return number[:6] + "*" * (n - 10) + number[-4:]
    if 12 <= n <= 19:  # bank account / card
        return "*" * (n - 4) + number[-4:]
    if n == 11 and _MOBILE.fullmatch(number):  # mobile phone
        return number[:3] + "****" + number[-4:]
    return number


def _replace(match: "re.Match[str]") -> str:
    run = match.group(0)
    masked = mask_number(_digits(run))
    return run if masked == _digits(run) else masked


def mask_text(text: Any) -> Any:
    """`text` with every personal number masked (non-strings returned unchanged)."""
    if not isinstance(text, str) or len(text) < 11:
        return text
    return NUMBER_RUN.sub(_replace, text)


def contains_personal_number(value: Any) -> bool:
    """True when `value` (a string, or dicts / lists of them) holds a personal number."""
    if isinstance(value, str):
        return mask_text(value) != value
    if isinstance(value, dict):
        return any(contains_personal_number(v) for v in value.values())
    if isinstance(value, (list, tuple)):
        return any(contains_personal_number(v) for v in value)
    return False


def mask_value(value: Any) -> Any:
    """A copy of `value` (strings, dicts, lists) with every personal number masked."""
    if isinstance(value, str):
        return mask_text(value)
    if isinstance(value, dict):
        return {k: mask_value(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [mask_value(v) for v in value]
    return value


class MaskingFilter(logging.Filter):
    """Logging filter that masks personal numbers in the formatted message of a record
    (add it to a handler: `handler.addFilter(MaskingFilter())`)."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a broken format string: leave it to the handler
            return True
        masked = mask_text(message)
        if masked != message:
            record.msg, record.args = masked, None
        return True
