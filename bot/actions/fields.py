"""Reading form fields from what the person said.

`extract_values` (bot/actions/values/) reads every field a user turn gives, the
way residents say it; `parse_field` below is the older one-field reader, kept
for its callers until they move.


Each catalogue field has a type (backend/data/catalog.yml). Here a value is
taken from an entity or the text and normalised (full-width digits, month and
date formats, Chinese numerals, yes/no words), with a hint when its *format* is
wrong. Whether the value is allowed (a tier that exists, a province that
exists, a cooperating bank, a matching account holder) is the backend's
decision: its 422 answers come back to the form as a re-ask with its own fix.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Any, Dict, List, Optional, Sequence, Tuple

from .common import add_months_key, now
from .values import extract_values  # noqa: F401  (contract #2: every value a user turn gives)
from .values.identifiers import PRE_APP_RE, id_check_ok  # one home for the ID check digit (shared with extraction)

_CN_NUM = {
    "零": 0,
    "〇": 0,
    "一": 1,
    "二": 2,
    "两": 2,
    "三": 3,
    "四": 4,
    "五": 5,
    "六": 6,
    "七": 7,
    "八": 8,
    "九": 9,
    "十": 10,
    "幺": 1,
}

# Which NLU entity (docs/nlu-conventions.md) can fill a field of a given type / name.
ENTITY_FOR_TYPE = {
    "province": "province",
    "city": "city",
    "tier": "medical_tier",
    "grade": "pension_grade",
    "month": "month",
    "id_number": "id_number",
    "bank": "bank_name",
    "pre_application_number": "pre_application_number",
}
ENTITY_FOR_NAME = {"hukou_category": "hukou_category", "phone": "phone_number"}
BUTTON_ENTITY = "choice"  # button payloads: /inform{"choice": "<value>"}

# Words for choice values (the values themselves are the backend's).
CHOICE_WORDS: Dict[str, Dict[str, Sequence[str]]] = {
    "in_school": {
        "yes": ("yes", "是", "在", "对", "在读", "在园", "在校", "上学", "有"),
        "no": ("no", "否", "不", "没", "未", "不在"),
    },
    "relation": {
        "father": ("father", "dad", "父亲", "爸爸", "爸", "父"),
        "mother": ("mother", "mom", "mum", "母亲", "妈妈", "妈", "母"),
        "guardian": ("guardian", "监护人", "其他", "爷爷", "奶奶", "外公", "外婆", "other"),
    },
    "hukou_category": {
        "guangdong_non_shenzhen": ("广东省内非深户", "省内非深户", "省内", "广东省内", "广东户籍"),
        "outside_guangdong": ("广东省外户籍", "省外户籍", "省外", "外省", "广东省外"),
        "shenzhen": ("深户", "深圳户籍", "深圳户口", "shenzhen"),
    },
    "change_target": {
        "hukou_category": ("户籍", "户口", "hukou", "household"),
        "phone": ("手机", "电话", "phone", "mobile"),
        "address": ("地址", "住址", "address"),
    },
}
CHOICE_LABELS: Dict[str, Dict[str, Tuple[str, str]]] = {
    "in_school": {"yes": ("是（在园或在校）", "yes, in kindergarten or school"), "no": ("否", "no")},
    "relation": {
        "father": ("父亲", "father"),
        "mother": ("母亲", "mother"),
        "guardian": ("其他监护人", "other guardian"),
    },
    "hukou_category": {
        "shenzhen": ("深户", "Shenzhen hukou"),
        "guangdong_non_shenzhen": ("广东省内非深户", "Guangdong, not Shenzhen"),
        "outside_guangdong": ("广东省外户籍", "outside Guangdong"),
    },
    "change_target": {
        "hukou_category": ("户籍类别", "hukou category"),
        "phone": ("手机号码", "mobile number"),
        "address": ("联系地址", "address"),
    },
    "category": {
        "被征地农民": ("被征地农民", "farmers whose land was requisitioned"),
        "原农村户籍人员": ("原农村户籍人员", "former rural hukou holders"),
        "原临时工": ("原临时工", "former temporary workers"),
        "其他符合政策人员": ("其他符合政策人员", "others covered by the policy"),
    },
}


@dataclass
class Parsed:
    value: Optional[str] = None
    hint_zh: Optional[str] = None
    hint_en: Optional[str] = None


def choice_values(spec: Dict[str, Any]) -> List[str]:
    """The values of a choice field (the API lists values; catalog.yml read directly may give
    {value, label_zh, label_en, aliases})."""
    return [str(c.get("value")) if isinstance(c, dict) else str(c) for c in spec.get("choices") or []]


def clean(text: Any) -> str:
    return unicodedata.normalize("NFKC", str(text or "")).strip()


def chinese_int(text: str) -> Optional[int]:
    """'3' / '三' / '十五' / '二十' / '15' -> int (small numbers only)."""
    t = clean(text)
    if re.fullmatch(r"\d{1,4}", t):
        return int(t)
    if not t or any(c not in _CN_NUM for c in t):
        return None
    if "十" in t:
        head, _, tail = t.partition("十")
        tens = _CN_NUM[head] if head else 1
        ones = _CN_NUM[tail] if tail else 0
        return tens * 10 + ones if len(tail) <= 1 and len(head) <= 1 else None
    if len(t) == 1:
        return _CN_NUM[t]
    return None


def number_in(text: str) -> Optional[int]:
    """The first number in a phrase: '第三档' -> 3, '15年' -> 15, 'tier 2' -> 2."""
    t = clean(text)
    m = re.search(r"\d{1,4}", t)
    if m:
        return int(m.group())
    for m in re.finditer(r"[零〇一二两三四五六七八九十]+", t):
        if m.group() == "一" and _NOT_A_COUNT.match(t, m.end()) and not t[max(0, m.start() - 1) : m.start()] == "第":
            continue  # "再说一遍", "等一下", "一样": words, not the number one
        return chinese_int(m.group())
    return None


# After a lone 一, characters that make it part of a word ("一遍", "一下", "一点") rather than a count.
_NOT_A_COUNT = re.compile(r"[遍下次点样起直般些会定切共边并旦块个]")


def parse_month(text: str) -> Optional[str]:
    t = clean(text).replace(" ", "")
    today = now()
    this = f"{today.year:04d}-{today.month:02d}"
    rel = {
        "上上个月": -2,
        "上上月": -2,
        "上个月": -1,
        "上月": -1,
        "这个月": 0,
        "本月": 0,
        "当月": 0,
        "下个月": 1,
        "下月": 1,
        "lastmonth": -1,
        "thismonth": 0,
    }
    for word, delta in rel.items():
        if word in t.lower():
            return add_months_key(this, delta)
    m = re.search(r"(\d{4})\s*(?:年|-|/|\.)\s*(\d{1,2})", t)
    if m and 1 <= int(m.group(2)) <= 12:
        return f"{int(m.group(1)):04d}-{int(m.group(2)):02d}"
    m = re.search(r"(今年|去年|前年)?([零〇一二两三四五六七八九十]{1,3}|\d{1,2})月", t)
    if m:
        mon = chinese_int(m.group(2))
        if mon and 1 <= mon <= 12:
            year = today.year - {"去年": 1, "前年": 2}.get(m.group(1) or "", 0)
            return f"{year:04d}-{mon:02d}"
    return None


def parse_date(text: str) -> Optional[str]:
    from datetime import date

    t = clean(text)
    m = re.search(r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})", t)
    if not m:
        return None
    try:
        return date(int(m.group(1)), int(m.group(2)), int(m.group(3))).isoformat()
    except ValueError:
        return None


def entity_values(message: Dict[str, Any], name: str) -> List[str]:
    return [
        str(e.get("value"))
        for e in (message.get("entities") or [])
        if e.get("entity") == name and e.get("value") not in (None, "")
    ]


def _outside_of(text: str, value: str) -> bool:
    """True when the text says 'outside <value>' (广东省外, 湖南以外) rather than <value>."""
    for name in {value, value.rstrip("省市")}:
        if len(name) >= 2 and re.search(re.escape(name) + r"省?(以外|之外|外)", text):
            return True
    return False


def _strip_filler(text: str) -> str:
    t = clean(text)
    t = re.sub(r"^(嗯+|那个|就是|我的|是|叫|在|转到|转去|去|到|from|to)\s*", "", t)
    return t.strip(" ，。,.!！?？:：")


def parse_field(spec: Dict[str, Any], message: Dict[str, Any], *, requested: bool) -> Parsed:
    """Read field `spec` from the message.

    requested=True: the question just asked was for this field, so the plain text
    may be the answer. requested=False: only an unambiguous entity counts.
    Returns Parsed(value) or Parsed(None, hint) when the answer's format is wrong,
    or Parsed() when the message does not say anything about the field.
    """
    name, ftype = spec["name"], spec.get("type", "text")
    text = clean(message.get("text"))
    is_payload = text.startswith("/")
    entity = ENTITY_FOR_NAME.get(name) or ENTITY_FOR_TYPE.get(ftype)
    candidates = entity_values(message, name)  # /inform{"<field>": ...}
    if requested:
        candidates += entity_values(message, BUTTON_ENTITY)
    if entity:
        # the last mention wins: "从二档换成一档" means 一档; "广东省外" does not mean 广东省
        candidates += [v for v in reversed(entity_values(message, entity)) if not _outside_of(text, v)]
    if requested and not is_payload and text:
        candidates.append(text)
    if not candidates:
        return Parsed()
    for raw in candidates:
        value = _normalise(spec, raw)
        if value is not None:
            return Parsed(value)
    if not requested:
        return Parsed()
    if ftype == "id_number" and any(
        re.search(r"\d{17}[0-9X]", re.sub(r"[\s\-]", "", clean(c)).upper()) for c in candidates
    ):
        return Parsed(
            None,
            "这个身份证号码的校验位（最后一位）与前17位对不上，可能有一位输错了，请核对后重新输入。",
            "The check character (the last one) of that ID number does not match the first 17 digits; "
            "one of them may be mistyped. Please check it and type it again.",
        )
    return Parsed(None, *hint_for(spec))


def _normalise(spec: Dict[str, Any], raw: str) -> Optional[str]:
    name, ftype = spec["name"], spec.get("type", "text")
    t = clean(raw)
    if not t:
        return None
    if name == "phone":
        digits = re.sub(r"[\s\-+]", "", t)
        digits = digits[2:] if digits.startswith("86") and len(digits) == 13 else digits
        m = re.fullmatch(r"1\d{10}", digits) or re.search(r"(?<!\d)1\d{10}(?!\d)", t)
        return m.group() if m else None
    if ftype == "month":
        return parse_month(t)
    if ftype == "date":
        return parse_date(t)
    if ftype in ("tier", "grade"):
        n = number_in(t)
        return str(n) if n is not None and 0 < n < 100 else None
    if ftype == "int":
        n = number_in(t)
        return str(n) if n is not None else None
    if ftype == "id_number":
        m = re.search(r"(?<![0-9])(\d{17}[0-9X]|\d{15})(?![0-9X])", re.sub(r"[\s\-]", "", t).upper())
        if not m:
            return None
        number = m.group(1)
        return number if len(number) == 15 or id_check_ok(number) else None
    if ftype == "account":
        digits = re.sub(r"[\s\-]", "", t)
        return digits if re.fullmatch(r"\d{10,30}", digits) else None
    if ftype == "pre_application_number":
        m = PRE_APP_RE.search(re.sub(r"[\s\-]", "", t).upper())
        return m.group() if m else None
    if ftype == "choice" or name in CHOICE_WORDS:
        return _choice(spec, t)
    if ftype in ("province", "city"):
        t = _strip_filler(t)
        if re.fullmatch(r"[\u4e00-\u9fff·]{2,12}|[A-Za-z][A-Za-z .'-]{1,30}", t):
            return t
        return None
    # bank / text: any short, printable answer
    t = _strip_filler(t) if ftype == "bank" else t
    if 1 <= len(t) <= 100 and not any(unicodedata.category(c).startswith("C") for c in t):
        return t
    return None


def _choice(spec: Dict[str, Any], text: str) -> Optional[str]:
    choices = choice_values(spec)
    low = text.lower()
    for c in choices:
        if low == c.lower():
            return c
    if set(choices) == {"yes", "no"}:
        if re.search(r"不|没|否|非|\bno\b|\bnot\b|\bnope\b", low):
            return "no"
        if re.search(r"是|在|对|有|\byes\b|\byep\b|\byeah\b", low):
            return "yes"
        return None
    words = CHOICE_WORDS.get(spec["name"], {})
    # longest word first: "不在" must win over "在"
    pairs = sorted(((w, v) for v, ws in words.items() for w in ws), key=lambda p: -len(p[0]))
    for word, value in pairs:
        if word.lower() in low and (not choices or value in choices):
            return value
    for c in choices:
        if c in text or text in c:
            return c
    return None


def hint_for(spec: Dict[str, Any]) -> Tuple[str, str]:
    name, ftype = spec["name"], spec.get("type", "text")
    label_zh, label_en = spec.get("label_zh", name), spec.get("label_en", name)
    if name == "phone":
        return "手机号码应为11位数字，以1开头。", "A mobile number has 11 digits and starts with 1."
    hints = {
        "month": ("月份请写成“2026年10月”或“2026-10”。", 'Please write the month like "2026-10".'),
        "date": ("日期请写成“2020-05-18”或“2020年5月18日”。", 'Please write the date like "2020-05-18".'),
        "tier": ("请选择档次，例如“一档”或“二档”。", 'Please choose a tier, e.g. "tier 1" or "tier 2".'),
        "grade": ("请告诉我档次的数字，例如“第三档”。", 'Please give the grade as a number, e.g. "3".'),
        "int": (f"{label_zh}请用数字回答，例如“2015”。", f"Please give the {label_en} as a number, e.g. 2015."),
        "id_number": (
            "身份证号码应为18位（最后一位可能是X），请核对每一位后重新输入。",
            "An ID number has 18 characters (the last may be X) and its check character must match; "
            "please check it and type it again.",
        ),
        "account": ("银行账号应为10到30位数字，请核对后重新输入。", "A bank account number has 10 to 30 digits."),
        "province": ("请告诉我省份名称，例如“湖南省”或“湖南”。", "Please name the province, e.g. 湖南 (Hunan)."),
        "city": ("请告诉我城市名称，例如“长沙”。", "Please name the city, e.g. 长沙 (Changsha)."),
        "pre_application_number": (
            "预申请号以YS开头，共15位，例如“YS202600000012X”。",
            "A pre-application number starts with YS and has 15 characters, e.g. YS202600000012X.",
        ),
    }
    if ftype in hints:
        return hints[ftype]
    allowed = [e for e in (spec.get("schema") or {}).get("allowed") or [] if isinstance(e, dict)]
    if allowed and ftype in ("choice", "tier", "grade") and len(allowed) <= 12:
        zh = "、".join(str(e.get("label_zh") or e.get("value")) for e in allowed)
        en = ", ".join(str(e.get("label_en") or e.get("value")) for e in allowed)
        return f"请从以下选项中选择：{zh}。", f"Please choose one of: {en}."
    if ftype == "choice" or name in CHOICE_WORDS:
        labels = CHOICE_LABELS.get(name, {})
        zh = "、".join(labels.get(c, (c, c))[0] for c in choice_values(spec))
        en = ", ".join(labels.get(c, (c, c))[1] for c in choice_values(spec))
        return f"请从以下选项中选择：{zh}。", f"Please choose one of: {en}."
    examples = {  # free text: what an answer looks like (a reply, a question or a sentence is not one)
        "address": ("深圳市福田区福华路88号2栋301", "Room 301, Building 2, 88 Fuhua Road, Futian, Shenzhen"),
        "school_name": ("深圳市南山区蓓蕾幼儿园", "Shenzhen Nanshan Beilei Kindergarten"),
        "other_place": ("长沙", "Changsha"),
    }
    if name in examples:
        zh, en = examples[name]
        return f"请告诉我{label_zh}，例如“{zh}”。", f'Please tell me the {label_en}, e.g. "{en}".'
    if ftype == "bank":
        return (
            f"请告诉我{label_zh}，例如“招商银行”或“工行”。",
            f'Please tell me the {label_en}, e.g. "China Merchants Bank" or "ICBC".',
        )
    if name.endswith("_name") and ftype == "text":
        return f"请告诉我{label_zh}（姓名），例如“张三”。", f'Please tell me the {label_en}, e.g. "Zhang San".'
    return f"请告诉我{label_zh}。", f"Please tell me the {label_en}."


def schema_label(spec: Dict[str, Any], value: Any, lang: str) -> Optional[str]:
    """The label the backend's schema gives an allowed value ('yes' -> 在园在校, 3 -> 第3档（每年2400元）)."""
    if spec.get("type") in ("text", "id_number", "account", "phone"):
        return None
    for entry in (spec.get("schema") or {}).get("allowed") or []:
        if isinstance(entry, dict) and str(entry.get("value")) == str(value):
            label = entry.get("label_en" if lang == "en" else "label_zh")
            return str(label) if label else None
    return None


def display_value(spec: Dict[str, Any], value: Any, lang: str) -> str:
    """How a collected value is shown back (personal numbers masked)."""
    from .common import mask_account, mask_id, mask_phone

    name, ftype = spec["name"], spec.get("type", "text")
    if value is None:
        return "-"
    if ftype == "id_number":
        return mask_id(value)
    if ftype == "account":
        return mask_account(value)
    if name == "phone" or ftype == "phone":
        return mask_phone(value)
    label = schema_label(spec, value, lang)
    if label:
        return label
    labels = CHOICE_LABELS.get(name)
    if labels and str(value) in labels:
        return labels[str(value)][1 if lang == "en" else 0]
    if ftype == "tier":
        v = str(value)
        if lang == "en":
            return f"tier {v}"
        return f"{'一二三四五'[int(v) - 1]}档" if v.isdigit() and 0 < int(v) < 6 else f"{v}档"
    if ftype == "grade":
        return f"grade {value}" if lang == "en" else f"第{value}档"
    return str(value)
