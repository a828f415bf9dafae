"""Conversation repair (issue 14): repeat, "I don't know", corrections at the summary.

- action_repeat_last: the last question or summary again, with its buttons (inside
  the form it only acknowledges: the form then asks its question again).
- action_explain_field: "我忘了卡号" — why the value asked for is needed, where to
  find it, and the ways out (cancel and come back, a service window, 12333); the
  form then asks again. At a summary or with nothing pending: what can be done.
- action_correct_task: what is said at a summary that is not 确认: a correction
  replaces the value and shows the updated summary; a field named without a
  value is asked again (the form); "不对" alone asks which one; a plain no or
  "取消" cancels; anything else is not guessed at. Never a silent cancel of a
  correction.
"""

from __future__ import annotations

import logging
import re
from typing import Any, Dict, List, Optional, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from .assent import short_yes
from .backend_client import BackendError, BackendUnavailable, get_client
from .common import (
    COLLECT,
    CONFIRM,
    IDLE,
    STAGE_SLOT,
    busy,
    error_text,
    field_error_text,
    guarded,
    name_of,
    no_task_going_on,
    pick,
    remember_request,
    reset_task_events,
    say,
)
from .corrections import CANCEL, WRONG, is_past_error, read_correction
from .fields import display_value
from .handoff import wants_a_person
from .identity import auth_token
from .language import reply_language
from .questions import (
    answer_is_sure,
    asks_which_bank,
    follows_up,
    is_question,
    last_answer_topic,
    out_of_scope_near,
    selector_topics,
    sure_topic,
    task_answer,
)
from .tasks import CHANGE_TARGET, form_specs, is_item, required_names, task_fields

log = logging.getLogger(__name__)

# Why a value is needed and where to find it, by field name then by type (form UI
# text; the backend's schema may carry its own `help_zh`/`help_en`, used first).
HELP_BY_NAME = {
    "holder_name": (
        ("需要与银行开户人的姓名一致", "it must match the name the bank account is opened in"),
        ("银行卡背面、存折首页或手机银行的账户信息里有户名", "it is on the passbook or in your mobile banking app"),
    ),
    "settle_in_date": (
        ("要与户籍登记的落户日期比对", "it is compared with the hukou record"),
        (
            "户口簿本人页“何时由何地迁来本市”一栏写有迁入日期",
            "the household register (户口簿) shows when the person moved to Shenzhen",
        ),
    ),
    "phone": (
        ("用于接收办理结果的短信通知", "results are sent to it by text message"),
        ("就是您现在使用的手机号码", "it is the number of the phone you use"),
    ),
    "in_school": (
        ("在园在校的孩子要通过学校或幼儿园参保", "children in kindergarten or school are insured through it"),
        ("孩子已经上幼儿园或学校就回答“是”", "answer yes if the child goes to kindergarten or school"),
    ),
}
HELP_BY_TYPE = {
    "account": (
        ("用于扣缴或退付社保费用", "contributions are collected from it (or refunds paid to it)"),
        (
            "银行卡正面、存折首页或手机银行“我的账户”里能看到卡号",
            "it is on the front of the bank card, the passbook, or in your mobile banking app",
        ),
    ),
    "bank": (
        ("用于扣缴社保费用的开户银行", "the bank that collects the contributions"),
        ("银行卡正面印有银行名称", "the bank's name is on the card"),
    ),
    "id_number": (
        ("用于核实身份，必须与登记信息一致", "it identifies the person and must match the records"),
        ("身份证正面印有18位号码", "the 18-character number is on the front of the ID card"),
    ),
    "month": (
        ("确定要办理的是哪个月", "it says which month this is for"),
        (
            "银行的扣款短信，或在这里说“查缴费明细”就能看到每个月的情况",
            "the bank's text messages, or ask me for your contribution details",
        ),
    ),
    "province": (
        ("社保关系要转到（或从）哪里", "where the insurance is transferred to or from"),
        (
            "新参保地的单位或当地社保经办机构可以告诉您",
            "the employer or the social insurance office there can tell you",
        ),
    ),
    "city": (
        ("社保关系要转到（或从）哪个城市", "which city the insurance is transferred to or from"),
        (
            "新参保地的单位或当地社保经办机构可以告诉您",
            "the employer or the social insurance office there can tell you",
        ),
    ),
    "tier": (
        ("档次决定每月缴费金额和待遇", "the tier decides the monthly amount and the benefits"),
        ("不确定的话可以先问我“医保一档和二档有什么区别”", "ask me what the tiers differ in if unsure"),
    ),
    "grade": (
        ("档次决定每年缴费金额和将来的养老金", "the grade decides the yearly amount and the pension later"),
        ("不确定的话可以先问我各档次的区别", "ask me what the grades differ in if unsure"),
    ),
    "pre_application_number": (
        ("用于查找您的预申请", "it identifies your pre-application"),
        (
            "提交预申请时的回复或打印的申请表上有，以YS开头",
            "it was in the reply when you submitted it and on the printed form; it starts with YS",
        ),
    ),
    "date": (
        ("用于核对登记信息", "it is checked against the records"),
        ("户口簿或相关证明材料上有", "it is on the household register or the related papers"),
    ),
    "int": (
        ("用于计算需要补缴或登记的年限", "it is used to work out the years concerned"),
        ("可以在这里说“查缴费明细”查看缴费记录", "ask me for your contribution details to see your record"),
    ),
}
DEFAULT_HELP = (
    ("办理这项业务需要这项信息", "this item cannot be done without it"),
    ("相关证件或材料上一般能找到", "it is usually on the related papers"),
)


def _help(spec: Dict[str, Any]) -> tuple:
    if spec.get("help_zh") and spec.get("help_en"):
        return (spec["help_zh"], spec["help_en"]), ("", "")
    return HELP_BY_NAME.get(spec["name"]) or HELP_BY_TYPE.get(str(spec.get("type"))) or DEFAULT_HELP


def _last_bot_turn(tracker: Tracker) -> List[Dict[str, Any]]:
    """The bot messages of the turn before the current user message."""
    events = list(tracker.events)
    users = [i for i, e in enumerate(events) if e.get("event") == "user"]
    if not users:
        return []
    start = users[-2] + 1 if len(users) > 1 else 0
    return [
        e
        for e in events[start : users[-1]]
        if e.get("event") == "bot" and (e.get("text") or (e.get("data") or {}).get("buttons"))
    ]


class ActionRepeatLast(Action):
    """The last question (or summary, or choice) again, with its buttons."""

    def name(self) -> Text:
        return "action_repeat_last"

    @guarded()
    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[Dict[Text, Any]]:
        lang = reply_language(tracker)
        if (tracker.active_loop or {}).get("name"):
            say(dispatcher, lang, "好的，我再问一遍。", "Sure, here is the question again.")
            return []  # the form asks its question again
        last = _last_bot_turn(tracker)
        if not last:
            say(dispatcher, lang, "请问有什么可以帮您？", "What can I do for you?")
            return []
        for e in last:
            data = e.get("data") or {}
            kwargs: Dict[str, Any] = {}
            if data.get("buttons"):
                kwargs["buttons"] = data["buttons"]
            dispatcher.utter_message(text=e.get("text"), **kwargs)  # signals (handoff, end_call) are not repeated
        return []


class ActionExplainField(Action):
    """ "I don't know / don't have it": why it is needed, where to find it, how to go on without it."""

    def name(self) -> Text:
        return "action_explain_field"

    @guarded()
    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[Dict[Text, Any]]:
        lang = reply_language(tracker)
        code = tracker.get_slot("task_code")
        requested = tracker.get_slot("requested_slot")
        stage = tracker.get_slot(STAGE_SLOT)
        if stage == COLLECT and code and requested:
            client = get_client()
            try:
                fields = await task_fields(client, code)
                entry = await client.catalogue_entry(code) if is_item(code) else {}
            except (BackendUnavailable, BackendError):
                fields, entry = [], {}
            spec = form_specs(fields).get(requested) or {
                "name": requested,
                "label_zh": "这项信息",
                "label_en": "this detail",
            }
            (why_zh, why_en), (where_zh, where_en) = _help(spec)
            item = name_of(entry, lang) if entry else ""
            label_zh, label_en = spec.get("label_zh") or requested, spec.get("label_en") or requested
            for_zh = f"办理“{item}”需要{label_zh}" if item else f"需要{label_zh}"
            for_en = f"“{item}” needs the {label_en}" if item else f"I need the {label_en}"
            say(
                dispatcher,
                lang,
                f"没关系。{for_zh}：{why_zh}。"
                + (f"可以这样找到：{where_zh}。" if where_zh else "")
                + "如果现在提供不了，可以说“取消”，准备好后再来办；也可以携带身份证件到社保服务窗口办理，"
                "或拨打12333咨询（说“转人工”）。",
                f"No problem. {for_en}: {why_en}."
                + (f" Where to find it: {where_en}." if where_en else "")
                + " If you cannot give it now, say “cancel” and come back later; you can also do this at a "
                "social insurance service window with your ID, or call 12333 (say “talk to a person”).",
            )
            return []  # the form asks again
        if stage == CONFIRM:
            say(
                dispatcher,
                lang,
                "没关系，不确定的话可以先不提交：点“取消”放弃，什么都不会改变；也可以拨打12333咨询。"
                "如果哪一项不对，直接告诉我要改的内容。",
                "No problem: if you are unsure, do not submit. Press “Cancel” and nothing changes, or call 12333. "
                "If a detail is wrong, just tell me the right one.",
                buttons=[
                    {"title": pick(lang, "确认", "Confirm"), "payload": "/affirm"},
                    {"title": pick(lang, "取消", "Cancel"), "payload": "/cancel"},
                ],
            )
            return []
        say(
            dispatcher,
            lang,
            "没关系。告诉我您想办的事，比如“给孩子交医保”或“打印参保证明”，我会一步步说明需要什么；"
            "也可以问“你能做什么”，或说“转人工”。",
            "No problem. Tell me what you want to do, e.g. “print my insurance certificate”, and I will explain "
            "step by step what is needed; or ask “what can you do”, or say “talk to a person”.",
        )
        return []


class ActionCorrectTask(Action):
    """At the summary: a correction, "which one?", a cancel, or "not understood" — never a silent guess."""

    def name(self) -> Text:
        return "action_correct_task"

    @guarded()
    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[Dict[Text, Any]]:
        from .items import backend_check, present_summary, subject_id_slot, task_values

        lang = reply_language(tracker)
        code = tracker.get_slot("task_code")
        message = tracker.latest_message or {}
        intent = (message.get("intent") or {}).get("name")
        text = str(message.get("text") or "")
        if tracker.get_slot(STAGE_SLOT) != CONFIRM or not code:
            undo = await undo_item(tracker, text)
            if undo:  # "刚才那个撤销掉" right after a transfer-out: its cancellation
                from .items import start_item

                return await start_item(undo, dispatcher, tracker, lang)
            say(
                dispatcher,
                lang,
                "目前没有正在办理的业务可以修改。已经办结的业务如需更改，请重新办理相应业务，"
                "或拨打12333咨询。请问要办理什么？",
                "There is nothing in progress to change. To change something already done, start the matching "
                "item again, or call 12333. What do you need?",
            )
            return [SlotSet(STAGE_SLOT, IDLE)]
        client = get_client()
        try:
            fields = await task_fields(client, code)
            entry = await client.catalogue_entry(code) if is_item(code) else {}
        except BackendUnavailable:
            busy(dispatcher, lang)
            return [SlotSet(STAGE_SLOT, CONFIRM)]
        if wants_a_person(text):  # at the summary: the hotline, and the summary still waits
            from .handoff import ActionHandoff

            return list(await ActionHandoff().run(dispatcher, tracker, domain)) + [SlotSet(STAGE_SLOT, CONFIRM)]
        specs = form_specs(fields)
        values = task_values(tracker)
        shown = [specs[n] for n in required_names(fields, values) if n != CHANGE_TARGET and n in specs]
        corr = read_correction(shown, message, values) if shown else {}
        if corr:
            return await self._apply(
                dispatcher,
                tracker,
                lang,
                code,
                entry,
                fields,
                specs,
                values,
                corr,
                backend_check,
                present_summary,
                subject_id_slot,
            )
        wrong = bool(WRONG.search(text)) or intent == "correct_value" or is_past_error(text)
        if intent == "deny" and (CANCEL.search(text) or not shown or not wrong):
            say(
                dispatcher,
                lang,
                "好的，已取消，没有提交任何内容。还有什么可以帮您？",
                "OK, cancelled; nothing was submitted. Anything else?",
            )
            return reset_task_events(IDLE, tracker)
        if shown and (wrong or intent in ("deny", "correct_value")):
            buttons = [
                {
                    "title": str(s.get("label_en") if lang == "en" else s.get("label_zh")),
                    "payload": f'/correct_value{{"choice":"{s["name"]}"}}',
                }
                for s in shown
            ]
            buttons.append({"title": pick(lang, "取消办理", "Cancel it"), "payload": "/cancel"})
            say(
                dispatcher,
                lang,
                "请问哪一项需要修改？点选一项，或直接说出正确的内容，例如“银行改成建设银行”。",
                "Which detail should be changed? Pick one, or just say the right value.",
                buttons=buttons,
            )
            return [SlotSet(STAGE_SLOT, CONFIRM)]
        if not shown and (wrong or intent == "correct_value"):
            say(
                dispatcher,
                lang,
                "这项业务没有需要您填写的信息。请点“确认”办理，或点“取消”放弃。",
                "This item has no details to fill in. Press “Confirm” to go ahead or “Cancel” to drop it.",
                buttons=[
                    {"title": pick(lang, "确认", "Confirm"), "payload": "/affirm"},
                    {"title": pick(lang, "取消", "Cancel"), "payload": "/cancel"},
                ],
            )
            return [SlotSet(STAGE_SLOT, CONFIRM)]
        from .items import answer_question_in_task

        if (
            intent == "nlu_fallback"
            and (message.get("understanding") or {}).get("decision") == "ask"
            and short_yes(text)
        ):
            # "那行，办吧" the classifier was unsure of (asked, not meaningless: "嗯嗯啊啊" is no yes), yet a plain
            # yes in a few words: the submission, whose own gate (assent.says_yes) reads it again
            return [FollowupAction("action_submit_task")]
        if await answer_question_in_task(dispatcher, tracker, lang, code, message, domain):
            # a question at the summary ("要带什么材料？"): answered; the summary still waits
            dispatcher.utter_message(response="utter_confirm_or_cancel")
            return [SlotSet(STAGE_SLOT, CONFIRM)]
        say(
            dispatcher,
            lang,
            "抱歉，我没有听懂。请点“确认”提交，或点“取消”放弃；如需修改，直接告诉我要改的内容，例如“银行改成建设银行”。",
            "Sorry, I did not understand. Press “Confirm” to submit or “Cancel” to drop it; to change a detail, "
            "just tell me the right value.",
            buttons=[
                {"title": pick(lang, "确认", "Confirm"), "payload": "/affirm"},
                {"title": pick(lang, "取消", "Cancel"), "payload": "/cancel"},
            ],
        )
        return [SlotSet(STAGE_SLOT, CONFIRM)]

    async def _apply(
        self,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        lang: str,
        code: str,
        entry: Dict[str, Any],
        fields: List[Dict[str, Any]],
        specs: Dict[str, Dict[str, Any]],
        values: Dict[str, Any],
        corr: Dict[str, Optional[str]],
        backend_check: Any,
        present_summary: Any,
        subject_id_slot: Any,
    ) -> List[Dict[str, Any]]:
        events: List[Dict[str, Any]] = []
        ask_again = [n for n, v in corr.items() if v is None]
        for name, value in corr.items():
            values[name] = value
            events.append(SlotSet(name, value))
        if ask_again:
            labels = "、".join(str(specs[n].get("label_zh")) for n in ask_again)
            labels_en = ", ".join(str(specs[n].get("label_en")) for n in ask_again)
            say(dispatcher, lang, f"好的，我们重新填写{labels}。", f"OK, let us fill in the {labels_en} again.")
            return events + [SlotSet("task_nonce", None), SlotSet("requested_slot", None), SlotSet(STAGE_SLOT, COLLECT)]
        check = None
        try:
            check = await backend_check(get_client(), auth_token(tracker), code, values, subject_id_slot(tracker))
        except BackendUnavailable:
            check = None
        except BackendError as err:
            if not err.is_auth:
                say(dispatcher, lang, error_text(err, "zh"), error_text(err, "en"))
                return events + [SlotSet(STAGE_SLOT, CONFIRM)]
            raise
        # the corrected values, and any other shown value the backend now refuses with them (a cross-field
        # rule): none may stay in the summary
        errors = {
            n: e
            for n, e in ((check or {}).get("errors") or {}).items()
            if n in corr or (n in specs and n != CHANGE_TARGET and values.get(n) is not None)
        }
        if errors:
            for name, problem in errors.items():
                label = specs.get(name, {}).get("label_zh", name)
                label_en = specs.get(name, {}).get("label_en", name)
                spec = specs.get(name) or {"name": name}
                say(
                    dispatcher,
                    lang,
                    f"{label}“{display_value(spec, values.get(name), 'zh')}”不能使用：{field_error_text(problem, 'zh')}",
                    f"The {label_en} “{display_value(spec, values.get(name), 'en')}” cannot be used: {field_error_text(problem, 'en')}",
                )
                events.append(SlotSet(name, None))
            return events + [SlotSet("task_nonce", None), SlotSet("requested_slot", None), SlotSet(STAGE_SLOT, COLLECT)]
        canonical = (check or {}).get("values") or {}
        for name in corr:
            if canonical.get(name) not in (None, "") and str(canonical[name]) != str(values[name]):
                values[name] = canonical[name]
                events.append(SlotSet(name, canonical[name]))
        changed_zh = "，".join(
            f"{specs[n].get('label_zh')}改为{display_value(specs[n], values[n], 'zh')}" for n in corr
        )
        changed_en = "; ".join(
            f"{specs[n].get('label_en')} is now {display_value(specs[n], values[n], 'en')}" for n in corr
        )
        say(dispatcher, lang, f"好的，已将{changed_zh}。", f"OK: {changed_en}.")
        log.info("task %s corrected at the summary: %s", code, ",".join(corr))
        return events + present_summary(
            dispatcher,
            lang,
            code,
            entry,
            fields,
            values,
            tracker.get_slot("subject_name"),
            preview=(check or {}).get("preview"),
        )


# ---- undoing what was just done ------------------------------------------------------------
# An item done a moment ago that has its own cancellation item in the catalogue: "等一下，我还是不转了，
# 刚才那个撤销掉" right after it means that cancellation, not "nothing to change".
UNDO_ITEMS = {
    "transfer_pension_out": "cancel_pension_transfer_out",
    "transfer_medical_out": "cancel_medical_transfer_out",
}
UNDO_WORDS = re.compile(
    r"撤销|撤銷|撤回|撤掉|不转了|不轉了|不想转|不想轉|不要转|不要轉|取消|反悔|退回来|"
    r"\bundo\b|\bcancel\b|\brevoke\b|\bwithdraw\b|\btake (?:it|that) back\b",
    re.I,
)
_DONE_MARKS = ("已办结：", "Done: ")


async def undo_item(tracker: Tracker, text: str) -> Optional[str]:
    """The cancellation item of the item completed in the last few turns, when the words ask to undo it."""
    from .clarify import catalogue_index

    outcome = _last_outcome(tracker)
    if not outcome or not UNDO_WORDS.search(text or "") or not outcome.startswith(_DONE_MARKS):
        return None
    try:
        names = await catalogue_index(get_client())
    except (BackendUnavailable, BackendError):
        return None
    head = outcome.splitlines()[0]
    for done, undo in UNDO_ITEMS.items():
        entry = names.get(done) or {}
        if any(entry.get(k) and f"{mark}{entry[k]}" in head for k in ("zh", "en") for mark in _DONE_MARKS):
            return undo
    return None


# ---- questions in the context of the last answer ---------------------------------------------
# "要带什么材料？" right after a pre-application means THAT pre-application's materials, not the
# general FAQ; "那怎么办？" after a refusal means its fix. Anything else is the FAQ answer the
# response selector chose (utter_faq/<topic>).
FOLLOW_UPS = (
    ("materials", re.compile(r"材料|带什么|帶什麼|要带|要帶|证件|證件|资料|資料|\bbring\b|\bdocuments?\b", re.I)),
    ("where", re.compile(r"去哪|哪里办|哪裡辦|在哪|哪儿|地点|地點|哪个窗口|哪個窗口|\bwhere\b", re.I)),
    (
        "fix",
        re.compile(
            r"怎么办|怎麼辦|那怎么|那咋|咋办|然后呢|然後呢|下一步|该怎么|\bwhat now\b|\bwhat (?:should|can) I do\b",
            re.I,
        ),
    ),
    ("number", re.compile(r"流水号|流水號|预申请号|預申請號|编号|編號|\bserial\b|\breference\b", re.I)),
    # "why can't I cancel it?" right after a refusal: its reason again, not an FAQ text that shares a word
    (
        "why",
        re.compile(
            r"为什么|為什麼|为啥|為啥|怎么不能|怎麼不能|咋不能|凭什么|憑什麼|太晚|来不及|來不及|"
            r"\bwhy\b|\bhow come\b|\bwhat(?:'s| is) the reason\b|\btoo late\b",
            re.I,
        ),
    ),
)
# The reason in a refusal the bot gave (items._refusal, ActionSubmitTask): after the item's name
_REFUSAL_REASON = re.compile(
    r"(?:暂时不能办理|未能办理)“[^”]*”(?:（[^）]*）)?：(?P<zh>.+)|”(?: \([^)]*\))? (?:is not possible right now|could not be done): (?P<en>.+)",
    re.S,
)
_STATUS = re.compile(r"进度|進度|状态|狀態|办到哪|辦到哪|审核|審核|受理了|\bstatus\b|\bprogress\b", re.I)
_OUTCOME_MARKS = (
    "预申请号：",
    "业务流水号：",
    "暂时不能办理“",
    "未能办理“",
    "Pre-application number:",
    "Serial number:",
    "is not possible right now",
    "could not be done",
)


def _last_outcome(tracker: Tracker, turns: int = 3) -> Optional[str]:
    """The text of a business outcome among the bot's last few turns, if any."""
    seen = 0
    for e in reversed(list(tracker.events)):
        if e.get("event") == "user":
            seen += 1
            if seen > turns:
                return None
        elif e.get("event") == "bot":
            text = str(e.get("text") or "")
            if any(m in text for m in _OUTCOME_MARKS):
                return text
    return None


# A why-question the FAQ selector is this sure of is a question of its own ("为什么晚上交不了社保", payment hours
# ~0.9), not about the refusal just given ("why can't I cancel it?": a weak 0.54 for the card topic). Right
# FAQ answers on the dev sets had >= 0.757 (questions.ANSWER_FLOOR's note).
WHY_OWN_TOPIC = 0.75


def outcome_follow_up(tracker: Tracker, text: str, lang: str) -> Optional[str]:
    """The answer to a question about the business outcome just given ("要带什么材料", "why not?"), if it is
    one: from that outcome's own text. Also for a message the NLU was unsure of (clarify.py)."""
    outcome = _last_outcome(tracker)
    if not outcome or not text or text.startswith("/"):
        return None
    topics = selector_topics(tracker.latest_message or {})
    for kind, pattern in FOLLOW_UPS:
        if kind == "why" and topics and topics[0][1] >= WHY_OWN_TOPIC:
            continue
        if pattern.search(text):
            answer = _contextual_answer(kind, outcome, lang)
            if answer:
                return answer
    return None


def _contextual_answer(kind: str, outcome: str, lang: str) -> Optional[str]:
    lines = outcome.splitlines()
    if kind == "materials":
        start = next((i for i, line in enumerate(lines) if line.startswith(("请携带以下材料", "Please bring"))), None)
        if start is None:
            return None
        items = []
        for line in lines[start + 1 :]:
            if not re.match(r"\d+\.", line):
                break
            items.append(line)
        number = re.search(r"(YS\d{12}[0-9X])", outcome)
        head = pick(
            lang,
            f"刚才的预申请{('（' + number.group(1) + '）') if number else ''}需要携带这些材料到服务窗口：",
            f"For the pre-application{(' ' + number.group(1)) if number else ''}, bring:",
        )
        return "\n".join([head] + items) if items else None
    if kind == "where":
        where = next((line for line in lines if line.startswith(("办理地点：", "Where:"))), None)
        return pick(lang, f"刚才这项业务的{where}", f"For that item — {where}") if where else None
    if kind == "fix":
        m = re.search(r"(建议：[^\n]+|What you can do:[^\n]+)", outcome)
        return (
            pick(
                lang,
                f"{m.group(1)}也可以拨打12333或到社保服务窗口咨询。",
                f"{m.group(1)} You can also call 12333 or ask at a service window.",
            )
            if m
            else None
        )
    if kind == "why":
        m = _REFUSAL_REASON.search(outcome)
        if not m:
            return None
        reason = (m.group("zh") or m.group("en") or "").strip()
        return pick(lang, f"原因是：{reason}", f"The reason: {reason}")
    if kind == "number":
        m = re.search(r"(预申请号：\S+|业务流水号：\S+|Pre-application number: \S+|Serial number: \S+)", outcome)
        return pick(lang, f"刚才的{m.group(1)}", f"From just now — {m.group(1)}") if m else None
    return None


# ---- from the answer to the item ------------------------------------------------------------
# A how-to answer about something the chat can do is followed by the item itself, as a button
# ("户籍信息不对要怎么改" -> the answer, then [个人基本信息变更]): the resident does not have to find
# the item in the web system. Items need the login; new-user registration is for the logged out.
FAQ_ITEMS: Dict[str, tuple] = {
    "fix_hukou_category": ("change_basic_info",),
    "flexible_employment": ("register_individual_insurance",),
    "child_enrollment": ("enroll_child_first_time",),
    "card_locks_account": ("maintain_payment_bank",),
    "lump_sum": ("register_extended_contribution", "register_lump_sum_contribution"),
    "register": ("register_account",),
    "login": ("register_account",),
}
# how a request for an item, asked as a question by someone not logged in, is answered first
ITEM_FAQ = {
    "register_individual_insurance": "utter_faq/flexible_employment",
    "enroll_child_first_time": "utter_faq/child_enrollment",
    "register_extended_contribution": "utter_faq/lump_sum",
    "register_lump_sum_contribution": "utter_faq/lump_sum",
}


async def offer_items_of_topic(dispatcher: CollectingDispatcher, tracker: Tracker, lang: str, action: str) -> bool:
    """After the FAQ answer `action` (utter_faq/<topic>): the items it is about, to do them here and now
    (True when offered)."""
    from .clarify import catalogue_index

    topic = action.split("/", 1)[1] if "/" in action else ""
    logged_in = bool(auth_token(tracker))
    codes = [c for c in FAQ_ITEMS.get(topic, ()) if (c == "register_account") != logged_in]
    if not codes:
        return False
    try:
        names = await catalogue_index(get_client())
    except (BackendUnavailable, BackendError):
        return False
    buttons = [
        {"title": str((names.get(c) or {}).get("en" if lang == "en" else "zh")), "payload": f"/{c}"}
        for c in codes
        if c in names
    ]
    if buttons:
        say(
            dispatcher,
            lang,
            "需要的话，我现在就可以在这里帮您办理：",
            "If you like, I can do it for you here and now:",
            buttons=buttons,
        )
    return bool(buttons)


class ActionAnswerQuestion(Action):
    """A question: in the context of the last outcome when it follows one, else the FAQ answer."""

    def name(self) -> Text:
        return "action_answer_question"

    @guarded()
    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[Dict[Text, Any]]:
        lang = reply_language(tracker)
        message = tracker.latest_message or {}
        text = str(message.get("text") or "")
        outcome = _last_outcome(tracker)
        number = re.search(r"(?:预申请号|Pre-application number)[：:]\s*(YS\d{12}[0-9X])", outcome or "")
        token = auth_token(tracker)
        if number and token and _STATUS.search(text):
            # "那它现在是什么状态？" right after a pre-application: the status of that one
            from . import services

            try:
                await services.run_read_service(
                    get_client(),
                    token,
                    "query_pre_application",
                    tracker,
                    dispatcher,
                    lang,
                    subject_id=None,
                    number=number.group(1),
                )
                return []
            except (BackendUnavailable, BackendError):
                pass
        answer = outcome_follow_up(tracker, text, lang)
        if answer:
            dispatcher.utter_message(text=answer)
            return []
        from .clarify import about_moving_hukou, registration_wanted, say_hukou_move_out_of_scope
        from .items import item_behind_value, item_named_by_its_value, start_item_from_question

        idle = no_task_going_on(tracker)
        if idle and about_moving_hukou(text):
            # "How do I move my household registration to Shenzhen?": the police's matter, not the hukou-category FAQ
            say_hukou_move_out_of_scope(dispatcher, lang)
            return []
        if idle:
            named = await item_named_by_its_value(message)
            if named:  # "我是原农村户籍人员，以前没交够的能一次补上吗" read as the hukou-category FAQ: the item
                return await start_item_from_question(named, dispatcher, tracker, lang)
        which_bank = asks_which_bank(text)  # a question about the banks, even with "account" or an item near
        if (
            registration_wanted(tracker, message)
            and not (is_question(text) and answer_is_sure(message))
            and not which_bank
        ):
            # "I need an account for the online services" / "no login yet, how do I get one?" (no login) taken
            # as a question: action_start_task starts the registration, or answers how and offers it
            return [FollowupAction("action_start_task")]
        if no_task_going_on(tracker) and not which_bank and item_behind_value(message):
            # "我办了张工商银行的卡，想用它交社保": a request, not shaped as a question, with its item close behind
            return [FollowupAction("action_start_task")]
        code = tracker.get_slot("task_code")
        if code and tracker.get_slot(STAGE_SLOT) in (COLLECT, CONFIRM):
            # "要带什么材料？" in the middle of an item: that item's materials, not the general text
            answer = await task_answer(code, text, lang)
            if answer:
                dispatcher.utter_message(text=answer)
                return []
        selector = ((message.get("response_selector") or {}).get("faq") or {}).get("response") or {}
        action = selector.get("utter_action")
        if not action and "/" in str(selector.get("intent_response_key") or ""):
            action = "utter_" + str(selector["intent_response_key"])
        previous = last_answer_topic(tracker)
        if which_bank:
            # "what bank should he open an account with?": the banks' list, whatever topic the selector leaned to
            action = "utter_faq/cooperating_banks"
        elif (
            action
            and previous
            and not text.startswith("/")
            and not sure_topic(message)
            and follows_up(message, previous)
        ):
            # a follow-up of the answer just given whose topic the selector is unsure of: that answer's topic
            action = f"utter_faq/{previous}"
        elif (
            action
            and not text.startswith("/")
            and not answer_is_sure(message)
            and action != f"utter_faq/{previous}"  # a follow-up on the topic just answered
            and no_task_going_on(tracker)
        ):
            # outside a task, the NLU took it for a question but no FAQ topic fits: out of scope when that is
            # close behind, else asked which one (never an answer to another question). Inside a task the
            # message is most often an answer the NLU misread ("花旗银行" asked for the bank): as before
            if out_of_scope_near(message):
                dispatcher.utter_message(response="utter_out_of_scope")
                return []
            from .clarify import ActionClarifyIntent

            return list(await ActionClarifyIntent().run(dispatcher, tracker, domain))
        if not action:
            # a button payload (/faq/<topic>) has no selector: its topic names the answer (bot/retrieval_payload.py)
            m = re.match(r"^/(faq/\w+)", text)
            responses = (domain or {}).get("responses") or {}
            if m and (not responses or f"utter_{m.group(1)}" in responses):
                action = f"utter_{m.group(1)}"
        if action:
            dispatcher.utter_message(response=str(action))
            if no_task_going_on(tracker):
                if await offer_items_of_topic(dispatcher, tracker, lang, str(action)):
                    return remember_request(tracker)
        else:
            from bot.retrieval_payload import ASK_EN, ASK_ZH

            say(dispatcher, lang, ASK_ZH, ASK_EN)
        return []
