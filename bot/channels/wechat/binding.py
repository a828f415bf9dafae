"""The chat side of WeChat binding: bind, unbind, and the backend token of a bound OpenID.

Why apart from the channel: the channel (bot/channels/wechat/channel.py) moves
pushes, replies and the 5 s budget; who a WeChat user is (the OpenID's binding to
an account, the bearer token that goes with each message, revoking it on unbind)
is a different concern with its own failure rules: a bound user whose binding the
backend cannot confirm hears "unavailable", never "please bind". The web pages of
binding are bot/channels/wechat/bind_page.py. ``BindingDialogue`` is a mixin of
``WeChatInput`` (its methods use the channel's state, backend client and caches).
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING, Any, Awaitable, Callable, Dict, List, Optional

from rasa.core.channels.channel import UserMessage

from bot.backend_client import BackendError, BackendUnavailable
from bot.masking import mask_name

from .bind_page import done_text
from .outputs import WeChatOutput
from .texts import BUSY_ZH, CHANNEL

if TYPE_CHECKING:  # pragma: no cover
    from contextlib import AbstractAsyncContextManager

    from bot.backend_client import BackendClient

    from .bind_page import BindPage
    from .cache import TTLCache
    from .channel import _Turn, _User

log = logging.getLogger(__name__)


class BindingDialogue:
    """Binding in the chat ("绑定" / "解绑") and the token cache of bound OpenIDs."""

    if TYPE_CHECKING:  # what it uses of WeChatInput (declared for the type checker only)
        backend: BackendClient
        binder: BindPage
        _tokens: TTLCache
        _issued: Dict[str, List[str]]

        def _say(self, turn: _Turn, text: str) -> None: ...
        def _spawn(self, coro: Awaitable[Any]) -> None: ...
        def _user_lock(self, openid: str) -> AbstractAsyncContextManager[None]: ...
        def links(self, text: str) -> str: ...
        async def push(self, openid: str, messages: List[Dict[str, Any]]) -> None: ...
        @classmethod
        def name(cls) -> str: ...

    async def _auth_token(self, openid: str) -> Optional[str]:
        """The backend token of a bound OpenID (None: not bound). Raises BackendUnavailable
        when the backend cannot say (a bound user must then hear "unavailable", not "bind")."""
        cached = self._tokens.get(openid)
        if cached is not None:
            return cached.get("token")
        try:
            body = await self.backend.token(CHANNEL, openid)
        except BackendError as err:
            log.warning("wechat: no token (backend: %s)", err)
            return None
        self._remember(openid, body)
        return (body or {}).get("token")

    def _remember(self, openid: str, body: Optional[Dict[str, Any]]) -> None:
        self._tokens.put(openid, body or {})
        token = (body or {}).get("token")
        if token:
            issued = self._issued.setdefault(openid, [])
            issued.append(str(token))
            del issued[:-50]

    # ------------------------------------------------------------ binding dialogue
    async def _start_binding(self, turn: _Turn, user: _User) -> None:
        self._tokens.pop(turn.openid)  # ask the backend afresh
        try:
            body = await self.backend.token(CHANNEL, turn.openid)
        except (BackendUnavailable, BackendError):
            self._say(turn, "系统繁忙，暂时无法绑定，请稍后再试。")
            return
        if body:
            self._remember(turn.openid, body)
            self._say(turn, f"您的微信已经绑定了账户（{mask_name(body.get('name'))}）。如需更换，请先发送“解绑”。")
            return
        self._say(turn, await self.binder.offer(turn.openid))

    # ------------------------------------------------------------ after the binding page
    def bound(self, openid: str, body: Optional[Dict[str, Any]]) -> None:
        """The binding page bound this OpenID: remember its token."""
        self._tokens.pop(openid)
        self._remember(openid, body)

    def spawn(self, coro: Awaitable[Any]) -> None:
        self._spawn(coro)

    async def after_binding(
        self,
        openid: str,
        body: Optional[Dict[str, Any]],
        pending: Optional[str],
        on_new_message: Callable[[UserMessage], Awaitable[Any]],
    ) -> None:
        """Tell the chat, and carry out the request that started the binding (its reply goes
        through the customer-service API, or with the user's next message when that is off)."""
        messages: List[Dict[str, Any]] = [{"text": done_text(mask_name((body or {}).get("name")), bool(pending))}]
        token = (body or {}).get("token")
        try:
            if pending and token:
                async with self._user_lock(openid):
                    await on_new_message(
                        UserMessage(
                            pending,
                            WeChatOutput(messages, self.links),
                            openid,
                            input_channel=self.name(),
                            metadata={"channel": CHANNEL, "auth_token": token},
                        )
                    )
        except Exception:
            log.exception("wechat: the request after binding failed")
            messages.append({"text": BUSY_ZH})
        await self.push(openid, messages)

    async def _unbind(self, turn: _Turn) -> None:
        self._tokens.pop(turn.openid)
        try:
            unbound = await self.backend.unbind(CHANNEL, turn.openid)
        except (BackendUnavailable, BackendError):
            self._say(turn, "系统繁忙，暂时无法解绑，请稍后再试。")
            return
        # Tokens handed out for this OpenID stop working now (the conversation may still hold one,
        # e.g. in session_started_metadata).
        issued = self._issued.pop(turn.openid, [])
        if issued:
            await asyncio.gather(*(self.backend.logout(t) for t in issued))
        self._say(
            turn,
            "已解除微信与账户的绑定。需要时可以再发送“绑定”。"
            if unbound
            else "您的微信还没有绑定账户。需要办理个人业务时，请发送“绑定”。",
        )
