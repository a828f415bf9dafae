"""Normalisation and validation of submitted item fields, by field type.

Each function takes what a person typed (via the assistant or the API) and
returns the canonical value or raises an `invalid(...)` error that names the
field and says how to write it.
"""
from __future__ import annotations

import re
import unicodedata
from datetime import date
from functools import lru_cache
from typing import Any, Callable

import yaml

from ...catalogue import CatalogueEntry, FieldSpec, get_policy
from ...errors import invalid
from ...rules import banks, idnumber
from ...settings import DATA_DIR

_CN_DIGITS = {"一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9, "十": 10}


@lru_cache
def _regions() -> dict[str, Any]:
    return yaml.safe_load((DATA_DIR / "regions.yml").read_text(encoding="utf-8"))


def _clean(value: Any) -> str:
    return unicodedata.normalize("NFKC", str(value)).strip()


def canonical_province(raw: str) -> str | None:
    text = _clean(raw)
    for full, shorts in _regions()["provinces"].items():
        if text == full or text in shorts:
            return full
    return None


def is_guangdong_city(city: str) -> bool:
    return _clean(city).removesuffix("市") in _regions()["guangdong_cities"]


def _month(spec: FieldSpec, raw: Any) -> str:
    text = _clean(raw)
    m = re.fullmatch(r"(\d{4})\s*(?:[-/.年])?\s*(\d{1,2})\s*月?", text)
    if m and 1 <= int(m.group(2)) <= 12 and 2000 <= int(m.group(1)) <= 2100:
        return f"{int(m.group(1)):04d}-{int(m.group(2)):02d}"
    raise invalid("FIELD_MONTH", f"{spec.label_zh}格式不对", f"The {spec.label_en} is not a valid month",
                  field=spec.name, fix_zh="请写成“2026年10月”或“2026-10”", fix_en='Write it like "2026-10"')


def _date(spec: FieldSpec, raw: Any) -> str:
    text = _clean(raw)
    m = re.fullmatch(r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?", text)
    try:
        if not m:
            raise ValueError
        return date(int(m.group(1)), int(m.group(2)), int(m.group(3))).isoformat()
    except ValueError:
        raise invalid("FIELD_DATE", f"{spec.label_zh}不是有效日期", f"The {spec.label_en} is not a valid date",
                      field=spec.name, fix_zh="请写成“2020-05-18”", fix_en='Write it like "2020-05-18"') from None


def _tier(spec: FieldSpec, raw: Any) -> int:
    text = _clean(raw).lower().replace("档", "").replace("tier", "").replace("第", "").strip()
    value = _CN_DIGITS.get(text) if text in _CN_DIGITS else (int(text) if text.isdigit() else None)
    if value in (1, 2):
        return value
    raise invalid("FIELD_TIER", "医疗保险只有一档和二档", "Medical insurance has tier 1 and tier 2 only",
                  field=spec.name, fix_zh="请选择“一档”或“二档”", fix_en="Choose tier 1 or tier 2")


def _grade(spec: FieldSpec, raw: Any) -> int:
    grades = get_policy()["resident_pension"]["grades_fen"]
    text = _clean(raw).replace("档", "").replace("第", "").strip()
    value = _CN_DIGITS.get(text) if text in _CN_DIGITS else (int(text) if text.isdigit() else None)
    if value is not None and 1 <= value <= len(grades):
        return value
    raise invalid("FIELD_GRADE", f"缴费档次应为第1至第{len(grades)}档", f"The grade must be 1 to {len(grades)}",
                  field=spec.name)


def _int(spec: FieldSpec, raw: Any) -> int:
    text = _clean(raw).removesuffix("年")
    if re.fullmatch(r"\d{1,4}", text):
        return int(text)
    raise invalid("FIELD_NUMBER", f"{spec.label_zh}应为数字", f"The {spec.label_en} must be a number", field=spec.name)


def _province(spec: FieldSpec, raw: Any) -> str:
    full = canonical_province(raw)
    if full:
        return full
    raise invalid("FIELD_PROVINCE", f"没有找到“{_clean(raw)[:20]}”这个省份", f"Unknown province: {_clean(raw)[:20]}",
                  field=spec.name, fix_zh="请写省份全称或简称，如“湖南省”或“湖南”",
                  fix_en="Give the province, e.g. 湖南省 (Hunan)")


def _text(spec: FieldSpec, raw: Any, max_len: int = 100) -> str:
    text = _clean(raw)
    if not text or len(text) > max_len or any(unicodedata.category(c).startswith("C") for c in text):
        raise invalid("FIELD_TEXT", f"{spec.label_zh}不能为空，且不超过{max_len}个字",
                      f"The {spec.label_en} must be 1 to {max_len} characters", field=spec.name)
    return text


def _city(spec: FieldSpec, raw: Any) -> str:
    text = _text(spec, raw, 20)
    if not re.fullmatch(r"[\u4e00-\u9fff·]{2,20}|[A-Za-z .'-]{2,20}", text):
        raise invalid("FIELD_CITY", "城市名称不对", "That is not a city name", field=spec.name,
                      fix_zh="请写城市名称，如“长沙”", fix_en="Give the city, e.g. 长沙 (Changsha)")
    return text


def _id_number(spec: FieldSpec, raw: Any) -> str:
    return idnumber.validate(str(raw))


def _bank(spec: FieldSpec, raw: Any) -> str:
    return banks.canonical_bank(str(raw)) or _text(spec, raw, 32)


def _account(spec: FieldSpec, raw: Any) -> str:
    text = re.sub(r"[\s-]", "", _clean(raw))
    if re.fullmatch(r"\d{10,30}", text):
        return text
    raise invalid("FIELD_ACCOUNT", "银行账号应为10到30位数字", "A bank account number has 10 to 30 digits",
                  field=spec.name)


def _choice(spec: FieldSpec, raw: Any) -> str:
    text = _clean(raw)
    if text in spec.choices:
        return text
    raise invalid("FIELD_CHOICE", f"{spec.label_zh}只能是：{'、'.join(spec.choices)}",
                  f"The {spec.label_en} must be one of: {', '.join(spec.choices)}", field=spec.name)


NORMALISERS: dict[str, Callable[[FieldSpec, Any], Any]] = {
    "month": _month, "date": _date, "tier": _tier, "grade": _grade, "int": _int,
    "province": _province, "city": _city, "text": _text, "id_number": _id_number,
    "bank": _bank, "account": _account, "choice": _choice,
}


def normalise_fields(entry: CatalogueEntry, submitted: dict[str, Any]) -> dict[str, Any]:
    """Validate the submitted fields against the item's specs; unknown fields are refused."""
    known = {f.name: f for f in entry.fields}
    unknown = sorted(set(submitted) - set(known))
    if unknown:
        raise invalid("FIELD_UNKNOWN", f"此业务不需要这些信息：{', '.join(unknown)[:80]}",
                      f"Fields not used by this item: {', '.join(unknown)[:80]}", field=unknown[0][:40])
    clean: dict[str, Any] = {}
    for spec in entry.fields:
        raw = submitted.get(spec.name)
        if raw is None or (isinstance(raw, str) and not raw.strip()):
            if spec.required:
                raise invalid("FIELD_MISSING", f"请提供{spec.label_zh}", f"Please give the {spec.label_en}",
                              field=spec.name)
            continue
        if isinstance(raw, (dict, list, bool)) or (isinstance(raw, float)):
            raise invalid("FIELD_TYPE", f"{spec.label_zh}格式不对", f"The {spec.label_en} has the wrong type",
                          field=spec.name)
        clean[spec.name] = NORMALISERS[spec.type](spec, raw)
    return clean
