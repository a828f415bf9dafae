"""Masking of personal numbers: the bot's one home for it, in the backend's format.

Why here and why this format: a number must look the same wherever a person or an
operator sees it (a chat reply, a stored conversation event, a log line, the
backend's own replies and audit log). The backend's ``sz_backend/rules/masking.py``
is the reference; ``mask_id_number``, ``mask_phone`` and ``mask_bank_account``
below give exactly its output for every input (tests/bot/test_masking_agreement.py
loads the backend module by file path and compares them), and
``bot/actions/common.py`` shows values through them. The backend cannot be
imported here (its own environment, Python 3.11, SQLAlchemy 2), so the three
short functions are kept identical instead of shared.

- resident ID number (18 characters, the last may be X, or the old 15 digits):
  first 4 and last 4 kept                       -> 4403**********123X
- bank account / card number (12-19 digits): last 4 kept -> ************7890
- mainland mobile number (11 digits 1[3-9]...): first 3 and last 4 -> 138****5678
- a person's name (``mask_name``): first character, and the last of 3+ -> 张*, 张*丰

``mask_text`` finds such numbers in free text (the tracker store: stored user and
bot events, bot/rasa_ext/tracker_store.py; ``MaskingFilter`` on a log handler).
Digits may be full-width or grouped by single spaces or hyphens
("6222 0212 3456 7890"); a run glued to letters or longer than 19 digits is not
a personal number (pre-application numbers such as YS2026000000034 stay). The
masked form has no separators. Pure: no dependencies beyond the standard library.
"""

from __future__ import annotations

import logging
import re
import unicodedata
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


# ---- the backend's format (sz_backend/rules/masking.py, kept identical) ---------------
_CLEAN_SEPARATORS = re.compile(r"[\s\-\u2010-\u2015\u2212\uff0d]+")


def _clean(value: Any) -> str:
    # NFKC so that full-width digits count as one character each, like ASCII ones.
    return _CLEAN_SEPARATORS.sub("", unicodedata.normalize("NFKC", str(value or "")))


def _keep(text: str, head: int, tail: int) -> str:
    hidden = len(text) - head - tail
    if hidden <= 0:
        return "*" * len(text)
    return text[:head] + "*" * hidden + text[len(text) - tail :]


def mask_id_number(value: Any) -> str:
    """Keep the first 4 and last 4 characters: 4403**********123X."""
    text = _clean(value).upper()
    return _keep(text, 4, 4) if len(text) > 8 else "*" * len(text)


def mask_phone(value: Any) -> str:
    """Mobile numbers keep 3 + 4 (138****5678); short numbers keep at most the last 2."""
    text = _clean(value)
    if len(text) >= 8:
        return _keep(text, 3, 4)
    return _keep(text, 0, 2) if len(text) > 4 else "*" * len(text)


def mask_bank_account(value: Any) -> str:
    """Keep the last 4 digits only: ************1234."""
    text = _clean(value)
    return _keep(text, 0, 4) if len(text) > 4 else "*" * len(text)


def mask_name(value: Any) -> str:
    """Keep the first character (and the last of 3+ characters): 张*, 张*三, 欧阳**锋."""
    text = str(value or "").strip()
    if len(text) <= 1:
        return "*" * len(text)
    if len(text) == 2:
        return text[0] + "*"
    return _keep(text, 1, 1)


# ---- personal numbers in free text -----------------------------------------------------


def mask_number(number: str) -> str:
    """The mask of one personal number (digits and X only), or the number unchanged
    when it is not one (wrong length)."""
    n = len(number)
    if number.endswith("X"):
        return mask_id_number(number) if n == 18 else number
    if n in (15, 18):  # resident ID (old / current)
        return mask_id_number(number)
    if 12 <= n <= 19:  # bank account / card
        return mask_bank_account(number)
    if n == 11 and _MOBILE.fullmatch(number):  # mobile phone
        return mask_phone(number)
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
