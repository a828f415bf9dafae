"""Places: which province and city the person names, and whether it is where
they come FROM or where they go TO.

The gazetteer is JioNLP's administrative-division data (provinces, prefecture
cities, county-level cities, with their short forms), read once; English
names come from pypinyin over the same data. A city alone gives its
province ('之前在长沙交的' -> 湖南省 + 长沙). Words around a mention give its
role: '从深圳转到杭州去' -> 深圳 origin, 杭州 destination.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Dict, List, Optional, Tuple

USE_JIONLP = True  # the bench switches it off: then only province names are known

ORIGIN, DEST = "origin", "destination"

# Fallback when JioNLP is absent: the provincial-level divisions only.
_PROVINCES = {
    "北京市": ["北京"],
    "天津市": ["天津"],
    "河北省": ["河北"],
    "山西省": ["山西"],
    "内蒙古自治区": ["内蒙古", "内蒙"],
    "辽宁省": ["辽宁"],
    "吉林省": ["吉林"],
    "黑龙江省": ["黑龙江"],
    "上海市": ["上海"],
    "江苏省": ["江苏"],
    "浙江省": ["浙江"],
    "安徽省": ["安徽"],
    "福建省": ["福建"],
    "江西省": ["江西"],
    "山东省": ["山东"],
    "河南省": ["河南"],
    "湖北省": ["湖北"],
    "湖南省": ["湖南"],
    "广东省": ["广东"],
    "广西壮族自治区": ["广西"],
    "海南省": ["海南"],
    "重庆市": ["重庆"],
    "四川省": ["四川"],
    "贵州省": ["贵州"],
    "云南省": ["云南"],
    "西藏自治区": ["西藏"],
    "陕西省": ["陕西"],
    "甘肃省": ["甘肃"],
    "青海省": ["青海"],
    "宁夏回族自治区": ["宁夏"],
    "新疆维吾尔自治区": ["新疆"],
    "台湾省": ["台湾"],
    "香港特别行政区": ["香港"],
    "澳门特别行政区": ["澳门"],
}
MUNICIPALITIES = {"北京市", "天津市", "上海市", "重庆市", "香港特别行政区", "澳门特别行政区"}
# English names that are not the plain pinyin, and pinyin shared by two cities (the better known wins)
_EN_EXTRA = {
    "shaanxi": ("陕西省", None),
    "shanxi": ("山西省", None),
    "inner mongolia": ("内蒙古自治区", None),
    "tibet": ("西藏自治区", None),
    "hong kong": ("香港特别行政区", "香港"),
    "macau": ("澳门特别行政区", "澳门"),
    "macao": ("澳门特别行政区", "澳门"),
    "canton": ("广东省", "广州"),
    "peking": ("北京市", "北京"),
}
_EN_PREFER = {"suzhou": "苏州", "fuzhou": "福州", "taizhou": "台州", "yichun": "宜春", "shanxi": None}


@dataclass(frozen=True)
class Place:
    province: str  # full name, e.g. 湖南省
    city: Optional[str] = None  # short name, e.g. 长沙 (None: the province only)


@dataclass
class Mention:
    place: Place
    start: int
    end: int
    role: Optional[str] = None


class Gazetteer:
    def __init__(self) -> None:
        self.zh: Dict[str, Place] = {}  # name -> place (provinces and prefecture cities)
        self.county: Dict[str, Place] = {}  # county-level cities: only with 市 or as a whole answer
        self.en: Dict[str, Place] = {}
        self.province_names: Dict[str, str] = {}
        data = _jio_divisions() if USE_JIONLP else None
        if data is None:
            for full, shorts in _PROVINCES.items():
                self._province(full, shorts)
        else:
            self._load(data)
        self._en_index()
        self.max_len = max(len(k) for k in self.zh)

    def _province(self, full: str, shorts: List[str]) -> None:
        place = Place(full, shorts[0] if full in MUNICIPALITIES else None)
        for name in [full, *shorts]:
            self.zh[name] = place
            self.province_names[name] = full

    def _load(self, data: dict) -> None:
        for full, body in data.items():
            alias = body.get("_alias")
            shorts = [alias] if isinstance(alias, str) else list(alias or [])
            shorts += _PROVINCES.get(full, [])
            self._province(full, list(dict.fromkeys(shorts)))
        for full, body in data.items():
            for city_full, city in body.items():
                if city_full.startswith("_") or "直辖" in city_full or full in MUNICIPALITIES:
                    continue
                aliases = city.get("_alias")
                aliases = [aliases] if isinstance(aliases, str) else list(aliases or [])
                short = aliases[0] if aliases else re.sub(r"(市|地区)$", "", city_full)
                short = short[:-1] if short.endswith("市") and len(short) > 2 else short
                place = Place(full, short)
                for name in [city_full, *aliases]:
                    if len(name) >= 2 and name not in self.province_names:
                        self.zh.setdefault(name, place)
                for county_full, county in city.items():
                    if county_full.startswith("_") or not county_full.endswith("市"):
                        continue
                    c_alias = county.get("_alias")
                    c_short = c_alias if isinstance(c_alias, str) else (c_alias or [county_full])[0]
                    cplace = Place(full, c_short)
                    self.zh.setdefault(county_full, cplace)
                    if len(c_short) >= 2:
                        self.county.setdefault(c_short, cplace)

    def _en_index(self) -> None:
        try:
            from pypinyin import lazy_pinyin
        except Exception:
            return
        self.en_ambiguous: Dict[str, List[Place]] = {}
        self.sound: Dict[Tuple[str, ...], Optional[Place]] = {}
        for name, place in list(self.zh.items()) + list(self.county.items()):
            if 2 <= len(name) <= 4 and not (len(name) > 2 and name.endswith(("省", "市", "区", "州", "盟"))):
                key_t = tuple(lazy_pinyin(name))
                old = self.sound.get(key_t, place)
                self.sound[key_t] = place if old == place else None  # None: two places sound alike
        seen: Dict[str, List[Place]] = {}
        for name, place in self.zh.items():
            if name.endswith(("省", "市", "区", "州", "盟", "地区")) and len(name) > 2:
                continue
            key = "".join(lazy_pinyin(name)).lower()
            if place not in seen.setdefault(key, []):
                seen[key].append(place)
        for key, places in seen.items():
            if len(places) > 1:
                self.en_ambiguous[key] = places
            if len(places) == 1:
                self.en[key] = places[0]
            elif key in _EN_PREFER:
                chosen = [p for p in places if p.city == _EN_PREFER[key]]
                if chosen:
                    self.en[key] = chosen[0]
            else:
                provinces = [p for p in places if p.city is None or p.province in MUNICIPALITIES]
                if len(provinces) == 1:
                    self.en[key] = provinces[0]
        for key, (prov, city) in _EN_EXTRA.items():
            self.en[key] = Place(prov, city)
        self._en_re = re.compile(
            r"(?<![a-z])("
            + "|".join(sorted((re.escape(k) for k in set(self.en) | set(self.en_ambiguous)), key=len, reverse=True))
            + r")(?![a-z])"
        )

    # ---- finding mentions -------------------------------------------------------------
    def mentions(self, text: str, whole_answer: bool = False) -> List[Mention]:
        out: List[Mention] = []
        i, n = 0, len(text)
        while i < n:
            hit = None
            for size in range(min(self.max_len, n - i), 1, -1):
                name = text[i : i + size]
                place = self.zh.get(name)
                if place is None and (text[i + size : i + size + 1] == "市" or whole_answer):
                    place = self.county.get(name)
                if place is not None:
                    hit = (name, place)
                    break
            if hit and _NOT_A_PLACE.match(text[i + len(hit[0]) :]):
                i += len(hit[0])  # '中山大学', '长沙路': a name, not the place
                continue
            if hit:
                name, place = hit
                end = i + len(name)
                if (
                    name in self.province_names
                    and name != place.province
                    and text[end : end + 1] == "市"
                    and self.county.get(name) is None
                ):
                    city = next((p for k, p in self.zh.items() if k == name + "市"), None)
                    place = city or place
                out.append(Mention(place, i, end))
                i = end
            else:
                i += 1
        low = re.sub(r"['’`-]", "", text.lower())
        if hasattr(self, "_en_re"):
            found_en = [(m.group(1), m.start(), m.end()) for m in self._en_re.finditer(low)]
            provinces = {self.en[k].province for k, _, _ in found_en if k in self.en and self.en[k].city is None}
            for key, start, end in found_en:
                options = [p for p in self.en_ambiguous.get(key, []) if p.province in provinces and p.city]
                if len(options) == 1:  # 'Yulin, Guangxi' / 'Taizhou, Jiangsu'
                    out.append(Mention(options[0], start, end))
                elif key in self.en:
                    out.append(Mention(self.en[key], start, end))
            out.sort(key=lambda x: x.start)
        return _merge(out, text)


_NOT_A_PLACE = re.compile(r"(大学|学院|路|大道|街|公园|医院|广场|站|机场|花园|大厦|公司|银行|小学|中学)")


def sounds_like(text: str) -> List[Mention]:
    """Places written with the wrong characters but the right sounds (speech transcripts:
    常沙 -> 长沙, 航州 -> 杭州); only used for an answer to a place question."""
    g = gazetteer()
    if not getattr(g, "sound", None):
        return []
    try:
        from pypinyin import lazy_pinyin
    except Exception:
        return []
    from .text import is_non_answer

    if is_non_answer(text):
        return []
    chars = [(i, c) for i, c in enumerate(text) if "\u4e00" <= c <= "\u9fff"]
    sounds = lazy_pinyin("".join(c for _, c in chars))
    out: List[Mention] = []
    k = 0
    while k < len(chars):
        for size in (4, 3, 2):
            place = g.sound.get(tuple(sounds[k : k + size])) if k + size <= len(chars) else None
            span = "".join(c for _, c in chars[k : k + size])
            if place is not None and chars[k + size - 1][0] - chars[k][0] == size - 1 and len(set(span)) == size:
                out.append(Mention(place, chars[k][0], chars[k + size - 1][0] + 1))
                k += size
                break
        else:
            k += 1
    return _merge(out, text)


def _merge(found: List[Mention], text: str) -> List[Mention]:
    """'湖南长沙' / '湖南省长沙市' / 'Changsha, Hunan': one place, not two."""
    out: List[Mention] = []
    for m in found:
        if out:
            prev = out[-1]
            gap = text[prev.end : m.start]
            if (
                re.fullmatch(r"(?:[省市\s,，的]|province|city)*", gap.lower())
                and prev.place.province == m.place.province
            ):
                city = m.place.city or prev.place.city
                out[-1] = Mention(Place(prev.place.province, city), prev.start, m.end)
                continue
        out.append(m)
    return out


def _jio_divisions() -> Optional[dict]:
    """JioNLP's division data (province -> city -> county, with short names), the same tree as
    `jionlp.china_location_loader()` but read line by line from the package's data file without
    importing JioNLP: its import and the loader's whole-file read (towns and villages too) would
    keep ~90 MB in the action server for three levels that take under 1 MB."""
    try:
        tree: dict = {}
        province = city = None
        for line in _division_lines():
            if line.startswith("\t\t\t") or not line.strip():
                continue  # towns and villages
            parts = line.strip().split("\t")
            if len(parts) != 3:
                continue
            full, _code, alias = parts
            if not line.startswith("\t"):
                province = full
                tree[province] = {"_full_name": full, "_alias": alias}
            elif not line.startswith("\t\t"):
                city = full
                tree[province][city] = {"_full_name": full, "_alias": alias.split("/")}
            elif province is not None and city is not None:
                tree[province][city][full] = {"_full_name": full, "_alias": alias}
        return tree or None
    except Exception:  # noqa: BLE001 - no JioNLP data: the province names only
        return None


def _division_lines():
    import importlib.util
    import io
    import zipfile
    from pathlib import Path

    spec = importlib.util.find_spec("jionlp")
    if spec is None or not spec.origin:
        raise FileNotFoundError("jionlp is not installed")
    folder = Path(spec.origin).parent / "dictionary"
    text = folder / "china_location.txt"
    if text.exists():
        with text.open(encoding="utf-8") as f:
            yield from f
        return
    with zipfile.ZipFile(folder / "china_location.zip") as z:  # as shipped, before JioNLP's first import
        name = next(n for n in z.namelist() if n.endswith("china_location.txt"))
        with z.open(name) as raw:
            yield from io.TextIOWrapper(raw, encoding="utf-8")


@lru_cache(maxsize=2)
def _gazetteer(use_jio: bool) -> Gazetteer:
    return Gazetteer()


def gazetteer() -> Gazetteer:
    return _gazetteer(USE_JIONLP)


# ---- roles --------------------------------------------------------------------------------
_DEST_BEFORE = re.compile(
    r"(转到|转去|转入|转至|转往|转回|迁到|迁往|迁入|迁回|调到|调入|移到|搬到|搬去|回到|回|去|到|往|至|"
    r"\bto|\binto|\btowards?|\bback to|\bmove to|\bmoving to)\s*(?:老家)?\s*$",
    re.I,
)
_DEST_AFTER = re.compile(r"^\s*(?:市|省)?\s*(?:那边|那里|这边)?\s*(去|那边去|转入|接收)")
_ORIGIN_BEFORE = re.compile(
    r"(从|自|由|原来在|之前在|以前在|原先在|过去在|早先在|曾经在|原参保地是?|原参保地在|\bfrom|"
    r"\bused to (?:pay|work|live) in|\bpreviously in|\bbefore in)\s*$",
    re.I,
)
_ORIGIN_AFTER = re.compile(
    r"^\s*(?:市|省)?\s*(?:那边|那里)?\s*(转出|转过来|转进来|转回来|过来|交的|缴的|交过|缴过|交了|缴了|"
    r"参保|参的保|买的|上的班|工作过|转入深圳|转到深圳|转来)"
)
_OUTSIDE = re.compile(r"^\s*省?\s*(以外|之外|外)")


def _role(text: str, m: Mention) -> Optional[str]:
    before, after = text[max(0, m.start - 12) : m.start], text[m.end : m.end + 8]
    if _ORIGIN_BEFORE.search(before) or _ORIGIN_AFTER.search(after):
        return ORIGIN
    if _DEST_BEFORE.search(before) or _DEST_AFTER.search(after):
        return DEST
    if re.search(r"(之前|以前|原来|原先|过去)[^，,。]{0,6}在\s*$", before):
        return ORIGIN
    return None


def find_places(text: str, whole_answer: bool = False) -> List[Mention]:
    """Every place in the (Simplified) text, with its role; 'outside X' (广东省外) is not X.
    For an answer to a place question, a place heard with the wrong characters counts too."""
    found = []
    mentions = gazetteer().mentions(text, whole_answer)
    if not mentions and whole_answer:
        # only a reply that is nothing but a place name: '常沙', '转到航州', not a sentence
        core = re.sub(r"^(?:嗯+|就是|是|在|转到|转去|转回|迁到|去|到|我要去|我要转到)+", "", text.strip(" ，,。.!！"))
        core = re.sub(r"(?:吧|啊|呀|那边|那里|去|的)+$", "", core)
        if re.fullmatch(r"[\u4e00-\u9fff]{2,8}", core):
            sound = sounds_like(core)
            covered = sum(m.end - m.start for m in sound)
            if sound and covered >= len(re.sub(r"[省市]", "", core)):
                mentions = sound
    for m in mentions:
        if _OUTSIDE.search(text[m.end : m.end + 4]) and m.place.city is None:
            continue
        m.role = _role(text, m)
        found.append(m)
    return found


def choose(found: List[Mention], role: str, answer: bool = False) -> Optional[Place]:
    """The place for a field of `role`: one said with that role, else one said without a role;
    never one said with the other role ('从深圳转到杭州' gives the destination 杭州 only).
    Shenzhen said without a role is where the person is, not the other end of a transfer
    ('我在深圳交了十年'), unless it is the whole answer to the question (the backend then says why not)."""
    same = [m for m in found if m.role == role]
    neutral = [m for m in found if m.role is None]
    if len(neutral) > 1 or not answer:
        neutral = [m for m in neutral if m.place.city != "深圳"] or ([] if not answer else neutral)
    place = same[-1].place if same else (neutral[-1].place if neutral else None)
    if place is not None and place.city is None:
        # '转到湖南去，具体是长沙': the city said apart from its province
        city = [m for m in same + neutral if m.place.province == place.province and m.place.city]
        if city:
            return city[-1].place
    return place
