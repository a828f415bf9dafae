"""Months, dates and years as people say them, relative to the bot's clock.

'上个月', '去年3月', '8月份', '3月上旬', '九三年', '3到8月', '93年到98年',
'last month', 'March 2025'. Chinese numerals are turned into digits first
(cn2an.transform), then a few patterns read the result. JioNLP's time parser
is tried only when these find nothing (it refuses '上个月', '8月份', '3到8月'
but reads '去年下半年'); the bench measures what it adds.
"""

from __future__ import annotations

import re
import warnings
from datetime import date, datetime
from functools import lru_cache
from typing import List, Optional, Sequence, Tuple

from . import numbers

USE_JIONLP_TIME = True  # the bench switches it off

_CN_D = "零〇一二三四五六七八九"
_EN_MONTHS = {
    m: i + 1 for i, m in enumerate(["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"])
}
_EN_MONTH_RE = (
    r"(?<![a-z])(january|february|march|april|may|june|july|august|september|october|november|december|"
    r"jan|feb|mar|apr|jun|jul|aug|sept|sep|oct|nov|dec)(?![a-z])\.?"
)
_REL_YEAR = {
    "今年": 0,
    "本年": 0,
    "去年": -1,
    "上一年": -1,
    "上年": -1,
    "前年": -2,
    "明年": 1,
    "this year": 0,
    "last year": -1,
}
_REL_MONTH = [
    ("上上个月", -2),
    ("上上月", -2),
    ("上个月", -1),
    ("上月", -1),
    ("前个月", -1),
    ("这个月", 0),
    ("本月", 0),
    ("当月", 0),
    ("这月", 0),
    ("下个月", 1),
    ("下月", 1),
    ("last month", -1),
    ("this month", 0),
    ("previous month", -1),
    ("next month", 1),
    ("the month before last", -2),
    ("month before last", -2),
]
_CONNECT = r"\s*(?:到|至|-|~|～|—|–|－|to|until|till|through)\s*"


def numeric(text: str) -> str:
    """Chinese numerals -> digits: '九三年到九八年' -> '93年到98年', '去年十二月份' -> '去年12月份'."""
    t = re.sub(f"([{_CN_D}]{{2,4}})(?=年)", lambda m: "".join(_digit(c) for c in m.group(1)), text)
    if numbers.USE_CN2AN:
        try:
            import cn2an

            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # it warns on '十十十' and keeps the text
                return cn2an.transform(t, "cn2an")
        except Exception:
            pass
    return re.sub(
        r"[零〇一二两三四五六七八九十]{1,3}(?=\s*(?:月|日|号|年|档|个月))",
        lambda m: str(numbers.cn_int(m.group()) if numbers.cn_int(m.group()) is not None else m.group()),
        t,
    )


def _digit(c: str) -> str:
    return "0" if c in "零〇" else str("一二三四五六七八九".index(c) + 1)


def _key(year: int, month: int) -> str:
    return f"{year:04d}-{month:02d}"


def _shift(today: datetime, delta: int) -> str:
    total = today.year * 12 + today.month - 1 + delta
    return _key(total // 12, total % 12 + 1)


def _default_year(month: int, today: datetime) -> int:
    """A month said without a year is the latest one not in the future."""
    return today.year if month <= today.month else today.year - 1


# a month mention: optional year part, the month number, 月; positions kept for ranges
_YEAR_PART = r"(?:(\d{4}|\d{2})\s*年|(今年|本年|去年|上一年|上年|前年|明年))?\s*(?:的)?\s*"
_MONTH_CN = re.compile(_YEAR_PART + r"(\d{1,2})\s*月(?:份)?")
_MONTH_ISO = re.compile(r"(?<!\d)(\d{4})\s*[-/.年]\s*(\d{1,2})(?![\d])(?!\s*[-/.]\s*\d)")
_MONTH_EN = re.compile(_EN_MONTH_RE + r"(?:\s*,?\s*(\d{4}))?", re.I)
_MONTH_EN_NUM = re.compile(r"(?<![\d/])(\d{1,2})\s*/\s*(\d{4})(?!\d)")


def month_mentions(text: str, today: datetime) -> List[Tuple[str, int, bool]]:
    """[(YYYY-MM, position, year_given)] for every month the text names."""
    t = numeric(text)
    low = t.lower()
    out: List[Tuple[str, int, bool]] = []
    taken: List[Tuple[int, int]] = []

    def add(key: str, start: int, end: int, year_given: bool) -> None:
        if any(s < end and start < e for s, e in taken):
            return
        taken.append((start, end))
        out.append((key, start, year_given))

    for m in _MONTH_ISO.finditer(t):
        y, mo = int(m.group(1)), int(m.group(2))
        if 1900 <= y <= today.year + 5 and 1 <= mo <= 12:
            add(_key(y, mo), m.start(), m.end(), True)
    for m in _MONTH_CN.finditer(t):
        mo = int(m.group(3))
        if not 1 <= mo <= 12:
            continue
        if re.match(r"\s*(?:个月|号|日)", t[m.end() :]) and not re.search(r"月", m.group(0)):
            continue
        if m.group(1):
            year = numbers.year_of(m.group(1), today.year)
            if year is None:
                continue
            add(_key(year, mo), m.start(), m.end(), True)
        elif m.group(2):
            add(_key(today.year + _REL_YEAR[m.group(2)], mo), m.start(), m.end(), True)
        else:
            add(_key(_default_year(mo, today), mo), m.start(3), m.end(), False)
    for m in _MONTH_EN.finditer(low):
        if (
            m.group(1) == "may"
            and not m.group(2)
            and not re.search(r"\b(in|of|since|from|to|until|last|this)\s+may\b", low)
        ):
            continue  # 'may' the verb
        mo = _EN_MONTHS[m.group(1)[:3]]
        if (
            not re.match(r"(?<![a-z])", low[max(0, m.start() - 1) : m.start() + 1])
            and m.start()
            and low[m.start() - 1].isalpha()
        ):
            continue
        if m.group(2):
            add(_key(int(m.group(2)), mo), m.start(), m.end(), True)
        else:
            rel = re.search(r"(last year|this year)\s*$", low[: m.start()]) or re.search(
                r"^\s*(?:of\s+)?(last year|this year)", low[m.end() :]
            )
            y = today.year + _REL_YEAR[rel.group(1)] if rel else _default_year(mo, today)
            add(_key(y, mo), m.start(), m.end(), bool(rel))
    for m in _MONTH_EN_NUM.finditer(t):
        mo, y = int(m.group(1)), int(m.group(2))
        if 1 <= mo <= 12:
            add(_key(y, mo), m.start(), m.end(), True)
    for word, delta in _REL_MONTH:
        for m in re.finditer(re.escape(word), low):
            add(_shift(today, delta), m.start(), m.end(), True)
    for m in re.finditer(r"(今年|去年|前年)?\s*(年初|年头|年底|年末|年尾)", t):
        y = today.year + (_REL_YEAR[m.group(1)] if m.group(1) else 0)
        add(_key(y, 1 if m.group(2) in ("年初", "年头") else 12), m.start(), m.end(), True)
    ago = re.search(r"(\d{1,2})\s*(?:个)?\s*月(?:以)?前|(\d{1,2}) months? ago", low)
    if ago:
        add(_shift(today, -int(ago.group(1) or ago.group(2))), ago.start(), ago.end(), True)
    return sorted(out, key=lambda p: p[1])


_RANGE_SHORT = re.compile(_YEAR_PART + r"(\d{1,2})\s*(?:月份?)?" + _CONNECT + r"(\d{1,2})\s*月")


def month_range(text: str, today: datetime) -> Optional[Tuple[str, str]]:
    """'3到8月' / '去年3月到今年2月' / '2024-03 to 2025-02' / '去年下半年' -> (from, to)."""
    t = numeric(text)
    m = _RANGE_SHORT.search(t)
    if m:
        a, b = int(m.group(3)), int(m.group(4))
        if 1 <= a <= 12 and 1 <= b <= 12:
            if m.group(1):
                y = numbers.year_of(m.group(1), today.year) or today.year
            elif m.group(2):
                y = today.year + _REL_YEAR[m.group(2)]
            else:
                y = _default_year(b, today)
            return (
                (_key(y if a <= b else y - 1, a), _key(y, b))
                if not (m.group(1) or m.group(2)) or a <= b
                else (_key(y, a), _key(y + 1, b))
            )
    found = month_mentions(text, today)
    if len(found) >= 2:
        (k1, p1, g1), (k2, p2, g2) = found[0], found[1]
        between = numeric(text)[p1:p2]
        if re.search(r"到|至|-|~|～|—|–|to|until|till|through", between.lower()) or "从" in t[: p1 + 1]:
            if not g2 and k2 < k1:  # '去年10月到2月': the second follows the first
                k2 = _key(int(k1[:4]) + (int(k2[5:]) < int(k1[5:])), int(k2[5:]))
            if not g1 and g2:  # 'from March to August 2025': the year of the second
                k1 = _key(int(k2[:4]) - (int(k1[5:]) > int(k2[5:])), int(k1[5:]))
            elif not g1 and k1 > k2:
                k1 = _key(int(k2[:4]) - 1, int(k1[5:]))
            return k1, k2
    if len(found) == 1 and re.search(
        _CONNECT + r"(?:现在|至今|目前|今天|当前|这个月|本月|now|today|present)", text[found[0][1] :].lower()
    ):
        return found[0][0], _shift(today, 0)  # '3月到现在'
    span = _jio_span(text, today)
    if span and span[0] != span[1]:
        return span
    return None


def nearest(candidates: List[Tuple[str, int]], text: str, near: Sequence[str]) -> Optional[str]:
    """Of several values, the one said closest to words of the field's label
    ('9月换了卡，10月扣款失败' -> 10月 for 扣款失败的月份); None when no label word is there."""
    spots = [m.start() for w in near for m in re.finditer(re.escape(w), text)]
    if not spots or not candidates:
        return None
    return min(candidates, key=lambda c: min(abs(c[1] - s) for s in spots))[0]


def month(text: str, today: datetime, near: Sequence[str] = ()) -> Optional[str]:
    found = month_mentions(text, today)
    if len(found) > 1 and near:
        best = nearest([(k, p) for k, p, _ in found], numeric(text), near)
        if best:
            return best
    if found:
        return found[-1][0] if re.search(r"(改成|换成|改为|调到|改到|应该是|to)\s*\S*$", text) else found[0][0]
    span = _jio_span(text, today)
    return span[0] if span and span[0] == span[1] else None


def full_date(text: str, today: datetime, near: Sequence[str] = ()) -> Optional[str]:
    """A calendar day: '2020年5月18日', '2020-05-18', '去年3月5号', 'May 18, 2020'; a month alone is not a day.
    Of several days, the one said next to words of the field's label (`near`), else the first."""
    t = numeric(text)
    found = full_dates(t, today)
    if len(found) > 1 and near:
        best = nearest(found, t, near)
        if best:
            return best
    return found[0][0] if found else None


def full_dates(t: str, today: datetime) -> List[Tuple[str, int]]:
    """Every calendar day in the (numeric) text, with its position, in order."""
    low = t.lower()
    candidates = []
    for m in re.finditer(r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*(?:日|号)?", t):
        candidates.append((int(m.group(1)), int(m.group(2)), int(m.group(3)), m.start()))
    for m in re.finditer(_YEAR_PART + r"(\d{1,2})\s*月\s*(\d{1,2})\s*(?:日|号)", t):
        if m.group(1):
            y = numbers.year_of(m.group(1), today.year)
        elif m.group(2):
            y = today.year + _REL_YEAR[m.group(2)]
        else:
            y = _default_year(int(m.group(3)), today)
        if y and not any(c[3] <= m.start(3) < c[3] + 12 for c in candidates):
            candidates.append((y, int(m.group(3)), int(m.group(4)), m.start()))
    for m in re.finditer(_EN_MONTH_RE + r"\s+(\d{1,2})(?:st|nd|rd|th)?\s*,?\s*(\d{4})", low):
        candidates.append((int(m.group(3)), _EN_MONTHS[m.group(1)[:3]], int(m.group(2)), m.start()))
    for m in re.finditer(r"(\d{1,2})(?:st|nd|rd|th)?\s+(?:of\s+)?" + _EN_MONTH_RE + r"\s*,?\s*(\d{4})", low):
        candidates.append((int(m.group(3)), _EN_MONTHS[m.group(2)[:3]], int(m.group(1)), m.start()))
    for m in re.finditer(r"(?<!\d)(\d{1,2})/(\d{1,2})/(\d{4})(?!\d)", t):
        a, b = int(m.group(1)), int(m.group(2))
        if a > 12 >= b:  # only the unambiguous day/month order
            candidates.append((int(m.group(3)), b, a, m.start()))
    for m in re.finditer(r"(上上个月|上个月|上月|这个月|本月)\s*(\d{1,2})\s*(?:日|号)", t):
        delta = {"上上个月": -2, "上个月": -1, "上月": -1}.get(m.group(1), 0)
        key = _shift(today, delta)
        candidates.append((int(key[:4]), int(key[5:]), int(m.group(2)), m.start()))
    for m in re.finditer(r"大前天|前天|昨天|今天|yesterday|today", low):
        back = {"大前天": 3, "前天": 2, "昨天": 1, "yesterday": 1}.get(m.group(), 0)
        day = today.date().toordinal() - back
        when = date.fromordinal(day)
        candidates.append((when.year, when.month, when.day, m.start()))
    out: List[Tuple[str, int]] = []
    for y, mo, d, pos in sorted(candidates, key=lambda c: c[3]):
        try:
            iso = date(y, mo, d).isoformat()
        except ValueError:
            continue
        if all(iso != o[0] for o in out):
            out.append((iso, pos))
    return out


def years(text: str, today: datetime) -> List[int]:
    """Calendar years in order: '93年到98年' -> [1993, 1998]; '九几年' -> []."""
    t = numeric(text)
    if numbers.vague_year(text) or numbers.vague_year(t):
        t = re.sub(r"\d?几年|几几年|\d0年代", "", t)
    found = numbers.years_in(t, today.year)
    low = t.lower()
    for m in re.finditer(r"(今年|去年|前年|this year|last year)(?!\s*\d{1,2}\s*月|的?\s*\d{1,2}\s*月)", low):
        # only as the end or start of a period ('干到前年', '去年离职'), not '今年55岁'
        if not (
            re.search(r"(到|至|从|自|until|to|since)\s*$", low[max(0, m.start() - 3) : m.start()])
            or re.match(r"\s*(开始|结束|为止|离职|退休|下岗|辞职|参加工作|进厂|出来)", low[m.end() : m.end() + 6])
        ):
            continue
        found.append((today.year + _REL_YEAR.get(m.group(1), -2 if m.group(1) == "前年" else 0), m.start()))
    return [y for y, _ in sorted(found, key=lambda p: p[1])]


# ---- JioNLP time parser (optional) ------------------------------------------------------
def _jio_span(text: str, today: datetime) -> Optional[Tuple[str, str]]:
    # only for the spans the patterns above do not read: JioNLP also takes '现在' or '几年' as a time
    if not USE_JIONLP_TIME or not re.search(r"半年|全年|整年|一整年|季度", text):
        return None
    parser = _jio_parser()
    if parser is None:
        return None
    base = {"year": today.year, "month": today.month, "day": today.day, "hour": 12, "minute": 0, "second": 0}
    try:
        found = parser(text, time_base=base, with_parsing=True)
    except Exception:
        return None
    for item in found or []:
        detail = item.get("detail") or {}
        if detail.get("type") not in ("time_point", "time_span"):
            continue
        start, end = detail["time"][0], detail["time"][1]
        if isinstance(start, str) and isinstance(end, str) and "inf" not in start + end:
            return start[:7], end[:7]
    return None


@lru_cache(maxsize=1)
def _jio_parser():
    try:
        from ._jio import jionlp

        return jionlp().ner.extract_time
    except Exception:
        return None
