"""Normalisation and validation of submitted item fields, by field type.

Each function takes what a person typed (via the assistant or the API) and
returns the canonical value or raises an `invalid(...)` error that names the
field and says how to write it.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date
from typing import Any, Callable

from ...catalogue import CatalogueEntry, FieldSpec
from ...errors import BusinessError, invalid
from ...rules import banks, idnumber
from . import allowed


def _clean(value: Any) -> str:
    return unicodedata.normalize("NFKC", str(value)).strip()


def canonical_province(raw: str) -> str | None:
    found = allowed.lookup("province", _clean(raw))
    return found[0]["value"] if found else None


def is_guangdong_city(city: str) -> bool:
    return _clean(city).removesuffix("市") in allowed.cities_in("广东省")


def _month(spec: FieldSpec, raw: Any) -> str:
    text = _clean(raw)
    m = re.fullmatch(r"(\d{4})\s*(?:[-/.年])?\s*(\d{1,2})\s*(?:月份?)?", text)
    if m and 1 <= int(m.group(2)) <= 12 and 2000 <= int(m.group(1)) <= 2100:
        return f"{int(m.group(1)):04d}-{int(m.group(2)):02d}"
    raise invalid(
        "FIELD_MONTH",
        f"{spec.label_zh}格式不对",
        f"The {spec.label_en} is not a valid month",
        field=spec.name,
        fix_zh="请写成“2026年10月”或“2026-10”",
        fix_en='Write it like "2026-10"',
    )


def _date(spec: FieldSpec, raw: Any) -> str:
    text = _clean(raw)
    m = re.fullmatch(r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*[日号]?", text)
    try:
        if not m:
            raise ValueError
        return date(int(m.group(1)), int(m.group(2)), int(m.group(3))).isoformat()
    except ValueError:
        raise invalid(
            "FIELD_DATE",
            f"{spec.label_zh}不是有效日期",
            f"The {spec.label_en} is not a valid date",
            field=spec.name,
            fix_zh="请写成“2020-05-18”",
            fix_en='Write it like "2020-05-18"',
        ) from None


def _tier(spec: FieldSpec, raw: Any) -> int:
    found = allowed.lookup("tier", _clean(raw))
    if found:
        return int(found[0]["value"])
    labels = "、".join(t["label_zh"] for t in allowed.tiers())
    raise invalid(
        "FIELD_TIER",
        f"医疗保险只有{labels}",
        "Medical insurance has " + " and ".join(t["label_en"] for t in allowed.tiers()) + " only",
        field=spec.name,
        fix_zh=f"请选择{'或'.join(f'“{t}”' for t in labels.split('、'))}",
        fix_en="Choose " + " or ".join(t["label_en"] for t in allowed.tiers()),
    )


def _grade(spec: FieldSpec, raw: Any) -> int:
    found = allowed.lookup("grade", _clean(raw))
    if found:
        return int(found[0]["value"])
    count = len(allowed.grades())
    raise invalid(
        "FIELD_GRADE",
        f"缴费档次应为第1至第{count}档",
        f"The grade must be 1 to {count}",
        field=spec.name,
        fix_zh=f"请选择第1至第{count}档，如“第3档”",
        fix_en=f"Choose a grade from 1 to {count}, e.g. grade 3",
    )


def _int(spec: FieldSpec, raw: Any) -> int:
    text = _clean(raw).removesuffix("年")
    if re.fullmatch(r"\d{1,4}", text):
        return int(text)
    small = allowed.small_number(text)  # 三, 两, 十五 (counts said in words, up to 99)
    if small is not None:
        return small
    raise invalid(
        "FIELD_NUMBER",
        f"{spec.label_zh}应为数字",
        f"The {spec.label_en} must be a number",
        field=spec.name,
        fix_zh="请只填写阿拉伯数字，如“2015”或“3”",
        fix_en='Give digits only, e.g. "2015" or "3"',
    )


def _province(spec: FieldSpec, raw: Any) -> str:
    full = canonical_province(raw)
    if full:
        return full
    raise invalid(
        "FIELD_PROVINCE",
        f"没有找到“{_clean(raw)[:20]}”这个省份",
        f"Unknown province: {_clean(raw)[:20]}",
        field=spec.name,
        fix_zh="请写省份全称或简称，如“湖南省”或“湖南”",
        fix_en="Give the province, e.g. 湖南省 (Hunan)",
    )


def _text(spec: FieldSpec, raw: Any, max_len: int = 100) -> str:
    text = _clean(raw)
    if not text or len(text) > max_len or any(unicodedata.category(c).startswith("C") for c in text):
        raise invalid(
            "FIELD_TEXT",
            f"{spec.label_zh}不能为空，且不超过{max_len}个字",
            f"The {spec.label_en} must be 1 to {max_len} characters",
            field=spec.name,
            fix_zh=f"请重新填写{spec.label_zh}，不超过{max_len}个字",
            fix_en=f"Give the {spec.label_en} again, at most {max_len} characters",
        )
    return text


# Replies that answer no question: a confirmation, a shrug, a refusal. Never a name, a place or a school.
NON_ANSWERS = frozenset(
    {
        "确认",
        "确定",
        "好",
        "好的",
        "是",
        "是的",
        "对",
        "对的",
        "不对",
        "不是",
        "随便",
        "都行",
        "不知道",
        "不清楚",
        "忘了",
        "没有",
        "无",
        "取消",
        "算了",
        "嗯",
        "哦",
        "啊",
        "行",
        "可以",
        "ok",
        "okay",
        "yes",
        "no",
        "sure",
        "whatever",
        "dontknow",
        "idontknow",
        "本人",
        "我",
        "我自己",
        "自己",
    }
)
_QUESTION = re.compile(r"[?？]|(吗|呢|么|什么|怎么|为什么|哪个|哪里)$")
_PERSON_NAME = re.compile(r"[\u4e00-\u9fff][\u4e00-\u9fff·•.]{1,19}|[A-Za-z][A-Za-z .'-]{1,39}")


def _answer_text(spec: FieldSpec, raw: Any, max_len: int = 100) -> str:
    """Text that answers the question: not a non-answer, not a question back; names look like names."""
    text = _text(spec, raw, max_len)
    bare = re.sub(r"[\s\W_]+", "", text.casefold())
    if bare in NON_ANSWERS or _QUESTION.search(text):
        raise invalid(
            "FIELD_NOT_AN_ANSWER",
            f"“{text[:20]}”不是{spec.label_zh}",
            f'"{text[:20]}" is not the {spec.label_en}',
            field=spec.name,
            fix_zh=f"请直接写{spec.label_zh}" + ("，如“张伟”" if spec.text_format == "person_name" else ""),
            fix_en=f"Give the {spec.label_en} itself",
        )
    if spec.text_format == "person_name" and re.match(r"[\u4e00-\u9fff]", text):
        text = re.sub(r"\s+", "", text)  # "张 伟" is 张伟
    if spec.text_format == "person_name" and not _PERSON_NAME.fullmatch(text):
        raise invalid(
            "FIELD_NAME",
            f"{spec.label_zh}应为姓名（汉字或英文字母，不含数字和符号）",
            f"The {spec.label_en} must be a name (letters only, no digits or symbols)",
            field=spec.name,
            fix_zh="请按身份证上的姓名填写，如“张伟”",
            fix_en="Write the name as on the ID card",
        )
    return text


def _city(spec: FieldSpec, raw: Any) -> str:
    text = _text(spec, raw, 40)
    bare = re.sub(r"(?i)\s*city$", "", text).removesuffix("市")
    found = allowed.lookup("city", text) or allowed.lookup("city", bare)
    if found:
        return str(found[0]["value"])
    raise invalid(
        "FIELD_CITY",
        f"没有找到“{text[:20]}”这个城市",
        f"Unknown city: {text[:20]}",
        field=spec.name,
        fix_zh="请写地级市或县级市的名称，如“长沙”或“昆山”",
        fix_en="Give the city, e.g. 长沙 (Changsha) or 昆山 (Kunshan)",
    )


def _id_number(spec: FieldSpec, raw: Any) -> str:
    try:
        return idnumber.validate(str(raw))
    except BusinessError as err:
        err.field = spec.name  # the item's field, not the generic "id_number"
        raise


def _bank(spec: FieldSpec, raw: Any) -> str:
    return banks.canonical_bank(str(raw)) or _answer_text(spec, raw, 32)


def _account(spec: FieldSpec, raw: Any) -> str:
    text = re.sub(r"[\s-]", "", _clean(raw))
    if re.fullmatch(r"\d{10,30}", text):
        return text
    raise invalid(
        "FIELD_ACCOUNT",
        "银行账号应为10到30位数字",
        "A bank account number has 10 to 30 digits",
        field=spec.name,
        fix_zh="请对照银行卡或存折填写完整账号（只填数字）",
        fix_en="Copy the full account number from the bank card (digits only)",
    )


def _choice(spec: FieldSpec, raw: Any) -> str:
    value = allowed.choice_of(spec, _clean(raw))
    if value is not None:
        return value
    labels_zh = "、".join(c.label_zh for c in spec.choice_options)
    labels_en = ", ".join(c.label_en for c in spec.choice_options)
    raise invalid(
        "FIELD_CHOICE",
        f"{spec.label_zh}只能是：{labels_zh}",
        f"The {spec.label_en} must be one of: {labels_en}",
        field=spec.name,
        fix_zh=f"请从以下选项中选择一项：{labels_zh}",
        fix_en=f"Choose one of: {labels_en}",
    )


def _phone(spec: FieldSpec, raw: Any) -> str:
    from .comparison import mainland_mobile  # comparison imports this module's helpers

    return mainland_mobile(str(raw), field=spec.name)


NORMALISERS: dict[str, Callable[[FieldSpec, Any], Any]] = {
    "month": _month,
    "date": _date,
    "tier": _tier,
    "grade": _grade,
    "int": _int,
    "province": _province,
    "city": _city,
    "text": _answer_text,
    "id_number": _id_number,
    "bank": _bank,
    "account": _account,
    "choice": _choice,
    "phone": _phone,
}


def _unknown(entry: CatalogueEntry, submitted: dict[str, Any]) -> BusinessError | None:
    unknown = sorted(set(submitted) - {f.name for f in entry.fields})
    if not unknown:
        return None
    return invalid(
        "FIELD_UNKNOWN",
        f"此业务不需要这些信息：{', '.join(unknown)[:80]}",
        f"Fields not used by this item: {', '.join(unknown)[:80]}",
        field=unknown[0][:40],
        fix_zh="请只填写本业务列出的信息",
        fix_en="Give only the fields this item lists",
    )


def _given(raw: Any) -> bool:
    return raw is not None and not (isinstance(raw, str) and not raw.strip())


def normalise_one(spec: FieldSpec, raw: Any) -> Any:
    """One given value -> its canonical form, or the field's InvalidInput."""
    if isinstance(raw, (dict, list, bool)) or (isinstance(raw, float)):
        raise invalid(
            "FIELD_TYPE",
            f"{spec.label_zh}格式不对",
            f"The {spec.label_en} has the wrong type",
            field=spec.name,
            fix_zh=f"请用文字或数字填写{spec.label_zh}",
            fix_en=f"Give the {spec.label_en} as text or a number",
        )
    return NORMALISERS[spec.type](spec, raw)


def missing_error(spec: FieldSpec) -> BusinessError:
    return invalid(
        "FIELD_MISSING",
        f"还缺少{spec.label_zh}",
        f"The {spec.label_en} is missing",
        field=spec.name,
        fix_zh=f"请提供{spec.label_zh}",
        fix_en=f"Please give the {spec.label_en}",
    )


def missing_fields(entry: CatalogueEntry, submitted: dict[str, Any]) -> list[str]:
    return [f.name for f in entry.fields if f.required and not _given(submitted.get(f.name))]


def normalise_each(entry: CatalogueEntry, submitted: dict[str, Any]) -> tuple[dict[str, Any], dict[str, BusinessError]]:
    """Every given field on its own: (canonical values, errors by field). Missing fields are neither:
    the validate call reports them separately. Same normalisers as `normalise_fields`."""
    values: dict[str, Any] = {}
    errors: dict[str, BusinessError] = {}
    unknown = _unknown(entry, submitted)
    if unknown is not None:
        for name in sorted(set(submitted) - {f.name for f in entry.fields}):
            errors[name[:40]] = unknown
    for spec in entry.fields:
        raw = submitted.get(spec.name)
        if not _given(raw):
            continue
        try:
            values[spec.name] = normalise_one(spec, raw)
        except BusinessError as err:
            errors[spec.name] = err
    return values, errors


def normalise_fields(entry: CatalogueEntry, submitted: dict[str, Any]) -> dict[str, Any]:
    """Validate the submitted fields against the item's specs; unknown fields are refused."""
    unknown = _unknown(entry, submitted)
    if unknown is not None:
        raise unknown
    clean: dict[str, Any] = {}
    for spec in entry.fields:
        raw = submitted.get(spec.name)
        if not _given(raw):
            if spec.required:
                raise missing_error(spec)
            continue
        clean[spec.name] = normalise_one(spec, raw)
    return clean
