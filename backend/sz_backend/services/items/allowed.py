"""The values each closed field type allows, with labels and the names people use.

One source for two readers: the normalisers in `fields.py` (what submission and
the validate call accept) and the field schema of GET /catalogue (`schema.py`,
what the assistant shows and understands). Everything comes from backend/data:
tiers and grades from policy.yml, provinces from regions.yml, cities from
places.yml (generated from JioNLP's gazetteer), banks from banks.yml, the labels
of choice fields from catalog.yml.

An `Allowed` entry is {"value", "label_zh", "label_en", "aliases": [...]} plus
optional facts (a tier's monthly amount, a city's province). Matching uses `key()`:
NFKC, case-folded, without spaces, so "Tier 1", "ｔｉｅｒ１" and "tier1" are one key.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from typing import Any

import yaml

from ...catalogue import FieldSpec, get_policy
from ...rules import banks
from ...rules.money import fen_to_yuan_str, percent_of
from ...settings import DATA_DIR

CN_NUMERALS = ["零", "一", "二", "三", "四", "五", "六", "七", "八", "九", "十"]
_CN_VALUE = {c: i for i, c in enumerate(CN_NUMERALS)} | {"两": 2, "壹": 1, "贰": 2, "叁": 3}


def key(text: Any) -> str:
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", str(text)).casefold())


def _entry(value: Any, label_zh: str, label_en: str, aliases: list[str], **facts: Any) -> dict[str, Any]:
    seen: dict[str, None] = {}
    for alias in aliases:
        if alias and key(alias) not in {key(label_zh), key(str(value))} and alias not in seen:
            seen[alias] = None
    return {"value": value, "label_zh": label_zh, "label_en": label_en, "aliases": list(seen), **facts}


def _numbered(n: int, unit_zh: str, unit_en: str) -> list[str]:
    cn = CN_NUMERALS[n] if n <= 10 else str(n)
    return [
        str(n),
        cn,
        f"{cn}{unit_zh}",
        f"第{cn}{unit_zh}",
        f"{n}{unit_zh}",
        f"第{n}{unit_zh}",
        f"第{cn}",
        f"第{n}",
        f"{unit_en} {n}",
        f"{unit_en}{n}",
    ]


# -- tiers and grades (policy.yml) ---------------------------------------------------------------------


@lru_cache
def tiers() -> list[dict[str, Any]]:
    """Medical insurance tiers of flexible workers, with the monthly medical contribution on the default base."""
    policy = get_policy()["contribution"]
    base = int(policy["flexible_default_base_fen"])
    out = []
    for raw in sorted(policy["medical_tier_rates"], key=int):
        n = int(raw)
        monthly = percent_of(base, str(policy["medical_tier_rates"][raw]))
        out.append(
            _entry(
                n,
                f"{CN_NUMERALS[n]}档",
                f"tier {n}",
                _numbered(n, "档", "tier"),
                monthly_fen=monthly,
                monthly_yuan=fen_to_yuan_str(monthly),
                base_fen=base,
            )
        )
    return out


@lru_cache
def grades() -> list[dict[str, Any]]:
    """Residents' pension grades with their yearly amount (the amount in yuan is also a name of the grade)."""
    out = []
    for n, fen in enumerate(get_policy()["resident_pension"]["grades_fen"], start=1):
        yuan = fen_to_yuan_str(int(fen))
        whole = yuan.removesuffix(".00")
        out.append(
            _entry(
                n,
                f"第{n}档（每年{whole}元）",
                f"grade {n} ({whole} yuan a year)",
                [*_numbered(n, "档", "grade"), f"{whole}元", f"每年{whole}元", f"{whole} yuan"],
                yearly_fen=int(fen),
                yearly_yuan=yuan,
            )
        )
    return out


def small_number(text: str) -> int | None:
    """A count in Chinese numerals up to 99: 三, 两, 十, 十五, 二十, 二十三."""
    m = re.fullmatch(r"([一二两三四五六七八九]?)(十?)([一二三四五六七八九]?)", key(text))
    if not m or not any(m.groups()) or (m.group(1) and m.group(3) and not m.group(2)):
        return None
    tens, ten, units = m.groups()
    if ten:
        return (_CN_VALUE[tens] if tens else 1) * 10 + (_CN_VALUE[units] if units else 0)
    return _CN_VALUE[tens or units]


def number_of(text: str) -> int | None:
    """ "3", "三", "第三" -> 3 (used with the alias lists above; nothing beyond 10 in words)."""
    t = key(text)
    if t.isdigit():
        return int(t)
    return _CN_VALUE.get(t)


# -- places (regions.yml, places.yml) -----------------------------------------------------------------


@lru_cache
def _regions() -> dict[str, Any]:
    return yaml.safe_load((DATA_DIR / "regions.yml").read_text(encoding="utf-8"))


@lru_cache
def provinces() -> list[dict[str, Any]]:
    english = _regions().get("english", {})
    return [
        _entry(full, full, english.get(full, full), [*shorts, english.get(full, "")])
        for full, shorts in _regions()["provinces"].items()
    ]


@lru_cache
def cities() -> list[dict[str, Any]]:
    """Every city: value = the short name people write (长沙), with its full name and province."""
    data = yaml.safe_load((DATA_DIR / "places.yml").read_text(encoding="utf-8"))["cities"]
    out = []
    for province, rows in data.items():
        for row in rows:
            name, aliases = str(row["name"]), [str(a) for a in row.get("aliases") or []]
            value = aliases[0] if aliases and len(aliases[0]) >= 2 else name
            en = str(row.get("en") or "")
            facts: dict[str, Any] = {"province": province}
            if row.get("in"):
                facts["prefecture"] = row["in"]
            out.append(_entry(value, name, en or name, [name, *aliases, en], **facts))
    for province, names in (_regions().get("extra_cities") or {}).items():
        for name in names:
            out.append(_entry(name, name, name, [], province=province))
    return out


@lru_cache
def _alias_index(kind: str) -> dict[str, list[dict[str, Any]]]:
    rows = {"province": provinces, "city": cities, "tier": tiers, "grade": grades}[kind]()
    index: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        for name in {str(row["value"]), row["label_zh"], row["label_en"], *row["aliases"]}:
            if name:
                index.setdefault(key(name), []).append(row)
    return index


def lookup(kind: str, text: Any) -> list[dict[str, Any]]:
    """Every allowed entry of that kind one of whose names is `text` (several for an ambiguous city)."""
    return list(_alias_index(kind).get(key(text), []))


def english(kind: str, value: Any) -> str:
    """The English label of a canonical place (成都 -> Chengdu) for English texts; the value when unknown."""
    rows = {r["label_en"] for r in lookup(kind, value) if r.get("label_en")}
    return rows.pop() if len(rows) == 1 else str(value)


def cities_in(province: str) -> set[str]:
    return {c["value"] for c in cities() if c["province"] == province}


# -- banks (banks.yml) ----------------------------------------------------------------------------------


@lru_cache
def bank_list() -> list[dict[str, Any]]:
    raw = yaml.safe_load(banks.DEFAULT_BANKS_FILE.read_text(encoding="utf-8"))["banks"]
    return [_entry(b["name_zh"], b["name_zh"], b["name_en"], [b["name_en"], *(b.get("aliases") or [])]) for b in raw]


# -- choices (catalog.yml) -------------------------------------------------------------------------------


def choices(spec: FieldSpec) -> list[dict[str, Any]]:
    return [_entry(c.value, c.label_zh, c.label_en, list(c.aliases)) for c in spec.choice_options]


def choice_of(spec: FieldSpec, text: Any) -> str | None:
    k = key(text)
    for c in spec.choice_options:
        if k in {key(c.value), key(c.label_zh), key(c.label_en), *(key(a) for a in c.aliases)}:
            return c.value
    return None


def allowed_for(spec: FieldSpec) -> list[dict[str, Any]] | None:
    """The closed list of a field, or None for an open one (text, dates, numbers, ID and account numbers)."""
    return {
        "tier": tiers,
        "grade": grades,
        "province": provinces,
        "city": cities,
        "bank": bank_list,
    }.get(spec.type, lambda: choices(spec) if spec.type == "choice" else None)()


def city_in_province(city: str, province: str) -> bool:
    return any(c["province"] == province for c in lookup("city", city))
