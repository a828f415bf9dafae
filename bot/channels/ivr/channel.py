"""The phone channel: one webhook request per caller turn, answered with what to say and gather.

Why this module: it is the part that knows Rasa and Sanic and holds the call's
dialogue around the assistant (caller verification, keys, reprompts, transfer,
confirming an uncertain hypothesis). The request/response schema is in
protocol.py, prompts and the caller's own words in prompts.py and words.py,
transcript clean-up in speech.py, a call's stored state in call.py; the package
docstring (bot/channels/ivr/) describes the whole channel.
"""

from __future__ import annotations

import asyncio
import functools
import hmac
import json
import logging
import re
from typing import Any, Awaitable, Callable, Dict, List, Optional, Text, Tuple

from rasa.core.channels.channel import CollectingOutputChannel, InputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.backend_client import CHANNEL_TIMEOUT, BackendClient, BackendError, BackendUnavailable
from bot.settings import load as load_settings

from ..rendering import (
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
from ..sms import SmsFailed, SmsSender
from ..state import StateStore, create_state_store
from .call import HEARD, ID_LAST4, IDLE, PIN, _Call
from .prompts import HEARD_BUTTONS, prompt
from .protocol import BadRequest, Inbound, dtmf_expect, parse_request, speech_expect
from .speech import correct_terms, normalise_digits, normalise_transcript, spoken_code
from .words import (
    NO_WORDS,
    SKIP_WORDS,
    SMS_WORDS,
    YES_WORDS,
    is_filler,
    is_repeat,
    spoken_language,
    strip_filler,
    word,
)

log = logging.getLogger(__name__)

CHANNEL = "ivr"
HUMAN_NUMBER = "12333"


class IVROutput(CollectingOutputChannel):
    @classmethod
    def name(cls) -> Text:
        return CHANNEL


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
        self.backend = BackendClient(backend_url, CHANNEL_TIMEOUT, service_key=service_key)
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
        normalise_transcript("设保一二三")  # load pypinyin and cn2an now, not during the first call

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
                call, greeting + self._p(call, "no_caller"), speech_expect(), reprompt=self._p(call, "ask_what")
            )
        call.stage = ID_LAST4
        return self._say(
            call,
            greeting + self._p(call, "ask_id"),
            dtmf_expect(4, "#", timeout=15),
            reprompt=self._p(call, "ask_id_again"),
        )

    def _repeat(self, call: _Call) -> Dict[str, Any]:
        """Key * (or "再说一遍" outside the dialogue's questions): the last prompt again, as it was."""
        if call.last:
            return dict(call.last)
        return self._say(call, self._p(call, "ask_what"), speech_expect())

    def _again(self, call: _Call, lead: str) -> Dict[str, Any]:
        """``lead`` then the short form of the pending prompt; nothing else changes."""
        text, expect = call.reprompt or (self._p(call, "anything_else"), speech_expect())
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
                return self._say(call, self._p(call, "say_again"), speech_expect())
            return self._again(call, self._p(call, "wrong_key"))
        if not call.token and call.caller and not call.buttons and digits.endswith("#") and len(keys) == 4:
            return self._id_entry(call, keys.replace("*", "X"))  # keyed the ID tail after skipping
        if call.buttons:
            if keys.isdigit() and 1 <= int(keys) <= len(call.buttons):
                button = call.buttons[int(keys) - 1]
                payload = str(button.get("payload") or button.get("title") or "")
                return await self._to_rasa(call, payload, on_new_message)
            return self._again(call, self._p(call, "wrong_key"))
        return self._say(call, self._p(call, "say_question"), speech_expect())

    def _id_entry(self, call: _Call, value: str) -> Dict[str, Any]:
        value = value.upper()
        if len(value) in (15, 18):  # the whole ID number was given: its tail
            value = value[-4:]
        if not re.fullmatch(r"\d{3}[\dX]", value):
            call.failures += 1
            if call.failures >= self.max_failures:
                return self._transfer(call, "verification_failed")
            return self._say(
                call, self._p(call, "bad_id"), dtmf_expect(4, "#", timeout=15), reprompt=self._p(call, "ask_id_again")
            )
        call.id_last4, call.stage = value, PIN
        return self._say(call, self._p(call, "ask_pin"), dtmf_expect(12, "#", timeout=15, allow_speech=False))

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
                dtmf_expect(12, "#", timeout=15, allow_speech=False),
                reprompt=self._p(call, "ask_pin"),
            )
        id_last4, call.id_last4 = call.id_last4 or "", None
        try:
            result = await self.backend.verify_caller(call.caller, id_last4, pin)
        except BackendError as err:
            call.stage = IDLE
            if err.status == 429:  # locked after too many wrong PINs (any call, any channel): an agent helps
                log.info("ivr: caller verification locked")
                return self._say(call, self._p(call, "verify_locked"), None, transfer="verification_locked")
            log.warning("ivr: caller verification unavailable (%s)", err)
            return self._say(call, self._p(call, "verify_unavailable"), speech_expect())
        except BackendUnavailable as err:
            log.warning("ivr: caller verification unavailable (%s)", err)
            call.stage = IDLE
            return self._say(call, self._p(call, "verify_unavailable"), speech_expect())
        if not result or not result.get("token"):
            call.failures += 1
            log.info("ivr: caller verification failed (%d)", call.failures)
            if call.failures >= self.max_failures:
                return self._transfer(call, "verification_failed")
            call.stage = ID_LAST4
            return self._say(
                call,
                self._p(call, "verify_failed"),
                dtmf_expect(4, "#", timeout=15),
                reprompt=self._p(call, "ask_id_again"),
            )
        call.token, call.stage, call.failures = str(result["token"]), IDLE, 0
        log.info("ivr: caller verified")
        if call.deferred:
            deferred, call.deferred = call.deferred, None
            return await self._to_rasa(call, deferred, on_new_message, prefix=self._p(call, "verified"))
        return self._say(call, self._p(call, "verified") + self._p(call, "ask_what"), speech_expect())

    # ------------------------------------------------------------ speech
    async def _speech(
        self, call: _Call, inbound: Inbound, on_new_message: Callable[[UserMessage], Awaitable[Any]]
    ) -> Dict[str, Any]:
        raw = inbound.transcript
        spoken = word(raw)
        was = call.stage
        if call.stage == PIN:
            # Never pass a spoken PIN on (not to Rasa, not to a log line).
            return self._say(
                call,
                self._p(call, "pin_by_keypad"),
                dtmf_expect(12, "#", timeout=15, allow_speech=False),
                reprompt=self._p(call, "ask_pin"),
            )
        call.lang = spoken_language([raw], call.lang)
        if inbound.too_long:
            call.stage = IDLE if call.stage in (ID_LAST4, HEARD) else call.stage
            return self._say(call, self._p(call, "too_long"), speech_expect())
        if spoken in ("转人工", "人工", "人工服务", "找人工", "agent", "operator", "humanagent") and call.stage != IDLE:
            return self._transfer(call, "caller_request")
        if is_repeat(spoken) and call.stage != IDLE:
            return self._repeat(call)
        if call.stage == ID_LAST4:
            code = spoken_code(raw)
            if len(code) in (4, 15, 18):
                return self._id_entry(call, code)
            call.stage = IDLE  # a question instead: answer it unverified
            if spoken in SKIP_WORDS:
                return self._say(call, self._p(call, "skipped"), speech_expect())
        if call.stage == HEARD:
            if spoken in YES_WORDS:
                heard, call.heard, call.stage = call.heard or "", None, IDLE
                return await self._to_rasa(call, heard, on_new_message)
            call.heard, call.stage = None, IDLE
            if spoken in NO_WORDS:
                return self._say(call, self._p(call, "say_again"), speech_expect())
        if call.sms_text and call.caller and spoken in SMS_WORDS:
            return await self._send_sms(call)
        if call.buttons and call.confirmation and spoken in YES_WORDS:
            options = self._render(call, [{"text": self._p(call, "key_to_confirm"), "buttons": call.buttons}])
            return self._answer(
                call,
                options,
                dtmf_expect(1, None, allow_speech=False),
                reprompt=button_options(call.buttons, self._english(call)),
            )
        if is_filler(raw):
            # "喂喂 听得到吗": nothing to act on. A pending question or choice is asked again (short);
            # otherwise the caller is asked what they need.
            generic = {self._p(call, n) for n in ("anything_else", "ask_what", "skipped")}
            pending = call.reprompt[0] if call.reprompt else None
            if call.buttons or (pending and pending not in generic and call.stage == IDLE and was != ID_LAST4):
                return self._again(call, "")
            return self._say(call, self._p(call, "filler"), speech_expect())
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
                dtmf_expect(1, None),
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
            return self._say(call, self._p(call, "busy"), speech_expect())
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
                    dtmf_expect(4, "#", timeout=15),
                    reprompt=self._p(call, "ask_id_again"),
                )
            return self._say(call, self._p(call, "cannot_verify"), speech_expect())
        spoken = self._render(call, messages, prefix=prefix)
        call.buttons, call.confirmation = list(spoken.buttons), spoken.confirmation
        end_call = bool(spoken.directives.get("end_call")) or END_CALL in signalled
        if end_call:
            return self._answer(call, spoken, None, end_call=True)
        if spoken.buttons:
            return self._answer(
                call,
                spoken,
                dtmf_expect(1, None, allow_speech=not spoken.confirmation),
                reprompt=button_options(spoken.buttons, self._english(call)),
            )
        questions = re.findall(r"[^。！？!?；.]*[？?]", spoken.text)
        if not spoken.text or not questions:
            spoken = self._render(call, messages, prefix=prefix, suffix=self._p(call, "anything_else"))
            questions = [self._p(call, "anything_else")]
        return self._answer(call, spoken, speech_expect(), reprompt=questions[-1].strip())
