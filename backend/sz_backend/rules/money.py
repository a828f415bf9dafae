"""Money is an integer number of fen (分, 0.01 yuan) everywhere in the backend.

Floats never enter: 0.1 + 0.2 != 0.3 in binary, and a contribution off by one fen
is a wrong contribution. Conversions go through Decimal.
"""

from __future__ import annotations

import unicodedata
from decimal import ROUND_HALF_UP, Decimal, Inexact, InvalidOperation, localcontext

_HUNDRED = Decimal(100)
# Wide enough for any real amount; arithmetic beyond it raises instead of rounding.
_PRECISION = 60


def _require_int(value: object, name: str) -> int:
    # bool is an int subclass; True fen is certainly a bug.
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{name} must be an int number of fen, got {type(value).__name__}")
    return value


def fen_to_yuan_str(fen: int) -> str:
    """1234 -> "12.34", 123450 -> "1234.50", -5 -> "-0.05" (no thousands separator)."""
    fen = _require_int(fen, "fen")
    sign = "-" if fen < 0 else ""
    yuan, cents = divmod(abs(fen), 100)
    return f"{sign}{yuan}.{cents:02d}"


def _to_decimal(value: str | Decimal | int, name: str) -> Decimal:
    if isinstance(value, float):
        raise TypeError(f"{name} must not be a float; pass a str or Decimal")
    if isinstance(value, bool):
        raise TypeError(f"{name} must not be a bool")
    if isinstance(value, Decimal):
        d = value
    elif isinstance(value, int):
        d = Decimal(value)
    elif isinstance(value, str):
        text = unicodedata.normalize("NFKC", value).strip()  # full-width digits too
        try:
            d = Decimal(text)
        except InvalidOperation:
            raise ValueError(f"{name} is not a number: {value!r}") from None
    else:
        raise TypeError(f"{name} must be a str, Decimal or int, got {type(value).__name__}")
    if not d.is_finite():
        raise ValueError(f"{name} must be a finite number, got {value!r}")
    return d


def yuan_to_fen(value: str | Decimal | int) -> int:
    """ "1234.5" -> 123450. More than 2 decimal places (a fraction of a fen) raises
    ValueError; trailing zeros such as "1.230" are fine."""
    d = _to_decimal(value, "amount")
    with localcontext() as ctx:
        ctx.prec = _PRECISION
        ctx.traps[Inexact] = True  # never round an amount silently
        try:
            fen = d * _HUNDRED
        except Inexact:
            raise ValueError(f"amount is too large: {value!r}") from None
    if fen != fen.to_integral_value():
        raise ValueError(f"amount has more than 2 decimal places: {value!r}")
    return int(fen)


def percent_of(base_fen: int, rate: Decimal | str | int) -> int:
    """`rate` of `base_fen`, rounded half up to whole fen.

    `rate` is a FRACTION: Decimal("0.08") for 8%. A rate above 1 is refused
    (ValueError) because it is nearly always "8" meant as 8%.
    """
    base = _require_int(base_fen, "base_fen")
    r = _to_decimal(rate, "rate")
    if not 0 <= r <= 1:
        raise ValueError(f"rate must be a fraction between 0 and 1 (0.08 for 8%), got {rate!r}")
    with localcontext() as ctx:
        ctx.prec = _PRECISION
        return int((Decimal(base) * r).quantize(Decimal(1), rounding=ROUND_HALF_UP))
