"""The generic flow every business item (and every service) goes through.

    intent (= catalogue code) -> action_start_task
        identity? (token in metadata)   no  -> how to log in
        vague?  (stop_insurance ...)        -> clarify from the profile (clarify.py); ask when several
        whose?  (items for a child)         -> the linked children that qualify; ask when several
                 (asking sets task_stage=choose: a button, or the name typed or spoken)
        eligible? (GET /items/{code}/eligibility) no -> the reason and the fix
        fields?  yes -> task_stage=collect -> item_form (validate_item_form asks each field)
                 no  -> summary + 确认/取消 (task_stage=confirm)
    item_form done -> action_review_task -> summary + 确认/取消 (read-only services: the answer)
    affirm (task_stage=confirm) -> action_submit_task -> POST with Idempotency-Key
        completed / pre_application / refused; a 422 naming a field re-asks that field

Every turn's values are read by fields.extract_values (the request itself too:
what it gives is not asked again) and checked at once by the backend (POST
/items/{code}/validate): a refused value is said with its reason and asked
again, never shown in a summary; the summary carries the backend's preview of
what will happen. Corrections ("刚才说错了，应该是…") replace the earlier value
inside the form; at the summary they go to repair.ActionCorrectTask. Before an
item starts, words that contradict it (pay read as stop) make the flow ask, and
a child's school record or a guardian's phone goes to the right item (tasks.py).

The only slot the dialogue policy looks at is `task_stage`; everything else
lives in unfeaturized slots and in the backend.
"""

from __future__ import annotations

import json
import logging
import re
import uuid
from typing import Any, Dict, List, Optional, Text, Tuple, cast

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActiveLoop, FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from . import registration, services
from .assent import says_yes
from .backend_client import BackendClient, BackendError, BackendUnavailable, get_client
from .choices import intent_buttons, position, shown_buttons
from .clarify import (
    ActionClarifyIntent,
    about_moving_hukou,
    ask_child_matter,
    ask_which_child,
    catalogue_index,
    resolve_vague,
    say_hukou_move_out_of_scope,
    vague_child_matter,
    with_child_names,
)
from .common import (
    CHOOSE,
    COLLECT,
    CONFIRM,
    FIELD_SLOTS,
    FORM_ONLY_SLOTS,
    IDLE,
    STAGE_SLOT,
    busy,
    error_text,
    field_error_text,
    guarded,
    idempotency_key,
    mask_id,
    name_of,
    named_subjects,
    no_task_going_on,
    offer_choices,
    pick,
    reason_text,
    remember_request,
    request_message,
    reset_task_events,
    say,
)
from .corrections import WRONG, is_past_error, read_correction
from .fields import (
    ENTITY_FOR_NAME,
    ENTITY_FOR_TYPE,
    Parsed,
    _outside_of,
    clean,
    display_value,
    entity_values,
    hint_for,
    parse_field,
)
from .handoff import wants_a_person
from .identity import auth_token, channel_kind, login_help
from .language import is_bare_value, language_before_latest, reply_language
from .questions import asks_how, is_question, item_overview, question_topic, task_answer
from .tasks import (
    CHANGE_TARGET,
    ITEM_CODES,
    TASK_INTENTS,
    VAGUE_CODES,
    conflicting_request,
    form_specs,
    inferred_change_target,
    is_item,
    is_service,
    needs_confirmation,
    redirected_request,
    required_names,
    says_change,
    siblings,
    task_fields,
    vague_change_request,
    with_current,
)
from .values.choices import allowed, choice_names
from .values.text import simplify

log = logging.getLogger(__name__)

FORM = "item_form"
# Intents that, when the answer to the question asked cannot be read, mean the
# person wants something else: the form rejects and the rules answer them.
INTERRUPTIONS = {
    "faq",
    "cancel",
    "ask_human",
    "bot_challenge",
    "ask_capabilities",
    "goodbye",
    "ask_repeat",
    "dont_know",
    *TASK_INTENTS,
}
INTERRUPT_CONFIDENCE = 0.5
CONFIRM_BUTTONS = {
    "zh": [{"title": "确认", "payload": "/affirm"}, {"title": "取消", "payload": "/cancel"}],
    "en": [{"title": "Confirm", "payload": "/affirm"}, {"title": "Cancel", "payload": "/cancel"}],
}


def confirm_buttons(lang: str) -> List[Dict[str, str]]:
    """The summary's Confirm / Cancel buttons in the reply language (Chinese unless English)."""
    return CONFIRM_BUTTONS["en" if lang == "en" else "zh"]


MODE_NOTE = {
    "direct": ("确认后将在网上直接办结。", "Once you confirm, it is completed online."),
    "pre_application": (
        "确认后将生成预申请号和可打印的申请表，您还需要携带材料到服务窗口办理。",
        "Once you confirm, you get a pre-application number and a printable form; you then "
        "bring the materials to a service window.",
    ),
    "compare": (
        "确认后系统会与户籍信息比对：一致即网上办结，不一致则转为预申请。",
        "Once you confirm, the data is compared with the hukou record: if it matches, it is completed "
        "online; if not, it becomes a pre-application.",
    ),
}


def _intent(tracker: Tracker) -> Optional[str]:
    return ((tracker.latest_message or {}).get("intent") or {}).get("name")


def _subject_id_entity(message: Dict[str, Any]) -> Optional[int]:
    for value in entity_values(message, "subject_id"):
        if str(value).isdigit() and 0 < int(value) < 2**31:
            return int(value)
    return None


def _values(tracker: Tracker) -> Dict[str, Any]:
    return {name: tracker.get_slot(name) for name in FIELD_SLOTS + FORM_ONLY_SLOTS}


def _subject_id_slot(tracker: Tracker) -> Optional[int]:
    raw = tracker.get_slot("subject_id")
    return int(raw) if raw is not None and str(raw).isdigit() else None


task_values, subject_id_slot = _values, _subject_id_slot  # for repair.py


async def backend_check(
    client: BackendClient, token: Optional[str], code: Optional[str], values: Dict[str, Any], subject_id: Optional[int]
) -> Optional[Dict[str, Any]]:
    """The backend's verdict on the values so far (contract #1: POST /items/{code}/validate):
    {"values", "errors", "missing", "preview"}; None when there is no such check (no token, a
    service, or a backend without the endpoint) so the flow goes on as before."""
    method = getattr(client, "validate_fields", None)
    given = {n: v for n, v in values.items() if v is not None and n != CHANGE_TARGET}
    if method is None or not token or not is_item(code):
        return None
    try:
        return await method(token, code, given, subject_id=subject_id)
    except BackendError as err:
        if err.status in (404, 405):
            return None
        raise


async def _quiet_check(
    client: BackendClient, token: Optional[str], code: Optional[str], values: Dict[str, Any], subject_id: Optional[int]
) -> Optional[Dict[str, Any]]:
    """backend_check for the preview only: without it the summary is still right, so failures are quiet."""
    try:
        return await backend_check(client, token, code, values, subject_id)
    except (BackendUnavailable, BackendError) as err:
        log.info("validate for the preview failed: %s", err)
        return None


# Preview lines that repeat what the summary already lists (the item, the details given).
_PREVIEW_REPEATS = ("办理事项：", "填写的信息：", "Item: ", "Details given: ")


def _preview_lines(preview: Optional[Dict[str, Any]], lang: str) -> List[str]:
    """The backend's "what will happen" lines (contract #1 preview), without what the summary repeats."""
    if not isinstance(preview, dict):
        return []
    lines = preview.get("lines_en") if lang == "en" else preview.get("lines_zh")
    return [
        str(line).strip()
        for line in lines or []
        if str(line).strip() and not str(line).strip().startswith(_PREVIEW_REPEATS)
    ]


def _mode_of(code: str, entry: Dict[str, Any]) -> str:
    return str(entry.get("mode") or "direct")


def _refusal(dispatcher: CollectingDispatcher, lang: str, name: str, text: str, who: Optional[str] = None) -> None:
    """The reason and the way forward, and for whom when the item is for a child."""
    text = str(text or "").strip() or pick(
        lang, "请拨打12333或到社保服务窗口咨询。", "Please call 12333 or ask at a social insurance service window."
    )
    for_zh, for_en = (f"（{who}）", f" ({who})") if who else ("", "")
    say(
        dispatcher, lang, f"暂时不能办理“{name}”{for_zh}：{text}", f"“{name}”{for_en} is not possible right now: {text}"
    )


def _reasons_text(reasons: List[Dict[str, Any]], lang: str) -> str:
    """Several refusals (one per child): each reason on its own line, each distinct fix once."""
    if len(reasons) == 1:
        return reason_text(reasons[0], lang)
    key = "en" if lang == "en" else "zh"
    messages, fixes = [], []
    for r in reasons:
        msg, fix = r.get(f"message_{key}"), r.get(f"fix_{key}")
        if msg and msg not in messages:
            messages.append(msg)
        if fix and fix not in fixes:
            fixes.append(fix)
    lines = [("- " if lang == "en" else "· ") + m for m in messages]
    lines += [pick(lang, f"建议：{f}", f"What you can do: {f}") for f in fixes]
    return "\n" + "\n".join(lines)


def present_summary(
    dispatcher: CollectingDispatcher,
    lang: str,
    code: str,
    entry: Dict[str, Any],
    fields: List[Dict[str, Any]],
    values: Dict[str, Any],
    subject_name: Optional[str],
    preview: Optional[Dict[str, Any]] = None,
) -> List[Dict[str, Any]]:
    """Show what will be submitted, what will happen (the backend's preview when there is one)
    and ask for 确认/取消; a new nonce per confirmation."""
    if code == "self_service_payment":
        text = services.payment_summary(lang, values.get("quote"))
    else:
        name = name_of(entry, lang)
        lines = [pick(lang, "请核对以下信息：", "Please check:"), pick(lang, f"· 业务：{name}", f"- Item: {name}")]
        if subject_name:
            lines.append(pick(lang, f"· 办理对象：{subject_name}", f"- For: {subject_name}"))
        specs = form_specs(fields)
        for fname in required_names(fields, values):
            if fname == CHANGE_TARGET or fname not in specs:
                continue
            spec = specs[fname]
            label = spec.get("label_en") if lang == "en" else spec.get("label_zh")
            shown = display_value(spec, values.get(fname), lang)
            lines.append(f"- {label}: {shown}" if lang == "en" else f"· {label}：{shown}")
        effects = _preview_lines(preview, lang)
        if effects:
            lines.append(pick(lang, "办理后：", "What will happen:"))
            lines += [("- " if lang == "en" else "· ") + e for e in effects]
        note = None if effects else MODE_NOTE.get(_mode_of(code, entry))  # the preview says it already
        if note:
            lines.append(pick(lang, *note))
        lines.append(pick(lang, "确认办理吗？", "Shall I go ahead?"))
        text = "\n".join(lines)
    dispatcher.utter_message(text=text, buttons=confirm_buttons(lang))
    return [SlotSet(STAGE_SLOT, CONFIRM), SlotSet("task_nonce", uuid.uuid4().hex)]


def render_outcome(body: Dict[str, Any], lang: str) -> str:
    """completed (serial number) or pre_application (number, materials, where, form link)."""
    name = body.get("name_en") if lang == "en" else body.get("name_zh")
    subject = body.get("subject_name")
    message = str((body.get("message_en") if lang == "en" else body.get("message_zh")) or "").strip()
    serial = body.get("serial_no")
    lines: List[str] = []
    if body.get("outcome") == "pre_application":
        pre = body.get("pre_application") or {}
        lines.append(
            pick(
                lang,
                f"“{name}”已提交预申请，还需要您到服务窗口完成办理。",
                f"“{name}” is registered as a pre-application; please finish it at a service window.",
            )
        )
        mismatches = pre.get("mismatches") or []
        if message and not mismatches:  # with mismatches the backend's message repeats them
            lines.append(message)
        if mismatches:
            lines.append(pick(lang, "信息比对未通过：", "The comparison with the hukou record did not match:"))
            for m in mismatches:
                submitted, registry = m.get("submitted"), m.get("registry")
                if "id_number" in str(m.get("field", "")):
                    submitted, registry = mask_id(submitted), mask_id(registry)
                if lang == "en":
                    lines.append(
                        f"- {m.get('label_en')}: you gave “{submitted or '-'}”, the record says "
                        f"“{registry or '-'}”. {m.get('fix_en') or ''}".rstrip()
                    )
                else:
                    lines.append(
                        f"· {m.get('label_zh')}：您提交的是“{submitted or '-'}”，户籍登记为“{registry or '-'}”。"
                        f"{m.get('fix_zh') or ''}"
                    )
        lines.append(pick(lang, f"预申请号：{pre.get('number')}", f"Pre-application number: {pre.get('number')}"))
        materials = [m for m in pre.get("materials") or [] if isinstance(m, dict)]
        if materials:
            lines.append(pick(lang, "请携带以下材料：", "Please bring:"))
            lines += [f"{i}. {m.get('en') if lang == 'en' else m.get('zh')}" for i, m in enumerate(materials, 1)]
        where = pre.get("where_en") if lang == "en" else pre.get("where_zh")
        if where:
            lines.append(pick(lang, f"办理地点：{where}", f"Where: {where}"))
        if pre.get("form_url"):
            lines.append(pick(lang, f"打印申请表：{pre['form_url']}", f"Printable application form: {pre['form_url']}"))
    else:
        who = f"（{subject}）" if subject and lang != "en" else (f" ({subject})" if subject else "")
        lines.append(pick(lang, f"已办结：{name}{who}。", f"Done: {name}{who}."))
        if message:
            lines.append(message)
    if serial:
        lines.append(pick(lang, f"业务流水号：{serial}", f"Serial number: {serial}"))
    if body.get("idempotent_replay"):
        lines.append(
            pick(
                lang,
                "（这是您之前那次确认的结果，没有重复办理。）",
                "(This is the result of your earlier confirmation; nothing was done twice.)",
            )
        )
    return "\n".join(lines)


async def start_item(code: str, dispatcher: CollectingDispatcher, tracker: Tracker, lang: str) -> List[Dict[str, Any]]:
    """Start `code` from another action (a follow-up such as "刚才那个撤销掉"): events as action_start_task's."""
    events: List[Dict[str, Any]] = reset_task_events(IDLE, tracker)
    try:
        return events + await ActionStartTask()._start(code, dispatcher, tracker, lang, None)
    except BackendUnavailable:
        busy(dispatcher, lang)
    except BackendError as err:
        say(dispatcher, lang, error_text(err, "zh"), error_text(err, "en"))
    return events


async def start_item_from_question(
    code: str, dispatcher: CollectingDispatcher, tracker: Tracker, lang: str
) -> List[Dict[str, Any]]:
    """start_item from an action the rules do not follow with the form (the FAQ answer, the clarification):
    the form is run next when a value is to be asked or checked, as after action_start_task."""
    events = await start_item(code, dispatcher, tracker, lang)
    if any(e.get("name") == STAGE_SLOT and e.get("value") == COLLECT for e in events):
        return events + [FollowupAction(FORM)]
    return events


# How close behind a bare value (inform) an item must rank to be the request itself (a guess, not
# calibrated: the phone and bank requests below ranked their item 0.16-0.23 behind inform 0.22-0.39).
INFORM_ITEM_FLOOR = 0.12
# ... and when the message says to change something (a change verb with what it becomes): the value is
# the new one of a request, so the item ranked next is taken from this lower floor (also a guess).
INFORM_REQUEST_FLOOR = 0.06
# A statement the NLU read as a question (faq) with an item this close behind (its confidence over the
# FAQ's) is that request. On the dev sets (tests/nlu/heldout*.yml, 35 faq readings not shaped as a
# question): the four item requests had 0.64-0.88, FAQ questions at most 0.30.
FAQ_ITEM_RATIO = 0.5
_CHANGE_REQUEST = re.compile(
    r"(?:换|換|改|调|調|转|轉|变|變)(?:成|为|為|到)|换一?张|換一?張|换个|換個|换掉|換掉|改一下|变更|變更|"
    r"\b(?:change|switch|move|update)\b[^.?!]{0,40}\b(?:to|into)\b",
    re.I,
)


def item_behind_value(message: Dict[str, Any]) -> Optional[str]:
    """A whole request that carries its value ("我换手机号了，新号码139…，帮我改一下") read as a bare value
    (inform) outside a task: the task intent ranked next, when it is close enough. Otherwise the person
    is asked what to do, and the value said is lost. Likewise a request read as a question (faq) that is
    not shaped as one ("我办了张工商银行的卡，想用它交社保"), when the item is close behind (FAQ_ITEM_RATIO)."""
    intent = message.get("intent") or {}
    if intent.get("name") == "faq":
        text = str(message.get("text") or "")
        ranked = [r for r in message.get("intent_ranking") or [] if r.get("name") not in ("faq", "nlu_fallback")]
        if text.startswith("/") or is_question(text) or not ranked or ranked[0].get("name") not in TASK_INTENTS:
            return None
        close = float(ranked[0].get("confidence") or 0) >= FAQ_ITEM_RATIO * float(intent.get("confidence") or 0)
        return str(ranked[0]["name"]) if close else None
    if intent.get("name") != "inform":
        return None
    ranked = [r for r in message.get("intent_ranking") or [] if r.get("name") not in ("inform", "nlu_fallback")]
    floor = INFORM_ITEM_FLOOR
    if _CHANGE_REQUEST.search(str(message.get("text") or "")):
        # "社保扣费的卡我要换成工商的，卡号6222…": a change verb makes it a request, not a bare value; the item
        # ranked next (0.117 there) is taken from a lower floor
        floor = INFORM_REQUEST_FLOOR
        if len(ranked) > 1 and ranked[0].get("name") == "faq" and ranked[1].get("name") in TASK_INTENTS:
            # "Change my payment account to my wife Wang Fang's … card 6217…, her ID is 4403…": inform 0.61, then
            # the FAQ 0.088 and the item 0.086 — a change request is no question: the item behind the FAQ
            ranked = ranked[1:]
    if ranked and ranked[0].get("name") in TASK_INTENTS and float(ranked[0].get("confidence") or 0) >= floor:
        return str(ranked[0]["name"])
    return None


# A message that names a value only one item's choice field has (a category of person: "我是原农村户籍人员",
# "former rural hukou resident") is about that item when the NLU also has that item among its first guesses:
# "户籍类别比对的时候我是原农村户籍人员，以前没交够的社保能一次补上吗" leaned to the hukou-category FAQ
# (0.93) with 四类人员一次性补缴 fourth, and "原农村户籍人员" alone likewise (second). Short names
# ("临时工", "其他", "是") and yes/no fields are not enough to name an item. The value a change item changes
# to (change_basic_info's hukou category "外省户口") names it only with a change word: "我是外省户口，能在深圳交社保
# 吗？" tells who one is, it does not ask to change one's record.
VALUE_ITEM_RANK = 5


def _distinctive(name: str) -> bool:
    return len(name.split()) >= 3 if name.isascii() else len(name) >= 4


async def item_named_by_its_value(message: Dict[str, Any]) -> Optional[str]:
    """The item whose own choice value the message names, when the NLU ranks it among its first guesses."""
    text = str(message.get("text") or "")
    if not text or text.startswith("/"):
        return None
    guesses = [
        str(r.get("name"))
        for r in (message.get("intent_ranking") or [])[:VALUE_ITEM_RANK]
        if r.get("name") in TASK_INTENTS
    ]
    if not guesses:
        return None
    try:
        catalogue = await get_client().catalogue()
    except (BackendUnavailable, BackendError):
        return None
    low = simplify(text).casefold()
    named = set()
    for entry in catalogue.get("items") or []:
        if str(entry.get("code")).startswith(("change_", "maintain_")) and not says_change(text):
            continue
        for spec in entry.get("fields") or []:
            if spec.get("type") != "choice":
                continue
            for choice in allowed(spec):
                if str(choice.get("value")) in ("yes", "no"):
                    continue
                if any(_distinctive(n) and n.casefold() in low for n in choice_names(choice)):
                    named.add(str(entry.get("code")))
    return named.pop() if len(named) == 1 and next(iter(named)) in guesses else None


def _names_nothing(message: Dict[str, Any]) -> bool:
    """A typed message with no entity but its language: it names no person, item or value of its own."""
    return not _is_payload(message) and not [e for e in message.get("entities") or [] if e.get("entity") != "language"]


class ActionStartTask(Action):
    """Start any item or service: identity, clarification, subject, eligibility, then form or summary."""

    def name(self) -> Text:
        return "action_start_task"

    @guarded()
    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[Dict[Text, Any]]:
        lang = reply_language(tracker)
        code = _intent(tracker)
        message = tracker.latest_message or {}
        text = str(message.get("text") or "")
        if (
            tracker.get_slot(STAGE_SLOT) == CONFIRM
            and code
            and code == tracker.get_slot("task_code")
            and not _is_payload(message)
            and (WRONG.search(text) or is_past_error(text))
        ):
            # "改一下银行" at the summary of the bank item: a correction, not a new start
            from .repair import ActionCorrectTask

            return await ActionCorrectTask().run(dispatcher, tracker, domain)
        pending = tracker.get_slot("task_code")
        if (
            tracker.get_slot(STAGE_SLOT) == CONFIRM
            and pending
            and siblings(code, str(pending))
            and _names_nothing(message)
        ):
            # "那就帮我停了吧" at a stop summary, read as a sibling item (the child's stop) with nothing that
            # names it: a restatement of the pending request, not a switch. Asked, never switched or done.
            await self._ask_to_confirm_pending(dispatcher, lang, str(pending))
            return []
        offered = [b["payload"][1:] for b in intent_buttons(shown_buttons(tracker))]
        if len(offered) == 1 and siblings(code, offered[0]) and _names_nothing(message):
            # "那就帮我停了吧" right after one item was offered as a button (an answer about it), read as a
            # sibling item (the child's stop) with nothing that names it: the item offered
            code = offered[0]
        if code == _intent(tracker) and names_only_the_topic(text):
            # "关于社保" / "social insurance stuff": no item, no action said; whatever the NLU guessed
            # (a transfer-out, a stop), it is asked which one, never done or refused on that guess
            return list(await ActionClarifyIntent().run(dispatcher, tracker, domain))
        token = auth_token(tracker)
        if (
            token
            and code in TASK_INTENTS
            and code == _intent(tracker)
            and vague_child_matter(text)
            and no_task_going_on(tracker)
        ):
            # "我家娃的医保咋整": a child's insurance with nothing to do named: which matter, not a guessed item
            try:
                asked = await ask_child_matter(get_client(), token, dispatcher, lang)
            except (BackendUnavailable, BackendError):
                asked = None
            if asked is not None:
                return remember_request(tracker) + asked
        if code == _intent(tracker) and about_moving_hukou(text) and no_task_going_on(tracker):
            # "我要把户口迁到深圳" read as a transfer-in: a hukou move is the police's, not an item
            say_hukou_move_out_of_scope(dispatcher, lang)
            return []
        subject_id = _subject_id_entity(message)
        choices = tracker.get_slot("task_choices") or []
        events: List[Dict[str, Any]] = []
        if (tracker.active_loop or {}).get("name"):
            events.append(ActiveLoop(None))
        events += reset_task_events(IDLE, tracker)
        if lang != tracker.get_slot("language"):
            events.append(SlotSet("language", lang))
        if code not in TASK_INTENTS and tracker.get_slot(STAGE_SLOT) == CHOOSE and choices:
            # the answer to "which one?" typed or spoken instead of clicked
            picked = match_choice(str((tracker.latest_message or {}).get("text") or ""), choices) or _own_choice(
                text, choices
            )
            if picked is None:
                return events + offer_choices(
                    dispatcher,
                    lang,
                    "请从下面选择一项，或直接说出名称。",
                    "Please pick one of these, or say its name.",
                    choices,
                )
            code, subject_id = picked
        if code != "register_account" and not auth_token(tracker) and wants_registration(text):
            # "新用户注册，我叫…，身份证…" heard as details, "刚毕业还没有账号，帮我弄一个" heard as an enrolment:
            # without a login, the registration they ask for
            code = "register_account"
        if code not in TASK_INTENTS:
            code = item_behind_value(message) or code
        if code not in TASK_INTENTS:
            dispatcher.utter_message(response="utter_ask_what_task")
            return events
        if code == _intent(tracker):
            code = redirected_request(code, text)  # a child's school record is the child's, not one's own
        events += remember_request(tracker)  # cleared above; kept for a pick when "which one?" is asked now
        conflict = conflicting_request(code, text) if code == _intent(tracker) else None
        vague_change = vague_change_request(code, text) if code == _intent(tracker) else None
        try:
            if conflict:
                return events + await self._ask_which(dispatcher, lang, *conflict)
            if vague_change:
                return events + await self._ask_which_information(dispatcher, lang, vague_change)
            events += await self._start(code, dispatcher, tracker, lang, subject_id)
        except BackendUnavailable:
            busy(dispatcher, lang)
        except BackendError as err:
            if err.is_auth:
                say(
                    dispatcher,
                    lang,
                    login_help("zh", channel_kind(tracker), expired=True),
                    login_help("en", channel_kind(tracker), expired=True),
                )
            else:
                say(dispatcher, lang, error_text(err, "zh"), error_text(err, "en"))
        return events

    @staticmethod
    async def _about_item(
        client: BackendClient,
        token: Optional[str],
        code: str,
        subject_id: Optional[int],
        tracker: Tracker,
        lang: str,
    ) -> Optional[Tuple[str, Dict[str, Any]]]:
        """The answer to a question ABOUT an item ("什么是…", "…需要什么条件", "how does … work") that gives no
        value of it, with the item's catalogue entry; None for a request, or a question that carries a value
        (the form uses it)."""
        message = tracker.latest_message or {}
        said = str(message.get("text") or "")
        if code not in ITEM_CODES or subject_id or not is_question(said) or not asks_how(said):
            return None
        try:
            entry = await client.catalogue_entry(code)
            catalogue = await client.catalogue()
        except (BackendUnavailable, BackendError):
            return None
        if _extract(list(entry.get("fields") or []), message, None, {}):
            return None
        standing = None
        if token and entry.get("acts_for") != "child":
            try:
                elig = await client.eligibility(token, code, None)
            except (BackendUnavailable, BackendError):
                elig = {}
            if elig.get("eligible"):
                standing = pick(lang, "根据您目前的参保情况，可以办理。", "From your records, you can do it now.")
            elif elig.get("reason"):
                reason = reason_text(elig["reason"], lang)
                standing = pick(
                    lang,
                    f"根据您目前的参保情况，暂时不能办理：{reason}",
                    f"From your records, not possible now: {reason}",
                )
        return item_overview(entry, catalogue, lang, standing), entry

    @staticmethod
    async def _ask_to_confirm_pending(dispatcher: CollectingDispatcher, lang: str, pending: str) -> None:
        """The summary's item named again, with its Confirm / Cancel buttons; the summary stands."""
        names = await catalogue_index(get_client())
        title = (names.get(pending) or {}).get("en" if lang == "en" else "zh", pending)
        say(
            dispatcher,
            lang,
            f"您是要办理正在确认的“{title}”吗？确认办理请点“确认”，不办理请点“取消”；要办别的业务，请说出业务名称。",
            f"Do you mean the “{title}” shown above? Press “Confirm” to go ahead or “Cancel” to stop; for "
            "another item, please say its name.",
            buttons=confirm_buttons(lang),
        )

    @staticmethod
    async def _ask_which(
        dispatcher: CollectingDispatcher, lang: str, wanted: str, understood: str
    ) -> List[Dict[str, Any]]:
        """The words say pay but the item is a stop or the records (or the other way round): ask, never guess."""
        names = await catalogue_index(get_client())
        fixed = {
            "stop_insurance": ("停保", "Stop insurance"),
            "self_service_payment": ("缴纳本月社保费", "Pay this month"),
        }

        def title(code: str) -> str:
            zh, en = fixed.get(code) or (names.get(code, {}).get("zh", code), names.get(code, {}).get("en", code))
            return pick(lang, str(zh), str(en))

        log.info("request words contradict the item understood: wanted=%s understood=%s", wanted, understood)
        buttons = [
            {"title": title(wanted), "payload": f"/{wanted}"},
            {"title": title(understood), "payload": f"/{understood}"},
        ]
        if understood == "query_contributions":  # "帮我把10月份的社保交了" read as the records
            zh, en = (
                "想确认一下：您是要缴费，还是要查询缴费记录？请选择一项。",
                "Just to be sure: do you want to pay, or to see your contribution records? Please pick one.",
            )
        else:
            zh, en = (
                "想确认一下：您是要缴费，还是要停保？请选择一项。",
                "Just to be sure: do you want to pay, or to stop the insurance? Please pick one.",
            )
        return offer_choices(dispatcher, lang, zh, en, buttons)

    @staticmethod
    async def _ask_which_information(dispatcher: CollectingDispatcher, lang: str, codes: tuple) -> List[Dict[str, Any]]:
        """ "改一下我的信息" names no information: which item, never a guess."""
        names = await catalogue_index(get_client())
        buttons = [
            {"title": str(names.get(c, {}).get("en" if lang == "en" else "zh", c)), "payload": f"/{c}"} for c in codes
        ]
        return offer_choices(
            dispatcher,
            lang,
            "请问要修改哪一项信息？基本信息（户籍类别、手机号码、联系地址）、参保信息（医疗保险档次），还是缴费银行账户？",
            "Which information do you want to change: basic details (hukou category, phone, address), "
            "your insurance details (medical tier), or the payment bank account?",
            buttons,
        )

    async def _start(
        self, code: str, dispatcher: CollectingDispatcher, tracker: Tracker, lang: str, subject_id: Optional[int]
    ) -> List[Dict[str, Any]]:
        from .repair import ITEM_FAQ, offer_items_of_topic  # repair imports this module

        async def answer_and_offer(response: str) -> List[Dict[str, Any]]:
            """A question about an item: the answer, and the item as a button to do it now."""
            dispatcher.utter_message(response=response)
            if await offer_items_of_topic(dispatcher, tracker, lang, response):
                return remember_request(tracker)
            return []

        client = get_client()
        said = str((tracker.latest_message or {}).get("text") or "")
        token = auth_token(tracker)
        if code == "register_account":  # no login: the registration form (bot/actions/registration.py)
            if not token and is_question(said) and asks_how(said, broad=True) and not registration.details_in(said):
                # "人在国外能注册吗？" asks how registration works: the answer, and registration as a button
                return await answer_and_offer("utter_faq/register")
            return await registration.start(dispatcher, tracker, lang)
        about = await self._about_item(client, token, code, subject_id, tracker, lang) if code not in ITEM_FAQ else None
        if not token:
            if code in ITEM_FAQ and _QUESTION.search(said):
                # "灵活就业怎么参保？" asked before logging in: how it is done, then how to log in to do it
                dispatcher.utter_message(response=ITEM_FAQ[code])
            elif about:
                dispatcher.utter_message(text=about[0])
            kind = channel_kind(tracker)
            say(dispatcher, lang, login_help("zh", kind), login_help("en", kind))
            return []
        if code in ITEM_FAQ and not subject_id and asks_how(said, True):
            # "趸缴需要什么条件？" / "灵活就业怎么参保？" asks about the item: the answer first, and the item
            # as a button to do it now (not a form the question did not ask for)
            return await answer_and_offer(ITEM_FAQ[code])
        if about:
            # "什么是四类人员补缴？" / "养老转入怎么办理？": how the item is done and whether one can, and the item
            # as a button to do it now (not a form the question did not ask for)
            answer, entry = about
            title = pick(lang, f"办理“{name_of(entry, 'zh')}”", f"Do “{name_of(entry, 'en')}” now")
            say(dispatcher, lang, answer, answer, [{"title": title, "payload": f"/{code}"}])
            return remember_request(tracker)
        if code in VAGUE_CODES:
            resolved, subject_id, asked = await resolve_vague(client, token, code, tracker, dispatcher, lang)
            if resolved is None:
                return asked
            code = resolved
        if is_service(code):
            return await self._start_service(client, token, code, subject_id, dispatcher, tracker, lang)

        entry = await client.catalogue_entry(code)
        name = name_of(entry, lang)
        for_child = entry.get("acts_for") == "child"
        request = request_message(tracker)
        if for_child and not subject_id:
            options = await with_child_names(client, token, await client.options(token, [code]))
            named = named_subjects(request, options)
            if len(named) == 1:  # the child named in the request ("小儿子王小明"): that one, eligible or not
                options = named
            else:  # no child named: ask when more than one child could be meant
                which = await ask_which_child(client, token, code, options, request, dispatcher, lang)
                if which is not None:
                    return which
            usable = [o for o in options if o.get("eligible")]
            if len(usable) == 1:
                subject_id = usable[0].get("subject_id")
            elif usable:
                buttons = [
                    {
                        "title": str(o.get("subject_name") or o.get("subject_id")),
                        "payload": f'/{code}{{"subject_id":"{int(o["subject_id"])}"}}',
                    }
                    for o in usable
                ]
                return offer_choices(
                    dispatcher, lang, f"请问要为哪个孩子办理“{name}”？", f"Which child is “{name}” for?", buttons
                )
            elif options:
                who = options[0].get("subject_name") if len(options) == 1 else None
                _refusal(dispatcher, lang, name, _reasons_text([o.get("reason") or {} for o in options], lang), who)
                return []
            # no linked child at all: the eligibility check below says so, with its fix
        elig = await client.eligibility(token, code, subject_id if for_child else None)
        if not elig.get("eligible"):
            _refusal(
                dispatcher,
                lang,
                name,
                reason_text(elig.get("reason") or {}, lang),
                elig.get("subject_name") if for_child else None,
            )
            return []
        subject_name = elig.get("subject_name") if for_child else None
        fields = list(elig.get("fields") or entry.get("fields") or [])
        events: List[Dict[str, Any]] = [
            SlotSet("task_code", code),
            SlotSet("subject_id", str(elig.get("subject_id")) if for_child and elig.get("subject_id") else None),
            SlotSet("subject_name", subject_name),
        ]
        if required_names(fields, {}):
            # what the request itself already gives is not listed as needed (the form takes it)
            given = _extract(fields, request, None, {}) or {}
            labels = [
                f.get("label_en") if lang == "en" else f.get("label_zh")
                for f in fields
                if f.get("required") and f.get("name") not in given
            ]
            who_zh = f"为{subject_name}" if subject_name else ""
            who_en = f" for {subject_name}" if subject_name else ""
            if labels:
                say(
                    dispatcher,
                    lang,
                    f"好的，{who_zh}办理“{name}”，需要以下信息：{'、'.join(labels)}。",
                    f"OK, “{name}”{who_en}. I need: {', '.join(labels)}.",
                )
            else:
                say(dispatcher, lang, f"好的，{who_zh}办理“{name}”。", f"OK, “{name}”{who_en}.")
            return events + [SlotSet(STAGE_SLOT, COLLECT)]
        check = await _quiet_check(client, token, code, {}, subject_id if for_child else None)
        return events + present_summary(
            dispatcher, lang, code, entry, fields, {}, subject_name, preview=(check or {}).get("preview")
        )

    async def _start_service(
        self,
        client: BackendClient,
        token: str,
        code: str,
        subject_id: Optional[int],
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        lang: str,
    ) -> List[Dict[str, Any]]:
        message = tracker.latest_message or {}
        if code == "self_service_payment":
            # The backend's quote refuses early (payment window closed, month already paid)
            # and gives the amount the person confirms.
            quote = await client.payment_quote(token)
            events = [SlotSet("task_code", code)]
            return events + present_summary(dispatcher, lang, code, {}, [], {"quote": quote}, None)
        if code == "query_pre_application":
            # the number said now, else the one of the pre-application made a moment ago ("它现在什么状态？")
            number = services.pre_application_number_from(message) or _recent_pre_application(tracker)
            if number:
                return await services.run_read_service(
                    client, token, code, tracker, dispatcher, lang, subject_id=None, number=number
                )
            return [SlotSet("task_code", code), SlotSet(STAGE_SLOT, COLLECT)]
        # query_contributions / print_insurance_certificate: for oneself, or a linked child
        text = str(message.get("text") or "")
        if _OWN.search(text):  # "不是孩子的，是我自己的参保证明": one's own records, whatever else is said
            return await services.run_read_service(client, token, code, tracker, dispatcher, lang, subject_id=None)
        wants_child = "child" in entity_values(message, "subject")
        # a child named in the words counts even when the NLU found no child_name entity ("查一下小红的缴费明细")
        children = ((await client.me(token)).get("children") or []) if subject_id is None else []
        if subject_id is None and (
            wants_child or entity_values(message, "child_name") or named_subjects(message, children, name_key="name")
        ):
            named = [c for c in named_subjects(message, children, name_key="name") if c.get("id")]
            if len(named) == 1:
                children = named  # "查一下小红的缴费明细"
            elif not wants_child:
                children = []  # a name that is not a linked child: the person's own records
            if not children and not wants_child:
                return await services.run_read_service(client, token, code, tracker, dispatcher, lang, subject_id=None)
            if not children:
                say(
                    dispatcher,
                    lang,
                    "您的账户没有关联的少儿，只能查询本人的信息。",
                    "No child is linked to your account; I can only show your own records.",
                )
                return []
            if len(children) > 1:
                buttons = [
                    {"title": str(c.get("name")), "payload": f'/{code}{{"subject_id":"{int(c["id"])}"}}'}
                    for c in children
                    if c.get("id")
                ]
                return offer_choices(dispatcher, lang, "请问是哪个孩子的？", "Which child?", buttons)
            subject_id = int(children[0]["id"])
        return await services.run_read_service(client, token, code, tracker, dispatcher, lang, subject_id=subject_id)


def _recent_pre_application(tracker: Tracker, turns: int = 4) -> Optional[str]:
    """The pre-application number the bot gave in the last few turns (the one just made), if any."""
    seen = 0
    for e in reversed(list(tracker.events)):
        if e.get("event") == "user":
            seen += 1
            if seen > turns:
                return None
        elif e.get("event") == "bot":
            m = re.search(r"(?:预申请号|Pre-application number)[：:]\s*(YS\d{12}[0-9X])", str(e.get("text") or ""))
            if m:
                return m.group(1)
    return None


_REGISTER = re.compile(
    r"注册|註冊|新用户|新用戶|(?:开|開|开通|開通|申请|申請|弄|办|辦|建)[^，。,.！!？?]{0,8}(?:账号|帳號|账户|帳戶|帐号|帐户)|"
    r"没有?(?:账号|账户|帐号|帐户)|沒有?(?:帳號|帳戶)|还没有?[^，。,.！!？?]{0,8}(?:账号|账户|帐号|帐户)|"
    r"還沒有?[^，。,.！!？?]{0,8}(?:帳號|帳戶)|\bsign(?:ing)? ?up\b|\bregister\b|\bcreate an? account\b|"
    r"\bnew (?:user|account)\b|\b(?:need|want|get|make|set up|open)\b[^.?!]{0,25}\baccount\b|"
    r"\b(?:no|don'?t have an?|haven'?t got an?|without an?)\s+(?:\w+\s+){0,2}(?:account|login)\b",
    re.I,
)


# A message that names only the field (social insurance) and says nothing to do: asked, not guessed.
_TOPIC_ONLY = re.compile(
    r"^\s*(?:你好|您好|喂|嗯)?[，,\s]*(?:关于|有关|關於|有關|咨询|諮詢|咨询一下|问一下|问下|問一下|想问一下|想问|请问|請問)?\s*"
    r"(?:社保|社会保险|社會保險|社保卡|医保|醫保|养老保险|養老保險|养老|養老|保险|保險)\s*"
    r"(?:的|方面的?|相关的?|相關的?|那块的?|那塊的?|这块的?|這塊的?|上的)?\s*"
    r"(?:事情?|问题|問題|业务|業務|情况|情況|东西|東西)?\s*[吗嗎呢啊吧呀。.？?！!~]*\s*$|"
    r"^\s*(?:about |regarding |a question about |question about |help with )?(?:my |the )?"
    r"(?:social insurance|social security|insurance)"
    r"(?: stuff| things?| matters?| issues?| questions?| business)?\s*[?.!]*\s*$",
    re.I,
)


def names_only_the_topic(text: str) -> bool:
    """'关于社保', '社保方面的问题', 'social insurance stuff': the field named, nothing asked or to be done."""
    return bool(_TOPIC_ONLY.match(str(text or "")))


def wants_registration(text: str) -> bool:
    """Someone without a login saying they have no account or want one ("刚毕业还没有账号，帮我弄一个",
    "I need an account for the online services"): the registration, not a guess at another item."""
    return bool(_REGISTER.search(str(text or "")))


_PAYLOAD = re.compile(r"^/(\w+)(\{.*\})?$")
# the person's own records, not a child's (said when asked "which child?")
_OWN = re.compile(
    r"(不是|不用|不要|不给)(给|帮)?(孩子|小孩|儿子|女儿|娃)|我(自己|本人)的|本人的|\b(my own|mine|myself)\b",
    re.IGNORECASE,
)


def _own_choice(text: str, choices: List[Dict[str, Any]]) -> Optional[tuple]:
    """(service, None) when asked which child's records and the answer is "my own"."""
    codes = {m.group(1) for m in (_PAYLOAD.match(str(c.get("payload") or "")) for c in choices) if m}
    if _OWN.search(text) and len(codes) == 1 and is_service(next(iter(codes))):
        return next(iter(codes)), None
    return None


def match_choice(text: str, choices: List[Dict[str, Any]]) -> Optional[tuple]:
    """(code, subject_id) of the one offered choice a typed or spoken answer names, else None."""
    t = re.sub(r"\s+", "", text)
    if not t:
        return None
    n = position(t)  # "2", "第二个": the choice at that place in the list shown
    hits = [choices[n - 1]] if n is not None and 0 < n <= len(choices) else []
    for c in choices if n is None else []:
        title = re.sub(r"\s+", "", str(c.get("title") or ""))
        parts = [p for p in re.split(r"[（）()]", title) if p]  # "少儿停保（李小明）" -> 少儿停保, 李小明
        if t in title or title in t or any(len(p) >= 2 and p in t for p in parts):
            hits.append(c)
    if len(hits) != 1:
        return None
    m = _PAYLOAD.match(str(hits[0].get("payload") or ""))
    if not m or m.group(1) not in TASK_INTENTS:
        return None
    sid = None
    if m.group(2):
        try:
            raw = json.loads(m.group(2)).get("subject_id")
            sid = int(raw) if raw is not None and str(raw).isdigit() else None
        except ValueError:
            sid = None
    return m.group(1), sid


def _fresh_user_input(tracker: Tracker) -> bool:
    """True when the form runs on a new user message (not on activation, not after an interruption)."""
    actions = [e.get("name") for e in tracker.events if e.get("event") == "action"]
    if actions and actions[-1] == FORM:
        actions = actions[:-1]  # the form's own run, added to the tracker the validator sees
    return bool(actions) and actions[-1] == "action_listen"


def _ran_this_turn(tracker: Tracker, action: str) -> bool:
    """True when `action` already ran since the latest user message."""
    for e in reversed(tracker.events):
        if e.get("event") == "user":
            return False
        if e.get("event") == "action" and e.get("name") == action:
            return True
    return False


# "算了，我是要停保" / "搞错了，应该是…" / "sorry, I meant …": the request itself corrected to another item
SWITCH_WORDS = re.compile(
    r"算了|说错了|說錯了|搞错了|搞錯了|弄错了|弄錯了|点错了|點錯了|不是这个|不是這個|其实是|其實是|我是要|我是想|"
    r"\bi meant\b|\bwrong one\b|\bactually\b",
    re.I,
)


def _is_interruption(message: Dict[str, Any], current: Optional[str]) -> bool:
    intent = message.get("intent") or {}
    name = intent.get("name")
    return name in INTERRUPTIONS and name != current and float(intent.get("confidence") or 0) >= INTERRUPT_CONFIDENCE


def _switches_item(message: Dict[str, Any], current: Optional[str]) -> bool:
    """Another item named with words that take the current one back ("算了，我是要停保", "sorry wrong one, I
    meant ..."): the NLU acted on that item (its calibrated thresholds passed, below the interruption
    level) and the words say it replaces what is being asked (session 10 probe: the tier was asked again)."""
    name = (message.get("intent") or {}).get("name")
    return name in TASK_INTENTS and name != current and bool(SWITCH_WORDS.search(str(message.get("text") or "")))


# Field types whose answers have a shape of their own: a short message that reads as one
# ("5", "2026-10", "二档", an ID number) is an answer even if the NLU heard something else.
STRICT_TYPES = {"month", "date", "tier", "grade", "int", "id_number", "account", "pre_application_number"}
LONG_STRICT_TYPES = {"id_number", "account", "pre_application_number"}


def _is_payload(message: Dict[str, Any]) -> bool:
    return str(message.get("text") or "").startswith("/")


def _unmistakable_answer(spec: Dict[str, Any], message: Dict[str, Any], parsed: Parsed) -> bool:
    if parsed.value is None:
        return False
    ftype = spec.get("type", "text")
    if spec["name"] == "phone" or ftype in LONG_STRICT_TYPES:
        return True
    text = re.sub(r"\s+", "", str(message.get("text") or ""))
    return ftype in STRICT_TYPES and len(text) <= 8


def _looks_like_an_answer(spec: Dict[str, Any], message: Dict[str, Any]) -> bool:
    """A message of digits (and no Chinese words) is an attempt at an answer, whatever the NLU heard:
    re-ask with a hint rather than leave the form."""
    text = re.sub(r"\s+", "", str(message.get("text") or ""))
    if not text or _is_payload(message) or re.search(r"[\u4e00-\u9fff]", text):
        return False
    return sum(c.isdigit() for c in text) * 2 >= len(text)


def _province_for_city_question(
    spec: Dict[str, Any], fields: List[Dict[str, Any]], message: Dict[str, Any]
) -> Optional[tuple]:
    """(province field, value) when the city was asked for and the answer names only a province."""
    if spec.get("type") != "city" or entity_values(message, "city") or entity_values(message, spec["name"]):
        return None
    provinces = entity_values(message, "province")
    fields_p = [f["name"] for f in fields if f.get("type") == "province"]
    if len(provinces) == 1 and len(fields_p) == 1:
        return fields_p[0], provinces[0]
    return None


def _has_entity_for(spec: Dict[str, Any], message: Dict[str, Any]) -> bool:
    names = {spec["name"], "choice", ENTITY_FOR_NAME.get(spec["name"]), ENTITY_FOR_TYPE.get(spec.get("type", ""))}
    return any(e.get("entity") in names for e in message.get("entities") or [])


def _unambiguous_entity_fields(fields: List[Dict[str, Any]]) -> List[Dict[str, Any]]:
    """Fields an entity can fill without being asked: only when no other field takes that entity."""
    by_entity: Dict[str, List[Dict[str, Any]]] = {}
    for f in fields:
        entity = ENTITY_FOR_NAME.get(f["name"]) or ENTITY_FOR_TYPE.get(f.get("type", ""))
        if entity:
            by_entity.setdefault(entity, []).append(f)
    return [fs[0] for fs in by_entity.values() if len(fs) == 1]


def _extract(
    fields: List[Dict[str, Any]], message: Dict[str, Any], asked: Optional[str], known: Dict[str, Any]
) -> Optional[Dict[str, str]]:
    """extract_values (contract #2) when it is there; None means: read with parse_field as before."""
    from . import fields as field_reading

    extract = getattr(field_reading, "extract_values", None)
    if extract is None:
        return None
    text = clean(message.get("text"))
    # "广东省外" is not 广东省: an entity the text says "outside of" is not a value
    entities = [
        e
        for e in message.get("entities") or []
        if not (e.get("entity") in ("province", "city") and _outside_of(text, str(e.get("value") or "")))
    ]
    try:
        found = extract(
            fields, str(message.get("text") or ""), entities, asked, {k: v for k, v in known.items() if v is not None}
        )
    except Exception:  # noqa: BLE001 - a reading failure must not lose the turn
        log.exception("extract_values failed")
        return None
    return {k: str(v) for k, v in (found or {}).items() if v not in (None, "")}


def _is_correction(message: Dict[str, Any]) -> bool:
    intent = message.get("intent") or {}
    if intent.get("name") == "correct_value" and float(intent.get("confidence") or 0) >= INTERRUPT_CONFIDENCE:
        return True
    return not _is_payload(message) and is_past_error(str(message.get("text") or ""))


def _previous_bot_turn(tracker: Tracker) -> List[Dict[str, Any]]:
    events = list(tracker.events)
    users = [i for i, e in enumerate(events) if e.get("event") == "user"]
    if len(users) < 2:
        return []
    return [e for e in events[users[-2] + 1 : users[-1]] if e.get("event") == "bot"]


def _meaningless(message: Dict[str, Any]) -> bool:
    """Only punctuation, symbols or emoji ("？？", "。。。", "😂"): nothing that could be an answer."""
    text = str(message.get("text") or "")
    return bool(text.strip()) and not _is_payload(message) and not re.search(r"[0-9A-Za-z\u4e00-\u9fff]", clean(text))


FREE_TYPES = {"text", "bank", "province", "city"}
_QUESTION = re.compile(r"[?？]|什么|怎么|为什么|吗$|嘛$|呢$|哪|\bwhat\b|\bhow\b|\bwhy\b", re.I)


def _heard_an_answer(spec: Dict[str, Any], message: Dict[str, Any], parsed: Parsed) -> bool:
    """For a message the NLU could not place (nlu_fallback): is it still plainly an answer to the question?"""
    if parsed.value is None:
        return False
    if (
        _has_entity_for(spec, message)
        or _unmistakable_answer(spec, message, parsed)
        or _looks_like_an_answer(spec, message)
    ):
        return True
    if spec.get("type", "text") not in FREE_TYPES:
        return True  # a choice / number / month the field reading recognised
    text = re.sub(r"\s+", "", str(message.get("text") or ""))
    if _QUESTION.search(text) or len(text) > 30:
        return False
    cjk = len(re.findall(r"[\u4e00-\u9fff]", text))
    latin = len(re.findall(r"[A-Za-z]", text))
    return cjk >= 2 or (latin >= 3 and bool(re.search(r"[aeiouAEIOU]", text)))


_DAY_WITHOUT_YEAR = re.compile(r"(?<![\d上这本下])(\d{1,2})\s*月\s*(\d{1,2})\s*(?:日|号|號)?")
_ANY_YEAR = re.compile(r"\d{2,4}\s*[年\-/.]\s*\d|今年|去年|前年|明年|本年|上一年|上年|\b(19|20)\d{2}\b")


def _year_said_before(tracker: Tracker) -> Optional[int]:
    """The year the person said earlier in this task ("安安2025年落的户", "去年年初迁的户口"), if any."""
    from .common import now
    from .values import dates, numbers

    events = list(tracker.events)
    starts = [i for i, e in enumerate(events) if e.get("event") == "action" and e.get("name") == "action_start_task"]
    if not starts:
        return None
    users = [i for i, e in enumerate(events) if e.get("event") == "user"]
    prior = [i for i in users if i < starts[-1]] or [starts[-1]]
    payload = str(events[prior[-1]].get("text") or "").startswith("/")
    first = prior[-2] if payload and len(prior) >= 2 else prior[-1]  # a click: the words before it
    today = now()
    found: Optional[int] = None
    for e in events[first : users[-1] if users else len(events)]:
        if e.get("event") != "user" or str(e.get("text") or "").startswith("/"):
            continue
        t = dates.numeric(str(e.get("text") or ""))
        mentions = [(pos, y) for y, pos in numbers.years_in(t, today.year)]
        mentions += [(m.start(), today.year + off) for w, off in dates._REL_YEAR.items() for m in re.finditer(w, t)]
        if mentions:
            found = sorted(mentions)[-1][1]
    return found


def _with_year_said_before(spec: Dict[str, Any], message: Dict[str, Any], tracker: Tracker) -> Dict[str, Any]:
    """A day said without its year ("1月10号") after the year was said earlier in the task: that year."""
    if spec.get("type") != "date" or _is_payload(message):
        return message
    from .values import dates

    text = str(message.get("text") or "")
    t = dates.numeric(text)
    if _ANY_YEAR.search(t) or not _DAY_WITHOUT_YEAR.search(t):
        return message
    year = _year_said_before(tracker)
    return {**message, "text": f"{year}年{t}"} if year else message


# Fields naming a person who may be the resident ("户名：我自己"); the backend checks the name given.
OWN_NAME_FIELDS = ("holder_name", "guardian_name")
_SELF = re.compile(
    r"^(?:是|就是|户名是|名字是)?\s*(?:我|我自己|自己|本人|我本人|我自己的|本人的|我的|自己的)(?:的|名下的?)?(?:账户|帐户|卡|名字)?\s*[。.!！]?$|"
    r"^(?:it'?s |it is )?(?:me|myself|mine|my own(?: account| name| card)?|the same as me|same as mine)\s*[.!]?$",
    re.I,
)


async def _own_name_for(spec: Dict[str, Any], message: Dict[str, Any], tracker: Tracker) -> Optional[str]:
    """The resident's own name when asked a holder's or guardian's name and the answer is "myself", or the
    own name written in pinyin ("Zhang Wei" for 张伟: the records, and the comparison, have the characters)."""
    text = re.sub(r"\s+", " ", str(message.get("text") or "")).strip()
    if any(_SELF.search(part.strip()) for part in re.split(r"[,，]", text)):
        text = "me"  # "me, Zhang Wei" / "本人，张伟": oneself
    latin = bool(re.fullmatch(r"[A-Za-z][A-Za-z .'-]{1,40}", text))
    if spec.get("name") not in OWN_NAME_FIELDS or not (_SELF.search(text) or latin):
        return None
    token = auth_token(tracker)
    if not token:
        return None
    try:
        name = (await get_client().me(token)).get("name")
    except (BackendUnavailable, BackendError):
        return None
    if name and latin and not _SELF.search(text):
        return str(name) if named_subjects({"text": text}, [{"subject_name": name}]) else None
    return str(name) if name else None


async def answer_question_in_task(
    dispatcher: CollectingDispatcher,
    tracker: Tracker,
    lang: str,
    code: Optional[str],
    message: Dict[str, Any],
    domain: Optional[Dict[str, Any]],
) -> bool:
    """An unsure question while a task is open: about the item (its materials, where to go), else the FAQ
    topic the question is clearly about (questions.py). True when answered."""
    text = str(message.get("text") or "")
    if not is_question(text):
        return False
    answer = await task_answer(code, text, lang)
    if answer:
        dispatcher.utter_message(text=answer)
        return True
    topic = question_topic(tracker, message)
    responses = (domain or {}).get("responses") or {}
    if topic and (not responses or f"utter_faq/{topic}" in responses):
        dispatcher.utter_message(response=f"utter_faq/{topic}")
        return True
    return False


class ValidateItemForm(Action):
    """Fills and checks the slots of `item_form` for the current task, and says what to ask next.

    The form's slots are the current task's catalogue fields, so one form serves
    all items. It sets `requested_slot` itself (None ends the form). When the
    answer cannot be read and the message is really a question or another
    request, it returns nothing: the form rejects and the rules answer (FAQ,
    cancel, handoff, another item); the form then asks again.
    """

    def name(self) -> Text:
        return "validate_item_form"

    @guarded(
        lambda tracker: (
            [SlotSet(tracker.get_slot("requested_slot"), None)] if tracker.get_slot("requested_slot") else []
        )
    )
    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[Dict[Text, Any]]:
        lang = reply_language(tracker)
        code = tracker.get_slot("task_code")
        if not code or tracker.get_slot(STAGE_SLOT) != COLLECT:
            return [SlotSet("requested_slot", None)]
        try:
            fields = await task_fields(get_client(), code)
            fields = await with_current(get_client(), auth_token(tracker), code, fields, tracker.get_slot("subject_id"))
        except BackendUnavailable:
            busy(dispatcher, lang)
            return reset_task_events(IDLE, tracker)
        except BackendError as err:
            say(dispatcher, lang, error_text(err, "zh"), error_text(err, "en"))
            return reset_task_events(IDLE, tracker)
        specs = form_specs(fields)
        values = _values(tracker)
        message = tracker.latest_message or {}
        requested = tracker.get_slot("requested_slot")
        events: List[Dict[str, Any]] = []
        if (
            lang != "en"
            and requested
            and language_before_latest(tracker) == "en"
            and is_bare_value(str(message.get("text") or ""))
        ):
            # "王建军" / "南昌" typed in an English conversation: a value, not a switch to Chinese
            lang = "en"
            events.append(SlotSet("language", "en"))

        def fill(name: str, value: Any) -> None:
            values[name] = value
            events.append(SlotSet(name, value))

        others = [
            f for f in _unambiguous_entity_fields(fields) if f["name"] != requested and values.get(f["name"]) is None
        ]
        intent_name = (message.get("intent") or {}).get("name")
        filled_now: List[str] = []

        def give(name: str, value: Any) -> None:
            fill(name, value)
            if value is not None:
                filled_now.append(name)

        readable = [f for f in fields if f.get("name") in specs]
        if _fresh_user_input(tracker) and requested in specs:
            spec = specs[requested]
            message = _with_year_said_before(spec, message, tracker)
            extracted = _extract(readable, message, requested, values)
            own = await _own_name_for(spec, message, tracker)
            if own:  # "我自己" / "本人" / "it's my own account" for the holder's or guardian's name: one's own name
                extracted = {**(extracted or {}), requested: own}
            parsed = self._parse_requested(spec, message, tracker, extracted)
            answered = [
                n
                for n in required_names(fields, values)
                if n not in (requested, CHANGE_TARGET) and n in specs and values.get(n) is not None
            ]
            if (
                wants_a_person(str(message.get("text") or ""))
                and not _has_entity_for(spec, message)
                and not _unmistakable_answer(spec, message, parsed)
            ):
                # "I need an operator" / "找个真人": the hotline, then the question again (never an answer)
                from .handoff import ActionHandoff

                events += await ActionHandoff().run(dispatcher, tracker, domain)
                fill(requested, None)
            elif _switches_item(message, code) and not _has_entity_for(spec, message):
                return []  # the rules start the item named instead
            elif _is_correction(message):
                # "刚才那个说错了，应该是…": the earlier answer is replaced, the current question stays
                corr = read_correction(
                    [specs[n] for n in answered] + [spec],
                    message,
                    values,
                    last_answered=answered[-1] if answered else requested,
                )
                for name, value in corr.items():
                    give(name, value)
                    if name == requested:
                        continue
                    label = specs[name].get("label_zh", name), specs[name].get("label_en", name)
                    if value is None:
                        say(
                            dispatcher,
                            lang,
                            f"好的，我们重新填写{label[0]}。",
                            f"OK, let us fill in the {label[1]} again.",
                        )
                    else:
                        say(
                            dispatcher,
                            lang,
                            f"好的，已将{label[0]}改为{display_value(specs[name], value, 'zh')}。",
                            f"OK, the {label[1]} is now {display_value(specs[name], value, 'en')}.",
                        )
                if requested not in corr:
                    fill(requested, None)  # the question just asked is asked again
            elif (
                _is_interruption(message, code)
                and not _has_entity_for(spec, message)
                and not _unmistakable_answer(spec, message, parsed)
                and not _looks_like_an_answer(spec, message)
            ):
                return []  # a question or another request: the rules answer, then the form asks again
            elif (intent_name == "nlu_fallback" or _meaningless(message)) and not _heard_an_answer(
                spec, message, parsed
            ):
                # meaningless or not understood: never taken as the answer; a question about the item
                # ("要带什么材料") or one the FAQ answers is answered; then the question again
                if not await answer_question_in_task(dispatcher, tracker, lang, code, message, domain):
                    say(dispatcher, lang, "抱歉，我没有听懂您的回答。", "Sorry, I did not understand your answer.")
                fill(requested, None)
            else:
                if extracted is not None:  # contract #2: every field this turn gives, as residents say it
                    found = {
                        n: v for n, v in extracted.items() if n != requested and n in specs and values.get(n) is None
                    }
                else:
                    found = {
                        f["name"]: p.value
                        for f in others
                        if (p := parse_field(f, message, requested=False)).value is not None
                    }
                province_instead = _province_for_city_question(spec, fields, message)
                if province_instead:
                    # asked for the city, told a province: that corrects the province; the city is asked again
                    give(province_instead[0], province_instead[1])
                    fill(requested, None)
                elif parsed.value is None and not found:
                    if parsed.hint_zh is None and not message.get("text"):
                        return []
                    if not await answer_question_in_task(dispatcher, tracker, lang, code, message, domain):
                        # (answered: "转进来的话需要准备哪些材料啊" that the NLU took for a weak FAQ guess, 0.19,
                        # below the interruption level, is about this item; then the question again)
                        hint_zh, hint_en = (parsed.hint_zh, parsed.hint_en) if parsed.hint_zh else hint_for(spec)
                        say(dispatcher, lang, hint_zh, cast(str, hint_en))
                    fill(requested, None)
                else:
                    if parsed.value is not None:
                        give(requested, parsed.value)
                    for name, value in found.items():
                        give(name, value)
        elif requested is None and not any(
            _ran_this_turn(tracker, a) for a in ("action_correct_task", "action_review_task")
        ):
            # activation: take what the request itself already said ("转到湖南长沙", also when the
            # item was then picked from buttons); not after a correction at the summary (it read the
            # message already; a refused value is not re-read)
            message = request_message(tracker)
            extracted = _extract(readable, message, None, values)
            if extracted is not None:
                for name, value in extracted.items():
                    if name in specs and name != CHANGE_TARGET and values.get(name) is None:
                        give(name, value)
            else:
                for f in others:
                    p = parse_field(f, message, requested=False)
                    if p.value is not None:
                        give(f["name"], p.value)
            if CHANGE_TARGET in specs and values.get(CHANGE_TARGET) is None and not _is_payload(message):
                p = parse_field(specs[CHANGE_TARGET], message, requested=True)  # "要改户籍类别"
                if p.value is not None:
                    fill(CHANGE_TARGET, p.value)
        if filled_now:
            refused = await self._check(dispatcher, tracker, lang, code, specs, values, filled_now, fill)
            if refused:
                # refused again for the same reason: the form would loop; end the task and say why
                name = code
                try:
                    name = name_of(await get_client().catalogue_entry(code), lang)
                except (BackendUnavailable, BackendError):
                    pass
                say(
                    dispatcher,
                    lang,
                    f"未能办理“{name}”：{refused[0]}这次没有办理任何业务。",
                    f"“{name}” could not be done: {refused[1]} Nothing was done.",
                )
                return reset_task_events(IDLE, tracker) + [SlotSet("requested_slot", None)]
        target = inferred_change_target(fields, values)
        if target:
            fill(CHANGE_TARGET, target)
        missing = [n for n in required_names(fields, values) if values.get(n) is None]
        events.append(SlotSet("requested_slot", missing[0] if missing else None))
        return events

    @staticmethod
    async def _check(
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        lang: str,
        code: str,
        specs: Dict[str, Dict[str, Any]],
        values: Dict[str, Any],
        given: List[str],
        fill: Any,
    ) -> Optional[tuple]:
        """The backend checks the values the moment they are given (contract #1): a refused one is
        said with its reason and asked again (a city with its province); an accepted one takes the
        backend's canonical form. Returns (zh, en) of a refusal said in the previous turn already
        (the same answer refused twice: the form must not loop), else None."""
        try:
            check = await backend_check(
                get_client(), auth_token(tracker), code, {n: values.get(n) for n in specs}, _subject_id_slot(tracker)
            )
        except (BackendUnavailable, BackendError):
            return None  # the submission checks again; nothing is lost
        if not check:
            return None
        errors = check.get("errors") or {}
        canonical = check.get("values") or {}
        said_before = " ".join(str(e.get("text") or "") for e in _previous_bot_turn(tracker))
        fields = [dict(spec) for spec in specs.values()]
        # the values given now, then any given earlier that the backend now refuses (a cross-field
        # rule: a date before the child's birth, an end before the start): none reaches the summary
        earlier = [n for n in errors if n in specs and n not in given and values.get(n) is not None]
        for name in dict.fromkeys(list(given) + earlier):
            spec = specs.get(name) or {}
            if name in errors:
                err = errors[name] or {}
                reason_zh, reason_en = field_error_text(err, "zh"), field_error_text(err, "en")
                if reason_zh and reason_zh in said_before:
                    return reason_zh, reason_en
                label_zh, label_en = spec.get("label_zh", name), spec.get("label_en", name)
                say(dispatcher, lang, f"{label_zh}不能使用：{reason_zh}", f"The {label_en} cannot be used: {reason_en}")
                for again in _fields_to_ask_again(name, fields):
                    fill(again, None)
            elif canonical.get(name) not in (None, "") and str(canonical[name]) != str(values.get(name)):
                fill(name, canonical[name])
        return None

    @staticmethod
    def _parse_requested(
        spec: Dict[str, Any], message: Dict[str, Any], tracker: Tracker, extracted: Optional[Dict[str, str]] = None
    ) -> Parsed:
        intent = (message.get("intent") or {}).get("name")
        if set(spec.get("choices") or []) == {"yes", "no"} and intent in ("affirm", "deny"):
            return Parsed("yes" if intent == "affirm" else "no")
        if extracted and extracted.get(spec["name"]) not in (None, ""):
            return Parsed(str(extracted[spec["name"]]))
        plain = parse_field(spec, message, requested=True)
        if extracted is not None and plain.value is not None and spec.get("type", "text") in FREE_TYPES:
            # free text the value reading refused ("确认", "随便", a question): not an answer
            return Parsed(None, *hint_for(spec))
        return plain


class ActionReviewTask(Action):
    """After the form: the summary to confirm (or, for a read-only query, the answer)."""

    def name(self) -> Text:
        return "action_review_task"

    @guarded(lambda tracker: reset_task_events(IDLE, tracker))
    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[Dict[Text, Any]]:
        lang = reply_language(tracker)
        code = tracker.get_slot("task_code")
        if not code or tracker.get_slot(STAGE_SLOT) != COLLECT:
            return [SlotSet(STAGE_SLOT, IDLE)] if tracker.get_slot(STAGE_SLOT) != IDLE else []
        client = get_client()
        try:
            if not needs_confirmation(code):
                token = auth_token(tracker)
                if not token:
                    kind = channel_kind(tracker)
                    say(dispatcher, lang, login_help("zh", kind), login_help("en", kind))
                else:
                    await services.run_read_service(
                        client,
                        token,
                        code,
                        tracker,
                        dispatcher,
                        lang,
                        subject_id=_subject_id_slot(tracker),
                        number=tracker.get_slot("pre_application_number"),
                    )
                return reset_task_events(IDLE, tracker)
            entry = await client.catalogue_entry(code) if is_item(code) else {}
            fields = await task_fields(client, code)
            values = _values(tracker)
            check = await _quiet_check(client, auth_token(tracker), code, values, _subject_id_slot(tracker))
            refused = _refused_values(check, form_specs(fields), values)
            if refused:
                return self._ask_again(dispatcher, lang, fields, refused)
            if check and check.get("eligible") is False and check.get("refusal"):
                # refused for the whole item with these values (e.g. a comparison that would fail again
                # while its pre-application is open): said now, never after a confirmation
                who = tracker.get_slot("subject_name")
                _refusal(
                    dispatcher, lang, name_of(entry, lang) if entry else code, reason_text(check["refusal"], lang), who
                )
                return reset_task_events(IDLE, tracker)
            return present_summary(
                dispatcher,
                lang,
                code,
                entry,
                fields,
                values,
                tracker.get_slot("subject_name"),
                preview=(check or {}).get("preview"),
            )
        except BackendUnavailable:
            busy(dispatcher, lang)
        except BackendError as err:
            if err.is_auth:
                kind = channel_kind(tracker)
                say(dispatcher, lang, login_help("zh", kind, expired=True), login_help("en", kind, expired=True))
            else:
                say(dispatcher, lang, error_text(err, "zh"), error_text(err, "en"))
        return reset_task_events(IDLE, tracker)

    @staticmethod
    def _ask_again(
        dispatcher: CollectingDispatcher, lang: str, fields: List[Dict[str, Any]], refused: Dict[str, Dict[str, Any]]
    ) -> List[Dict[str, Any]]:
        """A value the backend refuses is never shown for confirmation: its reason, then the form asks it again."""
        specs = form_specs(fields)
        events: List[Dict[str, Any]] = []
        for name, err in refused.items():
            spec = specs.get(name) or {}
            say(
                dispatcher,
                lang,
                f"{spec.get('label_zh', name)}不能使用：{field_error_text(err, 'zh')}",
                f"The {spec.get('label_en', name)} cannot be used: {field_error_text(err, 'en')}",
            )
            events += [SlotSet(n, None) for n in _fields_to_ask_again(name, fields)]
        log.info("summary held back: the backend refuses %s", ",".join(refused))
        return events + [
            SlotSet("task_nonce", None),
            SlotSet("requested_slot", None),
            SlotSet(STAGE_SLOT, COLLECT),
            FollowupAction(FORM),
        ]


def _refused_values(
    check: Optional[Dict[str, Any]], specs: Dict[str, Dict[str, Any]], values: Dict[str, Any]
) -> Dict[str, Dict[str, Any]]:
    """The given values the backend's validation refuses, by field name (none may reach a summary)."""
    errors = (check or {}).get("errors") or {}
    return {
        n: dict(e or {}) for n, e in errors.items() if n in specs and n != CHANGE_TARGET and values.get(n) is not None
    }


def _field_for_error(err: BackendError, fields: List[Dict[str, Any]], asked: List[str]) -> Optional[str]:
    if err.status != 422 or not err.field:
        return None
    name = err.field.split(".")[-1]
    if name in asked:
        return name
    if "id_number" in name:  # the ID number rules name their field generically
        ids = [n for n in asked if any(f["name"] == n and f.get("type") == "id_number" for f in fields)]
        return ids[0] if len(ids) == 1 else None
    return None


def _fields_to_ask_again(field: str, fields: List[Dict[str, Any]]) -> List[str]:
    """The rejected field; a rejected city is asked again with its province (they are checked as a pair)."""
    types = {f["name"]: f.get("type") for f in fields}
    if types.get(field) == "city":
        return [n for n, t in types.items() if t == "province"] + [field]
    return [field]


class ActionSubmitTask(Action):
    """The one state-changing call, after 确认, with an Idempotency-Key from the confirmation's nonce."""

    def name(self) -> Text:
        return "action_submit_task"

    @guarded(
        text_zh="抱歉，助手内部出了错，无法确认这次是否已经办理。请稍后再点“确认”查看结果：同一次确认不会重复办理。",
        text_en="Sorry, something went wrong inside the assistant; I cannot tell whether it was done. Press "
        "“Confirm” again later to see the result: the same confirmation is never done twice.",
    )
    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[Dict[Text, Any]]:
        lang = reply_language(tracker)
        code = tracker.get_slot("task_code")
        nonce = tracker.get_slot("task_nonce")
        if tracker.get_slot(STAGE_SLOT) != CONFIRM or not code or not nonce:
            say(
                dispatcher,
                lang,
                "当前没有需要确认的业务。请问要办理什么？",
                "There is nothing to confirm. What do you need?",
            )
            return [SlotSet(STAGE_SLOT, IDLE)]
        if not says_yes((tracker.latest_message or {}).get("text") or ""):
            # an `affirm` guessed from words that do not say yes: nothing is done, the summary stands
            say(
                dispatcher,
                lang,
                "我还不能确定您是否要办理，所以还没有提交。确认办理请点“确认”或回复“确认”，不办理请回复“取消”；"
                "要修改哪一项，直接告诉我新的内容即可。",
                "I am not sure you want to go ahead, so nothing has been submitted yet. Press “Confirm” or reply "
                "“yes” to go ahead, or “cancel” to stop; to change something, just tell me the new value.",
                buttons=confirm_buttons(lang),
            )
            return [SlotSet(STAGE_SLOT, CONFIRM)]
        token = auth_token(tracker)
        kind = channel_kind(tracker)
        if not token:
            say(dispatcher, lang, login_help("zh", kind), login_help("en", kind))
            return reset_task_events(IDLE, tracker)
        client = get_client()
        key = idempotency_key(tracker.sender_id, code, nonce)
        fields: List[Dict[str, Any]] = []
        asked: List[str] = []
        try:
            if code == "self_service_payment":
                body = await services.submit_payment(
                    client, token, subject_id=_subject_id_slot(tracker), idempotency_key=key
                )
                text = services.render_payment(body, lang)
                if body.get("idempotent_replay"):
                    text += pick(
                        lang,
                        "\n（这是您之前那次确认的结果，没有重复扣款。）",
                        "\n(This is the result of your earlier confirmation; nothing was charged twice.)",
                    )
            else:
                fields = await task_fields(client, code)
                values = _values(tracker)
                asked = [n for n in required_names(fields, values) if n != CHANGE_TARGET]
                submitted = {n: values[n] for n in asked if values.get(n) is not None}
                body = await client.submit_item(
                    token, code, submitted, subject_id=_subject_id_slot(tracker), idempotency_key=key
                )
                text = render_outcome(body, lang)
        except BackendUnavailable:
            # Nothing is known to have happened; the same 确认 reuses the same key, so a retry
            # cannot act twice even if the backend did finish before the timeout.
            busy(
                dispatcher,
                lang,
                "您可以稍后再点“确认”重试，不会重复办理。",
                " You can press “Confirm” again later; it will not be done twice.",
            )
            return []
        except BackendError as err:
            if err.is_auth:
                say(dispatcher, lang, login_help("zh", kind, expired=True), login_help("en", kind, expired=True))
                return reset_task_events(IDLE, tracker)
            field = _field_for_error(err, fields, asked)
            if field:
                say(
                    dispatcher,
                    lang,
                    f"{error_text(err, 'zh')}请重新提供。",
                    f"{error_text(err, 'en')} Please give it again.",
                )
                return [SlotSet(name, None) for name in _fields_to_ask_again(field, fields)] + [
                    SlotSet("task_nonce", None),
                    SlotSet("requested_slot", None),
                    SlotSet(STAGE_SLOT, COLLECT),
                ]
            name = code
            try:
                name = name_of(await client.catalogue_entry(code), lang)
            except (BackendUnavailable, BackendError):
                pass
            say(
                dispatcher,
                lang,
                f"未能办理“{name}”：{error_text(err, 'zh')}",
                f"“{name}” could not be done: {error_text(err, 'en')}",
            )
            log.info("task %s refused: %s", code, err.code)
            return reset_task_events(IDLE, tracker)
        dispatcher.utter_message(text=text)
        log.info(
            "task %s submitted: outcome=%s serial=%s replay=%s",
            code,
            body.get("outcome", "-"),
            body.get("serial_no", "-"),
            bool(body.get("idempotent_replay")),
        )
        return reset_task_events(IDLE, tracker)


class ActionRepeatChoices(Action):
    """After a question answered while "which one?" was pending: ask it again (the same buttons)."""

    def name(self) -> Text:
        return "action_repeat_choices"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[Dict[Text, Any]]:
        lang = reply_language(tracker)
        choices = tracker.get_slot("task_choices") or []
        if not choices:
            return []
        return offer_choices(
            dispatcher,
            lang,
            "请接着从下面选择一项，或直接说出名称。",
            "Now, please pick one of these, or say its name.",
            choices,
        )


class ActionCancelTask(Action):
    """Leave the current form or pending confirmation; nothing is submitted."""

    def name(self) -> Text:
        return "action_cancel_task"

    @guarded(lambda tracker: [ActiveLoop(None)] + reset_task_events(IDLE, tracker))
    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[Dict[Text, Any]]:
        lang = reply_language(tracker)
        in_loop = bool((tracker.active_loop or {}).get("name"))
        pending = in_loop or tracker.get_slot(STAGE_SLOT) in (COLLECT, CONFIRM) or tracker.get_slot("task_code")
        if not pending:
            from .repair import undo_item

            undo = await undo_item(tracker, str((tracker.latest_message or {}).get("text") or ""))
            if undo:  # "刚才那个撤销掉" right after a transfer-out: its cancellation (no fields: a summary)
                events = await start_item(undo, dispatcher, tracker, lang)
                if any(e.get("name") == STAGE_SLOT and e.get("value") == COLLECT for e in events):
                    return events + [FollowupAction(FORM)]
                return events + [FollowupAction("action_listen")]
        if pending:
            say(
                dispatcher,
                lang,
                "好的，已取消，没有提交任何内容。还有什么可以帮您？",
                "OK, cancelled; nothing was submitted. Anything else?",
            )
        else:
            say(dispatcher, lang, "好的。还有什么可以帮您？", "OK. Anything else I can help with?")
        return [ActiveLoop(None)] + reset_task_events(IDLE, tracker)
