"""The five services besides the catalogue items.

- self_service_payment: confirmed, then submitted with an Idempotency-Key (the
  backend decides whether the payment window is open and says when it opens);
- query_contributions, print_insurance_certificate, query_pre_application:
  read-only, answered at once (the pre-application number is asked for when
  the message did not carry one);
- register_account: the registration form of bot/actions/registration.py
  (``registration_guide`` remains as the explanation of the bureau's own page).
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
    say(
        dispatcher,
        lang,
        "新用户注册请在个人网上服务系统登录页点击“新用户注册”，进入深圳市人力资源和社会保障局统一用户平台"
        f"（{REGISTER_URL}）。注册需要一个在深圳开户、属于12家金融社保卡合作银行之一的本人银行账户，"
        "并需要设置用户名和密码（请不要在聊天里发送密码）。注册成功后回到个人网上服务系统登录即可。",
        "To register, click “新用户注册” (new user registration) on the login page of the personal online "
        f"service system; it opens the bureau's unified user platform ({REGISTER_URL}). You need a bank account "
        "in your own name opened in Shenzhen at one of the 12 banks cooperating on the financial social security "
        "card, and you choose a user name and password there (never send a password in this chat). Then log in "
        "to the personal online service system.",
    )


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
async def run_read_service(
    client: BackendClient,
    token: str,
    code: str,
    tracker: Tracker,
    dispatcher: CollectingDispatcher,
    lang: str,
    *,
    subject_id: Optional[int],
    number: Optional[str] = None,
) -> List[Dict[str, Any]]:
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


async def submit_payment(
    client: BackendClient, token: str, *, subject_id: Optional[int], idempotency_key: str
) -> Dict[str, Any]:
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
    """The backend's message names the month, the amounts, the account and the serial number."""
    message = _message(body, lang)
    if message:
        return message
    lines = [pick(lang, "缴费已完成。", "The payment is done.")]
    if body.get("total_fen") is not None:
        lines.append(pick(lang, f"合计：{_yuan(body['total_fen'])} 元", f"Total: CNY {_yuan(body['total_fen'])}"))
    if body.get("serial_no"):
        lines.append(pick(lang, f"业务流水号：{body['serial_no']}", f"Serial number: {body['serial_no']}"))
    return "\n".join(lines)


_INSURANCE = {
    "pension": ("养老", "pension"),
    "medical": ("医疗", "medical"),
    "unemployment": ("失业", "unemployment"),
    "work_injury": ("工伤", "work injury"),
    "maternity": ("生育", "maternity"),
}


def render_contributions(body: Dict[str, Any], lang: str) -> str:
    """The backend's summary, then one line per month (latest MAX_ROWS) and the totals per insurance."""
    en = lang == "en"
    lines = [_message(body, lang) or pick(lang, "缴费明细如下：", "Contribution details:")]
    months = [m for m in body.get("months") or [] if isinstance(m, dict)]
    if months:
        lines.append(pick(lang, "按月（单位：元）：", "By month (CNY):"))
    for m in months[-MAX_ROWS:]:
        items = [i for i in m.get("items") or [] if isinstance(i, dict)]
        failed = [i for i in items if i.get("status") not in (None, "paid")]
        total = m.get("total_yuan", _yuan(m.get("total_fen", 0)))
        personal = m.get("personal_yuan", _yuan(m.get("personal_fen", 0)))
        line = (
            f"{m.get('month')}: paid {total} (personal {personal})"
            if en
            else f"{m.get('month')}：已缴 {total}（个人 {personal}）"
        )
        if failed:
            names = [str(i.get("insurance_en" if en else "insurance_zh") or i.get("insurance")) for i in failed]
            status = str(failed[0].get("status") if en else failed[0].get("status_zh") or failed[0].get("status"))
            line += f"; {', '.join(names)}: {status}" if en else f"；{'、'.join(names)}：{status}"
        lines.append(line)
    if len(months) > MAX_ROWS:
        lines.append(
            pick(
                lang,
                f"（仅列出最近{MAX_ROWS}个月，共{len(months)}个月）",
                f"(the latest {MAX_ROWS} of {len(months)} months)",
            )
        )
    by_insurance = (body.get("totals") or {}).get("by_insurance") or {}
    if by_insurance:
        parts = [
            f"{_INSURANCE.get(k, (k, k))[1 if en else 0]} {v.get('total_yuan', _yuan(v.get('total_fen', 0)))}"
            for k, v in by_insurance.items()
            if isinstance(v, dict)
        ]
        lines.append((f"Paid by insurance: {', '.join(parts)}" if en else f"分险种已缴合计：{'，'.join(parts)}"))
    return "\n".join(lines)


def render_certificate(body: Dict[str, Any], lang: str) -> str:
    url = body.get("url") or body.get("download_url")
    lines = [_message(body, lang) or pick(lang, "参保证明已生成。", "Your insurance certificate is ready.")]
    if url:
        lines.append(pick(lang, f"下载打印：{url}", f"Download and print: {url}"))
    return "\n".join(lines)


_STEP_ZH = {
    "submitted": "提交预申请",
    "materials_received": "窗口核收材料",
    "finished": "窗口办结",
    "returned": "窗口退回",
}
_STEP_EN = {
    "submitted": "submitted",
    "materials_received": "materials received at the window",
    "finished": "completed at the window",
    "returned": "returned by the window",
}


def render_pre_application(body: Dict[str, Any], lang: str) -> str:
    """Status and next step (the backend's message, with the serial number or the reason
    for a return), the history, then what still applies: what to bring, place, form."""
    en = lang == "en"
    lines = [_message(body, lang) or f"{body.get('number', '')}: {body.get('status_en' if en else 'status_zh', '')}"]
    history = [h for h in body.get("history") or [] if isinstance(h, dict)]
    if len(history) > 1:  # only "submitted": nothing to tell beyond the status
        lines.append(pick(lang, "办理进度：", "History:"))
        for h in history:
            when = str(h.get("at") or "")[:16].replace("T", " ")
            step = (_STEP_EN if en else _STEP_ZH).get(str(h.get("action")), str(h.get("action")))
            lines.append(f"- {when} {step}" if en else f"· {when} {step}")
    status = body.get("status")
    if status == "submitted":
        mismatches = [m for m in body.get("mismatches") or [] if isinstance(m, dict)]
        for m in mismatches:
            fix = m.get("fix_en" if en else "fix_zh")
            label = m.get("label_en" if en else "label_zh")
            lines.append(f"- {label}: {fix}" if en else f"· {label}：{fix}")
    if status in ("submitted", "returned"):
        materials = [m for m in body.get("materials") or [] if isinstance(m, dict)]
        if materials and status == "submitted":
            lines.append(pick(lang, "请携带以下材料：", "Please bring:"))
            lines += [f"{i}. {m.get('en') if en else m.get('zh')}" for i, m in enumerate(materials, 1)]
        where = body.get("where_en" if en else "where_zh")
        if where:
            lines.append(pick(lang, f"办理地点：{where}", f"Where: {where}"))
        if body.get("form_url"):
            lines.append(
                pick(lang, f"打印申请表：{body['form_url']}", f"Printable application form: {body['form_url']}")
            )
    return "\n".join(lines)


def payment_summary(lang: str, quote: Optional[Dict[str, Any]]) -> str:
    """The confirmation question for self-service payment, with the backend's quote."""
    if not quote:
        return pick(
            lang,
            "请确认：缴纳本月社会保险费，从您的缴费账户扣款。",
            "Please confirm: pay this month's social insurance contribution from your payment account.",
        )
    account = quote.get("account") or {}
    parts_zh = "，".join(f"{i.get('insurance_zh')}{i.get('amount_yuan')}元" for i in quote.get("items") or [])
    parts_en = ", ".join(f"{i.get('insurance')} {i.get('amount_yuan')} yuan" for i in quote.get("items") or [])
    return pick(
        lang,
        f"请确认：缴纳{quote.get('month')}社会保险费（{parts_zh}），合计{quote.get('total_yuan')}元，"
        f"从{account.get('bank_name', '')}{account.get('account_no', '')}扣款。",
        f"Please confirm: pay the contributions for {quote.get('month')} ({parts_en}), "
        f"{quote.get('total_yuan')} yuan in total, from {account.get('bank_name', '')} "
        f"{account.get('account_no', '')}.",
    )
