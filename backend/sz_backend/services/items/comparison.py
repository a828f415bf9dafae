"""Comparison with the hukou registry: the shared half of the `compare` items.

A compare item looks the person up in the registry (`HukouRecord`, the stand-in
for public security's data) and compares field by field. Each disagreement is a
`Mismatch` naming the field, both values and the fix; any mismatch turns the
item into a pre-application (`mismatch_result`), which the runner issues.

Also here: lookups by ID number that accept a record still holding the old
15-digit number, and the mainland mobile number check (used by the items and
by new-user registration).
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from ...errors import invalid
from ...persistence.models import HukouCategory, HukouRecord, Person
from ...rules.masking import mask_name
from .base import ItemContext, ItemResult, Mismatch

HUKOU_LABEL_ZH: dict[HukouCategory, str] = {
    HukouCategory.shenzhen: "深户",
    HukouCategory.guangdong_non_shenzhen: "广东省内非深户",
    HukouCategory.outside_guangdong: "广东省外户籍",
    HukouCategory.non_shenzhen_legacy: "非深户",
}
HUKOU_LABEL_EN: dict[HukouCategory, str] = {
    HukouCategory.shenzhen: "Shenzhen hukou",
    HukouCategory.guangdong_non_shenzhen: "Guangdong hukou outside Shenzhen",
    HukouCategory.outside_guangdong: "hukou outside Guangdong",
    HukouCategory.non_shenzhen_legacy: "non-Shenzhen (old category)",
}
NOT_RECORDED_ZH, NOT_RECORDED_EN = "未登记", "not recorded"


# -- lookups -------------------------------------------------------------------------------------------


def id_forms(id_number: str) -> list[str]:
    """The number and, for a 19xx birth, the 15-digit number it was upgraded from:
    a record not yet upgraded (身份证号正常升位) still belongs to the same person."""
    forms = [id_number]
    if len(id_number) == 18 and id_number[6:8] == "19":
        forms.append(id_number[:6] + id_number[8:17])
    return forms


def registry_record(session: Session, id_number: str) -> HukouRecord | None:
    rows = session.scalars(select(HukouRecord).where(HukouRecord.id_number.in_(id_forms(id_number))))
    return next(iter(sorted(rows, key=lambda r: -len(r.id_number))), None)  # prefer the 18-digit row


def person_by_id_number(session: Session, id_number: str) -> Person | None:
    rows = session.scalars(select(Person).where(Person.id_number.in_(id_forms(id_number))))
    return next(iter(sorted(rows, key=lambda p: -len(p.id_number))), None)


# -- field comparisons ---------------------------------------------------------------------------------


def same_name(a: str | None, b: str | None) -> bool:
    """Names compare after NFKC and without spaces (full-width letters, "欧阳 锋")."""

    def key(s: str | None) -> str:
        return re.sub(r"\s+", "", unicodedata.normalize("NFKC", s or ""))

    return bool(key(a)) and key(a) == key(b)


def record_missing(
    whose_zh: str = "", whose_en: str = "your", *, field: str = "id_number", submitted: str = ""
) -> Mismatch:
    """No registry row at all: nothing can be compared online."""
    return Mismatch(
        field=field,
        label_zh="户籍信息",
        label_en="hukou record",
        submitted=submitted,
        registry="户籍信息未找到",
        fix_zh=f"公安户籍登记中没有找到{whose_zh}的户籍信息，请携带{whose_zh}户口簿原件到窗口核实办理",
        fix_en=f"No hukou record was found for {whose_en} ID number: bring the hukou book to a service window",
    )


def hukou_category_mismatch(
    submitted: HukouCategory,
    record: HukouRecord,
    *,
    field: str = "hukou_category",
    fix_zh: str | None = None,
    fix_en: str | None = None,
) -> Mismatch | None:
    if record.hukou_category == submitted:
        return None
    registry = record.hukou_category
    return Mismatch(
        field=field,
        label_zh="户籍类别",
        label_en="hukou category",
        submitted=HUKOU_LABEL_ZH[submitted],
        registry=HUKOU_LABEL_ZH[registry],
        fix_zh=fix_zh
        or f"户籍登记为“{HUKOU_LABEL_ZH[registry]}”：请按户口簿选择户籍类别重新办理；"
        "如户口簿与登记不一致，请携带户口簿到窗口办理",
        fix_en=fix_en
        or f"The hukou registry says {HUKOU_LABEL_EN[registry]}: choose the category shown in "
        "your hukou book, or bring the hukou book to a window if they differ",
    )


def name_mismatch(
    submitted: str,
    registry_name: str,
    *,
    field: str = "name",
    label_zh: str = "姓名",
    label_en: str = "name",
    mask_registry: bool = False,
) -> Mismatch | None:
    """`mask_registry`: the registry name belongs to someone else (a guardian typed in), so show it masked."""
    if same_name(submitted, registry_name):
        return None
    return Mismatch(
        field=field,
        label_zh=label_zh,
        label_en=label_en,
        submitted=submitted,
        registry=mask_name(registry_name) if mask_registry else registry_name,
        fix_zh="请按身份证上的姓名填写；如姓名已变更，请携带户口簿到窗口更新登记",
        fix_en="Use the name exactly as on the ID card; if the name was changed, bring the hukou book to a window",
    )


def settle_in_mismatch(submitted: date, record: HukouRecord) -> Mismatch | None:
    if record.settle_in_date is not None and record.settle_in_date == submitted:
        return None
    registry = record.settle_in_date.isoformat() if record.settle_in_date else NOT_RECORDED_ZH
    if record.settle_in_date is None:
        fix_zh = "户籍登记中没有入户时间：请携带少儿户口簿到窗口办理，窗口核实入户时间后办理参保"
        fix_en = "The registry has no settle-in date: bring the child's hukou book to a window to have it checked"
    else:
        fix_zh = (
            "请按少儿户口簿“何时由何地迁来本市”一栏核对入户时间后重新提交；如户口簿与登记不一致，请携带户口簿到窗口办理"
        )
        fix_en = (
            "Check the settle-in date in the child's hukou book and submit again; if the book and the "
            "registry differ, bring the hukou book to a window"
        )
    return Mismatch(
        field="settle_in_date",
        label_zh="入户时间",
        label_en="settle-in date",
        submitted=submitted.isoformat(),
        registry=registry,
        fix_zh=fix_zh,
        fix_en=fix_en,
    )


def mismatch_result(ctx: ItemContext, mismatches: list[Mismatch], **details: object) -> ItemResult:
    """The pre-application outcome: which fields failed, and how to fix each."""
    zh = "；".join(
        f"{m.label_zh}不一致（您提交：{m.submitted or '—'}，户籍登记：{m.registry}），{m.fix_zh}" for m in mismatches
    )
    en = "; ".join(
        f"{m.label_en} does not match (submitted: {m.submitted or '-'}, registry: {m.registry}): {m.fix_en}"
        for m in mismatches
    )
    return ItemResult(
        completed=False,
        message_zh=f"{ctx.entry.name_zh}信息比对未通过：{zh}。已转为预申请，请打印申请表，携带材料到窗口办理。",
        message_en=f"{ctx.entry.name_en}: the comparison with the hukou record did not pass. {en}. "
        "It has become a pre-application: print the form and bring the materials to a window.",
        details={"comparison": "failed", "mismatched_fields": [m.field for m in mismatches], **details},
        mismatches=mismatches,
    )


# -- mainland mobile numbers ---------------------------------------------------------------------------

_MOBILE = re.compile(r"1[3-9]\d{9}")


def mainland_mobile(raw: str, *, field: str = "phone") -> str:
    """11 digits starting 13-19; accepts spaces, dashes, full-width digits and a +86/0086 prefix."""
    text = re.sub(r"[\s\-()]+", "", unicodedata.normalize("NFKC", str(raw)))
    text = re.sub(r"^(\+86|0086|86)(?=\d{11}$)", "", text)
    if _MOBILE.fullmatch(text):
        return text
    raise invalid(
        "PHONE_INVALID",
        "手机号码格式不对，应为11位中国大陆手机号码",
        "The mobile number must be an 11-digit mainland China mobile number",
        field=field,
        fix_zh="请填写以1开头的11位手机号码，如13800138000",
        fix_en="Give an 11-digit number such as 13800138000",
    )
