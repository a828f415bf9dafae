"""extract_values: every field value one user turn gives, normalised for the backend.

Contract (PROTOCOL.md #2): given the item's field specs (GET /catalogue), the
user's text, the NLU entities, the field just asked (or None) and the values
already known, return {field name: canonical string} for every field the
turn fills, not only the asked one. The backend decides validity; this only
understands the words. Free text counts as an answer only for the field just
asked (or one a correction points at) and never when it is a reply, a
question, a request or a number of the wrong kind.
"""

from __future__ import annotations

import logging
import re
from datetime import datetime
from typing import Any, Dict, List, Optional, cast

from . import choices, dates, freetext, identifiers, numbers, places
from .text import is_question, simplify, split_correction, strip_punct

Spec = Dict[str, Any]
logger = logging.getLogger(__name__)

# NLU entity names (docs/nlu-conventions.md) that carry a field's value
ENTITY_FOR_TYPE = {
    "province": "province",
    "city": "city",
    "tier": "medical_tier",
    "grade": "pension_grade",
    "month": "month",
    "id_number": "id_number",
    "bank": "bank_name",
}
ENTITY_FOR_NAME = {"hukou_category": "hukou_category", "phone": "phone_number"}


def _clock() -> datetime:
    from ..common import now

    return now()


def _ftype(spec: Spec) -> str:
    return str((spec.get("schema") or {}).get("type") or spec.get("type") or "text")


def _role(spec: Spec) -> Optional[str]:
    name = spec["name"]
    if name.startswith(("destination_", "to_", "dest_")):
        return places.DEST
    if name.startswith(("from_", "origin_", "previous_")):
        return places.ORIGIN
    return None


def _is_year_field(spec: Spec) -> bool:
    return spec["name"].endswith("_year") or "年份" in str(spec.get("label_zh", ""))


def _is_count_field(spec: Spec) -> bool:
    return spec["name"] == "years" or "年数" in str(spec.get("label_zh", "")) or spec["name"].endswith("_count")


def _named_by_label(specs: List[Spec], text: str) -> Optional[str]:
    """The one field among `specs` whose label the text names ('结束月是5月' -> to_month), by at
    least two of the label's own two-character words (those not shared by the other labels)."""
    grams = {
        s["name"]: {str(s.get("label_zh", ""))[i : i + 2] for i in range(len(str(s.get("label_zh", ""))) - 1)}
        for s in specs
    }
    for said, label_word in _LABEL_SYNONYMS:  # '开始月份说错了' names 起始月
        text = text.replace(said, label_word)
    hits = []
    for name, own in grams.items():
        others = set().union(*(g for n, g in grams.items() if n != name)) if len(grams) > 1 else set()
        if sum(1 for g in own - others if g in text) >= 2:
            hits.append(name)
    return hits[0] if len(hits) == 1 else None


# How people name a field's label word otherwise (the labels say 起始 / 结束).
_LABEL_SYNONYMS = (("开始", "起始"), ("截止", "结束"), ("截至", "结束"), ("终止", "结束"), ("最后", "结束"))
_GENERIC_GRAMS = {"日期", "月份", "年份", "号码", "名称", "时间"}


def _label_words(spec: Spec) -> List[str]:
    """Two-character words of the field's label that say what the value is about (扣款, 失败, 入户)."""
    label = str(spec.get("label_zh", ""))
    return [g for g in {label[i : i + 2] for i in range(len(label) - 1)} if g not in _GENERIC_GRAMS]


def _is_name_field(spec: Spec) -> bool:
    return spec["name"].endswith("_name") and spec["name"] not in ("bank_name", "school_name")


# ---- one reader per kind of field ------------------------------------------------------------
def _places(specs: List[Spec], text: str, asked: Optional[str], out: Dict[str, str]) -> None:
    place_specs = [s for s in specs if _ftype(s) in ("province", "city")]
    if not place_specs:
        return
    asked_place = any(s["name"] == asked for s in place_specs)
    found = places.find_places(text, whole_answer=asked_place)
    if not found:
        if asked_place:  # a name the schema lists but the gazetteer does not know
            spec = next(s for s in place_specs if s["name"] == asked)
            value = choices.match_allowed(spec, strip_punct(text), whole=True)
            if value is not None:
                out[cast(str, asked)] = value
                entry = next((e for e in choices.allowed(spec) if str(e.get("value")) == value), {})
                province_field = (spec.get("schema") or {}).get("province_field")
                if entry.get("province") and province_field in {s["name"] for s in place_specs}:
                    out[cast(str, province_field)] = str(entry["province"])
        return
    groups: Dict[Optional[str], List[Spec]] = {}
    for s in place_specs:
        groups.setdefault(_role(s), []).append(s)
    for role, group in groups.items():
        place = places.choose(found, role, answer=asked_place) if role else (found[-1].place if found else None)
        if place is None:
            continue
        for s in group:
            if _ftype(s) == "province":
                out[s["name"]] = choices.match_allowed(s, place.province, whole=True) or place.province
            elif place.city:
                out[s["name"]] = choices.match_allowed(s, place.city, whole=True) or place.city


def _months(
    specs: List[Spec], text: str, asked: Optional[str], known: Dict[str, Any], today: datetime, out: Dict[str, str]
) -> None:
    month_specs = [s for s in specs if _ftype(s) == "month"]
    if not month_specs:
        return
    if len(month_specs) >= 2:
        span = dates.month_range(text, today)
        if span:
            out[month_specs[0]["name"]], out[month_specs[1]["name"]] = span
            return
    value = dates.month(text, today, _label_words(month_specs[0]) if len(month_specs) == 1 else ())
    if value is None:
        return
    names = [s["name"] for s in month_specs]
    by_label = _named_by_label(month_specs, text) if len(names) > 1 else None
    if by_label:
        target = by_label
    elif asked in names:
        target = cast(str, asked)
    elif len(names) >= 2 and re.search(
        r"(到|至|截止|结束|until|till|to)\s*$", text[: max(0, text.find(value[5:].lstrip("0")))]
    ):
        target = names[1]
    else:
        target = next((n for n in names if known.get(n) in (None, "")), names[0])
    out[target] = value


def _years(
    specs: List[Spec], text: str, asked: Optional[str], known: Dict[str, Any], today: datetime, out: Dict[str, str]
) -> None:
    year_specs = [s for s in specs if _ftype(s) == "int" and _is_year_field(s)]
    if year_specs:
        found = dates.years(text, today)
        if len(found) >= 2 and len(year_specs) >= 2:
            out[year_specs[0]["name"]], out[year_specs[1]["name"]] = str(found[0]), str(found[1])
        elif found:
            names = [s["name"] for s in year_specs]
            end_cue = re.search(r"到|至|截止|结束|离职|退休|辞职|until|till|to\s", text)
            by_label = _named_by_label(year_specs, text) if len(names) > 1 else None
            t = dates.numeric(text)
            said = re.search(rf"(?:{found[0]}|(?<!\d){str(found[0])[2:]})\s*年", t)
            # "九几年开始…一直干到2000年": a year said right after 到/至 ends the period, whatever else is said
            ends = said is not None and bool(
                re.search(r"(到|至|截止到?|直到|until|till|to)\s*$", t[max(0, said.start() - 4) : said.start()])
            )
            if by_label:
                target = by_label
            elif len(names) >= 2 and ends:
                target = names[1]
            elif asked in names:
                target = cast(str, asked)
            elif len(names) >= 2 and end_cue and not re.search(r"从|开始|起|since|from", text):
                target = names[1]
            else:
                target = next((n for n in names if known.get(n) in (None, "")), names[0])
            out[target] = str(found[0])
    for s in specs:
        if _ftype(s) != "int" or _is_year_field(s):
            continue
        asked_here = s["name"] == asked
        if _is_count_field(s):
            n = (
                None
                if numbers.vague_count(text)
                else (numbers.count_of_years(dates.numeric(text)) or numbers.count_of_years(text))
            )
            if n is None and asked_here:
                n = _bare_number(text)
        else:
            n = _bare_number(text) if asked_here else None
        if n is not None:
            out[s["name"]] = str(n)


def _bare_number(text: str) -> Optional[int]:
    t = strip_punct(dates.numeric(text))
    m = re.fullmatch(r"(?:大概|大约|差不多|约)?\s*(\d{1,4})\s*(?:个|年|来年|多年)?", t)
    return int(m.group(1)) if m else None


def _other_place(text: str, asked: bool = True) -> Optional[str]:
    """The other place insured (free text): the place as the person wrote it ('湖南省长沙市', '惠州')."""
    found = [m for m in places.find_places(text, whole_answer=asked) if m.place.city != "深圳"]
    if found:
        m = found[-1]
        return text[m.start : m.end]
    return freetext.short_text(text, 30) if asked else None


def _free_text(spec: Spec, text: str, asked: bool) -> Optional[str]:
    name = spec["name"]
    if name == "phone" or _ftype(spec) == "phone":
        return identifiers.phone(text)
    if name == "address":
        if asked:
            return freetext.address(text)
        m = re.search(r"(?:地址|住址|address)\s*(?:是|为|改成|改为|换成|:|：|is|to)\s*(.+)$", text, re.I)
        return freetext.address(m.group(1)) if m else None
    if name == "school_name":
        return (
            freetext.school(text)
            if (asked or re.search(r"在|读|上|goes to|attends|studies at|\bat\b|\bin\b", text))
            else None
        )
    if _is_name_field(spec):
        if asked:
            return freetext.person_name(text)
        m = re.search(
            r"(?:户名|姓名|名字|名叫|叫做|叫)\s*(?:是|为|:|：)?\s*([\u4e00-\u9fff·]{2,8}|[A-Za-z][A-Za-z' \-]{1,30})",
            text,
        )
        if not m or re.search(
            r"(孩子|小孩|儿子|女儿|宝宝|娃|学生|child|son|daughter)\S{0,3}$", text[max(0, m.start() - 6) : m.start()]
        ):
            return None  # '孩子叫李小红' names the child
        return freetext.person_name(m.group(1))
    if name == "other_place" and not asked:
        # '在长沙也交了', '另一个地方是广州': said with the words of a second place
        return (
            _other_place(text, asked=False)
            if re.search(r"另一|另外|也交|也缴|也买|也参保|两地|两边|重复", text)
            else None
        )
    if not asked:
        return None
    if name == "other_place" or "地" in str(spec.get("label_zh", "")):
        return _other_place(text)
    return freetext.short_text(text)


def _read(specs: List[Spec], text: str, asked: Optional[str], known: Dict[str, Any], today: datetime) -> Dict[str, str]:
    out: Dict[str, str] = {}
    _places(specs, text, asked, out)
    _months(specs, text, asked, known, today, out)
    _years(specs, text, asked, known, today, out)
    id_specs = [s for s in specs if _ftype(s) == "id_number"]
    if id_specs:
        # a child's number never fills an adult's field (guardian, account holder, the person)
        number = next((n for n, child in identifiers.id_numbers(text) if not child), None)
        if number:
            names = [s["name"] for s in id_specs]
            out[cast(str, asked) if asked in names else next((n for n in names if not known.get(n)), names[0])] = number
    # "从三档升到五档怎么操作，帮我升一下": a question that also asks to do it gives its values
    question = is_question(text) and not _DO_IT.search(text)
    for s in specs:
        name, ftype, here = s["name"], _ftype(s), s["name"] == asked
        value: Optional[str] = None
        if question and ftype in ("tier", "grade", "text", "bank") and name != "other_place":
            continue  # '一档多少钱？' asks about a tier, it does not choose one
        if (
            question
            and ftype == "choice"
            and not re.search(
                r"我(?:以前|原来|之前|过去|本来|曾经|从前)?是|我的|我户口|我現在|我现在|我家|孩子(已经|现在|还)|"
                r"\bi (?:am|was)\b|\bi'm\b|\bmy\b",
                text,
                re.I,
            )
        ):
            continue  # '非深户要改成什么？' asks; '我是东莞户口，要怎么改' / '我以前是农村户口…我能办吗' tell
        if ftype == "date":
            value = dates.full_date(text, today, _label_words(s))
        elif ftype in ("tier", "grade"):
            value = choices.level(s, text, here)
        elif ftype == "bank":
            value = choices.bank(s, text, here)
        elif ftype == "account":
            if here or re.search(r"账号|卡号|账户|帐户|account|card", text, re.I):
                value = identifiers.account(text)
        elif ftype == "pre_application_number":
            value = identifiers.pre_application(text)
        elif ftype == "choice" or choices.allowed(s) and ftype not in ("province", "city", "int", "month"):
            value = choices.named_choice(s, text, here)
        elif ftype in ("text", "phone"):
            value = _free_text(s, text, here)
        if value is not None:
            out[name] = value
    if (
        out.get("school_name")
        and "in_school" in {s["name"] for s in specs}
        and "in_school" not in out
        and asked not in ("in_school", "school_name")
        and known.get("in_school") in (None, "")
    ):
        out["in_school"] = "yes"  # a school named for the child: the child is in school
    return out


# ---- corrections -------------------------------------------------------------------------------
def _correction(
    specs: List[Spec], rejected: str, new: str, asked: Optional[str], known: Dict[str, Any], today: datetime
) -> Dict[str, str]:
    """'不对，是杭州' / '刚才说错了，应该是4月': the corrected value for the field it fits."""
    plain = _read(specs, new, None, known, today)
    # the field whose old value is the one rejected ('不是8月，是9月')
    named = []
    if rejected:
        for s in specs:
            old = known.get(s["name"])
            if old not in (None, "") and _read(specs, rejected, s["name"], known, today).get(s["name"]) == str(old):
                named.append(s["name"])
    fits: Dict[str, Dict[str, str]] = {}
    for s in specs:
        got = _read(specs, new, s["name"], known, today)
        if s["name"] in got:
            fits[s["name"]] = got
    for n in named:
        if n in fits:
            return fits[n]
    by_label = _named_by_label(specs, rejected + new)
    if by_label in fits:  # '起始年份应该是1986年'
        return fits[by_label]
    if plain:
        return plain
    # otherwise only a value already given can be corrected, or the one just asked: '信息不对' or
    # '换成工资卡' must not become a name
    order = (
        ([asked] if asked in fits and known.get(asked) not in (None, "") else [])
        + [s["name"] for s in reversed(specs) if s["name"] in fits and known.get(s["name"]) not in (None, "")]
        + ([asked] if asked in fits else [])
    )
    return fits[order[0]] if order else {}


# ---- button payloads and entities ----------------------------------------------------------------
def _entities(
    specs: List[Spec],
    entities: List[Dict[str, Any]],
    asked: Optional[str],
    known: Dict[str, Any],
    today: datetime,
    out: Dict[str, str],
    typed_text: bool = False,
) -> None:
    """Values from entities: a button payload's (/inform{"choice": ...} or {"<field>": ...}) and, when
    there is no text to read, the NLU's typed entities. After reading typed text they are not used:
    the text reading already weighed every place, month and tier with its context (an NLU `city`
    entity 深圳 in '从深圳转出去' is the origin, not the destination)."""
    for s in specs:
        name = s["name"]
        if name in out:
            continue
        nlu_names = set(ENTITY_FOR_TYPE.values()) | set(ENTITY_FOR_NAME.values())
        wanted = (
            ({name} - nlu_names) if typed_text else {name, ENTITY_FOR_NAME.get(name), ENTITY_FOR_TYPE.get(_ftype(s))}
        )
        if name == asked:
            wanted.add("choice")
        for e in entities or []:
            if e.get("entity") in wanted and e.get("value") not in (None, ""):
                raw = simplify(str(e["value"]))
                if e.get("entity") == name or e.get("entity") == "choice":
                    if choices.allowed(s) and str(e["value"]) in [str(a["value"]) for a in choices.allowed(s)]:
                        out[name] = str(e["value"])
                        break
                got = _read([s], raw, name, known, today)
                if name in got:
                    out[name] = got[name]
                    break


_DO_IT = re.compile(
    r"帮我|幫我|给我办|給我辦|请帮|請幫|麻烦|麻煩|帮忙|幫忙|\bplease\b|\bfor me\b|"
    r"\b(?:could|can|would|will) you\b[^?]{0,40}\b(?:change|switch|move|update|set|make|put)\b|"
    # "我能把交社保的卡换成工商银行的吗" / "Can I switch the card … to an ICBC one?": asking to change to a
    # value names the new value (the request asked politely), unlike "一档多少钱？"
    r"(?:换|換|改|调|調|变|變)(?:成|为|為)|\b(?:change|switch|move)\b[^?]{0,50}\b(?:to|into)\b",
    re.I,
)


def extract_values(
    specs: List[Spec], text: str, entities: List[Dict[str, Any]], asked: Optional[str], known: Dict[str, Any]
) -> Dict[str, str]:
    """{field name: canonical string} for every field this turn gives (see `_extract`); never raises:
    a reading failure is logged and reads as 'no value', so the form asks again."""
    try:
        return _extract(specs, text, entities, asked, known)
    except Exception:  # noqa: BLE001 - a crash must not reach the person
        logger.exception("extract_values failed on %r (asked %s)", str(text)[:200], asked)
        return {}


def _extract(
    specs: List[Spec], text: str, entities: List[Dict[str, Any]], asked: Optional[str], known: Dict[str, Any]
) -> Dict[str, str]:
    """{field name: canonical string} for every field this turn gives (see the module docstring).

    Canonical forms: month 'YYYY-MM', date 'YYYY-MM-DD', int/tier/grade decimal digits
    ('2'), province the full name ('湖南省'), city the short name ('长沙'), bank and
    choices the schema's value (else the full Chinese bank name / the choice value),
    ID numbers upper-case, phone 11 digits, free text stripped. Nothing is returned for
    a field the turn does not fill; a value for an already-known field is a correction.
    """
    specs = [s for s in specs or [] if s.get("name")]
    known = dict(known or {})
    today = _clock()
    raw = str(text or "").strip()
    out: Dict[str, str] = {}
    if raw.startswith("/"):  # a button payload: /inform{"choice": "..."}
        _entities(specs, entities, asked, known, today, out)
        return out
    t = simplify(raw)
    if not t:
        _entities(specs, entities, asked, known, today, out)
        return out
    corrected, rejected, new = split_correction(t)
    if corrected and strip_punct(new) and any(v not in (None, "") for v in known.values()):
        # only a value already given can be corrected: "卡我要换成工商的，卡号6222…" with nothing known yet is a
        # request, read whole (its "换成" is the change it asks for)
        out = _correction(specs, rejected, new, asked, known, today)
        if out:
            return out
    out = _read(specs, t, asked, known, today)
    _entities(specs, entities, asked, known, today, out, typed_text=True)
    return out
