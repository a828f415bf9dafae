"""What the conversation knows about a task (a catalogue item or a service).

Items: names, mode and fields come from the backend catalogue (`GET
/catalogue/{code}`, cached by the client). Services have no catalogue fields;
the only one that needs a form is the pre-application status query.
"""

from __future__ import annotations

import re
from typing import Any, Dict, List, Optional, Tuple

from .backend_client import BackendClient, BackendError, BackendUnavailable

ITEM_CODES = (
    "stop_individual_insurance",
    "stop_child_insurance",
    "stop_student_insurance",
    "stop_resident_insurance",
    "resume_resident_insurance",
    "retry_individual_collection",
    "pay_child_medical",
    "change_enrollment_info",
    "upgrade_id_number",
    "maintain_payment_bank",
    "change_resident_pension_grade",
    "continue_medical_after_retirement",
    "transfer_pension_out",
    "transfer_medical_out",
    "cancel_pension_transfer_out",
    "cancel_medical_transfer_out",
    "register_extended_contribution",
    "register_lump_sum_contribution",
    "register_resident_pension",
    "elderly_resident_medical",
    "resident_back_payment",
    "work_years_back_payment",
    "four_categories_back_payment",
    "refund_duplicate_pension",
    "transfer_pension_in",
    "transfer_medical_in",
    "register_individual_insurance",
    "enroll_child_first_time",
    "change_basic_info",
    "maintain_child_student_info",
    "maintain_guardian_info",
)
SERVICE_CODES = (
    "self_service_payment",
    "query_contributions",
    "print_insurance_certificate",
    "query_pre_application",
    "register_account",
)
VAGUE_CODES = ("stop_insurance", "transfer_out")
TASK_INTENTS = ITEM_CODES + SERVICE_CODES + VAGUE_CODES

# Services that change something: confirmed first, submitted with an Idempotency-Key.
CHANGING_SERVICES = ("self_service_payment",)

PRE_APPLICATION_FIELD = {
    "name": "pre_application_number",
    "type": "pre_application_number",
    "required": True,
    "label_zh": "预申请号",
    "label_en": "pre-application number",
    "choices": [],
}
SERVICE_FIELDS: Dict[str, List[Dict[str, Any]]] = {"query_pre_application": [PRE_APPLICATION_FIELD]}

# Optional fields asked only when another answer makes them relevant (form UI,
# not a business rule: the backend decides whether the combination is valid).
ASK_WHEN = {"school_name": ("in_school", "yes")}
CHANGE_TARGET = "change_target"


def is_item(code: Optional[str]) -> bool:
    return code in ITEM_CODES


def is_service(code: Optional[str]) -> bool:
    return code in SERVICE_CODES


def needs_confirmation(code: str) -> bool:
    return is_item(code) or code in CHANGING_SERVICES


async def task_fields(client: BackendClient, code: str) -> List[Dict[str, Any]]:
    if is_service(code):
        return [dict(f) for f in SERVICE_FIELDS.get(code, [])]
    entry = await client.catalogue_entry(code)
    return [dict(f) for f in entry.get("fields") or []]


async def with_current(
    client: BackendClient, token: Optional[str], code: str, fields: List[Dict[str, Any]], subject_id: Any = None
) -> List[Dict[str, Any]]:
    """The fields with the present tier or grade (`schema.current`, from the eligibility answer), so that
    "往上调两档" / "one tier higher" said inside the form is read from it (values.choices.level)."""
    if not token or not any(f.get("type") in ("tier", "grade") for f in fields):
        return fields
    try:
        elig = await client.eligibility(token, code, int(subject_id) if subject_id else None)
    except (BackendUnavailable, BackendError, ValueError):
        return fields
    current = {f.get("name"): (f.get("schema") or {}).get("current") for f in elig.get("fields") or []}
    return [
        {**f, "schema": {**(f.get("schema") or {}), "current": current[f["name"]]}}
        if current.get(f.get("name")) is not None
        else f
        for f in fields
    ]


def change_target_spec(fields: List[Dict[str, Any]]) -> Dict[str, Any]:
    optional = [f["name"] for f in fields if not f.get("required")]
    return {
        "name": CHANGE_TARGET,
        "type": "choice",
        "required": True,
        "choices": optional,
        "label_zh": "要变更的项目",
        "label_en": "what to change",
    }


def form_specs(fields: List[Dict[str, Any]]) -> Dict[str, Dict[str, Any]]:
    specs = {f["name"]: f for f in fields}
    if fields and not any(f.get("required") for f in fields):
        specs[CHANGE_TARGET] = change_target_spec(fields)
    return specs


def required_names(fields: List[Dict[str, Any]], values: Dict[str, Any]) -> List[str]:
    """The form's slots for this task, in order, given what is known so far."""
    required = [f["name"] for f in fields if f.get("required")]
    optional = [f["name"] for f in fields if not f.get("required")]
    if not required and optional:
        # Every field optional (change_basic_info): ask which one to change.
        target = values.get(CHANGE_TARGET)
        if target not in optional:
            filled = [n for n in optional if values.get(n) is not None]
            target = filled[0] if len(filled) == 1 else None
        return [CHANGE_TARGET] + ([target] if target else [])
    names = list(required)
    for name in optional:
        cond = ASK_WHEN.get(name)
        if cond and values.get(cond[0]) == cond[1]:
            names.append(name)
    return names


def inferred_change_target(fields: List[Dict[str, Any]], values: Dict[str, Any]) -> Optional[str]:
    optional = [f["name"] for f in fields if not f.get("required")]
    if any(f.get("required") for f in fields) or not optional or values.get(CHANGE_TARGET) in optional:
        return None
    filled = [n for n in optional if values.get(n) is not None]
    return filled[0] if len(filled) == 1 else None


# ---- what the person asked for must match the item confirmed ------------------------------
# The most dangerous confusion is PAY read as STOP ("给孩子交医保" -> a stop confirmation). The
# words of the request are checked against the kind of item before anything is shown: when they
# say the opposite, the person is asked which one, never taken to the other item's confirmation.
STOP_CODES = (
    "stop_individual_insurance",
    "stop_child_insurance",
    "stop_student_insurance",
    "stop_resident_insurance",
    "stop_insurance",
)
PAY_CODES = ("pay_child_medical", "self_service_payment", "retry_individual_collection")
_STOP_WORDS = re.compile(
    r"停|断缴|斷繳|退保|不交|不缴|不繳|不想交|不想缴|不再交|不再缴|不用交|不用缴|别交|別交|取消参保|取消參保|"
    r"\bstop\b|\bquit\b|\bcancel\b|\bno longer\b|\bnot pay\b|\bdon'?t (?:want to )?pay\b",
    re.I,
)
_PAY_WORDS = re.compile(r"交|缴|繳|续费|續費|付款|付钱|充值|扣款|\bpay\b|\bpaying\b|\bpayment\b|\btop ?up\b", re.I)
_CHILD_WORDS = re.compile(
    r"孩子|儿子|兒子|女儿|女兒|小孩|少儿|少兒|宝宝|寶寶|\bchild\b|\bson\b|\bdaughter\b|\bkid", re.I
)


# A request to pay read as the contribution query ("帮我把10月份的社保交了"): asked, never only shown records
_QUERY_WORDS = re.compile(
    r"查|看|明细|明細|记录|記錄|多少|有没有|有沒有|了没|了沒|没有|沒有|是否|情况|情況|清单|清單|"
    r"\bcheck\b|\bshow\b|\bhistory\b|\bhow much\b|\bdid\b|\bhave i\b|\bstatement\b|\brecords?\b",
    re.I,
)
_DO_WORDS = re.compile(
    r"帮我|幫我|给我|給我|替我|麻烦|麻煩|\bplease\b|\bhelp me\b|\bi want to\b|\bi'?d like to\b", re.I
)


def conflicting_request(code: str, text: str) -> Optional[Tuple[str, str]]:
    """(the item the words ask for, the item understood) when they contradict; else None."""
    t = str(text or "")
    if not t or t.startswith("/"):
        return None
    stop, pay = bool(_STOP_WORDS.search(t)), bool(_PAY_WORDS.search(t))
    if code == "query_contributions" and pay and not stop and _DO_WORDS.search(t) and not _QUERY_WORDS.search(t):
        return ("pay_child_medical" if _CHILD_WORDS.search(t) else "self_service_payment"), code
    if code in STOP_CODES and pay and not stop:
        return ("pay_child_medical" if _CHILD_WORDS.search(t) else "self_service_payment"), code
    if code in PAY_CODES and stop:
        return ("stop_child_insurance" if _CHILD_WORDS.search(t) else "stop_insurance"), code
    return None


# Own record vs a child's record: a guardian telling about a child's school / kindergarten is
# the child's student information, not the guardian's own basic information; a guardian's phone
# number is the guardian's own basic information (the guardian item has no phone field).
_SCHOOL_WORDS = re.compile(
    r"学校|學校|幼儿园|幼兒園|上学|上學|入学|入學|在读|在讀|读书|讀書|转学|轉學|学籍|學籍|"
    r"\bschool\b|\bkindergarten\b",
    re.I,
)
_PHONE_WORDS = re.compile(r"手机|手機|电话|電話|联系方式|聯繫方式|\bphone\b|\bmobile\b", re.I)


# Pension vs medical: the words name the insurance; an item for the other one is never started.
_MEDICAL_WORDS = re.compile(r"医保|醫保|医疗|醫療|\bmedical\b|\bhealth\b", re.I)
_PENSION_WORDS = re.compile(r"养老|養老|\bpension\b|\bretirement insurance\b", re.I)
PENSION_MEDICAL = (
    ("transfer_pension_out", "transfer_medical_out"),
    ("transfer_pension_in", "transfer_medical_in"),
    ("cancel_pension_transfer_out", "cancel_medical_transfer_out"),
)


# One request for another person or the other insurance: the NLU's choice among these is not told apart by
# a message that names nothing ("那就帮我停了吧" read as the child's stop). Items that merely share a first
# word (register_account / register_resident_pension, transfer_pension_in / transfer_pension_out) are not.
SIBLINGS = (STOP_CODES, PAY_CODES) + PENSION_MEDICAL


def siblings(code: Optional[str], other: Optional[str]) -> bool:
    """Two different items of one request for different people or insurances (SIBLINGS)."""
    return code != other and any(code in group and other in group for group in SIBLINGS)


# Paying what is missing all at once (趸缴), however it is said.
_ALL_AT_ONCE = re.compile(
    r"趸缴|躉繳|趸交|躉交|一次性|一次补|一次補|一次交|一次缴|一次繳|一口气|一口氣|一下子补|一次过|一笔过|一筆過|"
    r"\blump[- ]?sum\b|\bin one go\b|\ball at once\b|\bat once\b|\bin one payment\b|\bsingle payment\b|"
    r"\bone[- ]off\b|\bone[- ]time payment\b|\bin a single\b|\bin full\b",
    re.I,
)


# Taking back a transfer-out that was asked for: the cancellation, not the transfer again.
CANCEL_OF = {
    "transfer_pension_out": "cancel_pension_transfer_out",
    "transfer_medical_out": "cancel_medical_transfer_out",
}
_UNDO_WORDS = re.compile(
    r"取消|撤销|撤銷|撤回|撤掉|收回|不转了|不轉了|不想转了|不想轉了|不要转了|不要轉了|"
    r"\bcancel|\bwithdraw|\btake\b[^.?!]{0,30}\bback\b|\bundo\b|\bcall off\b|\bchanged my mind\b|"
    r"\b(?:don'?t|do not|no longer) (?:want|need) to (?:transfer|move)\b",
    re.I,
)


def redirected_request(code: str, text: str) -> str:
    """The item the words mean when the understood one is for the wrong person's record,
    or for the other insurance ("医保转出去" understood as the pension transfer-out)."""
    t = str(text or "")
    if not t or t.startswith("/"):
        return code
    medical, pension = bool(_MEDICAL_WORDS.search(t)), bool(_PENSION_WORDS.search(t))
    both = re.search(r"社保|社會保險|社会保险|也|一起|都|\bboth\b|\balso\b", t, re.I)  # "社保转出，医保也一起"
    for p_code, m_code in () if both else PENSION_MEDICAL:
        if code == p_code and medical and not pension:
            code = m_code
            break
        if code == m_code and pension and not medical:
            code = p_code
            break
    if code in CANCEL_OF and _UNDO_WORDS.search(t):
        # "I applied to move my medical insurance out… I'd like to take that application back": the cancellation
        return CANCEL_OF[code]
    if code == "change_basic_info" and _CHILD_WORDS.search(t) and _SCHOOL_WORDS.search(t):
        return "maintain_child_student_info"
    if code == "register_extended_contribution" and _ALL_AT_ONCE.search(t):
        # "延缴了五年还不够，剩下的一次性补上" / "pay off the rest in one go": naming 延缴 as what was done
        # before, the request is the lump sum (趸缴)
        return "register_lump_sum_contribution"
    if code == "maintain_guardian_info" and _PHONE_WORDS.search(t) and not re.search(r"身份证|姓名|名字|关系", t):
        return "change_basic_info"
    return code


# ---- "我想改一下我的信息": which information? ------------------------------------------------------
# A change request that names no information at all must not open one item's form on a guess
# (the medical tier, say): the person picks among the items that change one's own information.
CHANGE_INFO_CODES = ("change_basic_info", "change_enrollment_info", "maintain_payment_bank")
_CHANGE_WORDS = re.compile(r"改|修改|更改|变更|變更|更新|\bchange\b|\bupdate\b|\bedit\b", re.I)
_GENERIC_INFO = re.compile(r"信息|資訊|资料|資料|个人情况|\binfo\b|\binformation\b|\bdetails\b", re.I)
_SPECIFIC_INFO = re.compile(
    r"档|檔|医保|醫保|医疗|醫療|养老|養老|手机|手機|电话|電話|号码|號碼|户籍|戶籍|户口|戶口|地址|住址|银行|銀行|卡|账户|帳戶|"
    r"账号|帳號|学校|學校|学生|學生|监护|監護|身份证|身份證|孩子|小孩|儿子|女儿|基本信息|参保信息|參保信息|搬家|搬了|"
    r"\btier\b|\bphone\b|\bmobile\b|\bhukou\b|\baddress\b|\bbank\b|\baccount\b|\bschool\b|\bguardian\b|\bID\b",
    re.I,
)


def vague_change_request(code: str, text: str) -> Optional[Tuple[str, ...]]:
    """The items to choose from when a request to change "my information" names none of it."""
    t = str(text or "")
    if code not in CHANGE_INFO_CODES or not t or t.startswith("/"):
        return None
    if _CHANGE_WORDS.search(t) and _GENERIC_INFO.search(t) and not _SPECIFIC_INFO.search(t):
        return CHANGE_INFO_CODES
    return None


def says_change(text: str) -> bool:
    """The message asks for a change ("改", "变更", "update")."""
    return bool(_CHANGE_WORDS.search(str(text or "")))
