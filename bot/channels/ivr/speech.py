"""Speech transcripts to text: spoken digits, the domain's homophones, phone numbers.

Why apart: a recogniser hears "四四零三" and "设保"; the assistant needs "4403" and
"社保". Why this homophone corrector and not the NLU's
(bot/components/normalizer.py ``correct_homophones``): the two do different jobs.
The NLU's is fuzzy (similar initials and finals, a 60-term lexicon) because it
only shapes the features the classifier sees; the message text, and the entity
values and answers the actions read from it, stay what was said. This one
rewrites the text itself (it is read back to the caller, "您是说……吗？", and sent
to Rasa), so it changes only exact-pinyin homophones of a short term list, and
it counts the terms a hypothesis holds to rank the n-best alternatives. Using
the NLU's here turned a caller's "五档" into "一档" (wu ~ yi under its fuzzy
rules), and grade 1 was submitted instead of 5 (tests/bot/test_repair_e2e.py).
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any, Dict, Tuple

# The small domain-term list for choosing among n-best alternatives (and fixing
# the commonest homophones of these terms). The NLU pipeline has its own, fuller
# normaliser; this one only has to pick the right hypothesis and read it back.
DOMAIN_TERMS: Tuple[str, ...] = (
    "社会保险",
    "养老保险",
    "医疗保险",
    "工伤保险",
    "失业保险",
    "生育保险",
    "灵活就业",
    "预申请",
    "社保",
    "医保",
    "停保",
    "参保",
    "退保",
    "养老",
    "工伤",
    "失业",
    "生育",
    "少儿",
    "居保",
    "趸缴",
    "延缴",
    "托收",
    "转出",
    "缴费",
    "缴纳",
    "保险",
    "停缴",
    "证明",
)
# Real words that sound like a term but are not it.
PROTECTED = {
    "工商",
    "事业",
    "实业",
    "视野",
    "生意",
    "剩余",
    "一包",
    "眼角",
    "言教",
    "举报",
    "脱手",
    "世业",
    "不交",
    "报销",
    "正名",
    "正明",
    "保鲜",
    "宝贝",
}

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


@lru_cache(maxsize=4096)
def _pinyin(ch: str) -> str:
    from pypinyin import Style, lazy_pinyin

    return lazy_pinyin(ch, style=Style.NORMAL)[0] if "\u4e00" <= ch <= "\u9fff" else ch


@lru_cache(maxsize=1)
def _term_keys() -> Dict[Tuple[str, ...], str]:
    return {tuple(_pinyin(c) for c in term): term for term in DOMAIN_TERMS}


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


def correct_terms(text: str) -> Tuple[str, int]:
    """Fix homophones of the domain terms; returns the text and how many terms it holds."""
    keys = _term_keys()
    chars = list(text)
    sounds = [_pinyin(c) for c in chars]
    i = 0
    while i < len(chars):
        for size in (4, 3, 2):
            if i + size > len(chars):
                continue
            window = "".join(chars[i : i + size])
            term = keys.get(tuple(sounds[i : i + size]))
            if term and window != term and window not in PROTECTED:
                chars[i : i + size] = list(term)
                i += size - 1
                break
        i += 1
    fixed = "".join(chars)
    hits = 0
    rest = fixed
    for term in sorted(DOMAIN_TERMS, key=len, reverse=True):
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
