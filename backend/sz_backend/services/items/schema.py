"""The field schema listed with each catalogue field (GET /catalogue, eligibility).

What a client needs to ask for, understand and pre-check a value without copying
a rule: the type, whether it is required, the allowed values (with labels and
the names people use, from `allowed.py`, the same lists the normalisers accept)
and, for open types, the format and range in words. The final word stays with
POST /items/{code}/validate, which runs the submission's own checks.
"""

from __future__ import annotations

from typing import Any

from ...catalogue import FieldSpec, get_policy
from . import allowed

# Format of the open types, in words (what the normalisers in fields.py accept).
_FORMATS: dict[str, tuple[str, str, str | None]] = {
    "month": ("年月，如“2026-10”或“2026年10月”", 'a month, e.g. "2026-10"', "YYYY-MM"),
    "date": ("日期，如“2020-05-18”或“2020年5月18日”", 'a date, e.g. "2020-05-18"', "YYYY-MM-DD"),
    "int": ("整数", "a whole number", None),
    "id_number": ("18位居民身份证号码（末位可为X）", "an 18-character resident ID number (last may be X)", None),
    "account": ("银行账号，10到30位数字", "a bank account number of 10 to 30 digits", r"\d{10,30}"),
    "phone": ("11位中国大陆手机号码，如13800138000", "an 11-digit mainland mobile number", r"1[3-9]\d{9}"),
    "text": ("文字，1到100个字", "text of 1 to 100 characters", None),
    "tier": ("医疗保险档次", "medical insurance tier", None),
    "grade": ("居民养老保险缴费档次", "residents' pension grade", None),
    "province": ("省份（全称或简称）", "a province (full or short name)", None),
    "city": ("城市（地级市或县级市）", "a city (prefecture- or county-level)", None),
    "bank": ("金融社保卡合作银行", "a bank cooperating with the financial social security card", None),
    "choice": ("从选项中选择一项", "one of the options", None),
}


# Ranges and cross-field rules, per field name, in words (the rules themselves are in the handlers).
def _rules(spec: FieldSpec) -> tuple[str, str] | None:
    policy = get_policy()
    return {
        "years": (
            f"1至{policy['resident_pension']['back_payment_max_years']}年",
            f"1 to {policy['resident_pension']['back_payment_max_years']} years",
        ),
        "work_start_year": (
            "不早于年满16周岁的年份，不晚于结束年份",
            "not before you turned 16, not after the last year",
        ),
        "work_end_year": ("不晚于今年，不早于起始年份", "not after this year, not before the first year"),
        "from_month": ("不晚于结束月", "not after the last month"),
        "to_month": ("不晚于本月，不早于起始月", "not after this month, not before the first month"),
        "settle_in_date": ("在孩子出生之后、今天之前", "between the child's birth and today"),
        "month": ("扣款失败的月份，不晚于本月", "a month whose deduction failed, not after this month"),
        "destination_city": ("须属于所填省份，不能是深圳", "must be in the province given, not Shenzhen"),
        "from_city": ("须属于所填省份，不能是深圳", "must be in the province given, not Shenzhen"),
        "other_place": ("深圳以外的参保地", "a place outside Shenzhen"),
        "medical_tier": ("变更时须与现有档次不同", "when changing: not the current tier"),
        "pension_grade": ("变更时须与现有档次不同", "when changing: not the current grade"),
        "holder_name": ("须为本人姓名，否则转为预申请", "must be your own name, otherwise a pre-application"),
        "holder_id_number": (
            "须为本人身份证号，否则转为预申请",
            "must be your own ID number, otherwise a pre-application",
        ),
        "new_id_number": ("须与社保记录中的15位号码对应", "must correspond to the 15-digit number on record"),
        "guardian_id_number": ("成年人，不能是孩子本人", "an adult, not the child"),
        "school_name": ("在园在校时必填", "required when in kindergarten or school"),
    }.get(spec.name)


def field_schema(spec: FieldSpec) -> dict[str, Any]:
    fmt_zh, fmt_en, pattern = _FORMATS.get(spec.type, ("", "", None))
    schema: dict[str, Any] = {
        "type": spec.type,
        "required": spec.required,
        "allowed": allowed.allowed_for(spec),
        "format_zh": fmt_zh,
        "format_en": fmt_en,
    }
    if pattern:
        schema["pattern"] = pattern
    if spec.type == "text":
        schema["max_length"] = 100
        schema["text_format"] = spec.text_format or "free"
        if spec.text_format == "person_name":
            schema["format_zh"], schema["format_en"] = "姓名（汉字或英文字母）", "a person's name (letters only)"
    if spec.type == "city":
        schema["province_field"] = spec.name.replace("_city", "_province")
    rules = _rules(spec)
    if rules:
        schema["rule_zh"], schema["rule_en"] = rules
    return schema


def public_field(spec: FieldSpec) -> dict[str, Any]:
    return spec.public() | {"schema": field_schema(spec)}
