"""WeChat account binding through a web page (网页授权), never a password in the chat.

Why its own module: these are web pages (HTTP routes, HTML, one-time links and
forms) with their own security rules, next to but apart from the WeChat push
protocol; the chat side of binding is bot/channels/wechat/binding.py.

A password typed into a WeChat conversation stays in the user's chat history
(and on every device the account syncs to). Government Official Accounts bind
through an OAuth web page instead; so does this channel:

1. "绑定" (or a personal request from an unbound user) gets a link,
   ``<a href="{public_url}/webhooks/wechat/bind/start?s=STATE">``. STATE is a
   random one-time id stored with the OpenID that asked and, when a request
   started it, that request (``bindreq:<STATE>``, ``bind_timeout_seconds``).
2. ``/bind/start`` sends the in-app browser to WeChat's authorisation URL
   (``{oauth_base}/connect/oauth2/authorize?appid=..&redirect_uri=
   {public_url}/webhooks/wechat/bind/callback&response_type=code&scope=snsapi_base
   &state=STATE#wechat_redirect``); WeChat sends it back with a ``code``.
3. ``/bind/callback`` exchanges the code for the OpenID of whoever opened the
   page (``{api_base}/sns/oauth2/access_token``, with the AppSecret): it must be
   the OpenID that asked (a forwarded link binds nobody). It answers a log-in
   form (user name + password) with a one-time form id (``bindform:<id>``).
4. ``POST /bind/login`` checks the form id, calls the backend's
   ``POST /channels/bind`` with the OpenID from step 3 (the password goes from
   the page to the backend only: not to Rasa, the chat or a log line), and on
   success carries out the request that started the binding: it goes to Rasa
   with the new token and the reply comes through the customer-service API
   (or with the user's next message when that API is off).

The pages need HTTPS in production: a request that did not arrive over HTTPS
(``request.scheme`` or ``X-Forwarded-Proto``) is refused unless ``public_url``
is a loopback address (local trials). Pages are sent with ``Cache-Control:
no-store`` and a Content-Security-Policy that allows nothing but the form.
"""

from __future__ import annotations

import html
import logging
import secrets
import time
from typing import TYPE_CHECKING, Any, Awaitable, Callable, List, Optional
from urllib.parse import quote, urlsplit

from rasa.core.channels.channel import UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.backend_client import BackendError, BackendUnavailable

from .api import WeChatAPI, WeChatAPIError

if TYPE_CHECKING:  # pragma: no cover
    from .channel import WeChatInput

log = logging.getLogger(__name__)

DEFAULT_OAUTH_BASE = "https://open.weixin.qq.com"
MAX_FAILURES = 5  # wrong passwords per OpenID within FAILURE_WINDOW
FAILURE_WINDOW = 900.0

BIND_LINK_ZH = (
    "请点击下面的链接，在网页上登录并绑定账户（{minutes}分钟内有效；密码只在网页上填写，不会出现在聊天中）：\n{anchor}"
)
BIND_ANCHOR_ZH = "登录并绑定社保账户"
NOT_CONFIGURED_ZH = "微信绑定服务暂未开通，请稍后再试，或登录网站办理。"
DONE_ZH = "绑定成功！{name}，现在可以直接办理个人业务了。"
DONE_PENDING_ZH = "绑定成功！{name}，正在办理您刚才的请求……"


def _loopback(url: str) -> bool:
    host = (urlsplit(url).hostname or "").lower()
    return host in ("127.0.0.1", "localhost", "::1") or host.startswith("127.")


def _page(title: str, body: str, status: int = 200) -> HTTPResponse:
    doc = (
        '<!doctype html><html lang="zh-CN"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width,initial-scale=1">'
        f"<title>{html.escape(title)}</title><style>"
        "body{font:16px/1.6 -apple-system,'PingFang SC','Microsoft YaHei',sans-serif;margin:0;padding:24px;"
        "background:#f4f6f9;color:#1f2d3d}main{max-width:420px;margin:0 auto;background:#fff;border-radius:12px;"
        "padding:24px;box-shadow:0 1px 4px rgba(0,0,0,.08)}h1{font-size:20px;margin:0 0 12px}"
        "label{display:block;margin:14px 0 4px}input{width:100%;box-sizing:border-box;font-size:16px;padding:10px;"
        "border:1px solid #c8d1dc;border-radius:8px}button{margin-top:18px;width:100%;font-size:17px;padding:12px;"
        "border:0;border-radius:8px;background:#1565c0;color:#fff}.error{color:#b71c1c}.note{color:#5b6b7c;"
        "font-size:14px}</style></head><body><main>"
        f"<h1>{html.escape(title)}</h1>{body}</main></body></html>"
    )
    return response.html(
        doc,
        status=status,
        headers={
            "Cache-Control": "no-store",
            "Referrer-Policy": "no-referrer",
            "X-Content-Type-Options": "nosniff",
            "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; "
            "frame-ancestors 'none'; base-uri 'none'",
        },
    )


def _form(nonce: str, name_hint: str = "", error: str = "") -> str:
    err = f'<p class="error" role="alert">{html.escape(error)}</p>' if error else ""
    return (
        f'{err}<p class="note">请用深圳社保个人网上服务系统的用户名和密码登录，绑定后在微信里就能直接办理个人业务。'
        "密码只用于这一次核验，不会发到聊天中。</p>"
        '<form method="post" action="login" autocomplete="off">'
        f'<input type="hidden" name="f" value="{html.escape(nonce)}">'
        '<label for="u">用户名</label>'
        f'<input id="u" name="username" required maxlength="64" value="{html.escape(name_hint)}" '
        'autocapitalize="off" autocorrect="off">'
        '<label for="p">密码</label>'
        '<input id="p" name="password" type="password" required maxlength="128">'
        '<button type="submit">登录并绑定</button></form>'
    )


class BindPage:
    """The binding pages of one WeChat channel (routes under its webhook blueprint)."""

    def __init__(
        self,
        channel: "WeChatInput",
        public_url: str,
        oauth_base: Optional[str],
        api: WeChatAPI,
        ttl_seconds: float,
    ) -> None:
        self.channel = channel
        self.public_url = (public_url or "").rstrip("/")
        self.oauth_base = (oauth_base or DEFAULT_OAUTH_BASE).rstrip("/")
        self.api = api
        self.app_id, self.app_secret = api.app_id, api.app_secret
        self.ttl = float(ttl_seconds)
        if self.public_url and not self.public_url.startswith("https://") and not _loopback(self.public_url):
            log.warning("wechat: public_url %s is not HTTPS: the binding page will refuse requests", self.public_url)

    @property
    def configured(self) -> bool:
        return bool(self.public_url and self.app_id and self.app_secret)

    # ------------------------------------------------------------ the chat side
    async def offer(self, openid: str, pending: Optional[str] = None) -> str:
        """A new one-time binding link for this OpenID (and the request to carry out after)."""
        if not self.configured:
            log.error("wechat: binding needs public_url, app_id and app_secret")
            return NOT_CONFIGURED_ZH
        state = secrets.token_urlsafe(24)
        await self.channel.state.set(
            f"bindreq:{state}", {"openid": openid, "pending": pending, "at": time.time()}, self.ttl
        )
        href = f"{self.public_url}/webhooks/wechat/bind/start?s={state}"
        anchor = f'<a href="{href}">{BIND_ANCHOR_ZH}</a>'
        return BIND_LINK_ZH.format(minutes=max(1, int(self.ttl // 60)), anchor=anchor)

    # ------------------------------------------------------------ the pages
    def _secure(self, request: Request) -> bool:
        if _loopback(self.public_url):
            return True  # local trials
        proto = (request.headers.get("x-forwarded-proto") or request.scheme or "").split(",")[0].strip().lower()
        return proto == "https"

    def routes(self, bp: Blueprint, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> None:
        @bp.route("/bind/start", methods=["GET"])
        async def start(request: Request) -> HTTPResponse:
            if not self._secure(request):
                return _page("请使用HTTPS", "<p>为保护您的密码，绑定页面只能通过HTTPS打开。</p>", 403)
            state = str(request.args.get("s") or "")
            req = await self.channel.state.get(f"bindreq:{state}") if state else None
            if not isinstance(req, dict) or not self.configured:
                return _page("链接已失效", "<p>这个绑定链接已失效或已使用。请回到微信重新发送“绑定”。</p>", 410)
            redirect = quote(f"{self.public_url}/webhooks/wechat/bind/callback", safe="")
            url = (
                f"{self.oauth_base}/connect/oauth2/authorize?appid={quote(self.app_id)}&redirect_uri={redirect}"
                f"&response_type=code&scope=snsapi_base&state={quote(state)}#wechat_redirect"
            )
            return response.redirect(url, headers={"Cache-Control": "no-store"})

        @bp.route("/bind/callback", methods=["GET"])
        async def callback(request: Request) -> HTTPResponse:
            if not self._secure(request):
                return _page("请使用HTTPS", "<p>为保护您的密码，绑定页面只能通过HTTPS打开。</p>", 403)
            state, code = str(request.args.get("state") or ""), str(request.args.get("code") or "")
            req = await self.channel.state.get(f"bindreq:{state}") if state else None
            if not isinstance(req, dict):
                return _page("链接已失效", "<p>这个绑定链接已失效或已使用。请回到微信重新发送“绑定”。</p>", 410)
            if not code:  # the user declined the authorisation
                return _page("没有授权", "<p>没有获得微信授权，绑定没有进行。请回到微信重新发送“绑定”。</p>", 400)
            openid = await self._openid(code)
            if not openid:
                return _page("暂时无法绑定", "<p>微信授权暂时无法完成，请稍后回到微信重新发送“绑定”。</p>", 502)
            if openid != req.get("openid"):
                log.warning("wechat bind: the link was opened by another WeChat user")
                return _page(
                    "请在自己的微信中打开",
                    "<p>这个链接只能由发起绑定的微信用户打开。请在您自己的微信中发送“绑定”。</p>",
                    403,
                )
            nonce = secrets.token_urlsafe(24)
            await self.channel.state.set(f"bindform:{nonce}", {"openid": openid, "state": state}, self.ttl)
            return _page("绑定社保账户", _form(nonce))

        @bp.route("/bind/login", methods=["POST"])
        async def login(request: Request) -> HTTPResponse:
            if not self._secure(request):
                return _page("请使用HTTPS", "<p>为保护您的密码，绑定页面只能通过HTTPS打开。</p>", 403)
            form = request.form or {}
            nonce = str(form.get("f") or "")
            username = str(form.get("username") or "").strip()[:64]
            password = str(form.get("password") or "")[:128]
            ticket = await self.channel.state.get(f"bindform:{nonce}") if nonce else None
            if not isinstance(ticket, dict):
                return _page("页面已失效", "<p>这个页面已失效。请回到微信重新发送“绑定”。</p>", 410)
            openid = str(ticket["openid"])
            failures = [
                t
                for t in (await self.channel.state.get(f"bindfail:{openid}") or [])
                if time.time() - float(t) < FAILURE_WINDOW
            ]
            if len(failures) >= MAX_FAILURES:
                return _page("请稍后再试", "<p>绑定失败次数过多，请15分钟后再试。</p>", 429)
            if not username or not password:
                return _page("绑定社保账户", _form(nonce, username, "请输入用户名和密码。"), 400)
            try:
                body = await self.channel.backend.bind("wechat", openid, username, password)
            except BackendUnavailable:
                return _page("绑定社保账户", _form(nonce, username, "系统繁忙，请稍后再试。"), 503)
            except BackendError as err:
                if err.status == 409:
                    return _page(
                        "无法绑定",
                        f"<p>{html.escape(err.message_zh or '该微信号已绑定其他账户')}。"
                        "请先在微信中发送“解绑”，再重新绑定。</p>",
                        409,
                    )
                if err.status == 429:  # the account is locked after wrong passwords on any channel (backend)
                    return _page(
                        "请稍后再试", f"<p>{html.escape(err.message_zh or '密码错误次数过多，请稍后再试')}。</p>", 429
                    )
                failures.append(time.time())
                await self.channel.state.set(f"bindfail:{openid}", failures, FAILURE_WINDOW)
                return _page("绑定社保账户", _form(nonce, username, "用户名或密码不正确，请重新输入。"), 401)
            # one-time: the form and the link are used up
            await self.channel.state.delete(f"bindform:{nonce}")
            req = await self.channel.state.get(f"bindreq:{ticket['state']}") or {}
            await self.channel.state.delete(f"bindreq:{ticket['state']}")
            await self.channel.state.delete(f"bindfail:{openid}")
            pending = req.get("pending") if isinstance(req, dict) else None
            self.channel.bound(openid, body)
            self.channel.spawn(self.channel.after_binding(openid, body, pending, on_new_message))
            note = (
                "您刚才的请求正在办理，结果会发到微信对话中。"
                if pending
                else "现在可以回到微信，直接告诉我您要办理的业务。"
            )
            return _page("绑定成功", f'<p>绑定成功！{note}</p><p class="note">请关闭本页面，返回微信。</p>')

    async def _openid(self, code: str) -> Optional[str]:
        """The OAuth code -> the OpenID of the WeChat user who opened the page."""
        try:
            return await self.api.oauth_openid(code)
        except WeChatAPIError as err:
            if err.errcode == "network":
                log.warning("wechat oauth: code exchange failed (%s)", err)
            else:
                log.warning("wechat oauth: code refused (errcode %s)", err.errcode)
            return None


def done_text(name: str, pending: bool) -> str:
    return (DONE_PENDING_ZH if pending else DONE_ZH).format(name=name)


__all__: List[str] = ["BindPage", "done_text", "DEFAULT_OAUTH_BASE"]
