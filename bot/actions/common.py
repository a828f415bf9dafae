"""Shared helpers: bilingual replies, the task slots, masking for display."""

from __future__ import annotations

import functools
import hashlib
import logging
import re
import unicodedata
from datetime import datetime
from typing import Any, Dict, List, Optional, Sequence
from zoneinfo import ZoneInfo

from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

# Display masks: the backend's format, from the bot's one masking module (bot/masking.py).
from bot.masking import mask_bank_account as mask_account  # noqa: F401
from bot.masking import mask_id_number as mask_id  # noqa: F401
from bot.masking import mask_phone  # noqa: F401
from bot.settings import load as load_settings

from .backend_client import BackendError

SHANGHAI = ZoneInfo("Asia/Shanghai")

# One slot per catalogue field name (backend/data/catalog.yml), plus the two
# form-only slots: which optional field to change, and a pre-application number.
FIELD_SLOTS = (
    "month",
    "medical_tier",
    "pension_grade",
    "destination_province",
    "destination_city",
    "from_province",
    "from_city",
    "new_id_number",
    "bank_name",
    "account_no",
    "holder_name",
    "holder_id_number",
    "years",
    "work_start_year",
    "work_end_year",
    "category",
    "from_month",
    "to_month",
    "other_place",
    "settle_in_date",
    "hukou_category",
    "phone",
    "address",
    "in_school",
    "school_name",
    "guardian_name",
    "guardian_id_number",
    "relation",
)
FORM_ONLY_SLOTS = ("change_target", "pre_application_number")
TASK_SLOTS = ("task_code", "subject_id", "subject_name", "task_nonce", "task_choices", "task_request")
STAGE_SLOT = "task_stage"  # idle / choose / collect / confirm: the only slot rules look at
IDLE, CHOOSE, COLLECT, CONFIRM = "idle", "choose", "collect", "confirm"

BUSY_ZH = "系统繁忙，请稍后再试。"
BUSY_EN = "The system is busy, please try again later."
NOTHING_DONE_ZH = "这一步没有完成，没有办理任何业务。需要帮助可以拨打12333。"
NOTHING_DONE_EN = " This step was not completed and nothing was done. For help, call 12333."
INTERNAL_ZH = "抱歉，助手内部出了错，这一步没有完成，没有办理任何业务。请再试一次，或拨打12333。"
INTERNAL_EN = (
    "Sorry, something went wrong inside the assistant: this step was not completed and nothing was done. "
    "Please try again, or call 12333."
)
log = logging.getLogger(__name__)


def now() -> datetime:
    """Asia/Shanghai now; SZ_NOW (or the backend's SZ_BACKEND_NOW) pins it for demos and tests."""
    pinned = load_settings().now
    if pinned:
        value = datetime.fromisoformat(pinned)
        return value if value.tzinfo else value.replace(tzinfo=SHANGHAI)
    return datetime.now(SHANGHAI)


def add_months_key(month: str, n: int) -> str:
    """'2026-11' + n months -> 'YYYY-MM'."""
    year, mon = (int(p) for p in month.split("-"))
    total = year * 12 + (mon - 1) + n
    return f"{total // 12:04d}-{total % 12 + 1:02d}"


def pick(lang: str, zh: str, en: str) -> str:
    return en if lang == "en" else zh


# ---- signals for the channels -------------------------------------------------------
# Some replies ask the channel to act, not just to show text: the phone channel starts
# caller verification, or transfers the call to a person. The action says so with a
# custom payload (Rasa `json_message`, delivered to the channel as {"custom": {...}}),
# never through its wording. Channels that have nothing to do ignore it; the web channel
# drops it (bot/channels/rendering.py `is_signal`).
from bot.signals import END_CALL, HANDOFF, SIGNAL_KEY, VERIFY_IDENTITY  # noqa: E402, F401 (one definition)


def signal(name: str, **details: Any) -> Dict[str, Any]:
    """The custom payload of a channel signal."""
    return {SIGNAL_KEY: name, **details}


class SignalledText(str):
    """A reply text that comes with a channel signal (e.g. `identity.login_help`):
    `say` sends the text and the signal together, so every caller of such a text
    signals without having to remember it."""

    signal: Dict[str, Any]

    def __new__(cls, text: str, payload: Dict[str, Any]) -> "SignalledText":
        obj = super().__new__(cls, text)
        obj.signal = dict(payload)
        return obj


def say(
    dispatcher: CollectingDispatcher,
    lang: str,
    zh: str,
    en: str,
    buttons: Optional[Sequence[Dict[str, str]]] = None,
    signal_payload: Optional[Dict[str, Any]] = None,
) -> None:
    text = pick(lang, zh, en)
    payload = signal_payload or getattr(text, "signal", None)
    kwargs: Dict[str, Any] = {}
    if buttons:
        kwargs["buttons"] = list(buttons)
    if payload:
        kwargs["json_message"] = dict(payload)
    dispatcher.utter_message(text=str(text), **kwargs)


def busy(dispatcher: CollectingDispatcher, lang: str, extra_zh: str = "", extra_en: str = "") -> None:
    """The backend did not answer: say so and (unless the caller knows better) that nothing was done."""
    say(dispatcher, lang, BUSY_ZH + (extra_zh or NOTHING_DONE_ZH), BUSY_EN + (extra_en or NOTHING_DONE_EN))


def guarded(on_error: Optional[Any] = None, text_zh: str = INTERNAL_ZH, text_en: str = INTERNAL_EN) -> Any:
    """Decorator of an action's `run`: an unexpected error becomes a plain message (what happened,
    nothing was done) instead of a silent turn or a stack trace; `on_error(tracker)` gives the events
    to return then (default: none)."""

    def wrap(run: Any) -> Any:
        @functools.wraps(run)
        async def inner(self: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Any) -> Any:
            try:
                return await run(self, dispatcher, tracker, domain)
            except Exception:  # noqa: BLE001 - the person must get an answer whatever failed
                log.exception("action %s failed", self.name())
                lang = tracker.get_slot("language") or "zh"
                dispatcher.utter_message(text=pick(lang, text_zh, text_en))
                return on_error(tracker) if on_error else []

        return inner

    return wrap


def error_text(err: BackendError, lang: str) -> str:
    """The backend's reason and, when given, how to fix it: stated plainly."""
    if lang == "en":
        text = _end(err.message_en, ".")
        if err.fix_en:
            text += f" What you can do: {_end(err.fix_en, '.')}"
        return text
    text = _end(err.message_zh, "。")
    if err.fix_zh:
        text += f"建议：{_end(err.fix_zh, '。')}"
    return text


def _body_text(body: Dict[str, Any], lang: str, status: int, default_zh: str, default_en: str) -> str:
    """error_text for an error the backend sent as data (a dict, not an exception)."""
    return error_text(
        BackendError(
            status=status,
            code=str(body.get("code", "")),
            message_zh=str(body.get("message_zh") or default_zh),
            message_en=str(body.get("message_en") or default_en),
            fix_zh=body.get("fix_zh"),
            fix_en=body.get("fix_en"),
        ),
        lang,
    )


def field_error_text(err: Dict[str, Any], lang: str) -> str:
    """error_text for one field error of the backend's validate answer."""
    return _body_text(err, lang, 422, "不符合要求", "not valid")


def _end(text: str, stop: str) -> str:
    text = str(text).strip()
    return text if text[-1:] in ("。", ".", "！", "!", "？", "?", "）", ")") else text + stop


def reason_text(reason: Dict[str, Any], lang: str) -> str:
    """error_text for a refusal that came back as data (eligibility, validate)."""
    return _body_text(reason, lang, 409, "暂不能办理", "Not possible now")


def name_of(entry: Dict[str, Any], lang: str) -> str:
    return str(entry.get("name_en") if lang == "en" else entry.get("name_zh") or entry.get("code", ""))


def reset_task_events(stage: str, tracker: Tracker) -> List[Dict[str, Any]]:
    """Forget the current task: its code, subject, nonce and every form slot.

    Only the slots that hold a value are cleared: clearing all
    ~40 on every turn put ~40 events per turn into the conversation, which every
    later turn stored, read back and replayed (the largest cost of a turn)."""
    names = TASK_SLOTS + FIELD_SLOTS + FORM_ONLY_SLOTS + ("requested_slot",)
    events = [SlotSet(name, None) for name in names if tracker.get_slot(name) is not None]
    events.append(SlotSet(STAGE_SLOT, stage))
    return events


def offer_choices(
    dispatcher: CollectingDispatcher,
    lang: str,
    zh: str,
    en: str,
    choices: Sequence[Dict[str, str]],
    cancel_zh: str = "取消",
    cancel_en: str = "Cancel",
) -> List[Dict[str, Any]]:
    """Ask the person to pick one; a typed or spoken answer is matched against the same choices."""
    buttons = list(choices) + [{"title": pick(lang, cancel_zh, cancel_en), "payload": "/cancel"}]
    say(dispatcher, lang, zh, en, buttons)
    return [SlotSet(STAGE_SLOT, CHOOSE), SlotSet("task_choices", [dict(c) for c in choices])]


def idempotency_key(sender_id: str, code: str, nonce: str) -> str:
    """One key per confirmation: a retried confirmation replays instead of acting twice."""
    digest = hashlib.sha256(f"{sender_id}\x1f{code}\x1f{nonce}".encode()).hexdigest()
    return f"rasa-{digest[:48]}"


def named_subjects(
    message: Dict[str, Any], options: Sequence[Dict[str, Any]], name_key: str = "subject_name"
) -> List[Dict[str, Any]]:
    """The options whose person the message names ("小儿子王小明", "给小红停保", a child_name entity):
    the full name, or the given name (the name without its one-character surname) of two characters or more."""
    text = re.sub(r"\s+", "", unicodedata.normalize("NFKC", str(message.get("text") or "")))
    if not text or text.startswith("/"):
        return []
    mentioned = {str(e.get("value")) for e in message.get("entities") or [] if e.get("entity") == "child_name"}
    words = _latin_words(unicodedata.normalize("NFKC", str(message.get("text") or "")))
    hits = []
    for o in options:
        name = str(o.get(name_key) or "")
        given = name[1:] if len(name) >= 3 else ""
        if name and (name in text or name in mentioned or (given and (given in text or given in mentioned))):
            hits.append(o)
        elif name and words and _said_in_pinyin(name, words):
            hits.append(o)
    return hits


def _latin_words(text: str) -> List[str]:
    return re.findall(r"[a-z]+", text.lower())


def _said_in_pinyin(name: str, words: List[str]) -> bool:
    """ "my son Xiaoming" / "Li Xiao Ming" in English: the name (or its given name of two characters or
    more) in pinyin without tones, as one word or as consecutive words."""
    from pypinyin import lazy_pinyin

    syllables = lazy_pinyin(name)
    if len(syllables) != len(name) or not all(s.isalpha() and s.isascii() for s in syllables):
        return False
    wanted = {"".join(syllables)} | ({"".join(syllables[1:])} if len(name) >= 3 else set())
    for i in range(len(words)):
        joined = ""
        for w in words[i : i + len(syllables)]:
            joined += w
            if joined in wanted:
                return True
    return False


def request_message(tracker: Tracker) -> Dict[str, Any]:
    """The message that asked for the task being started.

    Usually the latest one. When the latest is a button press (a payload such as
    "/change_basic_info") that answered the bot's "which one?" right after a request in
    words ("我换手机号了，新号码139…" -> [个人基本信息变更]), the words of that request: what they
    gave (a phone number, a place, a child's name) is used, not asked again."""
    latest = dict(tracker.latest_message or {})
    if not str(latest.get("text") or "").startswith("/"):
        return latest
    kept = tracker.get_slot("task_request")
    if kept:  # kept when the buttons were offered (the stored conversation masks personal numbers)
        return {**latest, "text": str(kept)}
    users = [e for e in tracker.events if e.get("event") == "user"]
    if len(users) < 2:
        return latest
    earlier = users[-2]
    text = str(earlier.get("text") or "")
    if not text or text.startswith("/"):
        return latest
    # only when the bot's turn between them offered buttons (the choice the click answers)
    start = max(i for i, e in enumerate(tracker.events) if e is earlier)
    between = [e for e in tracker.events[start + 1 :] if e.get("event") == "bot"]
    if not any(((e.get("data") or {}).get("buttons")) for e in between):
        return latest
    parsed = dict(earlier.get("parse_data") or {})
    return {
        **latest,
        "text": text,
        "entities": list(parsed.get("entities") or []) + list(latest.get("entities") or []),
    }


def no_task_going_on(tracker: Tracker) -> bool:
    """No form open and no item being chosen, filled or confirmed: a message is a new request or question."""
    return not (tracker.active_loop or {}).get("name") and tracker.get_slot(STAGE_SLOT) in (None, IDLE)


def remember_request(tracker: Tracker) -> List[Dict[str, Any]]:
    """Keep the words of the latest message for `request_message`: said when the bot answers a request
    with buttons to pick the item (the slot is encrypted at rest when it holds a personal number)."""
    text = str((tracker.latest_message or {}).get("text") or "")
    if text.startswith("/"):  # a pick: the request it answers stays for the item's form
        kept = tracker.get_slot("task_request")
        return [SlotSet("task_request", kept)] if kept else []
    return [SlotSet("task_request", text[:500])] if text else []
