"""The website help widget: its Socket.IO channel, its page server, and a real browser.

Fast tests (no stack): the channel's metadata cleaning, conversation ids and
token verification against a small stand-in HTTP server; the page server's
file allow-list and security headers.

Slow tests (`@pytest.mark.slow`, one stack per module on free ports, started by
the shared tests/bot/stack.py): the real backend (temporary SQLite, demo people,
clock pinned to a working day), the action server, Rasa with the trained model
and `bot.channels.web.WebSocketIOInput`, and `web/serve.py`. Then
- a Socket.IO client (python-socketio) checks that only a verified token
  reaches the assistant, that forged identity metadata is dropped, that
  conversations are separated by identity, and that a socket that knows a
  session id but not the person's token hears none of that person's replies;
- headless Chromium (playwright-core, Debian's /usr/bin/chromium) runs
  `web/tests/widget.e2e.mjs`: log in as lina, "给孩子停保" -> 李小明 -> 确认 ->
  serial number, the certificate PDF link, one FAQ question, reload, phone
  width, log-out; and takes a screenshot (`SZ_UPDATE_WIDGET_PNG=1` copies it
  to docs/widget.png).

Without node or chromium the browser test is skipped with a message, except
under CI=true where that is a failure.
"""

from __future__ import annotations

import asyncio
import http.server
import importlib.util
import json
import os
import shutil
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path
from typing import Any, Dict, Iterator, List

import pytest
from stack import REPO, SocketUser, Stack, run_stack  # noqa: E402
from stack import free_port as _free_port
from stack import http_get as _get

WEB = REPO / "web"
CHROMIUM = os.environ.get("SZ_CHROMIUM", "/usr/bin/chromium")
UNDER_CI = os.environ.get("CI") == "true"
PASSWORD = "Demo@2026"

_spec = importlib.util.spec_from_file_location("sz_web_serve", WEB / "serve.py")
web_serve = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(web_serve)


def _absent(message: str) -> None:
    """A missing prerequisite: skip, except under CI=true where it is a failure."""
    if UNDER_CI:
        pytest.fail(f"{message} (required under CI=true)")
    pytest.skip(message)


def _post_json(url: str, body: Dict[str, Any], timeout: float = 10.0) -> Dict[str, Any]:
    req = urllib.request.Request(
        url,
        data=json.dumps(body).encode(),
        method="POST",
        headers={"Content-Type": "application/json", "X-Channel": "web"},
    )
    with urllib.request.urlopen(req, timeout=timeout) as r:
        return json.loads(r.read())


# ======================================================================================
# Fast tests: the channel's parts
# ======================================================================================
web_channel = pytest.importorskip("bot.channels.web", reason="needs the Rasa environment (.venv/rasa)")


def test_client_metadata_cannot_pass_for_identity() -> None:
    raw = {
        "auth_token": "x" * 20,
        "person_id": "7",
        "Channel": "wechat",
        "user": {"id": 1},
        "language": "en",
        "page": "/help",
    }
    assert web_channel.clean_metadata(raw) == {"language": "en", "page": "/help"}
    assert web_channel.clean_metadata(json.dumps(raw)) == {"language": "en", "page": "/help"}
    assert web_channel.clean_metadata("not json") == {}
    assert web_channel.clean_metadata(["a"]) == {}
    assert web_channel.clean_metadata({"blob": "x" * 10000}) == {}  # oversized: dropped


def test_conversation_ids_are_separated_by_identity() -> None:
    a = web_channel.VerifiedIdentity(token="t" * 20, person_id="1")
    a2 = web_channel.VerifiedIdentity(token="u" * 20, person_id="1")  # same person, new log-in
    b = web_channel.VerifiedIdentity(token="v" * 20, person_id="2")
    assert web_channel.sender_for("s1", None) == "s1"
    assert web_channel.sender_for("s1", a) == web_channel.sender_for("s1", a2) != web_channel.sender_for("s1", b)
    assert web_channel.sender_for("s1", a).startswith("s1:")


class _FakeMe(http.server.BaseHTTPRequestHandler):
    """A stand-in for the backend's GET /me: 'good-token-…' -> 200, 'slow-…' -> sleeps, else 401."""

    hits: List[str] = []
    fail = False

    def do_GET(self) -> None:  # noqa: N802
        token = (self.headers.get("Authorization") or "").removeprefix("Bearer ")
        type(self).hits.append(token)
        if type(self).fail:
            self.send_response(503)
            self.end_headers()
            return
        if token.startswith("slow-"):
            time.sleep(1.5)
        if token.startswith("good-token-"):
            body = json.dumps({"id": 42, "name": "李娜"}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        else:
            body = b'{"error":{"code":"AUTH_INVALID"}}'
            self.send_response(401)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    def log_message(self, *_: Any) -> None:
        pass


@pytest.fixture()
def fake_backend() -> Iterator[str]:
    _FakeMe.hits = []
    _FakeMe.fail = False
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _FakeMe)
    t = threading.Thread(target=httpd.serve_forever, daemon=True)
    t.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


def test_token_verification_is_cached_briefly_and_fails_closed(fake_backend: str) -> None:
    clock = [1000.0]
    v = web_channel.TokenVerifier(
        fake_backend, timeout=0.5, ttl=30, negative_ttl=10, stale_ttl=300, clock=lambda: clock[0]
    )

    async def run() -> None:
        OK, INVALID, UNAVAILABLE, ABSENT = (
            web_channel.OK,
            web_channel.INVALID,
            web_channel.UNAVAILABLE,
            web_channel.ABSENT,
        )
        good = "good-token-abcdefgh"
        status, ident = await v.verify(good)
        assert status == OK and ident.person_id == "42" and ident.token == good
        assert (await v.verify(good))[0] == OK and _FakeMe.hits == [good]  # cached
        # concurrent first verifications of one token: one request
        many = await asyncio.gather(*(v.verify("good-token-burst0001") for _ in range(5)))
        assert {s for s, _ in many} == {OK} and _FakeMe.hits.count("good-token-burst0001") == 1
        assert (await v.verify("forged-token-123456"))[0] == INVALID
        assert (await v.verify("forged-token-123456"))[0] == INVALID
        assert _FakeMe.hits.count("forged-token-123456") == 1  # refusals cached too
        assert (await v.verify(None))[0] == ABSENT and (await v.verify(""))[0] == ABSENT
        assert (await v.verify("bad token\r\nX-Injected: 1"))[0] == INVALID  # never sent
        assert (await v.verify({"token": 1}))[0] == INVALID
        clock[0] += 31  # cache expired
        _FakeMe.fail = True  # backend down
        status, ident = await v.verify(good)
        assert status == OK and ident.person_id == "42"  # a verification < stale_ttl old still counts
        assert (await v.verify("good-token-never-seen"))[0] == UNAVAILABLE  # but nothing new
        clock[0] += 300
        assert (await v.verify(good))[0] == UNAVAILABLE
        _FakeMe.fail = False
        # timeout: unavailable, not an identity
        assert (await v.verify("slow-good-token-x"))[0] == UNAVAILABLE

    asyncio.run(run())


def test_unreachable_backend_gives_no_identity() -> None:
    v = web_channel.TokenVerifier(f"http://127.0.0.1:{_free_port()}", timeout=1)
    assert asyncio.run(v.verify("good-token-abcdefgh")) == (web_channel.UNAVAILABLE, None)


def test_channel_reads_its_credentials() -> None:
    ch = web_channel.WebSocketIOInput.from_credentials(
        {
            "session_persistence": True,
            "metadata_key": "customData",
            "backend_url": "http://127.0.0.1:1",
            "auth_cache_seconds": 5,
            "verify_timeout": 1,
            "allowed_origins": ["http://127.0.0.1:8080/"],
        }
    )
    assert ch.name() == "socketio" and ch.session_persistence and ch.metadata_key == "customData"
    assert ch.verifier.backend_url == "http://127.0.0.1:1" and ch.verifier.ttl == 5 and ch.verifier.timeout == 1
    assert ch.allowed_origins == frozenset({"http://127.0.0.1:8080"})
    assert web_channel.WebSocketIOInput.from_credentials({}).allowed_origins is None


def test_polling_client_disconnects_promptly() -> None:
    """python-engineio leaves a long-polling client's pending GET unanswered when the client
    closes, so `disconnect()` waited for its 30 s request timeout; the channel answers it."""
    import socketio
    from channel_fixtures import SanicServer

    async def on_new_message(_: Any) -> None:
        return None

    channel = web_channel.WebSocketIOInput.from_credentials(
        {"session_persistence": True, "backend_url": f"http://127.0.0.1:{_free_port()}"}
    )
    srv = SanicServer({"": channel.blueprint(on_new_message)}).start()
    try:

        async def run() -> float:
            client = socketio.AsyncClient(reconnection=False)
            await client.connect(srv.url, socketio_path="/socket.io", transports=["polling"], wait_timeout=10)
            await client.emit("session_request", {"session_id": None})
            await asyncio.sleep(0.3)
            started = time.monotonic()
            await client.disconnect()
            assert not client.connected
            return time.monotonic() - started

        assert asyncio.run(run()) < 3.0
    finally:
        srv.stop()


# ======================================================================================
# Fast tests: the page server
# ======================================================================================
@pytest.fixture(scope="module")
def page_server() -> Iterator[str]:
    os.environ["SZ_WEB_QUIET"] = "1"
    httpd = web_serve.make_server("127.0.0.1", 0, backend_url="http://127.0.0.1:8000", rasa_url="http://127.0.0.1:5005")
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


def test_page_server_serves_only_the_page(page_server: str) -> None:
    status, body, headers = _get(page_server + "/")
    assert status == 200 and "在线咨询" in body.decode()
    csp = headers["Content-Security-Policy"]
    assert "default-src 'self'" in csp and "connect-src 'self' http://127.0.0.1:8000 http://127.0.0.1:5005" in csp
    assert headers["X-Content-Type-Options"] == "nosniff"
    status, body, _ = _get(page_server + "/config.js")
    assert b'"socketUrl": "http://127.0.0.1:5005"' in body
    for path in (
        "/serve.py",
        "/package.json",
        "/node_modules/socket.io-client/package.json",
        "/tests/widget.e2e.mjs",
        "/../serve.py",
        "/%2e%2e/serve.py",
        "/static/index.html",
        "/.hidden",
    ):
        assert _get(page_server + path)[0] == 404, path
    if (WEB / "node_modules" / "socket.io-client").is_dir():
        status, body, headers = _get(page_server + "/vendor/socket.io.min.js")
        assert status == 200 and headers["Content-Type"].startswith("text/javascript") and b"io" in body


def test_page_peers_follow_the_page_host_by_default() -> None:
    httpd = web_serve.make_server("127.0.0.1", 0)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{httpd.server_address[1]}/config.js"
        assert b"http://localhost:8000" in _get(url, headers={"Host": "localhost:8080"})[1]
        assert b"http://127.0.0.1:5005" in _get(url, headers={"Host": 'evil"><script>:8080'})[1]
    finally:
        httpd.shutdown()
        httpd.server_close()


def test_page_keeps_everything_local_and_in_session_storage() -> None:
    static = WEB / "static"
    text = "\n".join(p.read_text() for p in static.iterdir() if p.suffix in (".html", ".js", ".css"))
    assert "localStorage" not in text and "sessionStorage" in text
    assert "//fonts." not in text and "cdn" not in text.lower() and "@import" not in text
    for p in static.iterdir():
        if p.suffix in (".html", ".css"):
            assert "http://" not in p.read_text() and "https://" not in p.read_text(), p


# ======================================================================================
# Slow tests: the whole stack
# ======================================================================================
def _widget_credentials(st: Stack) -> Dict[str, Any]:
    return {
        "rest": None,
        "bot.channels.web.WebSocketIOInput": {
            "user_message_evt": "user_uttered",
            "bot_message_evt": "bot_uttered",
            "session_persistence": True,
            "metadata_key": "customData",
            "backend_url": st.backend,
            "auth_cache_seconds": 5,
            "allowed_origins": [st.web, f"http://localhost:{st.ports['web']}"],
        },
    }


def _start_page_server(st: Stack) -> None:
    st.start(
        "web",
        [
            sys.executable,
            str(WEB / "serve.py"),
            "--port",
            str(st.ports["web"]),
            "--backend-url",
            st.backend,
            "--rasa-url",
            st.rasa,
        ],
        REPO,
        {"SZ_WEB_QUIET": "1"},
    )
    st.wait("web", f"{st.web}/healthz", 30)


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """The shared end-to-end stack (tests/bot/stack.py) with the widget's channel and page server."""
    tmp = tmp_path_factory.mktemp("widget-stack")
    yield from run_stack(
        tmp,
        _widget_credentials,
        extra=("web",),
        also=_start_page_server,
        backend_env=lambda st: {"SZ_CORS_ORIGINS": f"{st.web},http://localhost:{st.ports['web']}"},
    )


def _login(st: Stack, username: str) -> Dict[str, Any]:
    return _post_json(f"{st.backend}/auth/login", {"username": username, "password": PASSWORD})


def _texts(msgs: List[Dict[str, Any]]) -> str:
    return "\n".join(str(m.get("text", "")) for m in msgs)


def _tracker(st: Stack, sender: str) -> Dict[str, Any]:
    status, body, _ = _get(st.api(f"/conversations/{urllib.request.quote(sender, safe=':')}/tracker"), timeout=10)
    assert status == 200, body
    return json.loads(body)


def _user_events(tracker: Dict[str, Any]) -> List[Dict[str, Any]]:
    return [e for e in tracker.get("events", []) if e.get("event") == "user"]


async def _stored_user_events(st: Stack, sender: str, seconds: float = 20.0) -> List[Dict[str, Any]]:
    """The conversation's user events once Rasa has stored the turn (it saves after the replies went out)."""
    deadline = time.monotonic() + seconds
    while True:
        events = _user_events(_tracker(st, sender))
        if events or time.monotonic() > deadline:
            return events
        await asyncio.sleep(0.5)


# A payload (no NLU involved): this test is about the channel, not about understanding.
CERTIFICATE = "/print_insurance_certificate"


@pytest.mark.slow
def test_only_a_verified_token_reaches_the_assistant(stack: Stack) -> None:
    lina = _login(stack, "lina")
    me = json.loads(_get(f"{stack.backend}/me", headers={"Authorization": f"Bearer {lina['token']}"})[1])
    tag = web_channel.VerifiedIdentity(token=lina["token"], person_id=str(me["id"])).tag

    async def run() -> None:
        import socketio

        # 0. a page from another origin cannot connect; the widget's page can
        with pytest.raises(socketio.exceptions.ConnectionError):
            async with SocketUser(stack.rasa, origin="http://evil.example"):
                pass
        async with SocketUser(stack.rasa, origin=stack.web) as page:
            assert page.session_id
        # 1. forged token and identity-looking metadata: stripped; the assistant asks to log in
        async with SocketUser(stack.rasa) as anon:
            forged = {
                "auth_token": "forged-token-0000000000",
                "person_id": str(me["id"]),
                "channel": "wechat",
                "username": "lina",
                "page": "help",
            }
            reply = _texts(await anon.say(CERTIFICATE, forged))
            assert "登录" in reply and "/documents/" not in reply, reply
            assert anon.auth and anon.auth[-1] == {"authenticated": False, "reason": "invalid"}
            events = await _stored_user_events(stack, anon.session_id)
            assert events, "the anonymous conversation is the bare session id"
            meta = events[-1].get("metadata") or {}
            assert meta.get("page") == "help"
            assert not {"auth_token", "person_id", "channel", "username"} & set(meta), meta
            assert not _user_events(_tracker(stack, f"{anon.session_id}:{tag}"))
            anon_session = anon.session_id

        # 2. lina's real token (connect auth only): her conversation, her data
        async with (
            SocketUser(stack.rasa, token=lina["token"], session_id=anon_session) as user,
            SocketUser(stack.rasa, session_id=anon_session) as eavesdropper,
        ):
            assert user.session_id == eavesdropper.session_id == anon_session
            reply = _texts(await user.say(CERTIFICATE))
            assert "/documents/" in reply and ".pdf" in reply, reply
            assert await _stored_user_events(stack, f"{anon_session}:{tag}"), "lina's conversation id"
            # a socket that knows the session id but not lina's token hears none of it
            await asyncio.sleep(1.0)
            assert not any("/documents/" in str(m) for m in eavesdropper.bot), eavesdropper.bot
            # a message carrying a forged token on lina's connection: the message's token decides
            reply = _texts(await user.say(CERTIFICATE, {"auth_token": "forged-token-1111111111"}))
            assert "/documents/" not in reply and user.auth[-1]["reason"] == "invalid"

        # 3. a revoked token (log-out) stops working once the short cache expires
        req = urllib.request.Request(
            f"{stack.backend}/auth/logout", method="POST", headers={"Authorization": f"Bearer {lina['token']}"}
        )
        urllib.request.urlopen(req, timeout=10).read()
        await asyncio.sleep(5.5)  # auth_cache_seconds: 5 in the test credentials
        async with SocketUser(stack.rasa, token=lina["token"]) as user:
            reply = _texts(await user.say(CERTIFICATE))
            assert "/documents/" not in reply and "登录" in reply, reply

    asyncio.run(run())


@pytest.fixture(scope="session")
def browser_tools() -> str:
    """node and chromium, checked before the stack starts. Absent: skip, or fail under CI=true."""
    node = shutil.which("node")
    if not node:
        _absent("node (Node.js) is not installed: the browser test needs it (scripts/setup_web.sh)")
    if not os.access(CHROMIUM, os.X_OK):
        _absent(f"{CHROMIUM} is not installed: the browser test needs Debian's chromium (scripts/setup_web.sh)")
    for pkg in ("playwright-core", "socket.io-client"):
        if not (WEB / "node_modules" / pkg).is_dir():
            pytest.fail(f"web/node_modules/{pkg} missing: run scripts/setup_web.sh (npm ci in web/)")
    return node


@pytest.mark.slow
def test_widget_in_a_real_browser(browser_tools: str, stack: Stack, tmp_path: Path) -> None:
    node = browser_tools
    shot = tmp_path / "widget.png"
    mode = os.environ.get("SZ_WIDGET_E2E_MODE", "full")
    argv = [
        node,
        str(WEB / "tests" / "widget.e2e.mjs"),
        "--page",
        stack.web + "/",
        "--user",
        "lina",
        "--password",
        PASSWORD,
        "--mode",
        mode,
        "--chromium",
        CHROMIUM,
        "--screenshot",
        str(shot),
        "--failshot",
        str(tmp_path / "failed.png"),
        "--phone-screenshot",
        str(tmp_path / "phone.png"),
        "--timeout",
        "45000",
    ]
    proc = subprocess.run(argv, cwd=REPO, capture_output=True, text=True, timeout=600)
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("{")]
    result = json.loads(lines[-1]) if lines else {"ok": False, "error": proc.stdout[-3000:] + proc.stderr[-3000:]}
    report = "\n".join(result.get("steps") or [])
    assert proc.returncode == 0 and result["ok"], (
        f"browser test failed: {result.get('error')}\nsteps:\n{report}\n"
        f"console: {result.get('consoleErrors')}\nscreenshot: {tmp_path / 'failed.png'}\n{stack.logs()}"
    )
    assert shot.exists() and shot.stat().st_size > 10_000
    print("\n" + report)
    if os.environ.get("SZ_UPDATE_WIDGET_PNG") == "1":
        shutil.copyfile(shot, REPO / "docs" / "widget.png")


# ======================================================================================
# The widget's own behaviour in a real browser: the real channel, a scripted bot
# ======================================================================================
def _scripted_bot() -> Any:
    """Rasa's part for the behaviour test: known replies (tests/bot/channel_fixtures.FakeBot)."""
    from channel_fixtures import FakeBot

    confirm = [{"title": "确认", "payload": "/affirm"}, {"title": "取消", "payload": "/cancel"}]
    seen: Dict[str, int] = {}

    def script(text: str, _: Dict[str, Any]) -> List[tuple]:
        seen[text] = seen.get(text, 0) + 1
        if text == "给孩子停保":
            return [("buttons", "请确认：为李小明办理少儿停保。确认办理吗？", confirm)]
        if text == "我要再办一次":
            return [("buttons", "请再次确认：为李小明办理少儿停保。确认办理吗？", confirm)]
        if text == "/affirm":
            return [("text", "已办结：少儿停保。业务流水号：SZ20261127000001")]
        if text == "这句没有回复":  # the first time nothing comes back; the retry is answered
            return [] if seen[text] == 1 else [("text", "这次收到了，请问有什么可以帮您？")]
        if text.startswith("How do I stop"):
            return [
                (
                    "buttons",
                    "Please confirm: stop the insurance of Li Xiaoming. Go ahead?",
                    [{"title": "Confirm", "payload": "/affirm"}, {"title": "Cancel", "payload": "/cancel"}],
                )
            ]
        if text == "no reply please":
            return []
        return [("text", "您好！请问有什么可以帮您？")]

    return FakeBot(script)


def test_widget_behaviour_in_a_real_browser(browser_tools: str, tmp_path: Path) -> None:
    """Superseded buttons disabled, "no answer, retry" after the wait, labels in the
    conversation's language (web/tests/widget_behaviour.e2e.mjs) against the real channel."""
    from channel_fixtures import SanicServer

    os.environ["SZ_WEB_QUIET"] = "1"
    page_port = _free_port()
    origin = f"http://127.0.0.1:{page_port}"
    bot = _scripted_bot()
    channel = web_channel.WebSocketIOInput.from_credentials(
        {
            "user_message_evt": "user_uttered",
            "bot_message_evt": "bot_uttered",
            "session_persistence": True,
            "metadata_key": "customData",
            "backend_url": f"http://127.0.0.1:{_free_port()}",
            "allowed_origins": [origin],
        }
    )
    srv = SanicServer({"": channel.blueprint(bot)}).start()
    httpd = web_serve.make_server(
        "127.0.0.1", page_port, backend_url=f"http://127.0.0.1:{_free_port()}", rasa_url=srv.url, reply_wait_ms=1500
    )
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        argv = [
            browser_tools,
            str(WEB / "tests" / "widget_behaviour.e2e.mjs"),
            "--page",
            origin + "/",
            "--chromium",
            CHROMIUM,
            "--timeout",
            "20000",
        ]
        proc = subprocess.run(argv, cwd=REPO, capture_output=True, text=True, timeout=300)
    finally:
        httpd.shutdown()
        httpd.server_close()
        srv.stop()
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("{")]
    result = json.loads(lines[-1]) if lines else {"ok": False, "error": proc.stdout[-3000:] + proc.stderr[-3000:]}
    report = "\n".join(result.get("steps") or [])
    assert proc.returncode == 0 and result["ok"], f"{result.get('error')}\nsteps:\n{report}"
    # the retry really re-sent the message: the bot got it twice
    assert bot.texts().count("这句没有回复") == 2, bot.texts()
    print("\n" + report)
