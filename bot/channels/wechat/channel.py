"""The WeChat Official Account input channel: pushes in, replies out, within WeChat's 5 s.

Why this module: it is the part that knows Rasa and Sanic (routes, the Rasa
message, output channels) and the timing rules of a turn (the passive reply
within ``reply_budget_seconds``, WeChat's retries processed once, the rest
through the customer-service API). The protocol it speaks is in protocol.py and
crypto.py, the WeChat API in api.py, binding in binding.py and bind_page.py;
the whole channel is described in the package docstring (bot/channels/wechat/).
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import time
from dataclasses import dataclass, field
from typing import Any, AsyncIterator, Awaitable, Callable, Dict, List, Optional, Text, Tuple

from rasa.core.channels.channel import InputChannel, OutputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.backend_client import BackendClient, BackendUnavailable
from bot.settings import load as load_settings

from ..limits import limit_length
from ..rendering import VERIFY_IDENTITY, signals, split_utf8, wechat_links, wechat_render
from ..state import StateStore, create_state_store
from .api import DEFAULT_API_BASE, WeChatAPI, WeChatAPIError
from .bind_page import BindPage
from .binding import BindingDialogue
from .cache import TTLCache
from .crypto import SafeMode, valid_signature
from .outputs import WeChatCustomerServiceOutput, WeChatOutput
from .protocol import EVENT_KEY, Reject, check_body, check_message, dedup_key, parse_xml, text_reply_xml
from .texts import (
    BIND_MENU_KEYS,
    BIND_WORDS,
    BUSY_ZH,
    CHANNEL,
    INTERIM_ZH,
    MENU_UNAVAILABLE_ZH,
    UNBIND_WORDS,
    UNSUPPORTED_ZH,
    VOICE_UNHEARD_ZH,
    WELCOME_ZH,
)

log = logging.getLogger(__name__)


def _bool(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in ("1", "true", "yes", "on")
    return bool(value)


@dataclass
class _Turn:
    """One push (and its retries): what the assistant said and what was delivered how."""

    openid: str
    account: str  # the Official Account's gh_ id (ToUserName)
    key: str = ""  # the de-duplication key (msg:<MsgId> / ev:...)
    created: float = field(default_factory=time.monotonic)
    messages: List[Dict[str, Any]] = field(default_factory=list)
    done: asyncio.Event = field(default_factory=asyncio.Event)
    decided: bool = False  # the passive reply is fixed (retries get the same)
    passive: Optional[str] = None  # None -> "success"
    deferred: bool = False  # the rest goes through the customer-service API
    delivered: int = 0  # messages[:delivered] went into the passive reply
    numbered: int = 0  # buttons numbered in the passive reply
    later: List[str] = field(default_factory=list)  # overflow chunks for the API
    task: Optional["asyncio.Task[None]"] = None
    waiters: int = 0  # requests of this process waiting for the passive reply
    decided_event: asyncio.Event = field(default_factory=asyncio.Event)
    await_retry: bool = False  # fixed after the turn with nobody waiting: the first retry takes it


@dataclass
class _User:
    """One OpenID's dialogue state, loaded from the state store for a turn and saved after it
    (times are wall-clock seconds, so every process reads them alike)."""

    bind_stage: Optional[str] = None  # "username" | "password"
    bind_username: Optional[str] = None
    bind_at: float = 0.0
    bind_failures: List[float] = field(default_factory=list)
    buttons: List[Dict[str, Any]] = field(default_factory=list)
    buttons_at: float = 0.0

    def to_json(self) -> Dict[str, Any]:
        return {name: getattr(self, name) for name in self.__dataclass_fields__}

    @classmethod
    def from_json(cls, data: Any) -> "_User":
        if not isinstance(data, dict):
            return cls()
        return cls(**{k: v for k, v in data.items() if k in cls.__dataclass_fields__})


class WeChatInput(BindingDialogue, InputChannel):
    """WeChat Official Account server (see the module docstring)."""

    @classmethod
    def name(cls) -> Text:
        return CHANNEL

    @classmethod
    def from_credentials(cls, credentials: Optional[Dict[Text, Any]]) -> "InputChannel":
        """Settings from credentials.yml; secrets may instead come from the environment
        (WECHAT_TOKEN, WECHAT_APP_ID, WECHAT_APP_SECRET, WECHAT_ENCODING_AES_KEY, WECHAT_API_BASE).
        Without a token the channel is disabled (503), so the entry can sit in a shared
        credentials.yml; there is deliberately no default token (a known token would let anyone
        forge pushes in any user's name)."""
        credentials = dict(credentials or {})
        for key, value in load_settings().wechat.items():
            if not credentials.get(key):
                credentials[key] = value
        known = {
            "token",
            "app_id",
            "app_secret",
            "encoding_aes_key",
            "api_base",
            "reply_budget_seconds",
            "backend_url",
            "service_key",
            "interim_text",
            "dedup_ttl_seconds",
            "token_cache_seconds",
            "require_encryption",
            "max_clock_skew_seconds",
            "max_reply_bytes",
            "button_ttl_seconds",
            "bind_timeout_seconds",
            "welcome_text",
            "state_store",
            "public_url",
            "oauth_base",
            "link_base",
            "allow_plaintext",
        }
        unknown = set(credentials) - known
        if unknown:
            log.warning("wechat credentials: ignoring unknown keys %s", sorted(unknown))
        if not credentials.get("token"):
            log.error("wechat channel disabled: no token (set WECHAT_TOKEN or `token` in credentials.yml)")
        return cls(**{k: v for k, v in credentials.items() if k in known})

    def __init__(
        self,
        token: Optional[str] = None,
        app_id: Optional[str] = None,
        app_secret: Optional[str] = None,
        encoding_aes_key: Optional[str] = None,
        api_base: str = DEFAULT_API_BASE,
        reply_budget_seconds: float = 4.5,
        backend_url: Optional[str] = None,
        service_key: Optional[str] = None,
        interim_text: Optional[str] = INTERIM_ZH,
        dedup_ttl_seconds: float = 300.0,
        token_cache_seconds: float = 120.0,
        require_encryption: Any = None,
        max_clock_skew_seconds: float = 300.0,
        max_reply_bytes: int = 2000,
        button_ttl_seconds: float = 1800.0,
        bind_timeout_seconds: float = 600.0,
        welcome_text: Optional[str] = None,
        state_store: Any = None,
        public_url: Optional[str] = None,
        oauth_base: Optional[str] = None,
        link_base: Optional[str] = None,
        allow_plaintext: Any = False,
    ) -> None:
        self.disabled = not token
        self.token = str(token or "")
        self.app_id = str(app_id or "")
        self.api = WeChatAPI(app_id, app_secret, api_base)
        self.reply_budget = float(reply_budget_seconds)
        self.backend = BackendClient(backend_url, min(3.0, self.reply_budget * 0.6), service_key=service_key)
        self.interim_text = interim_text if interim_text else None
        # Safe mode unless plaintext is explicitly allowed (development): require_encryption is
        # the older setting of the same rule and can only make it stricter.
        self.allow_plaintext = _bool(allow_plaintext) and not _bool(require_encryption)
        self.require_encryption = not self.allow_plaintext
        self.max_clock_skew = float(max_clock_skew_seconds or 0)
        self.max_reply_bytes = int(max_reply_bytes)
        self.button_ttl = float(button_ttl_seconds)
        self.bind_timeout = float(bind_timeout_seconds)
        self.welcome_text = welcome_text or WELCOME_ZH
        self.token_cache_seconds = float(token_cache_seconds)
        # WeChat retries within ~15 s; unanswered turns are sent through the API after this.
        self.retry_window = max(16.0, self.reply_budget * 3 + 1)
        self._crypto: Optional[SafeMode] = None
        if encoding_aes_key and not self.disabled:
            self._crypto = SafeMode(self.token, str(encoding_aes_key), self.app_id)
        elif self.require_encryption and not self.disabled:
            log.error(
                "wechat channel disabled: safe mode (encoding_aes_key + app_id, WECHAT_ENCODING_AES_KEY) is "
                "required; `allow_plaintext: true` accepts plaintext pushes for development only"
            )
            self.disabled = True
        if self.allow_plaintext and not self.disabled:
            log.warning(
                "wechat: plaintext pushes accepted (allow_plaintext): development only, their body is not signed"
            )
        self.dedup_ttl = max(float(dedup_ttl_seconds), self.retry_window + 5)
        self._turns = TTLCache(self.dedup_ttl)  # this process's turns (their tasks and events)
        self._tokens = TTLCache(self.token_cache_seconds)
        # Shared state (memory, or Redis for several Rasa processes): bot/channels/state.py
        self.state: StateStore = (
            state_store if isinstance(state_store, StateStore) else create_state_store(state_store, CHANNEL)
        )
        # The user record outlives the binding timeout, so a password sent late is still caught.
        self.user_ttl = max(self.bind_timeout + 3600.0, 2 * self.bind_timeout, self.button_ttl, 900.0)
        self.pending_ttl = 48 * 3600.0  # WeChat's customer-service window
        self._user_locks: Dict[str, List[Any]] = {}  # OpenID -> [lock, users]: one turn of a user at a time here
        self._issued: Dict[str, List[str]] = {}  # tokens this process handed out per OpenID (revoked on unbind)
        self._background: set = set()
        # Binding on a web page (WeChat OAuth), never a password in the chat: bot/channels/wechat_bind.py
        self.public_url = str(public_url or "http://127.0.0.1:5005").rstrip("/")
        self.binder = BindPage(self, self.public_url, oauth_base, self.api, self.bind_timeout)
        # Links in replies: the backend as the servers reach it -> its public URL
        self.link_base = str(link_base or "").rstrip("/") or None
        if not self.link_base:
            log.warning("wechat: no link_base (SZ_BACKEND_PUBLIC_URL): document links keep the backend's own URL")

    # ------------------------------------------------------------ Rasa hooks
    def get_output_channel(self) -> Optional[OutputChannel]:
        return WeChatCustomerServiceOutput(self) if self.api.configured else None

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        bp = Blueprint(f"wechat_webhook_{id(self)}", __name__)
        on_new_message = limit_length(on_new_message)  # a message over the limit gets the kind reply

        @bp.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @bp.route("/webhook", methods=["GET"])
        async def verify(request: Request) -> HTTPResponse:
            if self.disabled:
                return response.text("wechat channel not configured", status=503)
            args = request.args
            if not self._valid_signature(args.get("signature"), args.get("timestamp"), args.get("nonce")):
                return response.text("invalid signature", status=403)
            echostr = args.get("echostr") or ""
            if not await self._fresh_nonce(args.get("timestamp"), args.get("nonce"), echostr.encode()):
                return response.text("replayed nonce", status=403)
            return response.text(echostr)

        @bp.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            if self.disabled:
                return response.text("wechat channel not configured", status=503)
            return await self.handle_push(request, on_new_message)

        if not self.disabled:
            self.binder.routes(bp, on_new_message)

        return bp

    # ------------------------------------------------------------ protocol
    def _valid_signature(
        self, signature: Optional[str], timestamp: Optional[str], nonce: Optional[str], check_age: bool = True
    ) -> bool:
        return valid_signature(self.token, signature, timestamp, nonce, self.max_clock_skew, check_age)

    async def _fresh_nonce(self, timestamp: Optional[str], nonce: Optional[str], request_bytes: bytes) -> bool:
        """False when this (timestamp, nonce) came before with another request (a replayed signature).

        The identical request again is allowed: WeChat retries a push it got no answer to.
        Remembered for the clock-skew window (after that the timestamp itself is refused)."""
        digest = hashlib.sha256(request_bytes).hexdigest()
        key = f"nonce:{timestamp}:{nonce}"
        ttl = 2 * self.max_clock_skew + 60 if self.max_clock_skew > 0 else 86400.0
        if await self.state.claim(key, ttl, digest):
            return True
        return await self.state.get(key) == digest

    def _open(self, request: Request) -> Tuple[Dict[str, Any], bool]:
        """Checks and decrypts a push; returns the message fields and whether it was encrypted."""
        args = request.args
        if not self._valid_signature(args.get("signature"), args.get("timestamp"), args.get("nonce")):
            raise Reject(403, "invalid signature")
        body = request.body or b""
        check_body(body)
        encrypted = (args.get("encrypt_type") or "raw").lower() == "aes"
        outer = parse_xml(body)
        if encrypted:
            if self._crypto is None:
                raise Reject(403, "safe mode is not configured")
            encrypt = outer.get("Encrypt")
            if not isinstance(encrypt, str) or not encrypt:
                raise Reject(400, "no Encrypt element")
            timestamp, nonce = args.get("timestamp") or "", args.get("nonce") or ""
            if not self._crypto.valid_msg_signature(timestamp, nonce, encrypt, args.get("msg_signature")):
                raise Reject(403, "invalid msg_signature")
            try:
                inner = self._crypto.decrypt(encrypt)
            except Exception:  # wrong key, padding, AppID mismatch
                raise Reject(403, "cannot decrypt") from None
            data = parse_xml(inner.encode("utf-8"))
        else:
            if self.require_encryption:
                raise Reject(403, "plaintext pushes are refused")
            data = outer
        check_message(data)
        return data, encrypted

    def _reply(self, data: Dict[str, Any], content: Optional[str], encrypted: bool) -> HTTPResponse:
        if not content:
            return response.text("success")
        xml = text_reply_xml(str(data["FromUserName"]), str(data.get("ToUserName") or ""), content)
        if encrypted and self._crypto is not None:
            xml = self._crypto.encrypt_reply(xml)
        return response.text(xml, content_type="application/xml; charset=utf-8")

    @staticmethod
    def _dedup_key(data: Dict[str, Any]) -> str:
        return dedup_key(data)

    async def handle_push(
        self, request: Request, on_new_message: Callable[[UserMessage], Awaitable[Any]]
    ) -> HTTPResponse:
        started = time.monotonic()
        try:
            data, encrypted = self._open(request)
        except Reject as err:
            log.warning("wechat push refused: %s", err.reason)
            return response.text(err.reason, status=err.status)
        args = request.args
        if not await self._fresh_nonce(
            args.get("timestamp"),
            args.get("nonce"),
            (args.get("msg_signature") or "").encode() + b"\n" + (request.body or b""),
        ):
            log.warning("wechat push refused: a (timestamp, nonce) already used for another request")
            return response.text("replayed nonce", status=403)
        key = self._dedup_key(data)
        deadline = started + self.reply_budget
        turn = self._turns.get(key)
        if turn is None:
            if not await self._claim(f"turn:{key}", {"state": "working"}):
                log.info("wechat retry of a push another process took (processed once)")
                return self._reply(data, await self._remote_passive(key, deadline), encrypted)
            turn = self._turns.get(key)  # (a retry of this process may have claimed it meanwhile)
        if turn is None:
            turn = _Turn(openid=str(data["FromUserName"]), account=str(data.get("ToUserName") or ""), key=key)
            self._turns.put(key, turn)
            turn.task = asyncio.create_task(self._process(turn, data, key, on_new_message))
            log.info("wechat push type=%s event=%s", data.get("MsgType"), data.get("Event") or "-")
        else:
            log.info("wechat retry of an earlier push (processed once)")
        content = await self._passive(turn, deadline)
        return self._reply(data, content, encrypted)

    async def _claim(self, key: str, value: Any) -> bool:
        try:
            return await self.state.claim(key, self.dedup_ttl, value)
        except Exception as err:  # the store is down: answer (maybe twice) rather than not at all
            log.warning("wechat state store unavailable (%s): processing without de-duplication", type(err).__name__)
            return True

    async def _remote_passive(self, key: str, deadline: float) -> Optional[str]:
        """The reply of a push another process is handling: the one it fixed, polled until our deadline;
        None ("success") when it is not fixed by then (that process replies or uses the API)."""
        while True:
            try:
                record = await self.state.get(f"turn:{key}")
            except Exception as err:
                log.warning("wechat state store unavailable (%s)", type(err).__name__)
                return None
            if not isinstance(record, dict):
                return None
            if record.get("state") == "decided":
                if record.get("await_retry") and not await self._claim(f"delivered:{key}", True):
                    return None
                return record.get("passive")
            if time.monotonic() >= deadline:
                return None
            await asyncio.sleep(min(0.1, max(0.0, deadline - time.monotonic())))

    # ------------------------------------------------------------ the 5 s budget
    async def _passive(self, turn: _Turn, deadline: float) -> Optional[str]:
        turn.waiters += 1
        try:
            if not turn.decided and not turn.done.is_set():
                remaining = deadline - time.monotonic()
                if remaining > 0:
                    try:
                        await asyncio.wait_for(turn.done.wait(), remaining)
                    except asyncio.TimeoutError:
                        pass
            if not turn.decided:
                await self._decide(turn)
                if not turn.deferred and turn.later:  # a long answer: the overflow right after
                    self._spawn(self._send_chunks(turn.openid, turn.later, delay=0.5))
        finally:
            turn.waiters -= 1
        if turn.await_retry:  # fixed after the turn: the first retry (here or elsewhere) delivers it
            return turn.passive if await self._claim(f"delivered:{turn.key}", True) else None
        return turn.passive

    async def _decide(self, turn: _Turn, await_retry: bool = False) -> None:
        """Fix the passive reply from what is ready now; the rest goes through the API.
        The decision is published in the state store for retries reaching another process."""
        done = turn.done.is_set()
        ready = list(turn.messages)
        rendering = wechat_render(ready)
        turn.decided = True  # (before any await: one decision per turn)
        turn.await_retry = await_retry
        turn.delivered = len(ready)
        turn.numbered = len(rendering.buttons)
        turn.deferred = not done
        text = rendering.text
        pending = await self._take_pending(turn.openid)
        if pending:
            text = "\n\n".join(pending + ([text] if text else []))
        chunks = split_utf8(text, self.max_reply_bytes)
        if chunks:
            turn.passive, turn.later = chunks[0], chunks[1:]
        else:
            turn.passive, turn.later = (None if done else self.interim_text), []
        turn.decided_event.set()
        try:
            await self.state.set(
                f"turn:{turn.key}",
                {"state": "decided", "passive": turn.passive, "await_retry": await_retry},
                self.dedup_ttl,
            )
        except Exception as err:
            log.warning("wechat state store unavailable (%s): reply not shared", type(err).__name__)

    async def _take_pending(self, openid: str) -> List[str]:
        """Texts the customer-service API could not deliver earlier (they come with this reply)."""
        try:
            pending = await self.state.get(f"pending:{openid}")
            if pending:
                await self.state.delete(f"pending:{openid}")
        except Exception as err:
            log.warning("wechat state store unavailable (%s)", type(err).__name__)
            return []
        return [str(t) for t in pending] if isinstance(pending, list) else []

    async def _keep_pending(self, openid: str, chunks: List[str]) -> None:
        try:
            pending = await self.state.get(f"pending:{openid}")
            pending = (pending if isinstance(pending, list) else []) + list(chunks)
            await self.state.set(f"pending:{openid}", pending[-20:], self.pending_ttl)
        except Exception as err:
            log.warning("wechat state store unavailable (%s): undelivered reply dropped", type(err).__name__)

    async def _finish(self, turn: _Turn) -> None:
        """After the turn: send what the passive reply did not carry."""
        if not turn.decided and turn.waiters:
            # a request of this process is about to fix the reply (it was woken by `done`)
            try:
                await asyncio.wait_for(turn.decided_event.wait(), self.reply_budget + 1)
            except asyncio.TimeoutError:
                pass
        if not turn.decided:
            # No request is waiting (connection dropped): WeChat retries with the same id
            # within ~15 s; the first retry (here or at another process) gets the full reply.
            # If none comes, the API delivers it.
            await self._decide(turn, await_retry=True)
            await asyncio.sleep(max(0.0, turn.created + self.retry_window - time.monotonic()))
            undelivered = await self._claim(f"delivered:{turn.key}", True)
            chunks = ([turn.passive] if undelivered and turn.passive else []) + list(turn.later)
            await self._send_chunks(turn.openid, chunks)
            return
        if turn.deferred:
            rest = turn.messages[turn.delivered :]
            text = wechat_render(rest, start=turn.numbered + 1).text if rest else ""
            chunks = list(turn.later) + split_utf8(text, self.max_reply_bytes)
            await self._send_chunks(turn.openid, chunks)

    async def _send_chunks(self, openid: str, chunks: List[str], delay: float = 0.0) -> None:
        if not chunks:
            return
        if delay:
            await asyncio.sleep(delay)
        for i, chunk in enumerate(chunks):
            try:
                if not self.api.configured:
                    raise WeChatAPIError("not-configured", "app_id/app_secret missing")
                await self.api.send_text(openid, chunk)
            except WeChatAPIError as err:
                log.warning(
                    "wechat customer-service send failed (%s); keeping the reply for the next turn", err.errcode
                )
                await self._keep_pending(openid, chunks[i:])
                return

    async def push(self, openid: str, messages: List[Dict[str, Any]]) -> None:
        """Send bot messages outside a user turn (customer-service API)."""
        messages = [dict(m, text=self.links(m["text"])) if isinstance(m.get("text"), str) else m for m in messages]
        rendering = wechat_render(messages)
        if rendering.buttons:
            async with self._user_lock(openid):
                user = await self._load_user(openid)
                user.buttons, user.buttons_at = rendering.buttons, time.time()
                await self._save_user(openid, user)
        await self._send_chunks(openid, split_utf8(rendering.text, self.max_reply_bytes))

    def _spawn(self, coro: Awaitable[Any]) -> None:
        task = asyncio.ensure_future(coro)
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    # ------------------------------------------------------------ per user
    @contextlib.asynccontextmanager
    async def _user_lock(self, openid: str) -> AsyncIterator[None]:
        """One turn of a user at a time in this process (the entry goes when nobody holds it)."""
        entry = self._user_locks.setdefault(openid, [asyncio.Lock(), 0])
        entry[1] += 1
        try:
            async with entry[0]:
                yield
        finally:
            entry[1] -= 1
            if entry[1] == 0:
                self._user_locks.pop(openid, None)

    async def _load_user(self, openid: str) -> _User:
        return _User.from_json(await self.state.get(f"user:{openid}"))

    async def _save_user(self, openid: str, user: _User) -> None:
        if user == _User():
            await self.state.delete(f"user:{openid}")
        else:
            await self.state.set(f"user:{openid}", user.to_json(), self.user_ttl)

    # ------------------------------------------------------------ one push
    async def _process(
        self, turn: _Turn, data: Dict[str, Any], key: str, on_new_message: Callable[[UserMessage], Awaitable[Any]]
    ) -> None:
        try:
            async with self._user_lock(turn.openid):
                user = await self._load_user(turn.openid)
                before = user.to_json()
                try:
                    await self._handle(turn, user, data, key, on_new_message)
                    # the numbers the user may answer with: every button of this turn, in order
                    if turn.messages:
                        numbered = wechat_render(turn.messages).buttons
                        user.buttons, user.buttons_at = numbered, time.time()
                finally:
                    if user.to_json() != before:
                        await self._save_user(turn.openid, user)
        except Exception:
            log.exception("wechat turn failed")
            turn.messages.append({"text": BUSY_ZH})
        finally:
            turn.done.set()
        await self._finish(turn)

    def _say(self, turn: _Turn, text: str) -> None:
        turn.messages.append({"text": text})

    async def _handle(
        self,
        turn: _Turn,
        user: _User,
        data: Dict[str, Any],
        key: str,
        on_new_message: Callable[[UserMessage], Awaitable[Any]],
    ) -> None:
        msg_type = str(data.get("MsgType") or "").lower()
        openid = turn.openid
        if msg_type == "event":
            event = str(data.get("Event") or "").lower()
            user.bind_stage = None  # any menu action leaves a binding dialogue
            if event == "subscribe":
                self._say(turn, self.welcome_text)
            elif event == "unsubscribe":
                user.buttons = []
                self._tokens.pop(openid)
            elif event == "click":
                event_key = str(data.get("EventKey") or "").strip()
                if event_key in BIND_MENU_KEYS:
                    await self._handle_text(turn, user, BIND_MENU_KEYS[event_key], key, on_new_message)
                elif EVENT_KEY.match(event_key):
                    await self._to_rasa(turn, user, f"/{event_key}", key, on_new_message)
                else:
                    self._say(turn, MENU_UNAVAILABLE_ZH)
            # VIEW, SCAN, LOCATION, TEMPLATESENDJOBFINISH ...: nothing to say ("success")
            return
        if msg_type == "text":
            content = str(data.get("Content") or "")
        elif msg_type == "voice":
            content = str(data.get("Recognition") or "").strip().rstrip("。")
            if not content:  # WeChat recognised nothing
                self._say(turn, VOICE_UNHEARD_ZH)
                return
        else:
            self._say(turn, UNSUPPORTED_ZH)
            return
        await self._handle_text(turn, user, content, key, on_new_message)

    async def _handle_text(
        self, turn: _Turn, user: _User, content: str, key: str, on_new_message: Callable[[UserMessage], Awaitable[Any]]
    ) -> None:
        text = content.strip()
        word = text.lower()
        now = time.time()
        if user.bind_stage:  # a binding dialogue of an older version: the page replaced it
            user.bind_stage = user.bind_username = None
        if word in BIND_WORDS:
            await self._start_binding(turn, user)
            return
        if word in UNBIND_WORDS:
            await self._unbind(turn)
            return
        if text.isdigit() and user.buttons and now - user.buttons_at <= self.button_ttl:
            index = int(text)
            if 1 <= index <= len(user.buttons):
                payload = user.buttons[index - 1].get("payload") or user.buttons[index - 1].get("title")
                user.buttons = []
                text = str(payload)
        await self._to_rasa(turn, user, text, key, on_new_message)

    async def _to_rasa(
        self, turn: _Turn, user: _User, text: str, key: str, on_new_message: Callable[[UserMessage], Awaitable[Any]]
    ) -> None:
        if not text:
            self._say(turn, "请用文字告诉我您要办理的业务或想咨询的问题。")
            return
        metadata: Dict[str, Any] = {"channel": CHANNEL}
        try:
            token = await self._auth_token(turn.openid)
        except BackendUnavailable as err:
            log.warning("wechat: binding unknown, backend unavailable (%s)", err)
            token, metadata["identity_unavailable"] = None, True  # the actions say "unavailable", not "bind"
        if token:
            metadata["auth_token"] = token
        user.buttons = []
        first = len(turn.messages)
        message = UserMessage(
            text,
            WeChatOutput(turn.messages, self.links),
            turn.openid,
            input_channel=self.name(),
            message_id=key.split(":", 1)[1] if key.startswith("msg:") else None,
            metadata=metadata,
        )
        await on_new_message(message)
        if not token and not metadata.get("identity_unavailable") and VERIFY_IDENTITY in signals(turn.messages[first:]):
            # an unbound user asked for something personal: the binding link now, the request after it
            # (not when the backend could not say whether the user is bound: "unavailable" then)
            self._say(turn, await self.binder.offer(turn.openid, pending=text))

    # ------------------------------------------------------------ links in replies
    def links(self, text: str) -> str:
        """Links of a reply as ``<a href>`` text, backend links on the public URL."""
        internal = [self.backend.base_url, "http://127.0.0.1:8000", "http://localhost:8000"]
        return wechat_links(text, self.link_base, internal)
