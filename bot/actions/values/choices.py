"""Values chosen from a list: tiers and grades, banks, yes/no, relations, hukou
categories, and any field whose catalogue schema lists allowed values.

The list and its aliases come from the backend's schema (GET /catalogue,
`schema.allowed`); the words below are only how people SAY a choice
('最便宜的那档', '顶格', '由一档调到二档', '招行', '我是他妈妈', '深户').
"""

from __future__ import annotations

import re
from typing import Any, Dict, List, Optional, Sequence, Tuple, cast

from . import dates, numbers
from .text import is_non_answer, is_question, is_sentence

# ---- the schema's allowed values -----------------------------------------------------------


def allowed(spec: Dict[str, Any]) -> List[Dict[str, Any]]:
    schema = spec.get("schema") or {}
    items = schema.get("allowed")
    if items:
        return [a if isinstance(a, dict) else {"value": a} for a in items]
    # catalog.yml read directly: a choice is a value or {value, label_zh, label_en, aliases}
    return [c if isinstance(c, dict) else {"value": c} for c in spec.get("choices") or []]


def choice_names(entry: Dict[str, Any]) -> List[str]:
    """Every name of one allowed choice: its value, labels and aliases."""
    names = [str(entry.get("value", ""))]
    for key in ("label_zh", "label_en"):
        if entry.get(key):
            names.append(str(entry[key]))
    names += [str(a) for a in entry.get("aliases") or []]
    return [n for n in names if n]


def _key(text: str) -> str:
    return re.sub(r"[\s\W_]+", "", text.casefold())


_INDEX_CACHE: Dict[int, Tuple[Any, Dict[str, str], List[Tuple[str, str]]]] = {}
_INDEX_BY_CONTENT: Dict[str, Tuple[Dict[str, str], List[Tuple[str, str]]]] = {}


def _index(spec: Dict[str, Any]) -> Tuple[Dict[str, str], List[Tuple[str, str]]]:
    """(exact key -> value, [(key, value)] longest first) for a spec's allowed values, cached per
    allowed list object (the form passes the catalogue's cached objects) and by content (a new copy
    of the same list); bench/values_eval.py measures both for the ~750 cities."""
    import json

    raw = (spec.get("schema") or {}).get("allowed") or spec.get("choices") or []
    cached = _INDEX_CACHE.get(id(raw))
    if cached is not None and cached[0] is raw:
        return cached[1], cached[2]
    fingerprint = json.dumps(raw, sort_keys=True, ensure_ascii=False, default=str)
    built = _INDEX_BY_CONTENT.get(fingerprint)
    if built is None:
        exact: Dict[str, str] = {}
        for entry in allowed(spec):
            for name in choice_names(entry):
                k = _key(name)
                if k:
                    exact.setdefault(k, str(entry["value"]))
        built = (exact, sorted(exact.items(), key=lambda kv: -len(kv[0])))
        if len(_INDEX_BY_CONTENT) > 64:
            _INDEX_BY_CONTENT.clear()
        _INDEX_BY_CONTENT[fingerprint] = built
    if len(_INDEX_CACHE) > 256:
        _INDEX_CACHE.clear()
    _INDEX_CACHE[id(raw)] = (raw, *built)
    return built


def match_allowed(spec: Dict[str, Any], text: str, whole: bool, min_len: int = 1) -> Optional[str]:
    """The allowed value named in the text (longest name wins); `whole`: the text must be just the name."""
    if not allowed(spec):
        return None
    exact, ordered = _index(spec)
    key = _key(text)
    if key in exact:
        return exact[key]
    if whole:
        return None
    for k, value in ordered:
        if len(k) < max(min_len, 2 if k.isascii() else 1):
            continue
        if (k in key) if not k.isascii() else re.search(r"(?<![a-z0-9])" + re.escape(k) + r"(?![a-z0-9])", key):
            return value
    return None


# ---- tiers and grades -----------------------------------------------------------------------
# "改回原来的一档" / "调回以前的档次" / "back to my old tier 1": going back names the new value
_BACK_TO = re.compile(
    r"(?:[改换換调調变變降升转轉退]回|回到)(?:到)?\s*(?:原来|原來|以前|之前|本来|本來|最早)?\s*的?\s*(?:第)?\s*$|"
    r"\bback to (?:the |my )?(?:old |original |previous |former )?(?:tier |grade |level )?$"
)
_CHEAPEST = re.compile(
    r"低档|低檔|低的|便宜|最便宜|最低|最少|最小|最省钱|最省錢|最划算|最劃算|便宜的?那|便宜点|便宜點|低的那|低一点的|底档|最低档|保底|"
    r"交得少|交的少|缴得少|繳得少|少交|少缴|少繳|省钱|省錢|省点|省點|负担轻|負擔輕|"
    r"\b(cheapest|cheaper|lowest|lower|minimum|min|least expensive|basic)\b",
    re.I,
)
_DEAREST = re.compile(
    r"高档|高檔|高的|贵的|貴的|顶格|頂格|最高|最贵|最貴|最多|最大|最好|顶档|頂檔|封顶|封頂|高的那|贵的那|满额|滿額|"
    r"交得多|交的多|缴得多|繳得多|多交|多缴|多繳|待遇好|待遇高|待遇更好|报销多|報銷多|保障好|保障高|贵一点|貴一點|高一点|高一點|"
    r"\b(highest|higher|maximum|max|most expensive|top|best|better)\b",
    re.I,
)
# With more than two levels (pension grades) only a superlative names an end: "多交一点" / "higher" is
# not the top grade (asked instead); with two (medical tiers) the comparative is the other one.
_MOST = re.compile(
    r"顶格|頂格|最高|最贵|最貴|最多|最大|顶档|頂檔|封顶|封頂|满额|滿額|\b(highest|maximum|max|most expensive|top)\b",
    re.I,
)
_LEAST = re.compile(
    r"最便宜|最低|最少|最小|最省钱|最省錢|最划算|最劃算|底档|保底|\b(cheapest|lowest|minimum|min|least expensive)\b",
    re.I,
)
_LEVEL_NUM = re.compile(
    r"(?:第\s*)?(\d{1,2})\s*(?:个|号)?\s*(?:档|级|等)|(?:tier|grade|level|band|class|no\.?)\s*(\d{1,2})\b|"
    r"\b(\d{1,2})(?:st|nd|rd|th)?\s*(?:tier|grade|level)\b",
    re.I,
)
_EN_ORD = re.compile(
    r"\b(first|second|third|fourth|fifth|one|two|three|four|five)\s+(?:tier|grade|level)\b|"
    r"\b(?:tier|grade|level)\s+(one|two|three|four|five)\b",
    re.I,
)
# A change said relative to the present level ("往上调两档", "降一档", "比现在高一档", "up two grades", "one
# tier higher"): read from the schema's `current` (the eligibility answer lists it for change items);
# without it nothing is read (asked), never the level number itself ("升一档" is not 第一档).
_REL_NUM = r"(\d{1,2}|[一二两兩三四五六七八九十]{1,2})\s*(?:个|個)?\s*(?:档|檔|级|級|等)"
_REL_ZH = re.compile(
    r"(?<!最)(?<!第)(往上调|往上調|往上提|往上|向上调|向上調|向上|上调|上調|调高|調高|提高|提升|升高|升|高|加|"
    r"往下调|往下調|往下|向下调|向下調|向下|下调|下調|调低|調低|降低|降|低|减|減)\s*(?:了)?\s*" + _REL_NUM
)
_REL_EN = re.compile(
    r"\b(up|down|raise|lower|increase|decrease|reduce|move up|move down|go up|go down)\b[^.?!]{0,30}?\bby\s+"
    r"(\d|one|two|three|four|five)\s+(?:grades?|tiers?|levels?|notch(?:es)?)\b|"
    r"\b(up|down)\s+(\d|one|two|three|four|five)\s+(?:grades?|tiers?|levels?|notch(?:es)?)\b|"
    r"\b(\d|one|two|three|four|five)\s+(?:grades?|tiers?|levels?|notch(?:es)?)\s+(higher|lower|up|down)\b",
    re.I,
)
_UP = re.compile(r"上|高|提|升|加|up|raise|increase|higher", re.I)
_TARGET = re.compile(r"(?:到|成|为|為|至|\bto\b)\s*(?:第|the\s+)?\s*(?:\d|[一二两兩三四五六七八九十])", re.I)


def _relative(spec: Dict[str, Any], low: str, levels: List[str]) -> Tuple[bool, Optional[str]]:
    """(a relative change was said, the level it gives or None) for tiers and grades."""
    m = _REL_ZH.search(low)
    if m:
        word, count = m.group(1), numbers.cn_int(m.group(2)) if not m.group(2).isdigit() else int(m.group(2))
    else:
        m = _REL_EN.search(low)
        if not m:
            return False, None
        groups = [g for g in m.groups() if g]
        word = next((g for g in groups if not (g.isdigit() or numbers.cn_int(g))), "")
        raw = next((g for g in groups if g.isdigit() or numbers.cn_int(g)), "")
        count = int(raw) if raw.isdigit() else numbers.cn_int(raw)
    blanked = low[: m.start()] + " " * (m.end() - m.start()) + low[m.end() :]
    if _TARGET.search(blanked):
        return False, None  # "往上调两档，调到第五档": the target said is the value
    current = str((spec.get("schema") or {}).get("current") or "")
    if not count or current not in levels:
        return True, None
    index = levels.index(current) + (count if _UP.search(word) else -count)
    return True, levels[index] if 0 <= index < len(levels) else None


_NEW_AFTER = re.compile(
    r"(调到|调成|调为|改到|改成|改为|换到|换成|换为|升到|升为|降到|降为|变成|变为|转到|改|换|调|到|成|"
    r"\bto\b|\binto\b|\binstead\b)",
    re.I,
)


def _ordered(spec: Dict[str, Any], ftype: str) -> List[str]:
    """Allowed levels from the cheapest to the dearest.

    The schema gives each level its amount (`monthly_fen` for tiers, `yearly_fen` for
    grades) or orders them itself (`cost_order`); without a schema: medical tier 1
    costs more than tier 2, pension grades rise with their number (backend/data/policy.yml)."""
    entries = allowed(spec)
    schema = spec.get("schema") or {}
    for amount in ("amount_fen", "monthly_fen", "yearly_fen"):
        if entries and all(amount in e for e in entries):
            return [str(e["value"]) for e in sorted(entries, key=lambda e: int(e[amount]))]
    values = [str(e["value"]) for e in entries]
    if schema.get("cost_order"):
        return [str(v) for v in schema["cost_order"]]
    if not values:
        if ftype == "tier":
            values = ["1", "2"]
        else:
            top = schema.get("max")
            values = [str(v) for v in range(int(schema.get("min", 1)), int(top) + 1)] if top else []
    try:
        values = sorted(values, key=lambda v: int(v))
    except ValueError:
        return values
    return list(reversed(values)) if ftype == "tier" else values


def _by_amount(spec: Dict[str, Any], numeric_text: str) -> Optional[str]:
    """A level named by what it costs: the schema's yearly or monthly amount in yuan."""
    amounts = {}
    for entry in allowed(spec):
        for key in ("yearly_fen", "monthly_fen", "amount_fen"):
            if entry.get(key):
                amounts[int(entry[key]) // 100] = str(entry["value"])
    if not amounts:
        return None
    for m in re.finditer(r"(?<![\d.])(\d{3,6})(?:\.0+)?(?![\d.])", numeric_text.replace(",", "")):
        if int(m.group(1)) in amounts:
            return amounts[int(m.group(1))]
    return None


def level(spec: Dict[str, Any], text: str, asked: bool) -> Optional[str]:
    """'二档' / '第3档' / 'tier 2' / '最便宜的那档' / '由一档调到二档' (-> 2) for a tier or grade field."""
    ftype = spec.get("type")
    t = dates.numeric(text)
    low = t.lower()
    levels = _ordered(spec, cast(str, ftype))
    relative, moved = _relative(spec, low, levels)
    if relative:
        return moved
    top = re.search(r"(最高|最贵|最貴|最顶|最頂|最低|最便宜|最少)\s*的?\s*那?\s*(?:1|一)\s*(?:个|個)?\s*(?:档|檔)", low)
    if top and levels:
        return levels[-1] if _DEAREST.search(top.group(1)) else levels[0]  # '最高一档' is the top one
    nums: List[Tuple[int, int]] = []
    ends: Dict[int, int] = {}
    for m in _LEVEL_NUM.finditer(low):
        raw = m.group(1) or m.group(2) or m.group(3)
        nums.append((int(raw), m.start()))
        ends[m.start()] = m.end()
    for m in _EN_ORD.finditer(low):
        nums.append(
            (numbers.cn_int(m.group(1) or m.group(2)) or numbers._EN_NUM[(m.group(1) or m.group(2)).lower()], m.start())
        )
        ends[m.start()] = m.end()
    nums.sort(key=lambda p: p[1])
    if nums:
        # a level turned down ('不要一档', '一档太贵了') is not the choice
        kept = [
            (n, p)
            for n, p in nums
            if not re.search(r"(不要|不想|不选|不是|别|\bnot\b|\bno\b)\s*(第)?\s*$", low[max(0, p - 4) : p])
            and not re.match(
                r"\s*(?:的|那个|那档)?\s*(太贵|太高|不要|不想要|不行|不划算|不合适|交不起|is too|too expensive)",
                low[ends[p] : ends[p] + 12],
            )
        ]
        if not kept:
            return None
        if (
            len(kept) == len(nums)
            and len({n for n, _ in nums}) > 1
            and re.search(r"还是|或者|或|\bor\b", low[nums[0][1] : nums[-1][1]])
        ):
            return None  # '一档还是二档' is a question
        first, last = kept[0][0], kept[-1][0]
        if len(kept) > 1 and first != last:
            if _NEW_AFTER.search(low[kept[0][1] : kept[-1][1]]):
                return str(last)  # '由一档调到二档'
        elif len(nums) > len(kept):
            return str(first)  # '不要一档，要二档'
        if _BACK_TO.search(low[: kept[0][1]]):
            return str(first)  # '改回原来的一档': the old level is the new value
        if re.search(
            r"(现在|目前|原来|当前|本来|之前|以前|currently|now)\s*(是|交|买|缴|在|选|on|is)?\s*的?\s*(第)?\s*$",
            low[: kept[0][1]],
        ):
            if len(kept) > 1 and last != first:
                return str(last)  # '我现在交三档，想交五档'
            return None  # '我现在是一档，想换一下': the current one
        return str(first)
    named = (
        match_allowed(spec, text, whole=True) or match_allowed(spec, t, whole=False, min_len=4) or _by_amount(spec, t)
    )
    if named is not None:
        return named  # '每年1800元', '1800元那档', '一年交3600的'
    keyword = re.search(r"档|级|tier|grade|level|band|交|缴|买|选|pay|plan|option|one|那种|那个", low)
    if (asked or keyword) and levels:
        few = len(levels) <= 2
        if _CHEAPEST.search(low) and (few or _LEAST.search(low)):
            return levels[0]
        if _DEAREST.search(low) and (few or _MOST.search(low)):
            return levels[-1]
    if (asked or keyword) and not levels and ftype == "grade" and _CHEAPEST.search(low):
        return "1"  # grades rise with their number
    said_to = re.search(
        r"(?:调到|調到|改到|改成|换成|換成|升到|提到|降到|调成|調成|改为|改為)\s*(?:第)?\s*(\d{1,2})\s*(?:[吧啊呀。.，,!！]|$)",
        low,
    )
    if said_to and re.search(r"档|檔|级|級", low) and (not levels or said_to.group(1) in levels):
        return said_to.group(1)  # '档次调到五'
    if asked:  # the answer to 'which grade': '5', '五', '选5', '第5个', 'the 5th one'
        n = numbers.first_number(t) if _BARE_LEVEL.fullmatch(low.strip()) else None
        if n is not None:
            return str(n)
    return None


_BARE_LEVEL = re.compile(
    r"(?:选|要|拣|交|买|第|the|number|no\.?)?\s*(?:\d{1,2}|[一二两三四五六七八九十]{1,2})\s*"
    r"(?:st|nd|rd|th)?\s*(?:个|号|one)?\s*(?:吧|啦|呀|的|就行|就好)?",
    re.I,
)


# ---- banks ------------------------------------------------------------------------------------
# How people shorten bank names when the schema does not list aliases.
_BANK_WORDS: Dict[str, Sequence[str]] = {
    "中国工商银行": ("工商银行", "工行", "工商", "icbc", "industrial and commercial bank"),
    "中国建设银行": ("建设银行", "建行", "ccb", "china construction bank", "construction bank"),
    "中国农业银行": ("农业银行", "农行", "abc", "agricultural bank"),
    "中国银行": ("中行", "boc", "bank of china"),
    "招商银行": ("招行", "招商", "cmb", "china merchants", "merchants bank"),
    "交通银行": ("交行", "bocom", "bank of communications"),
    "中国邮政储蓄银行": (
        "邮储银行",
        "邮储",
        "邮政储蓄",
        "邮政银行",
        "邮政",
        "psbc",
        "postal savings",
        "postal savings bank",
    ),
    "平安银行": ("平安", "ping an", "ping an bank"),
    "中信银行": ("中信", "citic", "citic bank"),
    "中国民生银行": ("民生银行", "民生", "cmbc", "minsheng"),
    "中国光大银行": ("光大银行", "光大", "ceb", "everbright"),
    "深圳农村商业银行": ("深圳农商银行", "深圳农商行", "深农商", "农商银行", "农商行", "srcb", "rural commercial bank"),
}
_BANK_TAIL = re.compile(r"[\u4e00-\u9fffA-Za-z]{2,16}?(银行|信用社|农商行|bank)", re.I)


_GENERIC_BANK = re.compile(
    r"^(扣款|缴费|扣费|合作|开户|这个|那个|哪个|什么|哪家|其他|别的|新的|原来的|我的|社保)+银行$"
)


def _named_bank(text: str, asked: bool) -> Optional[str]:
    """A bank named by its full name, listed or not ('换成花旗银行'): the backend says whether it cooperates."""
    if (
        is_question(text)
        or is_non_answer(text)
        or (asked and is_sentence(text) and not re.search(r"换成|改成|改为|用", text))
    ):
        return None
    tail = re.split(r"换成|改成|改为|换到|用的是|用|是", text)[-1] if not asked else text
    for m in _BANK_TAIL.finditer(tail):
        name = re.sub(r"^(我的|是|用|在|开在|开户行是|开户银行是|银行是|的)+", "", m.group(0))
        if 3 <= len(name) <= 20 and not _GENERIC_BANK.match(name) and not re.search(r"卡$", name):
            return name
    return None


# Short names that mean a bank only as a whole answer to "which bank" ('交通' is also traffic).
_BANK_WHOLE = {
    "建设": "中国建设银行",
    "农业": "中国农业银行",
    "交通": "交通银行",
    "邮政": "中国邮政储蓄银行",
    "工商": "中国工商银行",
    "中国": "中国银行",
    "招商": "招商银行",
}


def _sounds_like_bank(spec: Dict[str, Any], text: str) -> Optional[str]:
    """A bank name heard with the wrong characters (speech: 招商银航, 公商银行), by toneless pinyin."""
    try:
        from pypinyin import lazy_pinyin
    except Exception:
        return None
    core = re.sub(r"[^\u4e00-\u9fff]", "", text)
    if not 2 <= len(core) <= 12:
        return None
    heard = "".join(lazy_pinyin(core))
    names = (
        [(n, str(e["value"])) for e in allowed(spec) for n in choice_names(e)]
        if allowed(spec)
        else [(w, name) for name, words in _BANK_WORDS.items() for w in (name, *words)]
    )
    for name, value in sorted(names, key=lambda p: -len(p[0])):
        if re.fullmatch(r"[\u4e00-\u9fff]{3,}", name) and "".join(lazy_pinyin(name)) in heard:
            return value
    return None


# a bank named as the new one in a request ("换成工行", "switch it to ICBC", "新开了一张建行卡",
# "I opened an ICBC account")
_CHANGE_TO = (
    r"换成|改成|改为|换到|換成|改為|換到|新开|新開|新办|新辦|新卡|\b(?:to|into|with|at)\b|"
    r"\b(?:new|opened|got)\b"
)


def _short_bank(text: str) -> Optional[str]:
    """The bank a change names by a short Chinese name ("换成工商的", "改用建设的卡"), after the change verb."""
    tail = re.split(r"换成|改成|改为|换到|換成|改為|換到|改用|换用|換用|新开|新開|新办|新辦", text)[-1]
    best: Optional[Tuple[int, str]] = None
    for name, words in list(_BANK_WORDS.items()) + [(v, (k,)) for k, v in _BANK_WHOLE.items() if k != "中国"]:
        for w in words:
            if not w.isascii() and len(w) >= 2 and w in tail and (best is None or len(w) > best[0]):
                best = (len(w), name)
    return best[1] if best else None


def _english_bank(text: str) -> Optional[str]:
    """The bank an English request names ("switch my payment bank to ICBC"), by the usual English names."""
    low = text.lower()
    best: Optional[Tuple[int, str]] = None
    for name, words in _BANK_WORDS.items():
        for w in words:
            if w.isascii() and len(w) >= 3 and re.search(r"(?<![a-z])" + re.escape(w) + r"(?![a-z])", low):
                if best is None or len(w) > best[0]:
                    best = (len(w), name)
    return best[1] if best else None


def bank(spec: Dict[str, Any], text: str, asked: bool) -> Optional[str]:
    value = match_allowed(spec, text, whole=False)
    if value:
        return value
    whole = _BANK_WHOLE.get(re.sub(r"(的|吧|啊)+$", "", text.strip(" ，,。.!！")))
    if asked and whole:
        return match_allowed(spec, whole, whole=True) or (whole if not allowed(spec) else None)
    if asked and not is_question(text) and not is_non_answer(text):
        heard = _sounds_like_bank(spec, text)
        if heard:
            return heard
    if allowed(spec):
        if asked or re.search(_CHANGE_TO, text, re.I):
            english = _english_bank(text)
            if english:
                return match_allowed(spec, english, whole=True)
            short = _short_bank(text)
            if short:  # "换成工商的": a short name the schema does not list as an alias
                return match_allowed(spec, short, whole=True)
            return _named_bank(text, asked)
        return None
    if not allowed(spec):
        low = text.lower()
        best = None
        for name, words in _BANK_WORDS.items():
            for w in (name, *words):
                hit = w in low if not w.isascii() else re.search(r"(?<![a-z])" + re.escape(w) + r"(?![a-z])", low)
                if hit and (best is None or len(w) > best[0]):
                    best = (len(w), name)
        if best:
            return best[1]
        if asked or re.search(_CHANGE_TO, text, re.I):
            return _named_bank(text, asked)
    return None


# ---- yes/no and the named choices -------------------------------------------------------------
_NO = re.compile(
    r"非在|在家|还小|毕业|不在|没在|没有在|没上|不上|没读|不读|未入学|还没上|没有上|辍学|退学|毕业了|不是|没有|否|不|没|"
    r"\bno\b|\bnot\b|\bnope\b|\bisn'?t\b|\bdoesn'?t\b|\bnah\b",
    re.I,
)
_YES = re.compile(
    r"\bkindergarten\b|\b(?:in|at|attends?|goes to)\s+(?:a |the )?(?:primary |middle |high )?school\b|\bstudying\b|在读|在校|在园|上学|读书|念书|上幼儿园|读幼儿园|上小学|上初中|上高中|读小学|读初中|读高中|是的|是|在|对|有|嗯|"
    r"\byes\b|\byep\b|\byeah\b|\bsure\b|\bcorrect\b|\bin school\b|\bstudent\b",
    re.I,
)
_SCHOOL_WORDS = re.compile(
    r"在读|在校|在园|上学|读书|念书|幼儿园|小学|初中|高中|学校|school|kindergarten|学生|student", re.I
)


CHOICE_WORDS: Dict[str, Dict[str, Sequence[str]]] = {
    "relation": {
        "father": ("father", "dad", "daddy", "papa", "父亲", "爸爸", "老爸", "爸", "父", "孩子他爸", "他爹", "爹"),
        "mother": (
            "mother",
            "mom",
            "mum",
            "mommy",
            "mama",
            "母亲",
            "妈妈",
            "老妈",
            "妈",
            "母",
            "孩子他妈",
            "他娘",
            "娘",
        ),
        "guardian": (
            "guardian",
            "grandfather",
            "grandmother",
            "grandpa",
            "grandma",
            "uncle",
            "aunt",
            "监护人",
            "其他监护人",
            "其他",
            "爷爷",
            "奶奶",
            "外公",
            "外婆",
            "姥姥",
            "姥爷",
            "舅舅",
            "姑姑",
            "叔叔",
            "阿姨",
            "姨妈",
            "伯伯",
            "哥哥",
            "姐姐",
            "祖父",
            "祖母",
            "外祖父",
            "外祖母",
            "other",
        ),
    },
    "hukou_category": {
        "guangdong_non_shenzhen": (
            "广东省内非深户",
            "省内非深户",
            "省内非深圳户籍",
            "广东省内",
            "省内户籍",
            "省内",
            "广东户籍",
            "广东户口",
            "广东其他",
            "非深户的广东",
            "guangdong",
        ),
        "outside_guangdong": (
            "广东省外户籍",
            "省外户籍",
            "省外户口",
            "省外",
            "外省户口",
            "外省户籍",
            "外省",
            "广东省外",
            "外地户口",
            "outside guangdong",
            "other province",
        ),
        "shenzhen": (
            "深户",
            "深圳户籍",
            "深圳户口",
            "深圳本地户口",
            "户口在深圳",
            "户口迁到深圳",
            "户口迁来深圳",
            "入深户",
            "落户深圳",
            "shenzhen hukou",
            "shenzhen",
        ),
    },
    "change_target": {
        "hukou_category": ("户籍", "户口", "hukou", "household"),
        "phone": ("手机", "电话", "号码", "phone", "mobile"),
        "address": ("地址", "住址", "address"),
    },
    "category": {
        "被征地农民": ("被征地", "征地", "土地被征", "地被征", "land requisition", "land was taken"),
        "原农村户籍人员": ("原农村户籍", "农村户籍", "农村户口", "原来是农村", "rural hukou", "rural"),
        "原临时工": ("临时工", "temporary worker", "temp worker"),
        "其他符合政策人员": ("其他符合", "其他人员", "其他", "other"),
    },
}


def _hukou_by_place(low: str, values: List[str]) -> Optional[str]:
    """'我是东莞户口' -> Guangdong outside Shenzhen; '湖南户籍' -> outside Guangdong; '深圳户口' -> Shenzhen."""
    from . import places

    for m in places.find_places(low):
        if re.search(r"(不是|不再是|并非)\s*$", low[max(0, m.start - 4) : m.start]):
            continue
        if not (
            re.match(r"\s*(?:市|省)?\s*(?:的)?\s*(户口|户籍|户|人)", low[m.end : m.end + 4])
            or re.search(
                r"(户口|户籍|hukou|household registration)\s*(?:一直|现在|还|都|本来|原来|其实|is|was)?\s*"
                r"(?:在|是|落在|迁到|迁回|\bin\b|\bfrom\b)\s*$",
                low[max(0, m.start - 30) : m.start],
            )
            or re.match(r"\s*(hukou|household registration)", low[m.end : m.end + 25])
        ):
            continue
        if m.place.city == "深圳":
            value = "shenzhen"
        elif m.place.province == "广东省":
            value = "guangdong_non_shenzhen"
        else:
            value = "outside_guangdong"
        if not values or value in values:
            return value
    return None


# Not knowing is no "no": "学校名字我不太清楚" was read as "not in school" (session 10 probe); masked first
_UNSURE = re.compile(
    r"不太?清楚|不知道|不晓得|不記得|不记得|记不得|記不得|记不清|記不清|不太?确定|不太?確定|不太?懂|不明白|不了解|说不清|說不清|"
    r"\bnot sure\b|\bno idea\b|\bdon'?t know\b|\bdo not know\b|\bnot certain\b|\bdunno\b|\bcan'?t remember\b",
    re.I,
)


def yes_no(text: str, asked: bool) -> Optional[str]:
    low = _UNSURE.sub(" ", text.lower())
    if not asked and not _SCHOOL_WORDS.search(low):
        return None
    no = _NO.search(low)
    yes = _YES.search(low)
    if no and (not yes or no.start() <= yes.start() or re.search(r"不在|没在|没上|没读|不读|不上|not", low)):
        return "no"
    if yes:
        return "yes"
    return None


def named_choice(spec: Dict[str, Any], text: str, asked: bool) -> Optional[str]:
    name = spec["name"]
    entries = allowed(spec)
    values = [str(e["value"]) for e in entries]
    if set(values) == {"yes", "no"}:
        return match_allowed(spec, text, whole=True) or yes_no(text, asked)
    exact = match_allowed(spec, text, whole=True)
    if exact:
        return exact
    low = text.lower()
    cue = {
        "relation": r"我是|是(孩子|小孩|他|她|娃)的?|(孩子|小孩)的?(爸|妈|父|母|爷|奶|外公|外婆|姥)|(做|当|作为|为|登记成|登记为)\S{0,3}监护人|"
        r"登记成|登记为|i'?m (his|her|the)|i am (his|her|the)|关系",
        "hukou_category": r"户|hukou|户籍",
        "change_target": r"改|换|变|更新|修改|change|update",
    }.get(name)
    if not asked and cue and not re.search(cue, low):
        return None
    if (
        name == "hukou_category"
        and (not values or "shenzhen" in values)
        and re.search(
            r"(户口|户籍|hukou)[^，,。]{0,6}(迁入|迁到|迁来|迁进|迁回|落到|落在|落户|转入|转到|入了|moved? to|moved? into)[^，,。]{0,4}(深圳|shenzhen)|落户深圳|入了?深户|(深圳|shenzhen)[^，,。]{0,3}(户口|户籍|hukou)",
            low,
        )
    ):
        return "shenzhen"  # '户口已经迁到深圳了'
    if name == "hukou_category":
        by_place = _hukou_by_place(low, values)
        if by_place:
            return by_place
    # the words: the schema's names and aliases, and how people say them
    words = [(w, v) for v, ws in CHOICE_WORDS.get(name, {}).items() if not values or v in values for w in ws]
    for entry in entries:
        words += [(n, str(entry["value"])) for n in choice_names(entry)]
    min_len = 1 if asked or cue else 3
    hits: List[Tuple[int, int, str, int]] = []
    for word, value in sorted(set(words), key=lambda p: -len(p[0])):
        w = word.lower()
        if len(w) < min_len or (w.isascii() and len(w) < 2):
            continue
        if name == "relation" and not asked and w in ("监护人", "guardian", "其他监护人"):
            continue  # '我是孩子的监护人': a parent says so too
        m = re.search(re.escape(w) if not w.isascii() else r"(?<![a-z])" + re.escape(w) + r"(?![a-z])", low)
        if m and not any(h[0] <= m.start() < h[3] for h in hits):
            hits.append((m.start(), -len(w), value, m.end()))
    # a category turned down ('不是深户') is not the one meant
    hits = [
        h for h in hits if not re.search(r"(不是|不再是|并非|非|\bnot\b|\bnon-?)\s*$", low[max(0, h[0] - 4) : h[0]])
    ]
    if not hits:
        return None
    said = re.search(r"我是|是(?=孩子|小孩|他|她)|i'?m |i am ", low)
    if name == "relation" and said:
        after = [h for h in hits if h[0] >= said.end()]
        if after:
            return sorted(after)[0][2]  # '监护人是我，我是她妈妈' -> mother
    if len({h[2] for h in hits}) > 1 and re.search(r"迁到|迁入|改成|改为|变成|换成|到|\bto\b", low):
        return sorted(hits)[-1][2]  # '从省外户口迁到深户': the new one
    return sorted(hits)[0][2]
