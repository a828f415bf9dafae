"""The channels' state store (bot/channels/state.py) and two channel instances sharing it.

Unit tests of the in-memory and the Redis store (a real Redis at 127.0.0.1:6379,
skipped when there is none; every test uses its own key prefix in db 12 and
deletes its keys). Then two instances of each channel, each served by its own
Sanic server (as two Rasa processes behind a load balancer would be), sharing one
Redis store:

- a WeChat retry sent to the second instance while the first is still working is
  not processed again and gets the same reply; a late retry too;
- the WeChat binding page works across the instances (link from one, page from the other)
  (real backend);
- an IVR call whose turns alternate between the instances keeps its verification
  state: ID tail on one, PIN on the other, the verified token used by both.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import time
import uuid
from typing import Any, Dict, Iterator

import pytest
import requests

pytest.importorskip("rasa")
pytest.importorskip("wechatpy")

import ivr_driver as ivr_t  # noqa: E402
import wechat_driver as wx_t  # noqa: E402
from channel_fixtures import (
    PASSWORD,
    SERVICE_KEY,
    FakeBot,
    FakeWeChatAPI,
    SanicServer,
    bind_link,  # noqa: E402
    bind_on_page,
)

from bot.channels.ivr import IVRInput  # noqa: E402
from bot.channels.state import (
    MemoryStateStore,
    RedisStateStore,
    StateStore,  # noqa: E402
    create_state_store,
)
from bot.channels.wechat import WeChatInput  # noqa: E402

REDIS_DB = 12


def _redis_up() -> bool:
    import redis

    try:
        return bool(redis.Redis(host="127.0.0.1", port=6379, db=REDIS_DB, socket_timeout=1).ping())
    except Exception:
        return False


needs_redis = pytest.mark.skipif(not _redis_up(), reason="no Redis server at 127.0.0.1:6379")


@pytest.fixture()
def prefix() -> Iterator[str]:
    """A fresh key prefix in db 12; every key under it is deleted afterwards."""
    value = f"sztest:{uuid.uuid4().hex[:12]}:"
    yield value
    if _redis_up():
        import redis

        r = redis.Redis(host="127.0.0.1", port=6379, db=REDIS_DB)
        keys = list(r.scan_iter(match=value + "*"))
        if keys:
            r.delete(*keys)


# ---------------------------------------------------------------- the stores


async def _exercise(store: StateStore) -> None:
    assert await store.get("a") is None
    await store.set("a", {"n": 1, "zh": "绑定", "list": [1, 2]}, ttl=5)
    got = await store.get("a")
    assert got == {"n": 1, "zh": "绑定", "list": [1, 2]}
    got["n"] = 2  # a copy: the store is unchanged
    assert (await store.get("a"))["n"] == 1
    await store.delete("a")
    assert await store.get("a") is None
    # claim: exactly one of many concurrent claims wins; the value is stored
    results = await asyncio.gather(*(store.claim("once", 5, {"by": i}) for i in range(8)))
    assert results.count(True) == 1
    assert (await store.get("once")) == {"by": results.index(True)}
    assert await store.claim("once", 5) is False
    # TTL
    await store.set("short", "x", ttl=0.2)
    assert await store.claim("short-claim", 0.2) is True
    await asyncio.sleep(0.35)
    assert await store.get("short") is None
    assert await store.claim("short-claim", 5) is True  # expired: claimable again
    with pytest.raises(TypeError):
        await store.set("bad", object(), ttl=5)  # JSON values only


def test_memory_store() -> None:
    store = MemoryStateStore()
    asyncio.run(_exercise(store))
    assert not store.shared


def test_memory_store_is_bounded() -> None:
    store = MemoryStateStore(max_items=3)

    async def run() -> None:
        for i in range(5):
            await store.set(f"k{i}", i, ttl=60)
        assert [await store.get(f"k{i}") for i in range(5)] == [None, None, 2, 3, 4]

    asyncio.run(run())
    assert len(store) == 3


@needs_redis
def test_redis_store(prefix: str) -> None:
    store = create_state_store(f"redis://127.0.0.1:6379/{REDIS_DB}?key_prefix={prefix}", "wechat")
    assert isinstance(store, RedisStateStore) and store.shared
    assert store.key_prefix == prefix + "wechat:" and store.db == REDIS_DB
    asyncio.run(_exercise(store))
    asyncio.run(store.close())
    # the keys are namespaced and expire
    import redis

    r = redis.Redis(host="127.0.0.1", port=6379, db=REDIS_DB)
    keys = {k.decode() for k in r.scan_iter(match=prefix + "*")}
    assert keys and all(k.startswith(prefix + "wechat:") for k in keys)
    assert all(0 < r.pttl(k) <= 5000 for k in keys)


@needs_redis
def test_two_redis_stores_share_claims(prefix: str) -> None:
    a = create_state_store(
        {"type": "redis", "url": "127.0.0.1", "port": 6379, "db": REDIS_DB, "key_prefix": prefix}, "ivr"
    )
    b = create_state_store(f"redis://127.0.0.1/{REDIS_DB}?key_prefix={prefix}", "ivr")

    async def run() -> None:
        assert await a.claim("msg:1", 10, {"state": "working"}) is True
        assert await b.claim("msg:1", 10) is False
        assert await b.get("msg:1") == {"state": "working"}
        await b.set("call:c1", {"stage": "pin"}, 10)
        assert await a.get("call:c1") == {"stage": "pin"}
        await a.close()
        await b.close()

    asyncio.run(run())


def test_store_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SZ_CHANNEL_STATE_STORE", raising=False)
    assert isinstance(create_state_store(None, "wechat"), MemoryStateStore)  # the default
    assert isinstance(create_state_store("memory", "ivr"), MemoryStateStore)
    s = create_state_store("redis://:pw@redis.internal:6380/4", "ivr")
    assert (s.host, s.port, s.db, s.password, s.key_prefix) == ("redis.internal", 6380, 4, "pw", "szchan:ivr:")
    monkeypatch.setenv("SZ_CHANNEL_STATE_STORE", "redis://127.0.0.1:6379/3")
    assert isinstance(create_state_store(None, "wechat"), RedisStateStore)
    assert isinstance(create_state_store("memory", "wechat"), MemoryStateStore)  # the entry wins
    with pytest.raises(ValueError):
        create_state_store("mysql://x", "wechat")
    # the channels read it from their credentials entry
    ch = WeChatInput.from_credentials({"token": "t", "state_store": "redis://127.0.0.1:6379/5"})
    assert isinstance(ch.state, RedisStateStore) and ch.state.db == 5
    monkeypatch.delenv("SZ_CHANNEL_STATE_STORE")
    assert isinstance(IVRInput.from_credentials({}).state, MemoryStateStore)


# ---------------------------------------------------------------- two instances, one Redis


def _shared(prefix: str) -> str:
    return f"redis://127.0.0.1:6379/{REDIS_DB}?key_prefix={prefix}"


@pytest.fixture()
def wechat_pair(prefix: str, backend_url: str) -> Iterator[Dict[str, Any]]:
    """Two WeChat channel instances (two servers) sharing one Redis store, and one fake Rasa."""
    if not _redis_up():
        pytest.skip("no Redis server at 127.0.0.1:6379")
    bot = FakeBot(wx_t.script)
    api = FakeWeChatAPI(wx_t.APP_ID, wx_t.APP_SECRET).start()
    common = dict(
        token=wx_t.TOKEN,
        reply_budget_seconds=wx_t.BUDGET,
        backend_url=backend_url,
        service_key=SERVICE_KEY,
        state_store=_shared(prefix),
        app_id=wx_t.APP_ID,
        app_secret=wx_t.APP_SECRET,
        api_base=api.url,
        oauth_base=api.url,
        allow_plaintext=True,
    )  # plaintext pushes (development setting)
    channels = [WeChatInput.from_credentials(dict(common)) for _ in range(2)]
    servers = [SanicServer({"/webhooks/wechat": ch.blueprint(bot)}) for ch in channels]
    for ch in channels:  # one public address: the binding page is served by B
        ch.binder.public_url = servers[1].url
    for srv in servers:
        srv.start()
    yield {"a": servers[0], "b": servers[1], "bot": bot, "api": api}
    for srv in servers:
        srv.stop()
    api.stop()


@needs_redis
def test_wechat_retry_at_another_instance_is_not_processed_again(wechat_pair: Dict[str, Any]) -> None:
    a, b, bot = wechat_pair["a"], wechat_pair["b"], wechat_pair["bot"]
    push = wx_t.text_push("o_two_instances", "retry-me", msg_id=next(wx_t._ids))  # the bot takes 0.4 s
    with concurrent.futures.ThreadPoolExecutor(2) as pool:
        first = pool.submit(wx_t.post, a, push)
        time.sleep(0.1)  # the retry reaches B while A is working
        second = pool.submit(wx_t.post, b, push)
        replies = [wx_t.reply_of(first.result()).content, wx_t.reply_of(second.result()).content]
    replies.append(wx_t.reply_of(wx_t.post(b, push)).content)  # a late retry at B: the stored reply
    assert replies == ["只处理一次。"] * 3
    assert bot.texts("o_two_instances") == ["retry-me"]


@needs_redis
def test_wechat_retry_at_another_instance_after_its_deadline_gets_success(wechat_pair: Dict[str, Any]) -> None:
    """A's turn outlasts B's budget: B answers "success" (nothing shown) and does not process it."""
    a, b, bot = wechat_pair["a"], wechat_pair["b"], wechat_pair["bot"]
    push = wx_t.text_push("o_two_slow", "slow", msg_id=next(wx_t._ids))  # the bot takes 2 s
    with concurrent.futures.ThreadPoolExecutor(2) as pool:
        first = pool.submit(wx_t.post, a, push)
        time.sleep(0.05)
        started = time.monotonic()
        second = pool.submit(wx_t.post, b, push)
        # A fixes its in-time (interim) reply at its deadline; B, arriving later, returns that one
        assert wx_t.reply_of(first.result()).content == "正在处理，请稍候……"
        resp = second.result()
    assert time.monotonic() - started < wx_t.BUDGET + 1.0
    assert resp.status_code == 200
    assert resp.text == "success" or wx_t.reply_of(resp).content == "正在处理，请稍候……"
    assert bot.texts("o_two_slow") == ["slow"]


@needs_redis
def test_wechat_binding_page_across_instances(wechat_pair: Dict[str, Any]) -> None:
    """The link comes from A, the OAuth page is served by B, the form is posted to A: the
    binding request, the form and the pending request live in the shared store."""
    a, b, bot, api = wechat_pair["a"], wechat_pair["b"], wechat_pair["bot"], wechat_pair["api"]
    user = "o_two_bind"

    def say(srv: SanicServer, text: str) -> str:
        return wx_t.say(srv, user, text) or ""

    link = bind_link(say(a, "打印参保证明"))
    assert link.startswith(b.url)
    pages = bind_on_page(link, user, "zhangwei", "wrong-password")  # the form from B
    assert pages["result"].status_code == 401
    before = len(api.sent)
    done = requests.post(
        a.url + "/webhooks/wechat/bind/login",  # the form posted to A
        data={"f": pages["nonce"], "username": "zhangwei", "password": PASSWORD},
        timeout=20,
    )
    assert done.status_code == 200 and "绑定成功" in done.text
    pushed = "\n".join(m["body"]["text"]["content"] for m in api.wait_sent(before + 1)[before:])
    assert "绑定成功" in pushed and "收到：打印参保证明" in pushed, pushed
    assert not any(PASSWORD in t for t in bot.texts(user))  # never reached Rasa
    assert say(b, "whoami") == "已绑定" and say(a, "whoami") == "已绑定"


@pytest.fixture()
def ivr_pair(prefix: str, backend_url: str) -> Iterator[Dict[str, Any]]:
    if not _redis_up():
        pytest.skip("no Redis server at 127.0.0.1:6379")
    bot = FakeBot(ivr_t.script)
    creds = {
        "backend_url": backend_url,
        "service_key": SERVICE_KEY,
        "webhook_secret": ivr_t.SECRET,
        "state_store": _shared(prefix),
    }
    servers = [
        SanicServer({"/webhooks/ivr": IVRInput.from_credentials(dict(creds)).blueprint(bot)}).start() for _ in range(2)
    ]
    yield {"servers": servers, "bot": bot, "prefix": prefix}
    for srv in servers:
        srv.stop()


@needs_redis
def test_ivr_call_alternating_instances_keeps_its_verification_state(ivr_pair: Dict[str, Any]) -> None:
    a, b = ivr_pair["servers"]
    bot = ivr_pair["bot"]
    call = ivr_t.Call(a)

    def on(srv: SanicServer) -> ivr_t.Call:
        call.server = srv
        return call

    assert "身份证号码后四位" in on(a).start()["text"]
    out = on(b).keys(ivr_t.ZHANGWEI_TAIL.replace("X", "*") + "#")  # B: the ID tail A asked for
    assert "密码" in out["text"] and out["expect"]["allow_speech"] is False
    assert "身份验证成功" in on(a).keys(ivr_t.PHONE_PIN + "#")["text"]  # A: the PIN B asked for
    out = on(b).say("我要给孩子停保")  # B: uses the verified token
    assert "确认" in out["text"] and out["expect"]["type"] == "dtmf"
    token = bot.last(call.call_id)["metadata"]["auth_token"]
    assert bot.last(call.call_id)["metadata"]["caller_verified"] is True
    out = on(a).keys("1")  # A: the pending confirmation
    assert "业务流水号" in out["text"] and bot.last(call.call_id)["text"] == "/affirm"
    assert bot.last(call.call_id)["metadata"]["auth_token"] == token
    # no-input counts carry over too: the third in a row (alternating) transfers
    assert on(b).send(event="no_input")["transfer"] is None
    assert on(a).send(event="no_input")["transfer"] is None
    assert on(b).send(event="no_input")["transfer"]["reason"] == "no_input"
    # hangup at one instance drops the state for both
    on(a).send(event="hangup")
    import redis

    r = redis.Redis(host="127.0.0.1", port=6379, db=REDIS_DB)
    assert not list(r.scan_iter(match=ivr_pair["prefix"] + "ivr:call:" + call.call_id))
    assert "身份证号码后四位" in on(b).start()["text"]  # a fresh call state
