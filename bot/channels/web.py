"""Socket.IO input channel of the website help widget, with server-side identity.

Rasa's own `socketio` channel passes whatever the browser sends as metadata and
uses the browser-chosen `session_id` as the conversation id; its `jwt_key`
only gates the connection. Here the logged-in identity reaches the actions
only after the channel has verified the page's token with the backend:

- The page sends the backend bearer token it got from `POST /auth/login`,
  in the connect auth payload (`io(url, {auth: {auth_token}})`) and/or in
  every message's `customData.auth_token` (the widget does both; rasa-webchat
  style clients only the latter). A message's own token wins over the
  connection's.
- The channel verifies it with `GET {backend}/me` (bot/backend_client.py; bearer token, timeout,
  results cached briefly, keyed by the token's SHA-256) and passes ONLY a
  verified token on, as metadata `auth_token`. Client metadata keys that
  could pass for identity (`auth_token`, `person_id`, `channel`, ...) are
  always dropped; an unverifiable token is stripped and the socket gets an
  `auth_status` event so the page can show "please log in again".
- Conversations are separated by identity: the tracker (sender id) of a
  verified person is `<session_id>:<person tag>`, an anonymous one is the bare
  `<session_id>`. Logging in, out, or as someone else therefore never mixes two
  people's slots or falls back to an earlier person's token (the actions fall
  back to `session_started_metadata` when a message has no token). Bot replies
  go to a Socket.IO room named after that sender id, which only sockets that
  proved the identity (and know the session id) join.
- `session_persistence` is kept: the session id comes from `session_request`
  (a client-proposed id is accepted when well-formed, else a new one is
  issued), so a page reload continues the same conversation.

credentials.yml (replaces the built-in `socketio:` entry; both cannot serve
the same /socket.io path):

    bot.channels.web.WebSocketIOInput:
      user_message_evt: user_uttered
      bot_message_evt: bot_uttered
      session_persistence: true
      metadata_key: customData
      # backend_url: http://127.0.0.1:8000   # default: env SZ_BACKEND_URL
      # verify_timeout: 3                    # seconds for GET /me
      # auth_cache_seconds: 30               # how long a verification is reused
      # allowed_origins: ["http://127.0.0.1:8080", "http://localhost:8080"]   # default: any page

`allowed_origins` is checked in the connect handler (a browser's Origin header
must be listed; clients without one, e.g. servers, pass). It is not handed to
python-socketio's `cors_allowed_origins`: that makes engine.io add its own
CORS headers next to the ones `rasa run --cors` adds, and browsers reject the
duplicated Access-Control-Allow-Origin of the polling transport.
"""

from __future__ import annotations

import asyncio
import hashlib
import inspect
import json
import logging
import re
import time
import uuid
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any, Awaitable, Callable, Dict, Iterable, Optional, Text, Tuple, Union

from rasa.core.channels.channel import InputChannel, UserMessage, decode_bearer_token
from rasa.core.channels.socketio import SocketBlueprint, SocketIOInput, SocketIOOutput
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse
from socketio import AsyncServer

from bot.backend_client import BackendClient, BackendError, BackendUnavailable
from bot.settings import load as load_settings

from .limits import limit_length
from .rendering import is_signal

logger = logging.getLogger(__name__)

TOKEN_KEY = "auth_token"
# Client metadata keys that could be taken for an identity: never passed on as sent.
RESERVED_METADATA_KEYS = frozenset(
    {
        "auth_token",
        "token",
        "access_token",
        "authorization",
        "bearer",
        "jwt",
        "identity",
        "verified",
        "auth_verified",
        "person_id",
        "person",
        "user",
        "user_id",
        "username",
        "account",
        "account_id",
        "id_number",
        "phone",
        "caller",
        "openid",
        "wechat_openid",
        "channel",
        "sender",
        "sender_id",
    }
)
TOKEN_RE = re.compile(r"^[A-Za-z0-9._~+/=-]{8,512}$")
SESSION_ID_RE = re.compile(r"^[A-Za-z0-9_-]{8,64}$")
MAX_METADATA_BYTES = 4096

# Verification outcomes
OK, INVALID, UNAVAILABLE, ABSENT = "ok", "invalid", "unavailable", "absent"


@dataclass(frozen=True)
class VerifiedIdentity:
    """A token the backend accepted, and whose it is."""

    token: str
    person_id: str

    @property
    def tag(self) -> str:
        """Stable, non-revealing suffix of this person's conversation ids."""
        return hashlib.sha256(f"sz-web-person:{self.person_id}".encode()).hexdigest()[:16]


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class TokenVerifier:
    """`GET {backend}/me` with the bearer token; results cached briefly.

    - accepted (200): reused for `ttl` seconds; when the backend is unreachable
      afterwards, a verification younger than `stale_ttl` still counts (the
      conversation stays in the person's tracker; the actions will find the
      backend down themselves and say so);
    - refused (401/403): cached for `negative_ttl` seconds (revoked and expired
      tokens do not come back);
    - unreachable, timeout, 5xx, unexpected body: not cached, UNAVAILABLE.
    """

    def __init__(
        self,
        backend_url: str,
        timeout: float = 3.0,
        ttl: float = 30.0,
        negative_ttl: float = 10.0,
        stale_ttl: float = 300.0,
        max_entries: int = 4096,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.backend_url = backend_url.rstrip("/")
        self.timeout = timeout
        self.client = BackendClient(self.backend_url, timeout)
        self.ttl = ttl
        self.negative_ttl = negative_ttl
        self.stale_ttl = max(stale_ttl, ttl)
        self.max_entries = max_entries
        self.clock = clock
        # digest -> (verified_at, identity or None for refused)
        self._cache: "OrderedDict[str, Tuple[float, Optional[VerifiedIdentity]]]" = OrderedDict()
        self._inflight: Dict[str, "asyncio.Future[Tuple[str, Optional[VerifiedIdentity]]]"] = {}

    async def verify(self, token: Any) -> Tuple[str, Optional[VerifiedIdentity]]:
        if token is None or token == "":
            return ABSENT, None
        if not isinstance(token, str) or not TOKEN_RE.match(token.strip()):
            return INVALID, None
        token = token.strip()
        key = _digest(token)
        now = self.clock()
        cached = self._cache.get(key)
        if cached is not None:
            at, identity = cached
            if identity is not None and now - at < self.ttl:
                return OK, identity
            if identity is None and now - at < self.negative_ttl:
                return INVALID, None
        # one request per token at a time (a page sends a burst on reconnect)
        pending = self._inflight.get(key)
        if pending is not None:
            try:
                return await asyncio.shield(pending)
            except asyncio.CancelledError:
                if pending.cancelled():  # the first asker was cancelled, not us
                    return UNAVAILABLE, None
                raise
        future: "asyncio.Future[Tuple[str, Optional[VerifiedIdentity]]]" = asyncio.get_running_loop().create_future()
        self._inflight[key] = future
        try:
            status, identity = await self._ask_backend(token)
            if status == OK:
                self._remember(key, identity)
            elif status == INVALID:
                self._remember(key, None)
            elif cached is not None and cached[1] is not None and now - cached[0] < self.stale_ttl:
                logger.warning("backend unavailable; using a verification %.0f s old", now - cached[0])
                status, identity = OK, cached[1]
        except BaseException:
            future.cancel()
            raise
        finally:
            self._inflight.pop(key, None)
        future.set_result((status, identity))
        return status, identity

    def forget(self, token: str) -> None:
        self._cache.pop(_digest(token), None)

    def _remember(self, key: str, identity: Optional[VerifiedIdentity]) -> None:
        self._cache[key] = (self.clock(), identity)
        self._cache.move_to_end(key)
        while len(self._cache) > self.max_entries:
            self._cache.popitem(last=False)

    async def _ask_backend(self, token: str) -> Tuple[str, Optional[VerifiedIdentity]]:
        try:
            body = await self.client.me(token, channel="web", timeout=self.timeout)
        except BackendError as err:
            if err.status in (401, 403):
                return INVALID, None
            logger.warning("token verification: backend answered %s", err.status)
            return UNAVAILABLE, None
        except BackendUnavailable as err:
            logger.warning("token verification: backend unreachable (%s)", err)
            return UNAVAILABLE, None
        person_id = body.get("id")
        if person_id is None or person_id == "":
            logger.warning("token verification: /me answered without a person id")
            return UNAVAILABLE, None
        return OK, VerifiedIdentity(token=token, person_id=str(person_id))


def clean_metadata(raw: Any) -> Dict[str, Any]:
    """The client's metadata without anything that could pass for identity."""
    if isinstance(raw, (str, bytes)):
        try:
            raw = json.loads(raw)
        except ValueError:
            return {}
    if not isinstance(raw, dict):
        return {}
    kept = {str(k): v for k, v in raw.items() if str(k).lower() not in RESERVED_METADATA_KEYS}
    try:
        if len(json.dumps(kept, ensure_ascii=False, default=str)) > MAX_METADATA_BYTES:
            logger.debug("client metadata too large; dropped")
            return {}
    except (TypeError, ValueError):
        return {}
    return kept


async def _maybe_await(value: Any) -> Any:
    return await value if inspect.isawaitable(value) else value


def _answer_pending_poll_on_close(sio: AsyncServer) -> None:
    """When a long-polling client closes its connection, answer its pending poll at once.

    python-engineio (4.x) closes the socket on the client's CLOSE packet without
    answering the GET the client still has open, so that GET hangs until the poll
    timeout (ping_interval + ping_timeout, 45 s here) and a python client's
    ``disconnect()`` waits for its own 30 s request timeout. The engine.io server of
    the reference implementation answers the pending poll on close; this does the same
    (an empty payload ends the client's read loop) and frees the request at once.
    """
    eio = sio.eio
    handler = eio.handlers.get("disconnect")
    if handler is None:
        return

    client_closed = getattr(getattr(eio, "reason", None), "CLIENT_DISCONNECT", "client disconnect")

    async def on_eio_disconnect(eio_sid: str, *args: Any) -> Any:
        try:
            return await handler(eio_sid, *args)
        finally:
            # Only for the client's own CLOSE: a server-side close sends a CLOSE packet through
            # the same queue, which must not be cut short.
            socket = eio.sockets.get(eio_sid)
            queue = getattr(socket, "queue", None)
            if args and args[0] == client_closed and queue is not None and not getattr(socket, "upgraded", False):
                queue.put_nowait(None)  # poll() returns no packets: the pending GET is answered

    eio.on("disconnect", on_eio_disconnect)


def sender_for(base: str, identity: Optional[VerifiedIdentity]) -> str:
    """The conversation id (and Socket.IO room) of this session and identity."""
    return f"{base}:{identity.tag}" if identity else base


class WebSocketIOOutput(SocketIOOutput):
    """Rasa's socket.io output; custom JSON goes out as `{"custom": ...}` like the REST channel
    (Rasa's own passes its keys to `emit` as keyword arguments). Channel signals
    (`{"signal": ...}`, for the phone channel) are not the widget's business: never sent."""

    async def send_custom_json(self, recipient_id: Text, json_message: Dict[Text, Any], **kwargs: Any) -> None:
        if is_signal(json_message):
            return
        await self._send_message(recipient_id, {"custom": json_message})


class WebSocketIOInput(SocketIOInput):
    """Rasa's socket.io channel with backend-verified identity (see the module docstring)."""

    @classmethod
    def name(cls) -> Text:
        # Same name as Rasa's channel: responses and actions that know "socketio" keep working.
        return "socketio"

    @classmethod
    def from_credentials(cls, credentials: Optional[Dict[Text, Any]]) -> InputChannel:
        credentials = credentials or {}
        return cls(
            credentials.get("user_message_evt", "user_uttered"),
            credentials.get("bot_message_evt", "bot_uttered"),
            credentials.get("namespace"),
            credentials.get("session_persistence", False),
            credentials.get("socketio_path", "/socket.io"),
            credentials.get("jwt_key"),
            credentials.get("jwt_method", "HS256"),
            credentials.get("metadata_key", "metadata"),
            backend_url=credentials.get("backend_url"),
            verify_timeout=float(credentials.get("verify_timeout", 3.0)),
            auth_cache_seconds=float(credentials.get("auth_cache_seconds", 30.0)),
            allowed_origins=credentials.get("allowed_origins"),
        )

    def __init__(
        self,
        user_message_evt: Text = "user_uttered",
        bot_message_evt: Text = "bot_uttered",
        namespace: Optional[Text] = None,
        session_persistence: bool = False,
        socketio_path: Optional[Text] = "/socket.io",
        jwt_key: Optional[Text] = None,
        jwt_method: Optional[Text] = "HS256",
        metadata_key: Optional[Text] = "metadata",
        *,
        backend_url: Optional[str] = None,
        verify_timeout: float = 3.0,
        auth_cache_seconds: float = 30.0,
        allowed_origins: Union[None, str, Iterable[str]] = None,
        verifier: Optional[TokenVerifier] = None,
    ) -> None:
        super().__init__(
            user_message_evt,
            bot_message_evt,
            namespace,
            session_persistence,
            socketio_path,
            jwt_key,
            jwt_method,
            metadata_key,
        )
        url = backend_url or load_settings().backend_url
        self.verifier = verifier or TokenVerifier(
            url, timeout=verify_timeout, ttl=auth_cache_seconds, negative_ttl=min(10.0, auth_cache_seconds)
        )
        if allowed_origins is None or allowed_origins == "*":
            self.allowed_origins: Optional[frozenset] = None  # any page may connect (Rasa's default)
        elif isinstance(allowed_origins, str):
            self.allowed_origins = frozenset([allowed_origins.rstrip("/")])
        else:
            self.allowed_origins = frozenset(str(o).rstrip("/") for o in allowed_origins)

    def get_output_channel(self) -> Optional[SocketIOOutput]:
        if self.sio is None:
            return super().get_output_channel()
        return WebSocketIOOutput(self.sio, self.bot_message_evt)

    # -- the parts of a turn, kept separate so they can be tested without a socket --------------
    async def identity_for(
        self, message_token: Any, connection_token: Optional[str]
    ) -> Tuple[str, Optional[VerifiedIdentity]]:
        """The message's own token if it carries one, else the connection's."""
        if message_token not in (None, ""):
            return await self.verifier.verify(message_token)
        return await self.verifier.verify(connection_token)

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        # cors_allowed_origins=[]: engine.io adds no CORS headers (rasa run --cors does), as in Rasa's channel
        sio = AsyncServer(async_mode="sanic", cors_allowed_origins=[])
        on_new_message = limit_length(on_new_message)  # a message over the limit gets the kind reply
        _answer_pending_poll_on_close(sio)
        bp = SocketBlueprint(sio, self.socketio_path, "web_socketio_webhook", __name__)
        self.sio = sio
        ns = self.namespace

        @bp.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        async def state(sid: str) -> Dict[str, Any]:
            try:
                return await sio.get_session(sid, namespace=ns)
            except KeyError:
                return {}

        async def join(sid: str, st: Dict[str, Any], room: str) -> None:
            """Keep the socket in exactly one conversation room."""
            old = st.get("room")
            if old == room:
                return
            # python-socketio >= 5.10 made these coroutines; Rasa 3.6's own channel does not
            # await them, so its session_persistence rooms are never entered there.
            if old and old != sid:
                await _maybe_await(sio.leave_room(sid, old, namespace=ns))
            if room != sid:
                await _maybe_await(sio.enter_room(sid, room, namespace=ns))
            st["room"] = room
            await sio.save_session(sid, st, namespace=ns)

        async def tell_auth(sid: str, status: str) -> None:
            await sio.emit(
                "auth_status",
                {"authenticated": status == OK, "reason": None if status in (OK, ABSENT) else status},
                room=sid,
                namespace=ns,
            )

        @sio.on("connect", namespace=ns)
        async def connect(sid: Text, environ: Dict, auth: Optional[Dict] = None) -> bool:
            auth = auth if isinstance(auth, dict) else {}
            origin = (environ or {}).get("HTTP_ORIGIN")
            if self.allowed_origins is not None and origin and origin.rstrip("/") not in self.allowed_origins:
                logger.info("web socket from origin %s refused (not in allowed_origins)", origin)
                return False
            if self.jwt_key:
                payload = None
                if auth.get("token"):
                    payload = decode_bearer_token(auth.get("token"), self.jwt_key, self.jwt_algorithm)
                if not payload:
                    return False
            token = auth.get(TOKEN_KEY)
            status, identity = await self.verifier.verify(token)
            await sio.save_session(
                sid, {"token": identity.token if identity else None, "connect_status": status}, namespace=ns
            )
            logger.debug("web socket %s connected (%s)", sid, status)
            return True

        @sio.on("disconnect", namespace=ns)
        async def disconnect(sid: Text) -> None:
            logger.debug("web socket %s disconnected", sid)

        @sio.on("session_request", namespace=ns)
        async def session_request(sid: Text, data: Optional[Dict] = None) -> None:
            data = data if isinstance(data, dict) else {}
            st = await state(sid)
            proposed = data.get("session_id")
            if not (self.session_persistence and isinstance(proposed, str) and SESSION_ID_RE.match(proposed)):
                proposed = uuid.uuid4().hex if self.session_persistence else sid
            st["base"] = proposed
            status, identity = await self.verifier.verify(st.get("token"))
            await join(sid, st, sender_for(proposed, identity if status == OK else None))
            await sio.emit("session_confirm", proposed, room=sid, namespace=ns)
            await tell_auth(sid, status)

        @sio.on(self.user_message_evt, namespace=ns)
        async def handle_message(sid: Text, data: Any) -> None:
            if not isinstance(data, dict):
                return
            text = data.get("message", "")
            if not isinstance(text, str) or not text.strip():
                return
            st = await state(sid)
            base = st.get("base")
            if not base:
                proposed = data.get("session_id")
                if self.session_persistence:
                    if not (isinstance(proposed, str) and SESSION_ID_RE.match(proposed)):
                        logger.warning("message without a valid session_id (send session_request first); ignored")
                        return
                    base = proposed
                else:
                    base = sid
                st["base"] = base
            elif data.get("session_id") not in (None, base):
                logger.debug("message names another session id than the socket's; the socket's is used")

            raw_meta = data.get(self.metadata_key) or {}
            if isinstance(raw_meta, (str, bytes)):
                try:
                    raw_meta = json.loads(raw_meta)
                except ValueError:
                    raw_meta = {}
            message_token = raw_meta.get(TOKEN_KEY) if isinstance(raw_meta, dict) else None
            status, identity = await self.identity_for(message_token, st.get("token"))
            metadata = clean_metadata(raw_meta)
            if status == OK and identity is not None:
                metadata[TOKEN_KEY] = identity.token
            else:
                identity = None
                if status != ABSENT:
                    await tell_auth(sid, status)
            sender_id = sender_for(base, identity)
            await join(sid, st, sender_id)
            output = WebSocketIOOutput(sio, self.bot_message_evt)
            await on_new_message(UserMessage(text, output, sender_id, input_channel=self.name(), metadata=metadata))

        return bp
