"""Numbers as people say them: Chinese numerals (cn2an), years and counts.

'十五' -> 15, '九三年' -> 1993, '差三年' -> 3, '十来年' -> 10 (an approximate count
is taken at its round figure), '九几年' -> nothing (a vague year is not a value).
"""

from __future__ import annotations

import re
from typing import List, Optional, Tuple

USE_CN2AN = True  # the bench switches it off to measure what cn2an adds

_DIGIT = {
    "零": 0,
    "〇": 0,
    "o": 0,
    "O": 0,
    "一": 1,
    "幺": 1,
    "二": 2,
    "两": 2,
    "三": 3,
    "四": 4,
    "五": 5,
    "六": 6,
    "七": 7,
    "八": 8,
    "九": 9,
}
CN_NUM = "零〇一二两三四五六七八九十百千万幺"
_EN_NUM = {
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
    "fifteen": 15,
    "twenty": 20,
    "first": 1,
    "second": 2,
    "third": 3,
    "fourth": 4,
    "fifth": 5,
    "a": 1,
    "an": 1,
}


def _simple_cn(text: str) -> Optional[int]:
    """Hand reading of small numerals (used when cn2an is off or refuses)."""
    if not text or any(c not in _DIGIT and c != "十" for c in text):
        return None
    if "十" in text:
        head, _, tail = text.partition("十")
        if len(head) > 1 or len(tail) > 1:
            return None
        return (_DIGIT[head] if head else 1) * 10 + (_DIGIT[tail] if tail else 0)
    if len(text) == 1:
        return _DIGIT[text]
    return int("".join(str(_DIGIT[c]) for c in text))  # digit by digit: 九三 -> 93


def cn_int(text: str) -> Optional[int]:
    """'15' / '十五' / '二十' / '一九九三' / 'three' -> int."""
    t = text.strip()
    if re.fullmatch(r"\d{1,6}", t):
        return int(t)
    if t.lower() in _EN_NUM and t.lower() not in ("a", "an"):
        return _EN_NUM[t.lower()]
    if not t or any(c not in CN_NUM for c in t):
        return None
    if USE_CN2AN and not re.fullmatch(r"[零〇一二两三四五六七八九幺]{2,}", t):
        try:
            import cn2an

            return int(cn2an.cn2an(t.replace("幺", "一"), "smart"))
        except Exception:
            pass
    return _simple_cn(t)


def digits_of(text: str) -> str:
    """Spoken digits to digits: '一三八零零一三八零零零' -> '13800138000' (IVR transcripts)."""
    out = []
    for c in text:
        out.append(str(_DIGIT[c]) if c in _DIGIT and c not in "oO" else c)
    return "".join(out)


def year_of(token: str, today_year: int) -> Optional[int]:
    """'1993' / '93' / '九三' / '一九九三' / '零五' -> a four-digit year, or None."""
    t = token.strip()
    if not re.fullmatch(r"\d{2}|\d{4}", t):
        if not t or any(c not in _DIGIT for c in t):
            return None
        t = "".join(str(_DIGIT[c]) for c in t)
    if len(t) == 4:
        y = int(t)
        return y if 1900 <= y <= today_year + 5 else None
    if len(t) == 2:
        yy = int(t)
        return 2000 + yy if 2000 + yy <= today_year + 1 else 1900 + yy
    return None


_YEAR_TOKEN = r"(\d{4}|\d{2}|[一二三四五六七八九零〇]{4}|[一二三四五六七八九零〇]{2})"
_YEAR = re.compile(r"(?<![\d一二三四五六七八九零〇十几])" + _YEAR_TOKEN + r"\s*年(?!代|级|底|初|中)")
_VAGUE_YEAR = re.compile(
    r"[一二三四五六七八九零〇\d]几年|几几年|[一二三四五六七八九零\d]0年代|[一二三四五六七八九]十年代|多少年"
)


def years_in(text: str, today_year: int) -> List[Tuple[int, int]]:
    """Every calendar year said in the text, with its position: '93年到98年' -> [(1993, 0), (1998, 4)]."""
    out = []
    for m in _YEAR.finditer(text):
        y = year_of(m.group(1), today_year)
        if y is not None:
            out.append((y, m.start()))
    for m in re.finditer(r"(?<!\d)(19\d{2}|20\d{2})(?!\d|\s*年|\s*[-/.]\s*\d)", text):
        y = int(m.group(1))
        if y <= today_year + 5:
            out.append((y, m.start()))
    for m in re.finditer(r"\b(?:in|since|from|to|until|till)\s+'?(\d{2})\b", text, re.I):
        y = year_of(m.group(1), today_year)
        if y is not None and not any(p == m.start(1) for _, p in out):
            out.append((y, m.start(1)))
    return sorted(out, key=lambda p: p[1])


def vague_count(text: str) -> bool:
    """'一两年', '七八年', '三五年': a count said as a rough pair of numbers."""
    return bool(re.search(r"(一两|两三|三四|四五|五六|六七|七八|八九|三五|一二|二三)\s*(个)?\s*(年|来年)", text))


def vague_year(text: str) -> bool:
    return bool(_VAGUE_YEAR.search(text))


_COUNT = re.compile(
    r"((?<!\d)\d{1,3}|[零一二两三四五六七八九十百]{1,4}|(?<![a-z])(?:one|two|three|four|five|six|seven|eight|"
    r"nine|ten|eleven|twelve|fifteen|twenty|a|an)(?![a-z]))\s*(来|多|几)?\s*(个)?\s*(年|years?\b)",
    re.I,
)


def count_of_years(text: str) -> Optional[int]:
    """'差三年' -> 3, '十来年' -> 10, '补缴5年' -> 5, 'three years' -> 3; a calendar year is not a count.
    Of several counts, the one said with 差/补/缺 ('交了12年，还差3年' -> 3)."""
    found = []
    for m in _COUNT.finditer(text):
        raw = m.group(1)
        if re.fullmatch(r"\d{2,3}", raw) and not m.group(2) and not m.group(3) and int(raw) > 30:
            continue  # '93年' is a year
        if re.fullmatch(r"[零一二两三四五六七八九]{2,}", raw):
            continue  # '五六年', '七八年': five or six, not fifty-six
        if text[m.end() : m.end() + 1] == "半":
            continue  # '一年半' is not a whole number of years
        before, after = text[max(0, m.start() - 4) : m.start()], text[m.end() : m.end() + 3]
        if re.search(
            r"(够|满|足|交了|缴了|交满|缴满|一共|总共|已经交|工作了|干了|paid|for)\s*$", before, re.I
        ) or re.match(r"\s*(交多少|缴多少|多少钱|交|缴)", after):
            continue  # '没交够15年', '交了20年', '一年交多少钱': not the years to back-pay
        n = cn_int(raw) if raw.lower() not in ("a", "an") else 1
        if n is not None and 0 < n <= 60:
            found.append((n, m.start()))
    if not found:
        return None
    wanted = [
        n
        for n, pos in found
        if re.search(
            r"(差|补缴|补交|补|缺|还要|再交|再缴|short|back|missing)\S{0,3}$", text[max(0, pos - 6) : pos], re.I
        )
    ]
    return wanted[0] if wanted else found[0][0]


def first_number(text: str) -> Optional[int]:
    m = re.search(r"\d{1,4}", text)
    if m:
        return int(m.group())
    m = re.search(r"[零〇一二两三四五六七八九十]+", text)
    return cn_int(m.group()) if m else None
