"""Speech transcripts to text: spoken digits, the domain's homophones, phone numbers.

Why apart: a recogniser hears "四四零三" and "设保"; the assistant needs "4403" and
"社保". The homophone correction is the NLU's own (bot/components/normalizer.py),
so the hypothesis read back to a caller is the text the NLU understands.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any, Tuple

from bot.components import normalizer

_DIGIT = {
    "零": "0",
    "〇": "0",
    "洞": "0",
    "一": "1",
    "幺": "1",
    "二": "2",
    "两": "2",
    "三": "3",
    "四": "4",
    "五": "5",
    "六": "6",
    "七": "7",
    "八": "8",
    "九": "9",
}
_DIGIT_RUN = re.compile(
    r"(?<![十百千万亿])[零〇洞一幺二两三四五六七八九0-9]{3,}(?:[叉差xX](?![A-Za-z]))?(?![十百千万亿])"
)
_UNIT_NUMBER = re.compile(
    r"(?<![零〇一二两三四五六七八九十百千万亿])[一二两三四五六七八九十][零一二两三四五六七八九十百千万]+"
)
_SPOKEN_X = re.compile(r"(?<=\d)\s*[叉差xX](?![A-Za-z])")


def normalise_digits(text: str) -> str:
    """Spoken digit strings to digits (四四零三 -> 4403, 幺 -> 1, 叉 -> X after
    digits); amounts with units through cn2an (三百元 -> 300元)."""

    def run(m: "re.Match[str]") -> str:
        value = "".join(_DIGIT.get(ch, ch) for ch in m.group(0))
        return value[:-1] + "X" if value[-1] in "叉差xX" else value

    text = _DIGIT_RUN.sub(run, text)

    def units(m: "re.Match[str]") -> str:
        expr = m.group(0)
        if len(expr) < 2 or not re.search("[十百千万]", expr):
            return expr
        try:
            import cn2an

            return str(cn2an.cn2an(expr.replace("两", "二"), "smart"))
        except Exception:  # not a number after all (十二三个): leave it
            return expr

    text = _UNIT_NUMBER.sub(units, text)
    return _SPOKEN_X.sub("X", text)


@lru_cache(maxsize=1)
def _terms_longest_first() -> Tuple[str, ...]:
    return tuple(sorted(normalizer.lexicon().terms, key=len, reverse=True))


def correct_terms(text: str) -> Tuple[str, int]:
    """Fix homophones of the domain terms; returns the text and how many terms it holds.

    The correction is the NLU's own (``bot.components.normalizer.correct_homophones``, the
    lexicon in bot/components/domain_terms.txt), so the hypothesis read back to the caller and
    scored here is the text the NLU understands; the count ranks n-best alternatives."""
    fixed = normalizer.correct_homophones(text)
    hits = 0
    rest = fixed
    for term in _terms_longest_first():
        if term in rest:
            hits += rest.count(term)
            rest = rest.replace(term, "\u3000")
    return fixed, hits


def normalise_transcript(text: str) -> str:
    text = re.sub(r"\s+", " ", (text or "").strip())
    text, _ = correct_terms(normalise_digits(text))
    return text


def spoken_code(text: str) -> str:
    """What a caller said or keyed as an ID tail: digits and X only."""
    value = normalise_digits(text or "").upper().replace("*", "X")
    return re.sub(r"[^0-9X]", "", value)


def normalise_phone(value: Any) -> str:
    digits = re.sub(r"[^\d+]", "", str(value or ""))
    if digits.startswith("+86"):
        digits = digits[3:]
    elif digits.startswith("0086"):
        digits = digits[4:]
    elif digits.startswith("86") and len(digits) == 13:
        digits = digits[2:]
    return digits.lstrip("+")
