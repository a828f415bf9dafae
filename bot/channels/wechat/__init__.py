"""WeChat Official Account (公众号) input channel for Rasa 3.6.

``bot.channels.wechat.WeChatInput`` (the class path credentials.yml names). The
package is split by concern, each module saying why it stands apart:
``channel`` (Rasa/Sanic, the turn and its 5 s budget), ``protocol`` (XML in and
out), ``crypto`` (signatures, safe mode), ``api`` (the WeChat server API),
``binding`` (binding in the chat, the backend token of an OpenID),
``bind_page`` (the binding web pages), ``outputs`` (Rasa output channels),
``cache`` and ``texts``. The backend is called through bot/backend_client.py.

URL (set it as the server URL in the Official Account console):
``https://<host>/webhooks/wechat/webhook``

Protocol handled here
---------------------
- ``GET`` URL verification: ``signature == sha1(sorted(token, timestamp, nonce))``
  -> answer ``echostr``; otherwise 403. Every ``POST`` is checked the same way
  (constant-time compare; timestamps older than ``max_clock_skew_seconds`` are
  refused too).
- Safe mode (``encrypt_type=aes``) is required: ``msg_signature`` over the
  ``Encrypt`` element is checked (constant time), the message is decrypted with
  the EncodingAESKey/AppID, and the reply is encrypted the same way (wechatpy's
  ``PrpCrypto``/``WeChatCrypto``). The plain ``signature`` covers only token,
  timestamp and nonce, not the body, so plaintext pushes are refused unless
  ``allow_plaintext: true`` (development only; env ``WECHAT_ALLOW_PLAINTEXT=1``);
  without an EncodingAESKey and without that setting the channel is disabled
  (503) and says why in the log.
- Replay (issue 11, finding 4): timestamps more than ``max_clock_skew_seconds``
  (default 300) from now are refused, and every (timestamp, nonce) is
  remembered for that long in the state store (this process's memory, or Redis
  when configured) with a digest of the request: the same nonce with another
  body is refused (403); the identical request again is WeChat's retry (below).
  This covers the pushes that start or end a binding too ("绑定", "解绑"); the
  binding page's own links and forms are one-time (bot/channels/wechat/bind_page.py).
- Text messages (and voice messages with WeChat's ``Recognition`` text) go to
  Rasa; ``subscribe`` gets a welcome; menu ``CLICK`` with an item code as
  EventKey (``stop_child_insurance``) goes to Rasa as ``/stop_child_insurance``;
  other message types get a polite text reply; other events get ``success``.
- The passive reply is one text message in valid XML (``]]>`` split across
  CDATA sections, XML-invalid characters dropped) within ``reply_budget_seconds``
  (default 4.5; WeChat waits 5). A slower turn answers in time with what is
  ready, or ``interim_text`` ("正在处理，请稍候……"; empty -> ``success``), and
  the rest goes through the customer-service message API
  (``{api_base}/cgi-bin/message/custom/send``; access token from
  ``{api_base}/cgi-bin/token``, cached until shortly before it expires).
  Texts longer than WeChat's limit are split; the overflow goes the same way.
- Retries (same MsgId; events: same FromUserName + CreateTime) are processed
  once: the first request claims that id in the channel state store (atomic,
  ``dedup_ttl_seconds``); a retry waits for the first within its own budget and
  gets the same reply. A retry reaching another Rasa process (shared Redis
  store) polls the store for the reply the first process fixed until its own
  deadline, and otherwise answers ``success`` (empty) rather than process the
  message twice; the rest then comes through the customer-service API.

Identity
--------
sender_id = OpenID (one stable conversation per user). The OpenID is bound to
an account on a web page (WeChat's 网页授权, ``bot/channels/wechat/bind_page.py``),
never with a password in the chat: "绑定"/"bind", or a personal request from an
unbound user, gets a one-time link; the page learns the OpenID from WeChat's
OAuth code, takes the user name and password, calls ``POST /channels/bind``
and then carries out the request that started the binding. "解绑"/"unbind" ->
``POST /channels/unbind``.
Every other message carries ``metadata = {"channel": "wechat", "auth_token":
<token from POST /channels/token, cached briefly>}``; unbound users get no
token (the assistant answers questions and tells them to send 绑定).

Buttons are rendered as "回复 1：确认"; a reply "1" maps back to that button's
payload (last buttons sent to that user, for ``button_ttl_seconds``).

State: retry de-duplication, the binding dialogue (never the password), the
numbered buttons and texts the customer-service API could not deliver live in
the channel state store (``bot/channels/state.py``): this process's memory by
default, or Redis (``state_store: redis://host:6379/3`` or env
``SZ_CHANNEL_STATE_STORE``) shared by several Rasa processes. Per process:
the backend-token cache (``token_cache_seconds``) and the access token;
several processes that each fetch an access token invalidate each other's
(use one token service in that case).
"""

from __future__ import annotations

from .api import DEFAULT_API_BASE, WeChatAPI, WeChatAPIError
from .bind_page import BindPage
from .channel import WeChatInput
from .outputs import WeChatCustomerServiceOutput, WeChatOutput
from .protocol import cdata, text_reply_xml
from .texts import CHANNEL

__all__ = [
    "CHANNEL",
    "DEFAULT_API_BASE",
    "BindPage",
    "WeChatAPI",
    "WeChatAPIError",
    "WeChatCustomerServiceOutput",
    "WeChatInput",
    "WeChatOutput",
    "cdata",
    "text_reply_xml",
]
