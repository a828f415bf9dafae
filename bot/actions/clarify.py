"""Asking instead of guessing.

- Vague requests ("我要停保", "社保转出"): the person's profile decides. The
  backend's `GET /options` says, per candidate item and per linked child,
  whether it can be used now; one usable candidate is taken, several are
  offered as buttons, none is explained with the backend's reasons.
- A child item without a named child ("孩子的医保要停一下"): when more than one child could
  be meant (this item or its sibling, e.g. a student's stop), ask which; a named child who
  cannot have the item is told why (the caller), never switched for another child.
- A low-confidence NLU result (`nlu_fallback` from
  bot/components/fallback.py, decision "ask") or a turn no policy is sure about
  (`action_default_fallback`): the top intents are offered as buttons, named as
  the catalogue names them; nothing is done on a guess.
- Meaningless input (decision "not_understood": mash, a lone "？", "嗯", emoji,
  random digits, half a sentence) or nothing worth offering: "I did not
  understand" with three examples of what can be said, in the person's
  language (the language of earlier messages: keyboard mash is not English).
- A position typed to the buttons just shown ("2", "第二个"): that button, replayed as if pressed
  (bot/actions/choices.py), before any of the above; a yes to "which one?" buttons
  (`action_affirm_without_task`) takes the only option or shows the list again.
- A child's insurance named with nothing to do ("我家娃的医保咋整"): which child matter, among those
  the backend says are possible now, instead of a guessed item refused.
- Moving one's hukou (迁户口, 落户) with no insurance named is the police's matter: out of scope, with
  who handles it, whatever the NLU leaned to.
"""

from __future__ import annotations

import logging
import re
from typing import Any, Dict, List, Optional, Text, Tuple

from rasa_sdk import Action, Tracker
from rasa_sdk.events import FollowupAction, UserUtteranceReverted
from rasa_sdk.executor import CollectingDispatcher

from .backend_client import BackendClient, BackendError, BackendUnavailable, get_client
from .choices import intent_buttons, picked_button, replay, shown_buttons
from .common import (
    named_subjects,
    no_task_going_on,
    offer_choices,
    pick,
    reason_text,
    remember_request,
    say,
)
from .fields import entity_values
from .handoff import wants_a_person
from .language import reply_language
from .questions import asks_which_bank, is_question, question_topic
from .tasks import ITEM_CODES, SERVICE_CODES

log = logging.getLogger(__name__)

VAGUE: Dict[str, Tuple[str, ...]] = {
    "stop_insurance": (
        "stop_individual_insurance",
        "stop_resident_insurance",
        "stop_child_insurance",
        "stop_student_insurance",
    ),
    "transfer_out": ("transfer_pension_out", "transfer_medical_out"),
}
VAGUE_NAMES = {
    "stop_insurance": ("停保", "stopping insurance"),
    "transfer_out": ("社保关系转出", "transferring insurance out"),
}

# Canonical questions: a button re-asks the question in words the NLU knows well.
FAQ_TOPICS: Dict[str, Tuple[str, str, str, str]] = {
    # topic: (button title zh, question zh, button title en, question en)
    "login": (
        "如何登录",
        "个人网上服务系统怎么登录",
        "How to log in",
        "How do I log in to the personal online service system?",
    ),
    "register": ("如何注册新用户", "新用户怎么注册", "How to register", "How do I register a new account?"),
    "cooperating_banks": (
        "合作银行有哪些",
        "金融社保卡合作银行有哪些",
        "Cooperating banks",
        "Which banks are supported?",
    ),
    "payment_hours": ("什么时间可以缴费", "什么时候可以缴费", "Payment hours", "What time can I pay?"),
    "card_locks_account": (
        "金融社保卡与缴费账户",
        "我有金融社保卡，还能换别的银行卡缴费吗",
        "Social security card and payment account",
        "Can I change my payment account if I have a financial social security card?",
    ),
    "fix_hukou_category": (
        "户籍信息不对怎么办",
        "提示户籍信息不对怎么办",
        "Hukou information is wrong",
        "It says my household registration info is wrong, what do I do?",
    ),
    "online_items": (
        "哪些业务可网上办结",
        "哪些业务可以网上直接办结",
        "What can be done online",
        "Which services can be completed online?",
    ),
    "pre_application": ("什么是预申请", "预申请是什么意思", "What is a pre-application", "What is a pre-application?"),
    "flexible_employment": (
        "灵活就业人员参保",
        "灵活就业人员怎么参保",
        "Flexible workers' enrolment",
        "How can freelancers join social insurance in Shenzhen?",
    ),
    "child_enrollment": (
        "少儿如何参保",
        "孩子没上幼儿园怎么参保",
        "Enrolling a child",
        "How do I enroll my child who isn't in school?",
    ),
    "lump_sum": (
        "什么是趸缴、延缴",
        "趸缴是什么意思",
        "Lump-sum and extended contributions",
        "What does lump-sum payment mean?",
    ),
}
OTHER_CHOICES = {
    "ask_human": ("转人工服务", "Talk to a person"),
    "ask_capabilities": ("您能办理哪些业务", "What you can do"),
    "stop_insurance": ("停保（选择停哪一项）", "Stop insurance (choose which)"),
    "transfer_out": ("社保关系转出", "Transfer insurance out"),
}
MIN_CONFIDENCE = 0.05
# What can be said: shown when a message was not understood (zh, en)
EXAMPLES = (
    ("给孩子停少儿医保", "Stop my child's medical insurance"),
    ("查一下我的社保缴费明细", "Show my social insurance contributions"),
    ("什么时候可以缴费？", "What time can I pay?"),
)


async def catalogue_index(client: BackendClient) -> Dict[str, Dict[str, Any]]:
    """code -> {zh, en, acts_for} for every item and service of the backend catalogue."""
    cat = await client.catalogue()
    return {
        e["code"]: {
            "zh": e.get("name_zh", e["code"]),
            "en": e.get("name_en", e["code"]),
            "acts_for": e.get("acts_for", "self"),
        }
        for e in list(cat.get("items") or []) + list(cat.get("services") or [])
    }


def _filter_candidates(code: str, message: Dict[str, Any], index: Dict[str, Dict[str, Any]]) -> Tuple[str, ...]:
    candidates = VAGUE[code]
    insurance = set(entity_values(message, "insurance_type"))
    subject = set(entity_values(message, "subject"))
    if code == "transfer_out" and len(insurance) == 1:
        wanted = f"transfer_{insurance.pop()}_out"
        candidates = tuple(c for c in candidates if c == wanted) or candidates
    if code == "stop_insurance" and len(subject) == 1:
        who = subject.pop()
        picked = tuple(c for c in candidates if (index.get(c, {}).get("acts_for") == "child") == (who == "child"))
        candidates = picked or candidates
    return candidates


async def with_child_names(client: BackendClient, token: str, options: List[Dict[str, Any]]) -> List[Dict[str, Any]]:
    """The options with the child's name filled in: `GET /options` names the subject only when the item
    is possible, and a refused child named in the request must still be recognised (and named)."""
    if not any(o.get("subject_id") and not o.get("subject_name") for o in options):
        return options
    names = {c.get("id"): c.get("name") for c in (await client.me(token)).get("children") or [] if c.get("id")}
    return [
        dict(o, subject_name=names.get(o.get("subject_id")))
        if o.get("subject_id") and not o.get("subject_name") and names.get(o.get("subject_id"))
        else o
        for o in options
    ]


def child_siblings(code: str, index: Dict[str, Dict[str, Any]]) -> Tuple[str, ...]:
    """The other child items the same words could mean ("孩子的医保要停一下": a child's or a student's stop)."""
    for group in VAGUE.values():
        if code in group:
            return tuple(c for c in group if c != code and index.get(c, {}).get("acts_for") == "child")
    return ()


def _child_button(o: Dict[str, Any], index: Dict[str, Dict[str, Any]], lang: str) -> Dict[str, str]:
    name = index.get(o["code"], {}).get(lang, o["code"])
    who = o.get("subject_name") or o.get("subject_id")
    title = f"{name}（{who}）" if lang != "en" else f"{name} ({who})"
    return {"title": title, "payload": f'/{o["code"]}{{"subject_id":"{int(o["subject_id"])}"}}'}


async def ask_which_child(
    client: BackendClient,
    token: str,
    code: str,
    options: List[Dict[str, Any]],
    message: Dict[str, Any],
    dispatcher: CollectingDispatcher,
    lang: str,
) -> Optional[List[Dict[str, Any]]]:
    """A child item asked for without naming the child: when more than one child could be meant (this
    item or a sibling item possible for them), ask which, listing only those children, and say briefly
    why the others cannot; None when at most one child is possible (the caller goes on)."""
    if named_subjects(message, options):
        return None
    index = await catalogue_index(client)
    siblings = child_siblings(code, index)
    others = await with_child_names(client, token, await client.options(token, list(siblings))) if siblings else []
    usable = [o for o in list(options) + others if o.get("eligible") and o.get("subject_id")]
    children = list(dict.fromkeys(o["subject_id"] for o in usable))
    if len(children) < 2:
        return None
    lines_zh, lines_en = [], []
    for o in options:
        if o.get("subject_id") and o.get("subject_name") and o["subject_id"] not in children:
            reason = o.get("reason") or {}
            lines_zh.append(f"· {o['subject_name']}：{reason.get('message_zh') or '不能办理'}")
            lines_en.append(f"- {o['subject_name']}: {reason.get('message_en') or 'not possible'}")
    what = index.get(code, {})
    if len({o["code"] for o in usable}) == 1:
        zh = f"请问要为哪个孩子办理“{what.get('zh', code)}”？请选择一项。"
        en = f"Which child is “{what.get('en', code)}” for? Please pick one."
    else:
        zh, en = "请问是为哪个孩子办理？请选择一项。", "Which child is it for? Please pick one."
    if lines_zh:
        zh += "\n其他孩子暂时不能办理：\n" + "\n".join(lines_zh)
        en += "\nNot possible for the other children:\n" + "\n".join(lines_en)
    buttons = [_child_button(o, index, lang) for o in usable]
    if len({o["code"] for o in usable}) == 1:  # one item: the child's name is the title
        buttons = [
            dict(b, title=str(o.get("subject_name") or o.get("subject_id")))
            for b, o in zip(buttons, usable, strict=True)
        ]
    return offer_choices(dispatcher, lang, zh, en, buttons)


async def resolve_vague(
    client: BackendClient, token: str, code: str, tracker: Tracker, dispatcher: CollectingDispatcher, lang: str
) -> Tuple[Optional[str], Optional[int], List[Dict[str, Any]]]:
    """(item, child, []) for the one concrete item meant; (None, None, events) after asking or explaining."""
    names = await catalogue_index(client)
    candidates = _filter_candidates(code, tracker.latest_message or {}, names)
    options = await with_child_names(client, token, await client.options(token, list(candidates)))
    usable = [o for o in options if o.get("eligible")]
    named = named_subjects(tracker.latest_message or {}, options)  # "给小红停保": only that child's items
    if named:
        options = named
        usable = [o for o in named if o.get("eligible")]

    def for_child(o: Dict[str, Any]) -> bool:
        return names.get(o.get("code", ""), {}).get("acts_for") == "child"

    if len(usable) == 1:
        o = usable[0]
        return o["code"], (o.get("subject_id") if for_child(o) else None), []
    what_zh, what_en = VAGUE_NAMES[code]
    if usable:
        buttons = []
        for o in usable:
            name = names.get(o["code"], {}).get(lang, o["code"])
            if for_child(o) and o.get("subject_id"):
                title = (
                    f"{name}（{o.get('subject_name', '')}）"
                    if lang != "en"
                    else f"{name} ({o.get('subject_name', '')})"
                )
                payload = f'/{o["code"]}{{"subject_id":"{int(o["subject_id"])}"}}'
            else:
                title, payload = name, f"/{o['code']}"
            buttons.append({"title": title, "payload": payload})
        return (
            None,
            None,
            offer_choices(
                dispatcher,
                lang,
                f"根据您的参保情况，以下几项都可以办理{what_zh}，请问您要办理哪一项？",
                f"Going by your records, several kinds of {what_en} apply to you. Which one do you mean?",
                buttons,
                "都不是",
                "None of these",
            ),
        )
    reasons: List[str] = []
    seen = set()
    for o in options:
        reason = o.get("reason") or {}
        text = reason_text(reason, lang)
        if text in seen:
            continue
        seen.add(text)
        name = names.get(o["code"], {}).get(lang, o["code"])
        reasons.append(f"· {name}：{text}" if lang != "en" else f"- {name}: {text}")
    if not reasons:  # never a sentence ending at a colon with nothing after it
        reasons = [
            pick(
                lang,
                "· 您的账户下没有可以办理这类业务的参保记录。如有疑问，请拨打12333或到社保服务窗口咨询。",
                "- Your account has no insurance record this applies to. For questions, call 12333 or "
                "visit a social insurance service window.",
            )
        ]
    say(
        dispatcher,
        lang,
        f"根据您的参保情况，目前没有可以在网上办理的{what_zh}业务：\n" + "\n".join(reasons[:6]),
        f"Going by your records, there is nothing to do for {what_en} online right now:\n" + "\n".join(reasons[:6]),
    )
    return None, None, []


# ---- "孩子保险的事": a child's insurance named with nothing to do -----------------------------------
# "我家娃的医保咋整", "about my daughter's insurance": the NLU picks some child item (a stop, a payment) and
# the backend refuses it for the child ("nothing to stop"), so the person is told no without having asked
# anything. A child and insurance named with no action word: asked which matter, offering the child items
# the backend says are possible now for the person's children.
_CHILD_INSURANCE = re.compile(
    r"(?:孩子|小孩|儿子|兒子|女儿|女兒|娃|宝宝|寶寶|闺女|閨女|小朋友|"
    r"\bkids?\b|\bkid's\b|\bchild(?:'s|ren|ren's)?\b|\bsons?\b|\bson's\b|\bdaughters?\b|\bdaughter's\b|\bbaby\b|\bbaby's\b)"
    r"[^。.!！?？]{0,10}(?:保险|保險|医保|醫保|社保|\binsurance\b)",
    re.I,
)
_CHILD_ACTION = re.compile(
    r"停|交|缴|繳|费|費|续|續|参保|參保|首次|入保|买|買|转|轉|改|修改|变更|變更|更新|维护|維護|登记|登記|查|打印|证明|證明|退|补|補|"
    r"学校|學校|幼儿园|幼兒園|监护|監護|\b(?:stop|pay|paying|enrol|enroll|enrolling|sign|register|cancel|transfer|"
    r"paid|payments?|change|update|print|check|join|add|renew|buy|certificate|school|guardian|records?|contributions?)\b",
    re.I,
)


def vague_child_matter(text: str) -> bool:
    """A child's insurance named with nothing to do about it ("孩子保险的事", "my kid's insurance thing")."""
    t = str(text or "")
    return not t.startswith("/") and bool(_CHILD_INSURANCE.search(t)) and not _CHILD_ACTION.search(t)


async def ask_child_matter(
    client: BackendClient, token: str, dispatcher: CollectingDispatcher, lang: str
) -> Optional[List[Dict[str, Any]]]:
    """Which of the child items possible now is meant (buttons with the child's name); None when none is
    possible (the caller goes on as before)."""
    index = await catalogue_index(client)
    codes = [c for c, e in index.items() if e.get("acts_for") == "child" and c in ITEM_CODES]
    if not codes:
        return None
    options = await with_child_names(client, token, await client.options(token, codes))
    usable = [o for o in options if o.get("eligible") and o.get("subject_id")]
    if not usable:
        return None
    buttons = [_child_button(o, index, lang) for o in usable][:8]
    return offer_choices(
        dispatcher,
        lang,
        "请问是孩子保险的哪件事？根据您孩子的情况，现在可以办理：",
        "Which matter about your child's insurance is it? Going by your children's records, these are possible now:",
        buttons,
        "都不是",
        "None of these",
    )


# ---- low-confidence NLU ----------------------------------------------------------
def _faq_choices(message: Dict[str, Any]) -> List[str]:
    selector = (message.get("response_selector") or {}).get("faq") or {}
    ranking = selector.get("ranking") or []
    topics = []
    for r in ranking[:2]:
        key = str(r.get("intent_response_key") or "")
        topic = key.split("/", 1)[1] if "/" in key else ""
        if topic in FAQ_TOPICS and topic not in topics:
            topics.append(topic)
    if not topics:
        key = str(((selector.get("response") or {}).get("intent_response_key")) or "")
        if "/" in key and key.split("/", 1)[1] in FAQ_TOPICS:
            topics.append(key.split("/", 1)[1])
    return topics


_PAY_WITH = re.compile(r"交|缴|繳|扣|付|\b(?:pay|paid|paying|payments?|deduct\w*|debit\w*|contributions?)\b", re.I)
_CARD = re.compile(r"卡|账户|帳戶|账号|帳號|\b(?:card|account)\b", re.I)


def _pays_with_a_bank(message: Dict[str, Any]) -> bool:
    """A bank named with its card or account and paying ("用招行卡交社保"): the payment bank item is meant."""
    text = str(message.get("text") or "")
    return bool(entity_values(message, "bank_name")) and bool(_CARD.search(text)) and bool(_PAY_WITH.search(text))


async def clarification_buttons(message: Dict[str, Any], lang: str, limit: int = 3) -> List[Dict[str, str]]:
    ranking = [
        r
        for r in (message.get("intent_ranking") or [])
        if r.get("name") not in ("nlu_fallback", None) and (r.get("confidence") or 0) >= MIN_CONFIDENCE
    ]
    wanted = [
        r["name"]
        for r in ranking
        if r["name"] in ITEM_CODES or r["name"] in SERVICE_CODES or r["name"] in OTHER_CHOICES or r["name"] == "faq"
    ][:limit]
    if _pays_with_a_bank(message) and "maintain_payment_bank" not in wanted:
        # "我老婆的招行卡能不能用来交我的社保": a bank's card to pay with is the payment bank item, however low the
        # NLU ranked it (fifth there, 0.046, behind a stop and a payment)
        wanted = ["maintain_payment_bank"] + wanted[: limit - 1]
    names: Dict[str, Dict[str, Any]] = {}
    if any(c in ITEM_CODES or c in SERVICE_CODES for c in wanted):
        try:
            names = await catalogue_index(get_client())
        except (BackendUnavailable, BackendError):
            names = {}
    buttons: List[Dict[str, str]] = []
    for intent in wanted:
        if intent == "faq":
            for topic in _faq_choices(message)[:1]:
                t_zh, q_zh, t_en, q_en = FAQ_TOPICS[topic]
                buttons.append({"title": pick(lang, t_zh, t_en), "payload": pick(lang, q_zh, q_en)})
        elif intent in OTHER_CHOICES:
            buttons.append({"title": pick(lang, *OTHER_CHOICES[intent]), "payload": f"/{intent}"})
        elif intent in names:
            buttons.append({"title": names[intent]["en" if lang == "en" else "zh"], "payload": f"/{intent}"})
        # an item whose name is unknown (catalogue unreachable) is not offered: no guessing
    unique: List[Dict[str, str]] = []
    for b in buttons:
        if b["payload"] not in {u["payload"] for u in unique}:
            unique.append(b)
    return unique


def not_understood(message: Dict[str, Any]) -> bool:
    """True when the NLU judged the message meaningless (bot/components/fallback.py)."""
    return (message.get("understanding") or {}).get("decision") == "not_understood"


def clarify_language(tracker: Tracker) -> str:
    """The reply language; for a meaningless message the language of the conversation so far."""
    if not_understood(tracker.latest_message or {}):
        previous = tracker.get_slot("language")
        return previous if previous in ("zh", "en") else "zh"
    return reply_language(tracker)


def did_not_understand(dispatcher: CollectingDispatcher, lang: str) -> None:
    """ "I did not understand" with examples of what can be said."""
    say(
        dispatcher,
        lang,
        "抱歉，我没有听懂您的意思。您可以这样说：\n"
        + "\n".join(f"· {zh}" for zh, _ in EXAMPLES)
        + "\n也可以说“你能做什么”查看全部业务，或说“转人工”。",
        "Sorry, I did not understand that. You can say, for example:\n"
        + "\n".join(f"- {en}" for _, en in EXAMPLES)
        + '\nOr ask "what can you do" to see everything, or ask for a person.',
    )


def registration_wanted(tracker: Tracker, message: Dict[str, Any]) -> bool:
    """Not logged in, and the message says there is no account or asks for one ("I need an account for the
    online services", "刚毕业还没有账号"): action_start_task starts the registration (or, for a how-to
    question, answers it and offers it)."""
    from .identity import auth_token
    from .items import wants_registration

    text = str(message.get("text") or "")
    return (
        not auth_token(tracker)
        and not text.startswith("/")
        and not not_understood(message)
        and not (tracker.active_loop or {}).get("name")
        and wants_registration(text)
    )


class ActionClarifyIntent(Action):
    """After `nlu_fallback`: offer the likely intents as buttons, or say it did not understand."""

    def name(self) -> Text:
        return "action_clarify_intent"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[Dict[Text, Any]]:
        button = picked_button(tracker)
        if button:  # "2" / "第二个" to the buttons just shown: that button, as if pressed
            topic = _faq_topic_of(button)
            if topic:  # a question button: its answer
                dispatcher.utter_message(response=f"utter_faq/{topic}")
                return []
            replayed = replay(tracker, button)
            if replayed:
                return replayed
        lang = clarify_language(tracker)
        message = tracker.latest_message or {}
        if wants_a_person(str(message.get("text") or "")):  # "I need an operator": no need to ask what is meant
            from .handoff import ActionHandoff

            return list(await ActionHandoff().run(dispatcher, tracker, domain))
        if (
            about_moving_hukou(str(message.get("text") or ""))
            and not not_understood(message)
            and no_task_going_on(tracker)
        ):
            say_hukou_move_out_of_scope(dispatcher, lang)
            return []
        if registration_wanted(tracker, message) and not asks_which_bank(str(message.get("text") or "")):
            return [FollowupAction("action_start_task")]  # no login, no account: the registration itself
        if no_task_going_on(tracker):
            from .items import item_named_by_its_value, start_item_from_question

            named = await item_named_by_its_value(message)
            if named:  # an unsure message naming a value only one likely item has (a category of person)
                return await start_item_from_question(named, dispatcher, tracker, lang)
        if not not_understood(message):
            from .repair import outcome_follow_up

            follow_up = outcome_follow_up(tracker, str(message.get("text") or ""), lang)
            if follow_up:  # "why can't I cancel it?" right after the refusal: its reason, not "which one?"
                dispatcher.utter_message(text=follow_up)
                return []
        topic = question_topic(tracker, message)
        if topic and _has_response(domain, f"utter_faq/{topic}"):
            # a question the FAQ answers (or a follow-up of the answer just given): the answer, not "which one?"
            return await self._answer(dispatcher, tracker, lang, message, topic)
        buttons = [] if not_understood(message) else await clarification_buttons(message, lang)
        events: List[Dict[Text, Any]] = []
        if buttons:
            events = remember_request(tracker)
            if not any(b["payload"] == "/ask_capabilities" for b in buttons):
                buttons.append({"title": pick(lang, "都不是", "None of these"), "payload": "/ask_capabilities"})
            say(
                dispatcher,
                lang,
                "抱歉，我不太确定您的意思。您是想问以下哪一项？",
                "Sorry, I am not sure what you mean. Is it one of these?",
                buttons,
            )
        else:
            did_not_understand(dispatcher, lang)
        return events

    @staticmethod
    async def _answer(
        dispatcher: CollectingDispatcher, tracker: Tracker, lang: str, message: Dict[str, Any], topic: str
    ) -> List[Dict[Text, Any]]:
        """The FAQ answer; outside a task, the items the question may also have meant, to do here and now."""
        from .repair import offer_items_of_topic

        action = f"utter_faq/{topic}"
        dispatcher.utter_message(response=action)
        log.info("unsure question answered with %s", action)
        if not no_task_going_on(tracker):
            return []
        if await offer_items_of_topic(dispatcher, tracker, lang, action):
            return remember_request(tracker)
        items = [
            b
            for b in await clarification_buttons(message, lang)
            if b["payload"][1:] in ITEM_CODES or b["payload"][1:] in SERVICE_CODES
        ]
        if not items:
            return []
        say(
            dispatcher,
            lang,
            "如果您是想办理业务，可以直接选择：",
            "If you meant to do one of these, pick it:",
            items,
        )
        return remember_request(tracker)


def _faq_topic_of(button: Dict[str, Any]) -> Optional[str]:
    """The FAQ topic of a question button (its payload is the topic's canonical question), else None."""
    payload = str(button.get("payload") or "")
    return next((topic for topic, (_, q_zh, _, q_en) in FAQ_TOPICS.items() if payload in (q_zh, q_en)), None)


class ActionAffirmWithoutTask(Action):
    """A yes with nothing to confirm. After "which one?" buttons it is no answer: one real option is taken,
    several are shown again; otherwise there is nothing to confirm."""

    def name(self) -> Text:
        return "action_affirm_without_task"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[Dict[Text, Any]]:
        buttons = shown_buttons(tracker)
        real = [b for b in buttons if b.get("payload") not in ("/ask_capabilities", "/cancel", "/deny")]
        if len(real) == 1 and intent_buttons(real):
            return replay(tracker, real[0])
        if real:
            lang = clarify_language(tracker)
            say(
                dispatcher,
                lang,
                "请点选下面其中一项，或说出它的名称（也可以回复序号，如“1”）。",
                "Please tap one of these, or say its name (or reply with its number, e.g. “1”).",
                buttons,
            )
            return []
        dispatcher.utter_message(response="utter_nothing_to_confirm")
        return []


def _has_response(domain: Dict[Text, Any], name: str) -> bool:
    """True when the domain has that response (an empty domain, as in action tests: assumed)."""
    responses = (domain or {}).get("responses") or {}
    return not responses or name in responses


class ActionDefaultFallback(ActionClarifyIntent):
    """When no policy is confident about the next action: ask, then forget the turn."""

    def name(self) -> Text:
        return "action_default_fallback"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[Dict[Text, Any]]:
        kept = await super().run(dispatcher, tracker, domain)
        return [UserUtteranceReverted()] + kept  # the turn is forgotten; its words are kept for a pick


# An item's own words: a message that says one is not out of scope, whatever the NLU guessed. None of
# the 83 dev-set messages (tests/nlu/heldout*.yml) read as out_of_scope has one, so the guard takes
# nothing from the out-of-scope answers there; it is for requests the classifier has not seen.
ITEM_WORDS = re.compile(
    r"档(?!案)|檔(?!案)|"
    r"\btier\b|\bcontribution grade\b|停保|转出|轉出|转入|轉入|延缴|延繳|趸缴|躉繳|补缴|補繳|扣款银行|扣款账户|扣款帳戶|"
    r"缴费银行|繳費銀行|缴费账户|繳費帳戶|参保证明|參保證明|预申请|預申請|监护人|監護人|参保登记|參保登記|"
    r"\bpayment bank\b|\bpre-?application\b",
    re.I,
)


# Moving one's hukou (迁户口, 落户, "move my household registration") is the police's household office's
# matter, not social insurance: a question about it with no insurance word is out of scope, whatever
# the NLU leaned to (the hukou-category FAQ, a child's enrolment, a transfer). "孩子落户了怎么参保" names
# insurance and is not.
_HUKOU_MOVE = re.compile(
    r"(?:户口|戶口|户籍|戶籍)[^，。,.！!？?]{0,12}(?:迁|遷|转到|轉到|转过|轉過|转来|轉來)|"
    r"(?:迁|遷)[^，。,.！!？?]{0,6}(?:户口|戶口|户籍|戶籍)|落户|落戶|入[户戶](?:手续|手續|条件|條件|申请|申請|流程|要求|政策)|"
    r"(?:办|辦|办理|辦理|申请|申請)[^，。,.！!？?]{0,4}(?:深圳)?(?:户口|戶口)(?!本|簿)|"
    r"\b(?:move|transfer|moving|transferring)\b[^.?!]{0,25}\b(?:hukou|household registration|residence registration)\b|"
    r"\b(?:settle|register) (?:my |our |the )?(?:hukou|household registration)\b",
    re.I,
)
_INSURANCE_WORDS = re.compile(
    r"社保|社會保險|社会保险|医保|醫保|医疗|醫療|养老|養老|保险|保險|参保|參保|缴|繳|停保|\binsurance\b|"
    r"\bsocial security\b|\bpension\b|\bcontribution|\bmedical\b|\bhealth\b",
    re.I,
)


_SETTLE_DATE = re.compile(r"(?:落户|落戶|入户|入戶)的?(?:日期|时间|時間)")
# "户口迁到深圳了，户籍类别要改": the record's change (change_basic_info), not the move
_RECORD_CHANGE = re.compile(
    r"类别|類別|类型|類型|信息|資訊|资料|資料|改|更新|变更|變更|\b(?:category|update|record)\b", re.I
)
_ASKS_OR_WANTS = re.compile(r"手续|手續|流程|办理|辦理|想|要|\b(?:want|need|how)\b", re.I)


def about_moving_hukou(text: str) -> bool:
    """A question or request about moving one's hukou itself (no insurance named, not a settle-in date given
    as a value): out of scope."""
    t = str(text or "")
    return (
        not t.startswith("/")
        and bool(_HUKOU_MOVE.search(t))
        and not _INSURANCE_WORDS.search(t)
        and not _SETTLE_DATE.search(t)
        and not _RECORD_CHANGE.search(t)
        and (is_question(t) or bool(_ASKS_OR_WANTS.search(t)))
    )


def say_hukou_move_out_of_scope(dispatcher: CollectingDispatcher, lang: str) -> None:
    """The out-of-scope reply, and who handles a hukou move."""
    dispatcher.utter_message(response="utter_out_of_scope")
    say(
        dispatcher,
        lang,
        "户口迁入、迁出和落户由公安机关户政部门办理，请咨询派出所或公安户政窗口。户口迁好以后，社保方面的业务（如户籍类别变更、少儿参保）可以再来找我。",
        "Moving a hukou (in, out, settling) is handled by the public security bureau's household registration "
        "office: please ask a police station (派出所). Once it is moved, I can help with the social insurance side "
        "(such as the hukou category or a child's enrolment).",
    )


class ActionOutOfScope(Action):
    """Out of scope, unless the message names an item's own thing (a tier, a stop, a transfer, the payment
    bank…) and an item is among the NLU's next guesses: then it is asked which one (buttons), not refused."""

    def name(self) -> Text:
        return "action_out_of_scope"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[Dict[Text, Any]]:
        message = tracker.latest_message or {}
        text = str(message.get("text") or "")
        ranked = [r.get("name") for r in message.get("intent_ranking") or []][1:4]
        if ITEM_WORDS.search(text) and any(n in ITEM_CODES or n in SERVICE_CODES for n in ranked):
            return list(await ActionClarifyIntent().run(dispatcher, tracker, domain))
        if about_moving_hukou(text):
            say_hukou_move_out_of_scope(dispatcher, reply_language(tracker))
            return []
        dispatcher.utter_message(response="utter_out_of_scope")
        return []
