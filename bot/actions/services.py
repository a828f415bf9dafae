"""The five services besides the catalogue items.

- self_service_payment: confirmed, then submitted with an Idempotency-Key (the
  backend decides whether the payment window is open and says when it opens);
- query_contributions, print_insurance_certificate, query_pre_application:
  read-only, answered at once (the pre-application number is asked for when
  the message did not carry one);
- register_account: guidance only (registration needs a password and a bank
  account: the person does it on the bureau's registration page, not in chat).
"""
from __future__ import annotations

from typing import Any, Dict, List, Optional

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from .backend_client import BackendClient
from .common import pick, say
from .fields import PRE_APP_RE, clean, entity_values, parse_month

REGISTER_URL = "https://suum.szsi.gov.cn/suum"
MAX_ROWS = 12


def registration_guide(dispatcher: CollectingDispatcher, lang: str) -> None:
    say(dispatcher, lang,
        "新用户注册请在个人网上服务系统登录页点击“新用户注册”，进入深圳市人力资源和社会保障局统一用户平台"
        f"（{REGISTER_URL}）。注册需要一个在深圳开户、属于12家金融社保卡合作银行之一的本人银行账户，"
        "并需要设置用户名和密码（请不要在聊天里发送密码）。注册成功后回到个人网上服务系统登录即可。",
        "To register, click “新用户注册” (new user registration) on the login page of the personal online "
        f"service system; it opens the bureau's unified user platform ({REGISTER_URL}). You need a bank account "
        "in your own name opened in Shenzhen at one of the 12 banks cooperating on the financial social security "
        "card, and you choose a user name and password there (never send a password in this chat). Then log in "
        "to the personal online service system.")


def pre_application_number_from(message: Dict[str, Any]) -> Optional[str]:
    for raw in entity_values(message, "pre_application_number") + [clean(message.get("text"))]:
        m = PRE_APP_RE.search(clean(raw).replace(" ", "").replace("-", "").upper())
        if m:
            return m.group()
    return None


def month_range(message: Dict[str, Any]) -> tuple:
    months = [m for m in (parse_month(v) for v in entity_values(message, "month")) if m]
    if not months:
        return None, None
    months.sort()
    return months[0], months[-1]


# ---- running the read-only services ----------------------------------------
async def run_read_service(client: BackendClient, token: str, code: str, tracker: Tracker,
                           dispatcher: CollectingDispatcher, lang: str, *, subject_id: Optional[int],
                           number: Optional[str] = None) -> List[Dict[str, Any]]:
    if code == "query_contributions":
        first, last = month_range(tracker.latest_message or {})
        body = await client.contributions(token, from_month=first, to_month=last, subject_id=subject_id)
        dispatcher.utter_message(text=render_contributions(body, lang))
    elif code == "print_insurance_certificate":
        body = await client.certificate(token, subject_id=subject_id)
        dispatcher.utter_message(text=render_certificate(body, lang))
    elif code == "query_pre_application":
        body = await client.pre_application(token, number or "")
        dispatcher.utter_message(text=render_pre_application(body, lang))
    return []


async def submit_payment(client: BackendClient, token: str, *, subject_id: Optional[int],
                         idempotency_key: str) -> Dict[str, Any]:
    return await client.self_service_payment(token, subject_id=subject_id, idempotency_key=idempotency_key)


# ---- rendering (defensive: show what the backend said, plainly) ------------
def _yuan(fen: Any) -> str:
    try:
        value = int(fen)
    except (TypeError, ValueError):
        return str(fen)
    sign = "-" if value < 0 else ""
    value = abs(value)
    return f"{sign}{value // 100}.{value % 100:02d}"


def _message(body: Dict[str, Any], lang: str) -> str:
    return str(body.get("message_en") if lang == "en" else body.get("message_zh") or "").strip()


def render_payment(body: Dict[str, Any], lang: str) -> str:
    lines = [_message(body, lang) or pick(lang, "缴费已提交。", "The payment was submitted.")]
    amount = body.get("amount_fen", body.get("total_fen"))
    if amount is not None:
        lines.append(pick(lang, f"金额：{_yuan(amount)} 元", f"Amount: CNY {_yuan(amount)}"))
    if body.get("month"):
        lines.append(pick(lang, f"所属月份：{body['month']}", f"Month: {body['month']}"))
    if body.get("serial_no"):
        lines.append(pick(lang, f"业务流水号：{body['serial_no']}", f"Serial number: {body['serial_no']}"))
    return "\n".join(lines)


_INSURANCE = {"pension": ("养老", "pension"), "medical": ("医疗", "medical"), "unemployment": ("失业", "unemployment"),
              "work_injury": ("工伤", "work injury"), "maternity": ("生育", "maternity")}


def render_contributions(body: Dict[str, Any], lang: str) -> str:
    rows = body.get("months") or body.get("rows") or body.get("items") or []
    head = _message(body, lang)
    lines = [head] if head else []
    if not rows:
        lines.append(pick(lang, "所选期间没有缴费记录。", "No contributions in that period."))
        return "\n".join(lines)
    lines.append(pick(lang, "缴费明细（单位：元）：", "Contribution details (CNY):"))
    for row in rows[-MAX_ROWS:]:
        if not isinstance(row, dict):
            continue
        month = row.get("month", "")
        parts = []
        per = row.get("insurances") or row.get("by_insurance")
        if isinstance(per, dict):
            for key, val in per.items():
                label = _INSURANCE.get(key, (key, key))[1 if lang == "en" else 0]
                amount = val.get("personal_fen", val.get("amount_fen")) if isinstance(val, dict) else val
                parts.append(f"{label} {_yuan(amount)}")
        elif row.get("insurance"):
            label = _INSURANCE.get(row["insurance"], (row["insurance"],) * 2)[1 if lang == "en" else 0]
            total = (row.get("personal_fen") or 0) + (row.get("employer_fen") or 0)
            parts.append(f"{label} {_yuan(row.get('total_fen', total))}")
        status = row.get("status")
        if status and status != "paid":
            parts.append(pick(lang, {"failed": "扣款失败", "due": "待缴", "unpaid": "未缴"}.get(status, status), status))
        lines.append(f"{month}：" + "，".join(parts) if lang != "en" else f"{month}: " + ", ".join(parts))
    if len(rows) > MAX_ROWS:
        lines.append(pick(lang, f"（仅显示最近{MAX_ROWS}条，共{len(rows)}条）",
                          f"(latest {MAX_ROWS} of {len(rows)} shown)"))
    for key, zh, en in (("total_personal_fen", "个人缴费合计", "Total personal"),
                        ("total_employer_fen", "单位缴费合计", "Total employer"),
                        ("total_fen", "合计", "Total")):
        if body.get(key) is not None:
            lines.append(pick(lang, f"{zh}：{_yuan(body[key])} 元", f"{en}: CNY {_yuan(body[key])}"))
    return "\n".join(lines)


def render_certificate(body: Dict[str, Any], lang: str) -> str:
    url = body.get("url") or body.get("download_url") or body.get("pdf_url") or body.get("form_url")
    lines = [_message(body, lang) or pick(lang, "参保证明已生成。", "Your insurance certificate is ready.")]
    if body.get("number"):
        lines.append(pick(lang, f"证明编号：{body['number']}", f"Certificate number: {body['number']}"))
    if url:
        lines.append(pick(lang, f"下载打印：{url}", f"Download and print: {url}"))
    return "\n".join(lines)


_STATUS = {"submitted": ("已提交，待窗口受理", "submitted, waiting to be handled at a window"),
           "accepted": ("窗口已受理", "accepted at a window"), "completed": ("已办结", "completed"),
           "rejected": ("未通过", "rejected"), "cancelled": ("已撤销", "cancelled"),
           "expired": ("已过期", "expired")}


def render_pre_application(body: Dict[str, Any], lang: str) -> str:
    status = str(body.get("status") or "")
    label = _STATUS.get(status, (status, status))[1 if lang == "en" else 0]
    name = body.get("name_en") if lang == "en" else body.get("name_zh")
    number = body.get("number", "")
    lines = [pick(lang, f"预申请 {number}{'（' + name + '）' if name else ''}：{label}",
                  f"Pre-application {number}{' (' + name + ')' if name else ''}: {label}")]
    if _message(body, lang):
        lines.append(_message(body, lang))
    materials = body.get("materials") or []
    if materials and status in ("submitted", ""):
        lines.append(pick(lang, "办理时请携带：", "Please bring:"))
        lines += [f"{i}. {m.get('en') if lang == 'en' else m.get('zh')}" for i, m in enumerate(materials, 1)
                  if isinstance(m, dict)]
    if body.get("form_url"):
        lines.append(pick(lang, f"申请表：{body['form_url']}", f"Application form: {body['form_url']}"))
    return "\n".join(lines)


def payment_summary(lang: str, subject_name: Optional[str]) -> str:
    who = subject_name or pick(lang, "本人", "yourself")
    return pick(lang, f"请确认：为{who}缴纳本月社会保险费，从您的缴费银行账户扣款。",
                f"Please confirm: pay this month's social insurance contribution for {who} from your payment "
                "bank account.")

