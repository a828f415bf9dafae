"""The WeChat Official Account channel, driven like WeChat's servers drive it.

wechatpy is the independent client: it signs (and in safe mode encrypts) the
pushes, and decrypts and parses the channel's replies. The channel's Sanic
blueprint is served by a real HTTP server on a free port; a fake
``on_new_message`` answers through the output channel (no trained model); a
local HTTP server plays the customer-service message API and WeChat's OAuth
(网页授权: the authorisation redirect and the code -> OpenID exchange); binding on
the project's web page runs against a REAL backend process.
"""

from __future__ import annotations

import concurrent.futures
import logging
import time
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Dict, Iterator

import pytest
import requests

pytest.importorskip("rasa")
wechatpy = pytest.importorskip("wechatpy")

from channel_fixtures import (  # noqa: E402
    PASSWORD,
    SERVICE_KEY,
    FakeBot,
    FakeWeChatAPI,
    SanicServer,
    bind_link,
    bind_on_page,
)
from wechat_driver import (  # noqa: E402
    AES_KEY,
    APP_ID,
    APP_SECRET,
    BUDGET,
    CONFIRM_BUTTONS,
    GH,
    LONG_TEXT,
    PUBLIC_BACKEND,
    SLOW,
    TOKEN,
    _ids,
    answer,
    decrypt_reply,
    encrypted_push,
    event_push,
    media_push,
    post,
    reply_of,
    say,
    script,  # noqa: F401  (what conftest.py's bot answers)
    signed_query,
    text_push,
)
from wechatpy.crypto import WeChatCrypto  # noqa: E402

from bot.channels.rendering import split_utf8, wechat_render  # noqa: E402
from bot.channels.wechat import WeChatInput, cdata, text_reply_xml  # noqa: E402

# ---------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def channels(backend_url: str, fake_api: FakeWeChatAPI) -> Dict[str, WeChatInput]:
    common = dict(
        token=TOKEN,
        app_id=APP_ID,
        app_secret=APP_SECRET,
        api_base=fake_api.url,
        oauth_base=fake_api.url,
        reply_budget_seconds=BUDGET,
        backend_url=backend_url,
        service_key=SERVICE_KEY,
        link_base=PUBLIC_BACKEND,
    )
    return {
        "plain": WeChatInput.from_credentials(dict(common, allow_plaintext=True)),  # development setting
        "safe": WeChatInput.from_credentials(dict(common, encoding_aes_key=AES_KEY, require_encryption=True)),
    }


@pytest.fixture(scope="module")
def server(channels: Dict[str, WeChatInput], bot: FakeBot) -> Iterator[SanicServer]:
    srv = SanicServer(
        {"/webhooks/wechat": channels["plain"].blueprint(bot), "/webhooks/wechat_safe": channels["safe"].blueprint(bot)}
    )
    channels["plain"].binder.public_url = srv.url  # the binding links point at this server
    srv.start()
    yield srv
    srv.stop()


# ---------------------------------------------------------------- URL verification and signatures


def test_url_verification_echoes_echostr(server: SanicServer) -> None:
    query = dict(signed_query(), echostr="echo-1234567890")
    resp = requests.get(server.url + "/webhooks/wechat/webhook", params=query, timeout=5)
    assert resp.status_code == 200
    assert resp.text == "echo-1234567890"


def test_url_verification_bad_signature_is_403(server: SanicServer) -> None:
    query = dict(signed_query(), echostr="echo")
    query["signature"] = "0" * 40
    assert requests.get(server.url + "/webhooks/wechat/webhook", params=query, timeout=5).status_code == 403
    assert requests.get(server.url + "/webhooks/wechat/webhook", params={"echostr": "x"}, timeout=5).status_code == 403


def test_unsigned_or_stale_push_is_refused_and_not_processed(server: SanicServer, bot: FakeBot) -> None:
    query = signed_query()
    query["signature"] = query["signature"][::-1]
    assert post(server, text_push("o_forged", "你好"), query=query).status_code == 403
    stale = signed_query(int(time.time()) - 3600)
    assert post(server, text_push("o_forged", "你好"), query=stale).status_code == 403
    assert post(server, "<xml><not-wechat", query=signed_query()).status_code == 400
    assert bot.texts("o_forged") == []


# ---------------------------------------------------------------- messages


def test_plaintext_text_message(server: SanicServer, bot: FakeBot) -> None:
    msg = reply_of(post(server, text_push("o_plain_user", "怎么交社保")))
    assert msg.type == "text"
    assert msg.content == "收到：怎么交社保"
    assert msg.source == GH and msg.target == "o_plain_user"  # reply goes back to the user
    got = bot.last("o_plain_user")
    assert got["sender_id"] == "o_plain_user"  # the OpenID: one stable conversation
    assert got["input_channel"] == "wechat"
    assert got["metadata"]["channel"] == "wechat"
    assert "auth_token" not in got["metadata"]  # not bound


def test_safe_mode_round_trip(server: SanicServer, bot: FakeBot) -> None:
    crypto = WeChatCrypto(TOKEN, AES_KEY, APP_ID)
    body, query = encrypted_push(crypto, text_push("o_safe_user", "安全模式你好"))
    msg = decrypt_reply(crypto, post(server, body, "/webhooks/wechat_safe/webhook", query))
    assert msg.content == "收到：安全模式你好"
    assert msg.target == "o_safe_user"
    assert bot.last("o_safe_user")["text"] == "安全模式你好"


def test_safe_mode_refuses_bad_msg_signature_other_app_and_plaintext(server: SanicServer, bot: FakeBot) -> None:
    crypto = WeChatCrypto(TOKEN, AES_KEY, APP_ID)
    body, query = encrypted_push(crypto, text_push("o_safe_bad", "篡改"))
    query["msg_signature"] = "f" * 40
    assert post(server, body, "/webhooks/wechat_safe/webhook", query).status_code == 403
    other_app = WeChatCrypto(TOKEN, AES_KEY, "wx_other_app_id00")
    body, query = encrypted_push(other_app, text_push("o_safe_bad", "别的公众号"))
    assert post(server, body, "/webhooks/wechat_safe/webhook", query).status_code == 403
    # require_encryption: a plaintext push to the safe-mode channel is refused
    assert post(server, text_push("o_safe_bad", "明文"), "/webhooks/wechat_safe/webhook").status_code == 403
    assert bot.texts("o_safe_bad") == []


def test_cdata_terminator_in_bot_text_stays_valid_xml(server: SanicServer) -> None:
    resp = post(server, text_push("o_cdata_user", "cdata"))
    msg = reply_of(resp)  # parses (well-formed XML)
    assert msg.content == "危险字符 ]]> 与 <xml> & 都要原样显示"
    # and in safe mode the decrypted reply is valid too
    crypto = WeChatCrypto(TOKEN, AES_KEY, APP_ID)
    body, query = encrypted_push(crypto, text_push("o_cdata_user", "cdata"))
    assert decrypt_reply(crypto, post(server, body, "/webhooks/wechat_safe/webhook", query)).content.count("]]>") == 1


def test_retry_with_same_msgid_is_processed_once_with_the_same_reply(server: SanicServer, bot: FakeBot) -> None:
    push = text_push("o_retry_user", "retry-me", msg_id=next(_ids))
    with concurrent.futures.ThreadPoolExecutor(3) as pool:
        first = pool.submit(post, server, push)
        time.sleep(0.1)  # the retry arrives while the first is processing
        second = pool.submit(post, server, push)
        replies = [reply_of(first.result()).content, reply_of(second.result()).content]
    replies.append(reply_of(post(server, push)).content)  # a late retry: from the cache
    assert replies == ["只处理一次。"] * 3
    assert bot.texts("o_retry_user") == ["retry-me"]


def test_event_retry_same_sender_and_create_time_is_deduplicated(server: SanicServer, bot: FakeBot) -> None:
    created = int(time.time())
    push = event_push("o_click_retry", "CLICK", "stop_child_insurance", create_time=created)
    first = reply_of(post(server, push)).content
    second = reply_of(post(server, push)).content
    assert first == second
    assert bot.texts("o_click_retry") == ["/stop_child_insurance"]


def test_slow_turn_answers_in_time_and_sends_the_rest_through_the_api(
    server: SanicServer, bot: FakeBot, fake_api: FakeWeChatAPI
) -> None:
    before = len(fake_api.sent)
    push = text_push("o_slow_user", "slow")
    started = time.monotonic()
    first = reply_of(post(server, push))
    elapsed = time.monotonic() - started
    assert elapsed < BUDGET + 1.5, elapsed  # within the budget (WeChat waits 5 s)
    assert first.content == "正在处理，请稍候……"
    sent = fake_api.wait_sent(before + 1)[before:]
    assert len(sent) == 1
    assert sent[0]["body"] == {
        "touser": "o_slow_user",
        "msgtype": "text",
        "text": {"content": "慢答复：已经为您查好了。"},
    }
    assert "慢答复".encode("utf-8") in sent[0]["raw"]  # raw UTF-8, not \\u escapes
    assert fake_api.token_requests and fake_api.token_requests[-1]["appid"] == [APP_ID]
    # a retry of the same push gets the same in-time reply, and nothing is sent twice
    assert reply_of(post(server, push)).content == "正在处理，请稍候……"
    time.sleep(0.3)
    assert len(fake_api.sent) == before + 1
    assert bot.texts("o_slow_user") == ["slow"]


def test_slow_turn_passive_reply_carries_what_is_ready(server: SanicServer, fake_api: FakeWeChatAPI) -> None:
    before = len(fake_api.sent)
    assert say(server, "o_partial_user", "partial") == "好的，正在为您查询。"
    sent = fake_api.wait_sent(before + 1)[before:]
    assert [s["body"]["text"]["content"] for s in sent] == ["查询结果：本月已缴费。"]


def test_access_token_is_cached_and_refreshed_when_rejected(server: SanicServer, fake_api: FakeWeChatAPI) -> None:
    say(server, "o_token_user", "slow")
    fake_api.wait_sent(len(fake_api.sent) + 1)
    fetched = len(fake_api.token_requests)
    before = len(fake_api.sent)
    fake_api.expire_token_once = True  # WeChat says 42001: fetch a new token once
    say(server, "o_token_user", "slow")
    sent = fake_api.wait_sent(before + 1)[before:]
    assert sent and sent[0]["body"]["text"]["content"] == "慢答复：已经为您查好了。"
    assert len(fake_api.token_requests) == fetched + 1
    before = len(fake_api.sent)
    say(server, "o_token_user", "slow")  # cached again: no new token request
    fake_api.wait_sent(before + 1)
    assert len(fake_api.token_requests) == fetched + 1


def test_undeliverable_api_message_comes_with_the_next_reply(server: SanicServer, fake_api: FakeWeChatAPI) -> None:
    fake_api.fail_sends = 1
    assert say(server, "o_undelivered", "slow") == "正在处理，请稍候……"
    time.sleep(SLOW + 1.5)
    reply = say(server, "o_undelivered", "你好")
    assert reply.startswith("慢答复：已经为您查好了。") and reply.endswith("收到：你好")


def test_long_reply_is_split_and_the_rest_sent_through_the_api(server: SanicServer, fake_api: FakeWeChatAPI) -> None:
    before = len(fake_api.sent)
    first = say(server, "o_long_user", "long")
    assert len(first.encode("utf-8")) <= 2048
    chunks = len(split_utf8(LONG_TEXT, 2000))
    assert chunks >= 3
    sent = fake_api.wait_sent(before + chunks - 1)[before:]
    assert len(sent) == chunks - 1
    rest = "\n".join(s["body"]["text"]["content"] for s in sent)
    assert (first + "\n" + rest).replace("\n", "") == LONG_TEXT.replace("\n", "")


def test_channel_signals_are_not_shown(server: SanicServer, bot: FakeBot) -> None:
    """The actions' custom signal payloads ({"signal": "verify_identity"}, for the phone channel)
    never appear in a WeChat reply."""
    reply = say(server, "o_signal_user", "打印参保证明")
    assert reply.startswith("查询或办理个人业务前，需要先确认您的身份。请先发送“绑定”。")
    assert "signal" not in reply and "verify_identity" not in reply
    assert bind_link(reply)  # the channel offers the binding page at once


def test_subscribe_gets_a_welcome(server: SanicServer, bot: FakeBot) -> None:
    msg = reply_of(post(server, event_push("o_new_follower", "subscribe")))
    assert "欢迎" in msg.content and "绑定" in msg.content and "停保" in msg.content
    assert bot.texts("o_new_follower") == []
    assert post(server, event_push("o_new_follower", "unsubscribe")).text == "success"
    assert post(server, event_push("o_new_follower", "VIEW", "https://example.org/")).text == "success"


def test_menu_click_maps_to_the_item_and_numbers_map_to_buttons(server: SanicServer, bot: FakeBot) -> None:
    msg = reply_of(post(server, event_push("o_menu_user", "CLICK", "stop_child_insurance")))
    assert bot.last("o_menu_user")["text"] == "/stop_child_insurance"
    assert msg.content == "请确认：为李小明办理少儿医保停保。\n回复 1：确认\n回复 2：取消"
    assert say(server, "o_menu_user", "1") == "已办结：少儿医保停保。"
    assert bot.last("o_menu_user")["text"] == "/affirm"
    assert say(server, "o_menu_user", "1") == "收到：1"  # the buttons were used: "1" is just text now
    assert "菜单" in reply_of(post(server, event_push("o_menu_user", "CLICK", "bad key!"))).content
    assert bot.texts("o_menu_user") == ["/stop_child_insurance", "/affirm", "1"]


def test_image_and_other_types_get_a_polite_reply(server: SanicServer, bot: FakeBot) -> None:
    for msg_type in ("image", "video", "location"):
        msg = reply_of(post(server, media_push("o_image_user", msg_type)))
        assert "文字" in msg.content
    assert bot.texts("o_image_user") == []


def test_voice_with_recognition_is_treated_as_text(server: SanicServer, bot: FakeBot) -> None:
    push = (
        f"<xml><ToUserName><![CDATA[{GH}]]></ToUserName><FromUserName><![CDATA[o_voice_user]]></FromUserName>"
        f"<CreateTime>{int(time.time())}</CreateTime><MsgType><![CDATA[voice]]></MsgType>"
        "<MediaId><![CDATA[m]]></MediaId><Format><![CDATA[amr]]></Format>"
        f"<Recognition><![CDATA[我要停保。]]></Recognition><MsgId>{next(_ids)}</MsgId></xml>"
    )
    assert reply_of(post(server, push)).content == "收到：我要停保"
    # WeChat recognised nothing: ask again, not "only text is understood"
    empty = push.replace("<![CDATA[我要停保。]]>", "<![CDATA[]]>").replace(str(next(_ids) - 1), str(next(_ids)))
    assert reply_of(post(server, empty)).content == "没听清，请再说一遍。"
    assert bot.texts("o_voice_user") == ["我要停保"]


def test_links_are_anchors_on_the_public_url(server: SanicServer) -> None:
    reply = say(server, "o_link_user", "cert-link")
    assert reply == (
        '参保证明已生成。\n<a href="https://si.example.gov.cn/api/documents/ZM1.pdf?e=1&s=abc">下载打印</a>'
    )
    assert "127.0.0.1" not in reply
    from bot.channels.rendering import wechat_links

    assert wechat_links(reply, "https://x", ["http://127.0.0.1:8000"]) == reply  # links once, whatever the path


def test_bot_failure_gives_a_busy_reply(server: SanicServer) -> None:
    assert say(server, "o_boom_user", "boom") == "系统繁忙，请稍后再试。"


# ---------------------------------------------------------------- binding (real backend)


def test_binding_on_the_oauth_page_then_the_request_is_carried_out(
    server: SanicServer, bot: FakeBot, backend_url: str, fake_api: FakeWeChatAPI, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    user = "o_bind_zhangwei"
    say = lambda srv, openid, text: answer(srv, fake_api, openid, text)  # noqa: E731
    assert say(server, user, "whoami") == "未绑定，请发送“绑定”"
    assert "auth_token" not in bot.last(user)["metadata"]

    # a personal request while unbound: the binding link, and no password is asked for in the chat
    reply = say(server, user, "打印参保证明")
    link = bind_link(reply)
    assert "不会出现在聊天中" in reply and "请发送登录密码" not in reply
    # the link forwarded to another WeChat user binds nobody (OAuth tells the page who opened it)
    pages = bind_on_page(link, "o_someone_else", "zhangwei", PASSWORD)
    assert pages["form"].status_code == 403 and "result" not in pages
    # the user's own WeChat: OAuth -> the log-in form; a wrong password first
    pages = bind_on_page(link, user, "zhangwei", "wrong-password")
    assert pages["form"].headers["Cache-Control"] == "no-store"
    assert "default-src 'none'" in pages["form"].headers["Content-Security-Policy"]
    assert pages["result"].status_code == 401 and "不正确" in pages["result"].text
    assert say(server, user, "whoami") == "未绑定，请发送“绑定”"
    # the same form with the right password
    before = len(fake_api.sent)
    done = requests.post(
        pages["login_url"], data={"f": pages["nonce"], "username": "zhangwei", "password": PASSWORD}, timeout=20
    )
    assert done.status_code == 200 and "绑定成功" in done.text
    # the request that started the binding is carried out with the new token; its reply is pushed
    sent = [s for s in fake_api.wait_sent(before + 1)[before:] if s["body"]["touser"] == user]
    pushed = "\n".join(s["body"]["text"]["content"] for s in sent)
    assert "绑定成功" in pushed and "张*" in pushed and "收到：打印参保证明" in pushed, pushed
    assert bot.last(user)["text"] == "打印参保证明" and bot.last(user)["metadata"].get("auth_token")
    # the password reached neither Rasa nor a log line; the link and the form are used up
    assert not any(PASSWORD in t for t in bot.texts(user)) and PASSWORD not in caplog.text
    assert requests.get(link, allow_redirects=False, timeout=10).status_code == 410
    again = requests.post(
        pages["login_url"], data={"f": pages["nonce"], "username": "zhangwei", "password": PASSWORD}, timeout=20
    )
    assert again.status_code == 410

    assert say(server, user, "whoami") == "已绑定"
    meta = bot.last(user)["metadata"]
    assert meta["channel"] == "wechat"
    me = requests.get(f"{backend_url}/me", headers={"Authorization": f"Bearer {meta['auth_token']}"}, timeout=10)
    assert me.status_code == 200 and me.json()["name"].startswith("张")

    assert "已经绑定" in say(server, user, "绑定")
    assert "解除" in say(server, user, "解绑")
    # the tokens handed out while bound are revoked (a conversation may still hold one)
    me = requests.get(f"{backend_url}/me", headers={"Authorization": f"Bearer {meta['auth_token']}"}, timeout=10)
    assert me.status_code == 401
    assert say(server, user, "whoami") == "未绑定，请发送“绑定”"
    assert "auth_token" not in bot.last(user)["metadata"]
    assert "还没有绑定" in say(server, user, "unbind")


def test_binding_page_needs_https_in_production(
    server: SanicServer, channels: Dict[str, WeChatInput], fake_api: FakeWeChatAPI
) -> None:
    user = "o_bind_https"
    link = bind_link(answer(server, fake_api, user, "绑定"))
    binder = channels["plain"].binder
    local = binder.public_url
    binder.public_url = "https://wx.example.gov.cn"  # production: a public HTTPS address
    try:
        plain = requests.get(link, allow_redirects=False, timeout=10)
        assert plain.status_code == 403 and "HTTPS" in plain.text
        behind_tls = requests.get(link, allow_redirects=False, headers={"X-Forwarded-Proto": "https"}, timeout=10)
        assert behind_tls.status_code == 302
        target = behind_tls.headers["Location"]
        assert target.startswith(fake_api.url + "/connect/oauth2/authorize?appid=" + APP_ID)
        assert "redirect_uri=https%3A%2F%2Fwx.example.gov.cn%2Fwebhooks%2Fwechat%2Fbind%2Fcallback" in target
        assert "scope=snsapi_base" in target and target.endswith("#wechat_redirect")
    finally:
        binder.public_url = local


# ---------------------------------------------------------------- rendering units


def test_wechat_rendering_units() -> None:
    r = wechat_render(
        [
            {"text": "请确认 **李小明**（4403**********111X）", "buttons": CONFIRM_BUTTONS},
            {"text": "详情见 [网站](https://si.example.org/a)"},
        ]
    )
    assert r.text == (
        "请确认 李小明（4403**********111X）\n回复 1：确认\n回复 2：取消\n\n"
        '详情见 <a href="https://si.example.org/a">网站</a>'
    )
    assert [b["payload"] for b in r.buttons] == ["/affirm", "/cancel"]
    assert (
        wechat_render([{"text": "Please confirm", "buttons": CONFIRM_BUTTONS[:1]}]).text
        == "Please confirm\nReply 1: 确认"
    )
    assert cdata("a]]>b") == "<![CDATA[a]]]]><![CDATA[>b]]>"
    assert ET.fromstring(text_reply_xml("o", GH, "x\x00y]]>")).findtext("Content") == "xy]]>"
    pieces = split_utf8("字" * 1500, 2000)
    assert all(len(p.encode()) <= 2000 for p in pieces) and "".join(pieces) == "字" * 1500


def test_documented_credentials_entry_loads_through_rasa(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The credentials.yml entries of docs/channels.md, loaded the way `rasa run` loads them."""
    import re

    from rasa.core.run import create_http_input_channels

    doc = (Path(__file__).resolve().parents[2] / "docs" / "channels.md").read_text(encoding="utf-8")
    block = re.search(r"## credentials.yml entries.*?```yaml\n(.*?)```", doc, re.S).group(1)
    path = tmp_path / "credentials.yml"
    path.write_text(block, encoding="utf-8")

    for var in ("WECHAT_TOKEN", "WECHAT_APP_ID", "WECHAT_APP_SECRET", "WECHAT_ENCODING_AES_KEY"):
        monkeypatch.delenv(var, raising=False)
    (disabled,) = [c for c in create_http_input_channels(None, str(path)) if isinstance(c, WeChatInput)]
    assert disabled.disabled and disabled.url_prefix() == "wechat"  # no token: 503, Rasa still starts

    monkeypatch.setenv("WECHAT_TOKEN", TOKEN)
    monkeypatch.setenv("WECHAT_APP_ID", APP_ID)
    monkeypatch.setenv("WECHAT_APP_SECRET", APP_SECRET)
    monkeypatch.setenv("WECHAT_ENCODING_AES_KEY", AES_KEY)
    (channel,) = [c for c in create_http_input_channels(None, str(path)) if isinstance(c, WeChatInput)]
    assert not channel.disabled and channel.token == TOKEN and channel.reply_budget == 4.5
    assert channel.api.api_base == "https://api.weixin.qq.com" and channel.api.configured
    assert channel._crypto is not None  # safe mode ready
    assert channel.get_output_channel() is not None


def test_disabled_channel_answers_503(bot: FakeBot) -> None:
    srv = SanicServer({"/webhooks/wechat": WeChatInput.from_credentials({}).blueprint(bot)}).start()
    try:
        query = dict(signed_query(), echostr="x")
        assert requests.get(srv.url + "/webhooks/wechat/webhook", params=query, timeout=5).status_code == 503
        assert post(srv, text_push("o_disabled", "你好")).status_code == 503
    finally:
        srv.stop()
