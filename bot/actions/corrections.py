"""Reading a correction: which value already given the person changes, and to what.

"不对，应该是湖北" / "银行改成建设银行" / "刚才那个说错了，是二档" / "改一下银行" replace a
value given earlier, inside the form or at the summary; they must never fill the
next field nor cancel the task. This module only reads the message: the form
(items.ValidateItemForm) and the summary (repair.ActionCorrectTask) apply it.

Which field: the one the message names ("银行", "账号", "城市" ... from the field
labels), else the fields whose value the message gives unambiguously (an entity),
else, for "刚才说错了", the field answered last. The new value is read by the
same field reading as any answer (fields.extract_values when it is there,
else fields.parse_field), from the words after "是 / 改成 / 应该是".
"""

from __future__ import annotations

import re
from typing import Any, Dict, List, Optional, Sequence

from . import fields as field_reading
from .fields import clean as _clean
from .fields import entity_values, parse_field


def clean(text: Any) -> str:
    """NFKC and Traditional -> Simplified (銀行填錯了 reads as 银行填错了)."""
    t = _clean(text)
    try:
        from bot.components.normalizer import to_simplified

        return to_simplified(t)
    except Exception:  # noqa: BLE001 - without OpenCC the Traditional words are simply not recognised
        return t


# The person says an earlier answer was wrong (not merely "no").
PAST_ERROR = re.compile(
    r"说错|講錯|讲错|說錯|搞错|搞錯|弄错|弄錯|填错|填錯|写错|寫錯|打错|打錯|输错|輸錯|选错|選錯|报错了|"
    r"更正|纠正|糾正|刚才.{0,4}不对|剛才.{0,4}不對|上一个.{0,3}不对|前面.{0,4}不对|"
    r"\bI meant\b|\bmade a mistake\b|\bcorrection\b|\bthat'?s wrong\b|\bwrong\b",
    re.I,
)
# The message says something is wrong / to be changed (at the summary: "不对" asks which one).
WRONG = re.compile(r"不对|不對|错|錯|有误|有誤|不是|改|换|換|\bwrong\b|\bchange\b|\bincorrect\b|\bnot right\b", re.I)
# The person wants to stop, not to change anything.
CANCEL = re.compile(
    r"取消|不办|不辦|算了|不要了|不用了|不需要|先别|先不|放弃|放棄|\bcancel\b|\bnever ?mind\b|\bforget it\b", re.I
)
_STRONG = re.compile(
    r"(?:应该是|應該是|应当是|改成|改为|改為|换成|換成|其实是|其實是|实际是|實際是|\bmeant\b|\bshould be\b)\s*", re.I
)
_WEAK = re.compile(r"(?:是|:|：|\bis\b|\bto\b)\s*", re.I)
_FILLER = re.compile(
    r"^(?:不对|不對|不是|错了|錯了|说错了|說錯了|搞错了|刚才|剛才|我|那个|嗯+|哎呀|sorry|no)[，,。.\s]*", re.I
)
# Extra words naming a field, by type (the labels themselves come from the catalogue).
TYPE_WORDS = {
    "bank": ("银行", "开户行", "bank"),
    "account": ("账号", "卡号", "帐号", "account"),
    "id_number": ("身份证", "证件号", "ID"),
    "province": ("省份", "省", "province"),
    "city": ("城市", "市", "city"),
    "tier": ("档次", "档", "tier"),
    "grade": ("档次", "档", "grade"),
    "month": ("月份", "month"),
    "date": ("日期", "date"),
}
NAME_WORDS = {
    "holder_name": ("户名", "名字", "姓名"),
    "phone": ("手机", "电话", "phone"),
    "address": ("地址", "address"),
    "school_name": ("学校", "幼儿园", "school"),
    "guardian_name": ("监护人姓名", "监护人名字"),
    "relation": ("关系", "relation"),
    "settle_in_date": ("落户", "迁入", "入户"),
}


def is_past_error(text: str) -> bool:
    return bool(PAST_ERROR.search(clean(text)))


def _keywords(spec: Dict[str, Any]) -> List[str]:
    words = [str(spec.get("label_zh") or ""), str(spec.get("label_en") or "")]
    label = str(spec.get("label_zh") or "")
    if len(label) >= 4:
        words.append(label[-2:])  # 开户银行 -> 银行, 银行账号 -> 账号, 账户户名 -> 户名
    words += TYPE_WORDS.get(str(spec.get("type") or ""), ())
    words += NAME_WORDS.get(str(spec.get("name")), ())
    return [w for w in words if w]


def named_field(text: str, specs: Sequence[Dict[str, Any]]) -> Optional[str]:
    """The one field the message names (longest keyword wins); None when none or a tie."""
    t = clean(text).lower()
    best: Dict[str, int] = {}
    for spec in specs:
        hits = [len(w) for w in _keywords(spec) if w.lower() in t and (len(w) > 1 or w in ("省", "市", "档"))]
        if hits:
            best[spec["name"]] = max(hits)
    if not best:
        return None
    top = max(best.values())
    names = [n for n, v in best.items() if v == top]
    return names[0] if len(names) == 1 else None


def value_text(text: str, spec: Optional[Dict[str, Any]] = None) -> str:
    """The words that carry the new value: after the last 是 / 改成 / 应该是, without the field's name."""
    t = clean(text)
    parts = _STRONG.split(t)
    if len(parts) == 1:
        parts = _WEAK.split(t)
    rest = parts[-1] if len(parts) > 1 else t
    if spec is not None and len(parts) == 1:  # "改一下银行": the field's name is not its value
        for w in sorted(_keywords(spec), key=len, reverse=True):
            rest = rest.replace(w, "")
    prev = None
    while prev != rest:
        prev = rest
        rest = _FILLER.sub("", rest.strip(" ，,。.!！?？~～"))
    rest = re.sub(
        r"(改一下|修改|更改|要改|重新填|重填|填错了|写错了|打错了|输错了|说错了|不对|错了|吧|啊|呀|的)+$", "", rest
    )
    return rest.strip(" ，,。.!！?？~～")


def _read(spec: Dict[str, Any], message: Dict[str, Any], *, requested: bool) -> Optional[str]:
    return parse_field(spec, message, requested=requested).value


def _extracted(specs: Sequence[Dict[str, Any]], message: Dict[str, Any], known: Dict[str, Any]) -> Dict[str, str]:
    """Values the message gives without being asked (contract #2 when it is there)."""
    extract = getattr(field_reading, "extract_values", None)
    if extract is not None:
        try:
            found = extract(
                list(specs), str(message.get("text") or ""), list(message.get("entities") or []), None, dict(known)
            )
            return {
                k: v for k, v in (found or {}).items() if v not in (None, "") and any(s["name"] == k for s in specs)
            }
        except Exception:  # a reading failure must not lose the turn: fall back to the plain reading
            pass
    out: Dict[str, str] = {}
    for spec in _entity_fillable(specs):
        value = _read(spec, message, requested=False)
        if value is not None:
            out[spec["name"]] = value
    return out


def _entity_fillable(specs: Sequence[Dict[str, Any]]) -> List[Dict[str, Any]]:
    """Fields an entity can fill unasked: only when no other field takes the same entity."""
    by_entity: Dict[str, List[Dict[str, Any]]] = {}
    for f in specs:
        entity = field_reading.ENTITY_FOR_NAME.get(f["name"]) or field_reading.ENTITY_FOR_TYPE.get(f.get("type", ""))
        if entity:
            by_entity.setdefault(entity, []).append(f)
    return [fs[0] for fs in by_entity.values() if len(fs) == 1]


def read_correction(
    specs: Sequence[Dict[str, Any]], message: Dict[str, Any], known: Dict[str, Any], last_answered: Optional[str] = None
) -> Dict[str, Optional[str]]:
    """{field: new value or None (to be asked again)} for what the message corrects; {} when nothing.

    specs: the fields that can be corrected (those shown in the summary / already answered).
    last_answered: the field meant by "刚才说错了" when the message names none.
    """
    by_name = {s["name"]: s for s in specs}
    chosen = [v for v in entity_values(message, "choice") if v in by_name]  # "which one?" button
    if chosen:
        return {chosen[0]: None}
    text = str(message.get("text") or "")
    if text.startswith("/"):
        return {}
    named = named_field(text, specs)
    found = _extracted(specs, message, known)
    if named:
        value = found.get(named)
        if value is None:
            rest = value_text(text, by_name[named])
            value = _read(by_name[named], {"text": rest, "entities": []}, requested=True) if rest else None
        return {named: value}
    changed = {k: v for k, v in found.items() if str(v) != str(known.get(k))}
    if changed:
        return dict(changed)
    if last_answered and last_answered in by_name:
        rest = value_text(text)
        value = _read(by_name[last_answered], {"text": rest, "entities": []}, requested=True) if rest else None
        return {last_answered: value}
    return {}
