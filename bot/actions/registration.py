"""New-user registration in the chat, with the backend's proof of identity (issues 11 and 16).

The chat needs no login. It collects the name, the ID number, a card of a cooperating
bank opened in Shenzhen and the phone number the bank holds for it; each answer is
checked by the backend as it is given (``POST /accounts/check``: the same rules as the
registration steps). Then the backend asks the bank to confirm the card and sends an SMS
code to that phone (``POST /accounts/code``); the person types the code, and the backend
gives back a one-time link (``POST /accounts/setup-link``) to a page where the user name
and password are chosen. The chat never asks for a password: whatever is typed here is
kept with the conversation.

Every refusal shows the backend's reason and fix. What can be corrected is asked again
(a card the bank does not confirm: card and phone; a person not found: name and ID
number); what cannot (already registered, too many codes, backend down) ends the form.
The slots are encrypted by the tracker store (bot/rasa_ext/tracker_store.py,
``ALWAYS_ENCRYPTED_SLOTS`` and the personal-number pattern).
"""

from __future__ import annotations

import logging
import re
from typing import Any, Dict, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActiveLoop, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.forms import FormValidationAction
from rasa_sdk.types import DomainDict

from bot.masking import NUMBER_RUN

from .backend_client import BackendClient, BackendError, BackendUnavailable, get_client
from .common import IDLE, busy, error_text, guarded, say
from .language import reply_language
from .values.numbers import digits_of
from .values.text import simplify

log = logging.getLogger(__name__)

FORM = "registration_form"
TASK_STAGE = "task_stage"  # "register" while the form runs (what the rules read)
STAGE = "registration_stage"  # "collect" while the form runs, "done" to end it
OTP_ID = "registration_otp_id"
CODE = "registration_code"
# slot -> the backend's field name, in the order they are asked
DETAILS = {
    "registration_name": "name",
    "registration_id_number": "id_number",
    "registration_bank_name": "bank_name",
    "registration_bank_account": "bank_account",
    "registration_phone": "phone",
}
ALL_SLOTS = (*DETAILS, CODE, OTP_ID, STAGE)
# what to ask again when the backend refuses the details as a whole
ASK_AGAIN = {
    "PERSON_NOT_FOUND": ("registration_name", "registration_id_number"),
    "BANK_VERIFICATION_FAILED": ("registration_bank_name", "registration_bank_account", "registration_phone"),
    "BANK_NOT_COOPERATING": ("registration_bank_name", "registration_bank_account"),
    "BANK_NOT_IN_SHENZHEN": ("registration_bank_name", "registration_bank_account"),
}
FIELD_SLOT = {field: slot for slot, field in DETAILS.items()}
RESEND = re.compile(r"重新|重发|再发|没收到|沒收到|收不到|resend|again|didn'?t (get|receive)", re.I)
NAME_PREFIX = re.compile(
    r"^(?:我的?(?:名字|姓名)?(?:是|叫)|我叫|姓名[是:：]?|名字[是:：]?|my name is|i am|i'm)\s*", re.I
)
# "取消" that the NLU did not read as cancel would be taken as the answer (a name of two characters)
CANCEL = re.compile(r"^\s*(?:取消|取消注册|不注册了|不办了|算了|退出|cancel|stop|quit)\s*[。.!！]?\s*$", re.I)
SIX_DIGITS = re.compile(r"(?<!\d)\d{6}(?!\d)")
CANCELLED_ZH = "好的，已取消注册，您填写的信息没有保存。需要时可以随时再说“新用户注册”。"
CANCELLED_EN = "Registration cancelled; nothing you gave was kept. Say “register” whenever you want to start again."
_FULL_WIDTH = str.maketrans("０１２３４５６７８９Ｘｘ", "0123456789XX")


def _text(tracker: Tracker) -> str:
    return str((tracker.latest_message or {}).get("text") or "").strip()


# A number said digit by digit ("四四零三零四一九九八…", a speech transcript): six or more spoken digits in a row
_SPOKEN_RUN = re.compile(r"[零〇一二三四五六七八九幺两](?:[\s,，、]*[零〇一二三四五六七八九幺两叉]){5,}")


def _spoken_digits(text: str) -> str:
    """Runs of spoken digits as digits (叉 as the ID's X); other words keep their 一 and 两."""
    return _SPOKEN_RUN.sub(lambda m: digits_of(m.group(0)).replace("叉", "X"), text)


def _number_in(text: str) -> str:
    """The (longest) personal number in an answer such as "卡号是6225 8802 1111 2222"; else the text."""
    runs = [m.group(0) for m in NUMBER_RUN.finditer(_spoken_digits(text).translate(_FULL_WIDTH))]
    return max(runs, key=len) if runs else text


def _plain(value: Any) -> str:
    return str(value or "").strip()[:64]


_NAME_SAID = re.compile(
    r"(?:我叫|我的?名字(?:是|叫)|姓名(?:是|[:：])?|名字(?:是|[:：])|my name is|name[:：]?)\s*"
    r"(?:([\u4e00-\u9fff·]{2,5}?)(?=$|[，,。.；;！!、\s]|身份证|身份證|\d)|([A-Za-z][A-Za-z' ]{1,30}[A-Za-z]))",
    re.I,
)


def details_in(text: str) -> Dict[str, str]:
    """The registration details a message gives ("新用户注册，我叫林晓，身份证4403…，招行卡6225…，手机138…"),
    by slot, as said: the backend checks them. Numbers by their shape (18 characters: the ID; 11 digits from
    1: the phone; 12-19 digits: the card), the bank by its name, the name after 我叫 / my name is."""
    from .values.choices import _BANK_WORDS, _english_bank

    found: Dict[str, str] = {}
    text = _spoken_digits(simplify(text))
    for m in NUMBER_RUN.finditer(text.translate(_FULL_WIDTH)):
        raw = re.sub(r"[\s\-\u2010-\u2015\uff0d]", "", m.group(0))
        if len(raw) == 18 and raw[:17].isdigit():
            found.setdefault("registration_id_number", raw)
        elif len(raw) == 11 and raw.startswith("1") and raw.isdigit():
            found.setdefault("registration_phone", raw)
        elif 12 <= len(raw) <= 19 and raw.isdigit():
            found.setdefault("registration_bank_account", raw)
    low = text.lower()
    bank = None
    for name, words in _BANK_WORDS.items():
        for w in (name, *[w for w in words if not w.isascii() and len(w) >= 2]):
            if w in low and (bank is None or len(w) > bank[0]):
                bank = (len(w), name)
    english = _english_bank(text)
    if bank or english:
        found["registration_bank_name"] = bank[1] if bank else str(english)
    said = _NAME_SAID.search(text)
    person = (said.group(1) or said.group(2) or "").strip() if said else ""
    if person and not re.search(r"注册|註冊|账号|帳號|用户|銀行|银行", person):
        found["registration_name"] = person
    return found


async def start(dispatcher: CollectingDispatcher, tracker: Tracker, lang: str) -> List[Dict[str, Any]]:
    """Called by action_start_task for register_account: explain, then the form (rules/registration.yml).
    Details the request already gives are checked by the backend and not asked again."""
    say(
        dispatcher,
        lang,
        "好的，我来帮您注册社保个人网上服务账户，无需登录。需要核对：您的姓名、身份证号、一张您本人名下在深圳开户的"
        "金融社保卡合作银行卡，以及这张卡在银行预留的手机号码；银行核验通过后会给该手机发送短信验证码。"
        "密码不在聊天里设置：验证码正确后，我会给您一个一次性链接，在网页上设置用户名和密码。随时可以说“取消”。",
        "I can register your account for the personal online services here, no login needed. I will check your "
        "name, ID number, a card in your name at a cooperating bank opened in Shenzhen, and the phone number the "
        "bank holds for it; once the bank confirms, a code is sent by SMS to that phone. You do not set a password "
        "in this chat: after the code, you get a one-time link to a page where you choose your user name and "
        "password. Say “cancel” at any time.",
    )
    events = [SlotSet(name, None) for name in ALL_SLOTS if tracker.get_slot(name) is not None] + [
        SlotSet(STAGE, "collect"),
        SlotSet(TASK_STAGE, "register"),
    ]
    from .common import request_message

    given = details_in(str(request_message(tracker).get("text") or ""))
    if given:
        try:
            answer = await get_client().registration_check({DETAILS[slot]: raw for slot, raw in given.items()})
        except (BackendUnavailable, BackendError):
            return events  # the form asks each one
        values, errors = answer.get("values") or {}, answer.get("errors") or {}
        for slot in given:
            field = DETAILS[slot]
            if field not in errors and values.get(field) not in (None, ""):
                events.append(SlotSet(slot, values[field]))
        log.info("registration: %d detail(s) taken from the request", len(events) - 2)
    return events


def _details(tracker: Tracker) -> Dict[str, Any]:
    body: Dict[str, Any] = {field: tracker.get_slot(slot) for slot, field in DETAILS.items()}
    body["bank_opened_in_shenzhen"] = True  # asked for in the bank question; the bank's check confirms it
    return body


def _refusal(dispatcher: CollectingDispatcher, lang: str, err: BackendError) -> Dict[Text, Any]:
    """Slots after a refusal of the details: the ones to ask again, or the end of the form."""
    say(dispatcher, lang, error_text(err, "zh"), error_text(err, "en"))
    again = ASK_AGAIN.get(err.code) or ((FIELD_SLOT[err.field],) if err.field in FIELD_SLOT else ())
    if again:
        return {**{slot: None for slot in again}, OTP_ID: None, CODE: None}
    return {STAGE: "done"}


async def _send_code(
    client: BackendClient, dispatcher: CollectingDispatcher, tracker: Tracker, lang: str
) -> Dict[Text, Any]:
    try:
        sent = await client.registration_code(_details(tracker))
    except BackendUnavailable:
        busy(dispatcher, lang)
        return {STAGE: "done"}
    except BackendError as err:
        log.info("registration code refused: %s", err.code)
        if err.code == "OTP_TOO_SOON" and tracker.get_slot(OTP_ID):  # "resend" too early: the last code stands
            say(dispatcher, lang, error_text(err, "zh"), error_text(err, "en"))
            return {}
        return _refusal(dispatcher, lang, err)
    say(
        dispatcher,
        lang,
        f"银行核验通过。{sent.get('message_zh', '')}。",
        f"The bank confirmed your card. {sent.get('message_en', '')}.",
    )
    return {OTP_ID: sent.get("otp_id"), CODE: None}


class ValidateRegistrationForm(FormValidationAction):
    """Each answer checked by the backend; the code sent once the details are complete."""

    def name(self) -> Text:
        return "validate_registration_form"

    async def required_slots(
        self, domain_slots: List[Text], dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[Text]:
        if tracker.get_slot(STAGE) != "collect":
            return []
        return list(DETAILS) + ([CODE] if tracker.get_slot(OTP_ID) else [])

    async def get_validation_events(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[Dict[Text, Any]]:
        events = await super().get_validation_events(dispatcher, tracker, domain)
        tracker.add_slots(events)
        events += await self._more_details(tracker)
        if (
            tracker.get_slot(STAGE) == "collect"
            and not tracker.get_slot(OTP_ID)
            and all(tracker.get_slot(slot) for slot in DETAILS)
        ):
            more = await _send_code(get_client(), dispatcher, tracker, reply_language(tracker))
            events += [SlotSet(k, v) for k, v in more.items()]
        return events

    @staticmethod
    async def _more_details(tracker: Tracker) -> List[Dict[Text, Any]]:
        """Other details the same answer gives ("林晓，440304…"): checked and kept, not asked again."""
        if tracker.get_slot(STAGE) != "collect" or tracker.get_slot(OTP_ID) or CANCEL.match(_text(tracker)):
            return []
        asked = tracker.get_slot("requested_slot")
        more = {k: v for k, v in details_in(_text(tracker)).items() if k != asked and not tracker.get_slot(k)}
        if not more:
            return []
        try:
            answer = await get_client().registration_check({DETAILS[slot]: raw for slot, raw in more.items()})
        except (BackendUnavailable, BackendError):
            return []
        values, errors = answer.get("values") or {}, answer.get("errors") or {}
        events = [
            SlotSet(slot, values[DETAILS[slot]])
            for slot in more
            if DETAILS[slot] not in errors and values.get(DETAILS[slot]) not in (None, "")
        ]
        tracker.add_slots(events)
        return events

    async def _check(self, slot: Text, raw: str, dispatcher: CollectingDispatcher, tracker: Tracker) -> Dict[Text, Any]:
        lang = reply_language(tracker)
        if CANCEL.match(_text(tracker)):
            return _cancelled(dispatcher, lang, slot)
        if not raw:
            return {slot: None}
        try:
            answer = await get_client().registration_check({DETAILS[slot]: raw})
        except BackendUnavailable:
            busy(dispatcher, lang)
            return {slot: None, STAGE: "done"}
        error = (answer.get("errors") or {}).get(DETAILS[slot])
        if error:
            say(dispatcher, lang, _with_fix(error, "zh"), _with_fix(error, "en"))
            return {slot: None}
        return {slot: (answer.get("values") or {}).get(DETAILS[slot])}

    async def validate_registration_name(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[Text, Any]:
        # "林曉" typed in Traditional characters is 林晓: the registry of the mainland ID holds Simplified names
        checked = await self._check(
            "registration_name", NAME_PREFIX.sub("", simplify(_plain(value))).strip(" 。.，,"), dispatcher, tracker
        )
        name = str(checked.get("registration_name") or "")
        if _name_not_in_characters(name, str(tracker.get_slot("registration_id_number") or ""), dispatcher, tracker):
            return {"registration_name": None}
        return checked

    async def validate_registration_id_number(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[Text, Any]:
        checked = await self._check("registration_id_number", _number_in(_plain(value)), dispatcher, tracker)
        name = str(tracker.get_slot("registration_name") or "")
        if _name_not_in_characters(name, str(checked.get("registration_id_number") or ""), dispatcher, tracker):
            return {**checked, "registration_name": None}
        return checked

    async def validate_registration_bank_name(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[Text, Any]:
        said = simplify(_plain(value))  # "招商銀行" is 招商银行: the backend's list is in Simplified characters
        named = details_in(said).get("registration_bank_name")
        text = named or re.sub(r"(?:是|用|的卡|的|卡|账户|帐户|账号|[。.，,!！])", "", said) or said
        return await self._check("registration_bank_name", text, dispatcher, tracker)

    async def validate_registration_bank_account(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[Text, Any]:
        return await self._check("registration_bank_account", _number_in(_plain(value)), dispatcher, tracker)

    async def validate_registration_phone(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[Text, Any]:
        said = _number_in(_plain(value))
        digits = re.sub(r"\D", "", said)
        if len(digits) == 13 and digits.startswith("861"):
            said = digits[2:]  # "+86 138 0013 8014": the country code is not part of the number
        return await self._check("registration_phone", said, dispatcher, tracker)

    async def validate_registration_code(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[Text, Any]:
        lang = reply_language(tracker)
        text = _plain(value).translate(_FULL_WIDTH)
        client = get_client()
        if CANCEL.match(_text(tracker)):
            return _cancelled(dispatcher, lang, CODE)
        if RESEND.search(text):
            return {CODE: None, **await _send_code(client, dispatcher, tracker, lang)}
        code = SIX_DIGITS.search(re.sub(r"[\s-]", "", text))
        if code is None:
            say(
                dispatcher,
                lang,
                "验证码是短信里的6位数字，请再输入一次；没收到可以说“重新发送”。",
                "The code is the 6 digits in the text message; please type it again, or say “resend”.",
            )
            return {CODE: None}
        try:
            link = await client.registration_link(
                {**_details(tracker), "otp_id": tracker.get_slot(OTP_ID), "otp_code": code.group(0)}
            )
        except BackendUnavailable:
            busy(dispatcher, lang)
            return {CODE: None, STAGE: "done"}
        except BackendError as err:
            log.info("registration link refused: %s", err.code)
            if err.field == "otp_code" or err.code.startswith("OTP_"):
                say(
                    dispatcher,
                    lang,
                    error_text(err, "zh") + "也可以说“重新发送”获取新的验证码。",
                    error_text(err, "en") + " You can also say “resend” for a new code.",
                )
                return {CODE: None}
            return {CODE: None, **_refusal(dispatcher, lang, err)}
        url = str(link.get("url") or "")
        say(
            dispatcher,
            lang,
            f"{link.get('message_zh', '')}\n{url}\n设置完成后，用新的用户名和密码登录即可办理业务。",
            f"{link.get('message_en', '')}\n{url}\nThen log in with your new user name and password.",
        )
        return {CODE: "confirmed", STAGE: "done"}


def _name_not_in_characters(name: str, id_number: str, dispatcher: CollectingDispatcher, tracker: Tracker) -> bool:
    """ "Lin Xiao" with a mainland resident ID number: the ID card and the registry have the name in Chinese
    characters, so it could never match; said at once (and asked again), not refused after the bank and
    the phone. True when said."""
    if not name or not id_number or id_number[:1] not in "12345678" or re.search(r"[\u4e00-\u9fff]", name):
        return False
    say(
        dispatcher,
        reply_language(tracker),
        f"身份证上的姓名是汉字：请按身份证上的汉字输入姓名（“{name}”对不上）。",
        f"Your resident ID card has your name in Chinese characters: please type it exactly as printed there "
        f"(“{name}” cannot be matched).",
    )
    return True


def _cancelled(dispatcher: CollectingDispatcher, lang: str, slot: Text) -> Dict[Text, Any]:
    say(dispatcher, lang, CANCELLED_ZH, CANCELLED_EN)
    return {slot: None, STAGE: "done"}


def _with_fix(error: Dict[str, Any], lang: str) -> str:
    """A field error of POST /accounts/check in the words error_text uses for refusals."""
    return error_text(
        BackendError(
            422,
            str(error.get("code") or ""),
            str(error.get("message_zh") or ""),
            str(error.get("message_en") or ""),
            error.get("fix_zh"),
            error.get("fix_en"),
        ),
        lang,
    )


class ActionRegistrationDone(Action):
    """After the form: forget every detail (the link was given, or the reason)."""

    def name(self) -> Text:
        return "action_registration_done"

    @guarded()
    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[Dict[Text, Any]]:
        return [SlotSet(name, None) for name in ALL_SLOTS if tracker.get_slot(name) is not None] + [
            SlotSet(TASK_STAGE, IDLE)
        ]


class ActionRegistrationCancel(Action):
    """ "取消" inside the registration form: nothing was registered; every detail forgotten."""

    def name(self) -> Text:
        return "action_registration_cancel"

    @guarded()
    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[Dict[Text, Any]]:
        say(dispatcher, reply_language(tracker), CANCELLED_ZH, CANCELLED_EN)
        return (
            [ActiveLoop(None), SlotSet("requested_slot", None)]
            + [SlotSet(name, None) for name in ALL_SLOTS if tracker.get_slot(name) is not None]
            + [SlotSet(TASK_STAGE, IDLE)]
        )
