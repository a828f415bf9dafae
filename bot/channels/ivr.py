"""Telephone (IVR) input channel: a JSON webhook for speech front ends.

``POST /webhooks/ivr/webhook`` (``GET /webhooks/ivr/`` is a health check).
The speech front end (Jambonz, Twilio, AudioCodes VoiceAI Connect, FreeSWITCH
with an ASR, ...) does speech recognition and text-to-speech; an adapter on
its side (or its native webhook, see the aliases) posts one JSON request per
caller turn and speaks the JSON answer.

Request (JSON object)
---------------------
=================  ==========================================================
``call_id``        string, required. The call's id; Rasa ``sender_id`` (one
                   conversation per call). Aliases: ``call_sid``, ``CallSid``.
``caller``         the calling number (``+8613800138001`` or ``13800138001``),
                   used for caller verification. Aliases: ``from``, ``From``.
``event``          ``call_start`` | ``speech`` | ``dtmf`` | ``no_input`` |
                   ``hangup``. Optional: inferred from ``digits`` (dtmf),
                   ``transcript`` (speech), else ``no_input``. Jambonz's
                   ``reason`` (``speechDetected``/``dtmfDetected``/``timeout``)
                   is understood.
``transcript``     the top recognition hypothesis. Alias ``SpeechResult``.
``confidence``     0..1 of the top hypothesis; absent = trusted. Alias
                   ``Confidence``.
``alternatives``   n-best list: ``[{"transcript": str, "confidence": float}]``
                   (Jambonz's ``speech.alternatives`` is read too).
``digits``         DTMF keys pressed (``0-9``, ``*``, ``#``). Alias ``Digits``.
=================  ==========================================================

Response (JSON object)
----------------------
=================  ==========================================================
``call_id``        echoed.
``text``           plain speakable Chinese text (no URLs, emoji, markdown;
                   long numbers spaced out digit by digit) for TTS without SSML.
``ssml``           the same as ``<speak>...</speak>``; numbers in
                   ``<say-as interpret-as="digits">``.
``expect``         what to gather next, or null when the call leaves the bot:
                   ``{"type": "speech"|"dtmf", "max_digits": n,
                   "submit_key": "#"|null, "timeout_seconds": s,
                   "allow_speech": bool}`` (``allow_speech``: with DTMF, speech
                   is accepted too).
``end_call``       true: hang up after speaking.
``transfer``       null or ``{"number": "12333", "reason": ...}``: after speaking,
                   transfer the call to a person (reasons: ``no_input``,
                   ``verification_failed``, ``caller_request``, ``assistant``).
=================  ==========================================================

Errors: 400 ``{"error": ...}`` for a malformed request (keys other than 0-9 * #
are not an error: the caller hears a reprompt); 401 when the request
does not carry the ``webhook_secret`` (header ``X-IVR-Secret: <secret>`` or
``Authorization: Bearer <secret>``; credentials.yml or env IVR_WEBHOOK_SECRET).
Without a configured secret only requests from this host (loopback, no
``X-Forwarded-For``) are accepted: enough to try it locally, never exposed.

What the channel does
---------------------
- Caller verification before any personal item: on ``call_start`` it asks for
  the last four characters of the ID number (DTMF, ``*`` for X; spoken digits
  are accepted), then the phone PIN (DTMF only: a spoken PIN is never passed
  on), and calls the backend's ``POST /channels/ivr/verify`` with the caller
  number. Later turns carry ``metadata.auth_token``. Callers may skip it and
  just ask questions; when the assistant signals that a personal item needs
  verification (``verify_identity``), the channel starts it and afterwards
  replays the request.
- Three failed verifications, or three no-inputs in a row (two reprompts),
  transfer the call to 12333. DTMF 0 (when no options are pending) transfers too.
- Low recognition confidence (< ``confidence_threshold``, 0.6): the n-best
  alternatives are corrected by the NLU's homophone corrector
  (``bot.components.normalizer``: 设保 -> 社保, 停报 -> 停保) and scored by the
  domain terms they hold, and the best one is confirmed first
  ("您是说……吗？确认请按1，重说请按2").
- Spoken digits are normalised (四四零三 -> 4403, 幺 -> 1, 叉 -> X; amounts via
  cn2an: 三百元 -> 300元).
- Buttons become spoken options ("确认请按1，取消请按2"); a DTMF digit maps back
  to the button payload. A state-changing confirmation (an ``/affirm`` button)
  must be given by key: a spoken "确认" is answered with the key prompt.
- Keys at every prompt (verification included): ``0`` a person, ``*`` the last
  prompt again, ``9`` the last reply's details by SMS when offered.
- Replies: ``bot.channels.rendering.phone_render`` (for the ear; question
  last; at most ~90 characters / 20 s: long content summarised and offered by
  SMS through ``bot.channels.sms``; serial numbers read twice; no web words;
  English callers hear English only). No-input gets the short form of the
  prompt; filler-only speech ("喂喂 听得到吗") gets "请说出您要办理的业务". What the call does next comes from the actions' signals, custom
  payloads (Rasa ``json_message``), not from their wording:
  ``{"signal": "verify_identity"}`` (a personal item needs verification: the
  channel asks for it, then replays the request with the token),
  ``{"signal": "handoff"}`` (transfer to ``transfer_number`` after speaking),
  ``{"signal": "end_call"}``; also ``{"ivr": {"transfer": "12333"}}`` /
  ``{"ivr": {"end_call": true}}`` (the domain's goodbye response carries
  ``end_call``).

State is per call, in the channel state store (``bot/channels/state.py``):
in memory by default (one Rasa process), or Redis (``state_store:
redis://host:6379/3``, or env ``SZ_CHANNEL_STATE_STORE``) when several Rasa
processes share the calls, so consecutive turns of a call may reach different
processes. It is saved after every turn, dropped on ``hangup`` and expires
``call_ttl_seconds`` (1 hour) after the call's last turn. It holds the
verification progress (ID tail between the two entries, never the PIN), the
caller's backend token once verified, counters and the pending confirmation.
"""

from __future__ import annotations

import asyncio
import functools
import hmac
import json
import logging
import re
import time
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Awaitable, Callable, Dict, List, Optional, Text, Tuple

from rasa.core.channels.channel import CollectingOutputChannel, InputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.components import normalizer
from bot.settings import load as load_settings

from .backend import BackendRefusal, BackendUnavailable, ChannelBackend
from .rendering import (
    END_CALL,
    HANDOFF,
    SMS_KEY,
    VERIFY_IDENTITY,
    PhoneReply,
    SpokenReply,
    button_options,
    phone_render,
    signals,
)
from .sms import SmsFailed, SmsSender
from .state import StateStore, create_state_store

log = logging.getLogger(__name__)

CHANNEL = "ivr"
HUMAN_NUMBER = "12333"

# ---------------------------------------------------------------- prompts
# The channel's own prompts, (Chinese, English): a caller who speaks English hears English only.
# Each fits the phone's budget (rendering.PHONE_MAX_CHARS); tests/bot/test_ivr_spoken.py measures them.
PROMPTS: Dict[str, Tuple[str, str]] = {
    "greeting": ("您好，这里是深圳社保智能语音服务。", "Hello, this is the Shenzhen social insurance voice service."),
    "ask_id": (
        "咨询问题请直接说。办理个人业务，请按键输入身份证号码后四位，X按星号键，以井号键结束。转人工请按0。",
        "To ask a question, just say it. For personal services, key in the last four characters of your "
        "ID number, star for X, then the pound key. For an agent, press 0.",
    ),
    "ask_id_again": (
        "请按键输入身份证号码后四位，X按星号键，以井号键结束。",
        "Please key in the last four characters of your ID number, star for X, then the pound key.",
    ),
    "need_verify": ("办理个人业务需要先核实身份。", "Personal services need a verification first."),
    "ask_pin": ("请按键输入电话服务密码，以井号键结束。", "Please key in your phone service PIN, then the pound key."),
    "pin_by_keypad": (
        "为保护您的密码，请不要说出来。请按键输入电话服务密码，以井号键结束。",
        "To protect your PIN, please do not say it. Key it in, then the pound key.",
    ),
    "bad_id": (
        "身份证号码后四位是4个字符，最后一位可以是X。请重新输入，X按星号键，以井号键结束。",
        "That should be four characters; the last may be X. Please key it in again, star for X, then the pound key.",
    ),
    "bad_pin": (
        "电话服务密码是4到12位数字。请重新输入，以井号键结束。",
        "The PIN has 4 to 12 digits. Please key it in again, then the pound key.",
    ),
    "verified": ("身份验证成功。", "You are verified."),
    "verify_locked": (
        "密码错误次数过多，验证已暂时锁定。正在为您转接人工服务，请稍候。",
        "Too many wrong PINs: verification is locked for now. Transferring you to an agent.",
    ),
    "too_long": (
        "抱歉，您说的太长了。请用一两句话说出您要办理的业务。",
        "Sorry, that was too long. Please say in a sentence what you would like to do.",
    ),
    "verify_failed": (
        "身份验证没有通过。请重新输入身份证号码后四位，X按星号键，以井号键结束。",
        "The verification failed. Please key in the last four characters of your ID number again, then the pound key.",
    ),
    "verify_unavailable": (
        "抱歉，身份验证暂时无法进行，现在只能为您解答问题。请问有什么可以帮您？",
        "Sorry, verification is not possible right now; I can only answer questions. What can I do for you?",
    ),
    "no_caller": (
        "没有获取到您的来电号码，只能为您解答问题。请问有什么可以帮您？",
        "Your number is hidden, so I can only answer questions. What can I do for you?",
    ),
    "cannot_verify": (
        "没有获取到您的来电号码，电话上无法核实身份。办理个人业务请按0转人工。",
        "Your number is hidden, so I cannot verify you by phone. For personal services, press 0 for an agent.",
    ),
    "ask_what": ("请问您要办理什么业务？", "What would you like to do?"),
    "anything_else": ("请问还有什么可以帮您？", "Anything else I can help with?"),
    "skipped": ("好的。请问有什么可以帮您？", "OK. What can I do for you?"),
    "no_input": ("抱歉，没有听到您的声音。", "Sorry, I did not hear you."),
    "human_hint": ("转人工请按0。", "For an agent, press 0."),
    "transfer": ("正在为您转接人工服务，请稍候。", "Transferring you to an agent, please hold."),
    "say_again": ("好的，请再说一遍。", "OK, please say it again."),
    "say_question": ("请直接说出您的问题，转人工请按0。", "Please say your question. For an agent, press 0."),
    "busy": (
        "抱歉，系统繁忙，请稍后再试。转人工请按0。",
        "Sorry, the system is busy, please try again later. For an agent, press 0.",
    ),
    "key_to_confirm": ("为了确保安全，请用按键确认。", "To be safe, please confirm with a key."),
    "wrong_key": ("没有这个选项。", "That is not an option."),
    "bad_keys": ("没有识别到有效的按键。", "I did not get a valid key."),
    "filler": ("请说出您要办理的业务。", "Please say what you would like to do."),
    "heard": ("您是说“{text}”吗？", "Did you say: {text}?"),
    "sms_sent": ("短信已发送到尾号{tail}的来电号码。", "The text message is on its way to your number ending {tail}."),
    "sms_failed": ("抱歉，短信暂时发送不了。", "Sorry, the text message could not be sent."),
}
HEARD_BUTTONS = {
    "zh": [{"title": "确认", "payload": "1"}, {"title": "重说", "payload": "2"}],
    "en": [{"title": "Yes", "payload": "1"}, {"title": "Say it again", "payload": "2"}],
}

# Speech that carries nothing to act on: a caller checking the line ("喂喂 听得到吗").
FILLER = re.compile(
    r"^(?:喂+|哎+|诶+|唉+|嗯+|啊+|哦+|呃+|额+|那个|就是|你好|您好|哈喽|哈罗|请问|听得到吗?|听得见吗?|听到了?吗?|能听到吗?|"
    r"能听见吗?|有人吗?|在吗|有没有人|说话|hello|hi|hey|can you hear me|are you there|anyone there|"
    r"[\s,，。.!！?？~～、]+)+$",
    re.IGNORECASE,
)
LEADING_FILLER = re.compile(
    r"^(?:(?:喂+|哎+|嗯+|啊+|呃+|额+|那个|听得到吗?|hello|hi)[\s,，。.!！?？~～、]*)+", re.IGNORECASE
)
SMS_WORDS = {
    "短信",
    "发短信",
    "发短信给我",
    "短信发给我",
    "发给我",
    "text",
    "textme",
    "sendatext",
    "sendmeatext",
    "sms",
}
REPEAT_WORDS = {"再说一遍", "重复一遍", "没听清", "没听清楚", "再说一次", "repeat", "sayitagain", "pardon"}


def prompt(name: str, lang: str, **values: Any) -> str:
    zh, en = PROMPTS[name]
    return (en if lang == "en" else zh).format(**values)


def is_filler(transcript: str) -> bool:
    return bool(transcript.strip()) and bool(FILLER.fullmatch(transcript.strip()))


def strip_filler(transcript: str) -> str:
    rest = LEADING_FILLER.sub("", transcript.strip())
    return rest if rest.strip() else transcript


def spoken_language(texts: List[str], default: str) -> str:
    """en when the texts are mostly English words, zh when mostly Chinese, else ``default``."""
    joined = " ".join(t for t in texts if t)
    words = len(re.findall(r"[A-Za-z]{2,}", joined))
    cjk = len(re.findall(r"[\u3400-\u9fff]", joined))
    if (not words and not cjk) or (words < 2 and not cjk):  # "boom", "OK": not enough to switch
        return default
    return "en" if words > cjk else "zh"


YES_WORDS = {
    "是",
    "是的",
    "对",
    "对的",
    "对呀",
    "对啊",
    "嗯",
    "嗯嗯",
    "确认",
    "确定",
    "好",
    "好的",
    "没错",
    "可以",
    "是啊",
    "yes",
    "ok",
    "确认办理",
    "确认提交",
}
NO_WORDS = {"不是", "不对", "错了", "不是的", "重说", "不", "no", "说错了", "不对不对"}
SKIP_WORDS = {"跳过", "不验证", "不用验证", "只咨询", "咨询", "我只是咨询", "咨询问题", "不用了"}

# ---------------------------------------------------------------- speech normalisation

_DIGIT = {
    "零": "0",
    "〇": "0",
    "洞": "0",
    "一": "1",
    "幺": "1",
    "二": "2",
    "两": "2",
    "三": "3",
    "四": "4",
    "五": "5",
    "六": "6",
    "七": "7",
    "八": "8",
    "九": "9",
}
_DIGIT_RUN = re.compile(
    r"(?<![十百千万亿])[零〇洞一幺二两三四五六七八九0-9]{3,}(?:[叉差xX](?![A-Za-z]))?(?![十百千万亿])"
)
_UNIT_NUMBER = re.compile(
    r"(?<![零〇一二两三四五六七八九十百千万亿])[一二两三四五六七八九十][零一二两三四五六七八九十百千万]+"
)
_SPOKEN_X = re.compile(r"(?<=\d)\s*[叉差xX](?![A-Za-z])")


def normalise_digits(text: str) -> str:
    """Spoken digit strings to digits (四四零三 -> 4403, 幺 -> 1, 叉 -> X after
    digits); amounts with units through cn2an (三百元 -> 300元)."""

    def run(m: "re.Match[str]") -> str:
        value = "".join(_DIGIT.get(ch, ch) for ch in m.group(0))
        return value[:-1] + "X" if value[-1] in "叉差xX" else value

    text = _DIGIT_RUN.sub(run, text)

    def units(m: "re.Match[str]") -> str:
        expr = m.group(0)
        if len(expr) < 2 or not re.search("[十百千万]", expr):
            return expr
        try:
            import cn2an

            return str(cn2an.cn2an(expr.replace("两", "二"), "smart"))
        except Exception:  # not a number after all (十二三个): leave it
            return expr

    text = _UNIT_NUMBER.sub(units, text)
    return _SPOKEN_X.sub("X", text)


@lru_cache(maxsize=1)
def _terms_longest_first() -> Tuple[str, ...]:
    return tuple(sorted(normalizer.lexicon().terms, key=len, reverse=True))


def correct_terms(text: str) -> Tuple[str, int]:
    """Fix homophones of the domain terms; returns the text and how many terms it holds.

    The correction is the NLU's own (``bot.components.normalizer.correct_homophones``, the
    lexicon in bot/components/domain_terms.txt), so the hypothesis read back to the caller and
    scored here is the text the NLU understands; the count ranks n-best alternatives."""
    fixed = normalizer.correct_homophones(text)
    hits = 0
    rest = fixed
    for term in _terms_longest_first():
        if term in rest:
            hits += rest.count(term)
            rest = rest.replace(term, "\u3000")
    return fixed, hits


def normalise_transcript(text: str) -> str:
    text = re.sub(r"\s+", " ", (text or "").strip())
    text, _ = correct_terms(normalise_digits(text))
    return text


def spoken_code(text: str) -> str:
    """What a caller said or keyed as an ID tail: digits and X only."""
    value = normalise_digits(text or "").upper().replace("*", "X")
    return re.sub(r"[^0-9X]", "", value)


def normalise_phone(value: Any) -> str:
    digits = re.sub(r"[^\d+]", "", str(value or ""))
    if digits.startswith("+86"):
        digits = digits[3:]
    elif digits.startswith("0086"):
        digits = digits[4:]
    elif digits.startswith("86") and len(digits) == 13:
        digits = digits[2:]
    return digits.lstrip("+")


def _word(text: str) -> str:
    return re.sub(r"[\s。，,.!！?？~～]", "", text or "").lower()


# ---------------------------------------------------------------- request parsing


@dataclass
class Inbound:
    call_id: str
    caller: str = ""
    event: str = "speech"
    transcript: str = ""
    confidence: Optional[float] = None
    alternatives: List[Tuple[str, Optional[float]]] = field(default_factory=list)
    digits: str = ""
    bad_keys: bool = False  # keys that are not 0-9 * # (answered with a reprompt)
    too_long: bool = False  # the transcript was over MAX_TRANSCRIPT_CHARS (answered kindly, not understood)


# A spoken turn is a sentence or two; a longer transcript is a recogniser artefact or abuse
# (bot/channels/limits.py explains the limit of the other channels).
MAX_TRANSCRIPT_CHARS = 500


class BadRequest(Exception):
    pass


def _float(value: Any) -> Optional[float]:
    try:
        f = float(value)
    except (TypeError, ValueError):
        return None
    return f if 0.0 <= f <= 1.0 else None


def parse_request(body: Any) -> Inbound:
    if not isinstance(body, dict):
        raise BadRequest("the body must be a JSON object")
    call_id = body.get("call_id") or body.get("call_sid") or body.get("CallSid") or body.get("callSid")
    if not isinstance(call_id, str) or not call_id.strip() or len(call_id) > 128:
        raise BadRequest("call_id is required (a string of at most 128 characters)")
    caller = normalise_phone(body.get("caller") or body.get("from") or body.get("From") or "")
    speech: Any = body.get("speech") if isinstance(body.get("speech"), dict) else {}
    alternatives: List[Tuple[str, Optional[float]]] = []
    for alt in body.get("alternatives") or speech.get("alternatives") or []:
        if isinstance(alt, dict) and isinstance(alt.get("transcript"), str):
            alternatives.append((alt["transcript"][:MAX_TRANSCRIPT_CHARS], _float(alt.get("confidence"))))
    transcript = body.get("transcript", body.get("SpeechResult"))
    confidence = _float(body.get("confidence", body.get("Confidence")))
    if transcript is None and alternatives:
        (transcript, confidence), alternatives = alternatives[0], alternatives[1:]
    elif alternatives and alternatives[0][0] == transcript:
        alternatives = alternatives[1:]
    if transcript is not None and not isinstance(transcript, str):
        raise BadRequest("transcript must be a string")
    digits = body.get("digits", body.get("Digits", body.get("dtmf")))
    digits = "" if digits is None else str(digits).strip()
    bad_keys = not re.fullmatch(r"[0-9*#]{0,32}", digits)
    if bad_keys:  # e.g. A-D keys or a front end's garbage: the caller hears a reprompt
        digits = ""
    event = str(body.get("event") or body.get("type") or "").lower().replace("-", "_")
    reason = str(body.get("reason") or "")
    if not event and bad_keys:
        event = "dtmf"
    if not event:
        if reason == "timeout":
            event = "no_input"
        elif digits:
            event = "dtmf"
        elif transcript and transcript.strip():
            event = "speech"
        else:
            event = "no_input"
    if event not in ("call_start", "speech", "dtmf", "no_input", "hangup"):
        raise BadRequest(f"unknown event {event!r}")
    return Inbound(
        call_id=call_id.strip(),
        caller=caller,
        event=event,
        transcript=(transcript or "")[:MAX_TRANSCRIPT_CHARS],
        confidence=confidence,
        alternatives=alternatives[:10],
        digits=digits,
        bad_keys=bad_keys,
        too_long=len(transcript or "") > MAX_TRANSCRIPT_CHARS,
    )


# ---------------------------------------------------------------- per call state

IDLE, ID_LAST4, PIN, HEARD = "idle", "id_last4", "pin", "confirm_heard"


@dataclass
class _Call:
    call_id: str
    caller: str = ""
    token: Optional[str] = None
    stage: str = IDLE
    id_last4: Optional[str] = None
    failures: int = 0
    no_input: int = 0
    buttons: List[Dict[str, Any]] = field(default_factory=list)
    confirmation: bool = False
    heard: Optional[str] = None
    deferred: Optional[str] = None
    last: Optional[Dict[str, Any]] = None
    reprompt: Optional[Tuple[str, Optional[Dict[str, Any]]]] = None  # what to say again after no input
    lang: str = "zh"  # the caller's language: the channel's prompts follow it
    sms_text: Optional[str] = None  # what key 9 sends by SMS (the last reply in full), when offered
    started: float = field(default_factory=time.time)

    def to_json(self) -> Dict[str, Any]:
        data = {name: getattr(self, name) for name in self.__dataclass_fields__}
        data["reprompt"] = list(self.reprompt) if self.reprompt else None
        return data

    @classmethod
    def from_json(cls, data: Dict[str, Any]) -> "_Call":
        known = {k: v for k, v in data.items() if k in cls.__dataclass_fields__}
        call = cls(**known)
        call.reprompt = tuple(call.reprompt) if call.reprompt else None  # type: ignore[assignment]
        return call


class IVROutput(CollectingOutputChannel):
    @classmethod
    def name(cls) -> Text:
        return CHANNEL


def _speech_expect(timeout: float = 8) -> Dict[str, Any]:
    return {"type": "speech", "max_digits": None, "submit_key": None, "timeout_seconds": timeout, "allow_speech": True}


def _dtmf_expect(
    max_digits: int, submit_key: Optional[str] = "#", timeout: float = 10, allow_speech: bool = True
) -> Dict[str, Any]:
    return {
        "type": "dtmf",
        "max_digits": max_digits,
        "submit_key": submit_key,
        "timeout_seconds": timeout,
        "allow_speech": allow_speech,
    }


class IVRInput(InputChannel):
    """Phone channel (see the module docstring for the JSON schema)."""

    @classmethod
    def name(cls) -> Text:
        return CHANNEL

    @classmethod
    def from_credentials(cls, credentials: Optional[Dict[Text, Any]]) -> "InputChannel":
        credentials = dict(credentials or {})
        secret = load_settings().ivr_webhook_secret
        if not credentials.get("webhook_secret") and secret:
            credentials["webhook_secret"] = secret
        known = {
            "backend_url",
            "service_key",
            "webhook_secret",
            "confidence_threshold",
            "max_no_input",
            "max_failures",
            "transfer_number",
            "call_ttl_seconds",
            "greeting",
            "state_store",
            "sms_outbox",
            "sms_gateway_url",
            "sms_gateway_key",
        }
        unknown = set(credentials) - known
        if unknown:
            log.warning("ivr credentials: ignoring unknown keys %s", sorted(unknown))
        return cls(**{k: v for k, v in credentials.items() if k in known})

    def __init__(
        self,
        backend_url: Optional[str] = None,
        service_key: Optional[str] = None,
        webhook_secret: Optional[str] = None,
        confidence_threshold: float = 0.6,
        max_no_input: int = 3,
        max_failures: int = 3,
        transfer_number: str = HUMAN_NUMBER,
        call_ttl_seconds: float = 3600,
        greeting: Optional[str] = None,
        state_store: Any = None,
        sms_outbox: Optional[str] = None,
        sms_gateway_url: Optional[str] = None,
        sms_gateway_key: Optional[str] = None,
    ) -> None:
        self.backend = ChannelBackend(backend_url, service_key)
        self.webhook_secret = str(webhook_secret) if webhook_secret else None
        if not self.webhook_secret:
            log.warning("ivr: no webhook_secret configured: only requests from this host are accepted")
        self.threshold = float(confidence_threshold)
        self.max_no_input = int(max_no_input)
        self.max_failures = int(max_failures)
        self.transfer_number = str(transfer_number)
        self.call_ttl = float(call_ttl_seconds)
        self.greeting = greeting or ""  # empty: the built-in greeting in the caller's language
        self.sms = SmsSender(outbox=sms_outbox, gateway_url=sms_gateway_url, gateway_key=sms_gateway_key)
        # Call state (memory, or Redis shared by several Rasa processes): bot/channels/state.py
        self.state: StateStore = (
            state_store if isinstance(state_store, StateStore) else create_state_store(state_store, CHANNEL)
        )
        self._locks: Dict[str, List[Any]] = {}  # call id -> [lock, users]: one turn of a call at a time here

    # ------------------------------------------------------------ Rasa hooks
    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        bp = Blueprint(f"ivr_webhook_{id(self)}", __name__)
        normalise_transcript("设保一二三")  # load pypinyin, the lexicon and cn2an now, not during the first call

        @bp.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @bp.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            if not self._authorised(request):
                return response.json({"error": "unauthorised"}, status=401)
            try:
                body = request.json
            except Exception:  # sanic raises on invalid JSON
                body = None
            try:
                inbound = parse_request(body)
            except BadRequest as err:
                return response.json({"error": str(err)}, status=400)
            return response.json(
                await self.handle(inbound, on_new_message), dumps=functools.partial(json.dumps, ensure_ascii=False)
            )

        return bp

    def _authorised(self, request: Request) -> bool:
        if not self.webhook_secret:
            # Local trials only: a front end elsewhere (or behind a proxy) needs the secret.
            peer = request.ip or ""
            forwarded = request.headers.get("x-forwarded-for") or request.headers.get("forwarded")
            return not forwarded and (peer.startswith("127.") or peer in ("::1", "localhost"))
        given = request.headers.get("x-ivr-secret") or ""
        auth = request.headers.get("authorization") or ""
        if not given and auth.lower().startswith("bearer "):
            given = auth[7:].strip()
        return hmac.compare_digest(given.encode(), self.webhook_secret.encode())

    # ------------------------------------------------------------ one request
    @staticmethod
    def _state_key(call_id: str) -> str:
        return f"call:{call_id}"

    async def _load(self, inbound: Inbound) -> _Call:
        data = await self.state.get(self._state_key(inbound.call_id))
        call = _Call.from_json(data) if isinstance(data, dict) else _Call(inbound.call_id, caller=inbound.caller)
        if inbound.caller and not call.caller:
            call.caller = inbound.caller
        return call

    async def _save(self, call: _Call) -> None:
        # Sliding expiry: a call's state lives call_ttl after its last turn.
        await self.state.set(self._state_key(call.call_id), call.to_json(), self.call_ttl)

    async def handle(self, inbound: Inbound, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Dict[str, Any]:
        if inbound.event == "hangup":
            await self.state.delete(self._state_key(inbound.call_id))
            return {
                "call_id": inbound.call_id,
                "text": "",
                "ssml": "<speak></speak>",
                "expect": None,
                "end_call": True,
                "transfer": None,
            }
        # A front end sends one turn of a call at a time; the lock keeps it so within this process
        # (e.g. a retried request), the store carries the state to whichever process takes the next turn.
        entry = self._locks.setdefault(inbound.call_id, [asyncio.Lock(), 0])
        entry[1] += 1
        try:
            async with entry[0]:
                call = await self._load(inbound)
                try:
                    return await self._turn(call, inbound, on_new_message)
                finally:
                    await self._save(call)
        finally:
            entry[1] -= 1
            if entry[1] == 0:
                self._locks.pop(inbound.call_id, None)

    async def _turn(
        self, call: _Call, inbound: Inbound, on_new_message: Callable[[UserMessage], Awaitable[Any]]
    ) -> Dict[str, Any]:
        log.info("ivr call event=%s stage=%s", inbound.event, call.stage)
        if inbound.event == "call_start":
            return self._start(call)
        if inbound.event == "no_input" or (
            inbound.event == "speech" and not inbound.transcript.strip() and not inbound.digits
        ):
            return self._no_input(call)
        call.no_input = 0
        if inbound.bad_keys:
            return self._again(call, self._p(call, "bad_keys"))
        if inbound.digits:
            return await self._dtmf(call, inbound.digits, on_new_message)
        return await self._speech(call, inbound, on_new_message)

    def _english(self, call: _Call) -> bool:
        return call.lang == "en"

    def _answer(
        self,
        call: _Call,
        spoken: SpokenReply,
        expect: Optional[Dict[str, Any]],
        end_call: bool = False,
        transfer: Optional[str] = None,
        reprompt: Optional[str] = None,
    ) -> Dict[str, Any]:
        body = {
            "call_id": call.call_id,
            "text": spoken.text,
            "ssml": spoken.ssml,
            "expect": expect,
            "end_call": end_call,
            "transfer": {"number": self.transfer_number, "reason": transfer} if transfer else None,
        }
        call.last = body
        call.sms_text = getattr(spoken, "sms_text", None)
        call.reprompt = (reprompt or spoken.text, expect) if expect else None
        return body

    def _render(self, call: _Call, messages: List[Dict[str, Any]], prefix: str = "", suffix: str = "") -> PhoneReply:
        return phone_render(messages, english=self._english(call), prefix=prefix, suffix=suffix, sms=bool(call.caller))

    def _say(self, call: _Call, text: str, expect: Optional[Dict[str, Any]], **kwargs: Any) -> Dict[str, Any]:
        return self._answer(call, self._render(call, [{"text": text}]), expect, **kwargs)

    def _p(self, call: _Call, name: str, **values: Any) -> str:
        return prompt(name, call.lang, **values)

    def _transfer(self, call: _Call, reason: str) -> Dict[str, Any]:
        call.stage = IDLE
        return self._say(call, self._p(call, "transfer"), None, transfer=reason)

    def _start(self, call: _Call) -> Dict[str, Any]:
        call.stage, call.failures, call.no_input, call.token = IDLE, 0, 0, None
        greeting = self.greeting or self._p(call, "greeting")
        if not call.caller:
            return self._say(
                call, greeting + self._p(call, "no_caller"), _speech_expect(), reprompt=self._p(call, "ask_what")
            )
        call.stage = ID_LAST4
        return self._say(
            call,
            greeting + self._p(call, "ask_id"),
            _dtmf_expect(4, "#", timeout=15),
            reprompt=self._p(call, "ask_id_again"),
        )

    def _repeat(self, call: _Call) -> Dict[str, Any]:
        """Key * (or "再说一遍" outside the dialogue's questions): the last prompt again, as it was."""
        if call.last:
            return dict(call.last)
        return self._say(call, self._p(call, "ask_what"), _speech_expect())

    def _again(self, call: _Call, lead: str) -> Dict[str, Any]:
        """``lead`` then the short form of the pending prompt; nothing else changes."""
        text, expect = call.reprompt or (self._p(call, "anything_else"), _speech_expect())
        spoken = self._render(call, [{"text": lead + text}])
        body = {
            "call_id": call.call_id,
            "text": spoken.text,
            "ssml": spoken.ssml,
            "expect": expect,
            "end_call": False,
            "transfer": None,
        }
        call.last = dict(body)  # "*" repeats this; the reprompt itself stays what it was
        return body

    def _no_input(self, call: _Call) -> Dict[str, Any]:
        """Say again what to do (the short form), twice; then a person takes over."""
        call.no_input += 1
        if call.no_input >= self.max_no_input:
            return self._transfer(call, "no_input")
        hint = self._p(call, "human_hint") if call.no_input == self.max_no_input - 1 else ""
        return self._again(call, self._p(call, "no_input") + hint)

    async def _send_sms(self, call: _Call) -> Dict[str, Any]:
        text = call.sms_text or ""
        try:
            await self.sms.send(call.caller, text)
        except SmsFailed as err:
            log.warning("ivr: sms failed (%s)", err)
            return self._again(call, self._p(call, "sms_failed"))
        call.sms_text = None
        return self._again(call, self._p(call, "sms_sent", tail=call.caller[-4:]))

    # ------------------------------------------------------------ keys
    async def _dtmf(
        self, call: _Call, digits: str, on_new_message: Callable[[UserMessage], Awaitable[Any]]
    ) -> Dict[str, Any]:
        keys = digits.rstrip("#")
        # At every prompt: 0 reaches a person, * repeats (an ID tail ending in X is 3 digits + *).
        if keys == "0":
            return self._transfer(call, "caller_request")
        if keys == "*":
            return self._repeat(call)
        if keys == SMS_KEY and call.sms_text and call.caller and call.stage not in (ID_LAST4, PIN):
            return await self._send_sms(call)
        if call.stage == ID_LAST4:
            return self._id_entry(call, keys.replace("*", "X"))
        if call.stage == PIN:
            return await self._pin_entry(call, keys, on_new_message)
        if call.stage == HEARD:
            if keys == "1":
                heard, call.heard, call.stage = call.heard or "", None, IDLE
                return await self._to_rasa(call, heard, on_new_message)
            if keys == "2":
                call.heard, call.stage = None, IDLE
                return self._say(call, self._p(call, "say_again"), _speech_expect())
            return self._again(call, self._p(call, "wrong_key"))
        if not call.token and call.caller and not call.buttons and digits.endswith("#") and len(keys) == 4:
            return self._id_entry(call, keys.replace("*", "X"))  # keyed the ID tail after skipping
        if call.buttons:
            if keys.isdigit() and 1 <= int(keys) <= len(call.buttons):
                button = call.buttons[int(keys) - 1]
                payload = str(button.get("payload") or button.get("title") or "")
                return await self._to_rasa(call, payload, on_new_message)
            return self._again(call, self._p(call, "wrong_key"))
        return self._say(call, self._p(call, "say_question"), _speech_expect())

    def _id_entry(self, call: _Call, value: str) -> Dict[str, Any]:
        value = value.upper()
        if len(value) in (15, 18):  # the whole ID number was given: its tail
            value = value[-4:]
        if not re.fullmatch(r"\d{3}[\dX]", value):
            call.failures += 1
            if call.failures >= self.max_failures:
                return self._transfer(call, "verification_failed")
            return self._say(
                call, self._p(call, "bad_id"), _dtmf_expect(4, "#", timeout=15), reprompt=self._p(call, "ask_id_again")
            )
        call.id_last4, call.stage = value, PIN
        return self._say(call, self._p(call, "ask_pin"), _dtmf_expect(12, "#", timeout=15, allow_speech=False))

    async def _pin_entry(
        self, call: _Call, pin: str, on_new_message: Callable[[UserMessage], Awaitable[Any]]
    ) -> Dict[str, Any]:
        if not re.fullmatch(r"\d{4,12}", pin):
            call.failures += 1
            if call.failures >= self.max_failures:
                return self._transfer(call, "verification_failed")
            return self._say(
                call,
                self._p(call, "bad_pin"),
                _dtmf_expect(12, "#", timeout=15, allow_speech=False),
                reprompt=self._p(call, "ask_pin"),
            )
        id_last4, call.id_last4 = call.id_last4 or "", None
        try:
            result = await self.backend.verify_caller(call.caller, id_last4, pin)
        except BackendRefusal as err:
            call.stage = IDLE
            if err.status == 429:  # locked after too many wrong PINs (any call, any channel): an agent helps
                log.info("ivr: caller verification locked")
                return self._say(call, self._p(call, "verify_locked"), None, transfer="verification_locked")
            log.warning("ivr: caller verification unavailable (%s)", err)
            return self._say(call, self._p(call, "verify_unavailable"), _speech_expect())
        except BackendUnavailable as err:
            log.warning("ivr: caller verification unavailable (%s)", err)
            call.stage = IDLE
            return self._say(call, self._p(call, "verify_unavailable"), _speech_expect())
        if not result or not result.get("token"):
            call.failures += 1
            log.info("ivr: caller verification failed (%d)", call.failures)
            if call.failures >= self.max_failures:
                return self._transfer(call, "verification_failed")
            call.stage = ID_LAST4
            return self._say(
                call,
                self._p(call, "verify_failed"),
                _dtmf_expect(4, "#", timeout=15),
                reprompt=self._p(call, "ask_id_again"),
            )
        call.token, call.stage, call.failures = str(result["token"]), IDLE, 0
        log.info("ivr: caller verified")
        if call.deferred:
            deferred, call.deferred = call.deferred, None
            return await self._to_rasa(call, deferred, on_new_message, prefix=self._p(call, "verified"))
        return self._say(call, self._p(call, "verified") + self._p(call, "ask_what"), _speech_expect())

    # ------------------------------------------------------------ speech
    async def _speech(
        self, call: _Call, inbound: Inbound, on_new_message: Callable[[UserMessage], Awaitable[Any]]
    ) -> Dict[str, Any]:
        raw = inbound.transcript
        word = _word(raw)
        was = call.stage
        if call.stage == PIN:
            # Never pass a spoken PIN on (not to Rasa, not to a log line).
            return self._say(
                call,
                self._p(call, "pin_by_keypad"),
                _dtmf_expect(12, "#", timeout=15, allow_speech=False),
                reprompt=self._p(call, "ask_pin"),
            )
        call.lang = spoken_language([raw], call.lang)
        if inbound.too_long:
            call.stage = IDLE if call.stage in (ID_LAST4, HEARD) else call.stage
            return self._say(call, self._p(call, "too_long"), _speech_expect())
        if word in ("转人工", "人工", "人工服务", "找人工", "agent", "operator", "humanagent") and call.stage != IDLE:
            return self._transfer(call, "caller_request")
        if word in REPEAT_WORDS and call.stage != IDLE:
            return self._repeat(call)
        if call.stage == ID_LAST4:
            code = spoken_code(raw)
            if len(code) in (4, 15, 18):
                return self._id_entry(call, code)
            call.stage = IDLE  # a question instead: answer it unverified
            if word in SKIP_WORDS:
                return self._say(call, self._p(call, "skipped"), _speech_expect())
        if call.stage == HEARD:
            if word in YES_WORDS:
                heard, call.heard, call.stage = call.heard or "", None, IDLE
                return await self._to_rasa(call, heard, on_new_message)
            call.heard, call.stage = None, IDLE
            if word in NO_WORDS:
                return self._say(call, self._p(call, "say_again"), _speech_expect())
        if call.sms_text and call.caller and word in SMS_WORDS:
            return await self._send_sms(call)
        if call.buttons and call.confirmation and word in YES_WORDS:
            options = self._render(call, [{"text": self._p(call, "key_to_confirm"), "buttons": call.buttons}])
            return self._answer(
                call,
                options,
                _dtmf_expect(1, None, allow_speech=False),
                reprompt=button_options(call.buttons, self._english(call)),
            )
        if is_filler(raw):
            # "喂喂 听得到吗": nothing to act on. A pending question or choice is asked again (short);
            # otherwise the caller is asked what they need.
            generic = {self._p(call, n) for n in ("anything_else", "ask_what", "skipped")}
            pending = call.reprompt[0] if call.reprompt else None
            if call.buttons or (pending and pending not in generic and call.stage == IDLE and was != ID_LAST4):
                return self._again(call, "")
            return self._say(call, self._p(call, "filler"), _speech_expect())
        text, confident = self._best_hypothesis(inbound)
        text = strip_filler(text)
        if not confident:
            call.heard, call.stage = text, HEARD
            question = self._render(
                call,
                [
                    {
                        "text": self._p(call, "heard", text=text),
                        "buttons": HEARD_BUTTONS[call.lang if call.lang == "en" else "zh"],
                    }
                ],
            )
            return self._answer(
                call,
                question,
                _dtmf_expect(1, None),
                reprompt=button_options(HEARD_BUTTONS["en" if self._english(call) else "zh"], self._english(call)),
            )
        return await self._to_rasa(call, text, on_new_message)

    def _best_hypothesis(self, inbound: Inbound) -> Tuple[str, bool]:
        """The text to use and whether it is confident enough to use without asking."""
        top = normalise_transcript(inbound.transcript)
        if inbound.confidence is None or inbound.confidence >= self.threshold:
            return top, True
        best, best_score, best_conf = top, -1.0, inbound.confidence
        for text, conf in [(inbound.transcript, inbound.confidence)] + list(inbound.alternatives):
            fixed, hits = correct_terms(normalise_digits(re.sub(r"\s+", " ", text.strip())))
            if not fixed:
                continue
            score = (conf or 0.0) + 0.25 * min(hits, 3)
            if score > best_score:
                best, best_score, best_conf = fixed, score, conf or 0.0
        return best, best_conf >= self.threshold

    # ------------------------------------------------------------ Rasa
    async def _to_rasa(
        self, call: _Call, text: str, on_new_message: Callable[[UserMessage], Awaitable[Any]], prefix: str = ""
    ) -> Dict[str, Any]:
        metadata: Dict[str, Any] = {"channel": CHANNEL, "caller_verified": bool(call.token)}
        if call.token:
            metadata["auth_token"] = call.token
        collector = IVROutput()
        try:
            await on_new_message(
                UserMessage(text, collector, call.call_id, input_channel=self.name(), metadata=metadata)
            )
        except Exception:
            log.exception("ivr turn failed")
            call.buttons = []
            return self._say(call, self._p(call, "busy"), _speech_expect())
        messages = collector.messages
        # The language the assistant answered in is the call's language from now on.
        call.lang = spoken_language([str(m.get("text") or "") for m in messages], call.lang)
        # What to do comes from the actions' signals (custom payloads), never from the wording.
        signalled = signals(messages)
        if HANDOFF in signalled or any(
            (m.get("custom") or {}).get("ivr", {}).get("transfer")
            for m in messages
            if isinstance(m.get("custom"), dict)
        ):
            # The channel transfers: the caller hears that, not the web's "call 12333" advice.
            call.buttons, call.stage, call.deferred = [], IDLE, None
            return self._say(call, prefix + self._p(call, "transfer"), None, transfer="assistant")
        if VERIFY_IDENTITY in signalled:
            call.buttons = []
            if call.caller:
                # (a button payload is not replayed: the caller asks again after verification)
                call.token, call.stage = None, ID_LAST4
                call.deferred = None if text.startswith("/") else text
                return self._say(
                    call,
                    self._p(call, "need_verify") + self._p(call, "ask_id_again"),
                    _dtmf_expect(4, "#", timeout=15),
                    reprompt=self._p(call, "ask_id_again"),
                )
            return self._say(call, self._p(call, "cannot_verify"), _speech_expect())
        spoken = self._render(call, messages, prefix=prefix)
        call.buttons, call.confirmation = list(spoken.buttons), spoken.confirmation
        end_call = bool(spoken.directives.get("end_call")) or END_CALL in signalled
        if end_call:
            return self._answer(call, spoken, None, end_call=True)
        if spoken.buttons:
            return self._answer(
                call,
                spoken,
                _dtmf_expect(1, None, allow_speech=not spoken.confirmation),
                reprompt=button_options(spoken.buttons, self._english(call)),
            )
        questions = re.findall(r"[^。！？!?；.]*[？?]", spoken.text)
        if not spoken.text or not questions:
            spoken = self._render(call, messages, prefix=prefix, suffix=self._p(call, "anything_else"))
            questions = [self._p(call, "anything_else")]
        return self._answer(call, spoken, _speech_expect(), reprompt=questions[-1].strip())


def spoken_problems(text: str) -> List[str]:
    """What a listener could not hear as meant: URLs, emoji, markdown (for tests and checks).

    SSML tags are allowed in ``text`` (pass the SSML); characters inside tags are not checked.
    """
    outside = re.sub(r"<[^>]+>", "", text)
    problems = []
    if re.search(r"https?:|www\.|\.pdf|\.html?", outside, re.IGNORECASE):
        problems.append("url")
    from .rendering import _EMOJI  # noqa: WPS450 - the same emoji set the renderer removes

    if _EMOJI.search(outside):
        problems.append("emoji")
    if re.search(r"[*#\[\]()]", outside):
        problems.append("markdown")
    return problems
