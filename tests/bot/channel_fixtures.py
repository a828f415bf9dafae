"""Shared helpers for the channel tests (WeChat, IVR).

- ``start_backend``: a REAL backend process (its own virtual environment, a
  temporary SQLite database, the clock pinned, demo people seeded).
- ``SanicServer``: a channel's blueprint mounted in a test Sanic app, served on
  a free port from a background thread (a real HTTP server, so timings such as
  WeChat's 5 s budget are real).
- ``FakeBot``: stands in for Rasa's ``on_new_message``: records each
  ``UserMessage`` (text, sender, metadata) and answers through the message's
  output channel, so no trained model is needed.
- ``FakeWeChatAPI``: a local HTTP server playing ``api.weixin.qq.com``
  (``/cgi-bin/token``, ``/cgi-bin/message/custom/send``, the OAuth code exchange
  ``/sns/oauth2/access_token``) and ``open.weixin.qq.com``'s authorisation page
  (``/connect/oauth2/authorize``: the WeChat user "logged in" to the in-app
  browser is named by the test in the ``X-Fake-WeChat-OpenID`` header).
- ``bind_on_page``: what a WeChat user does with the binding link: open it in
  the in-app browser (through the OAuth redirects), fill in the log-in form.
The fixtures built on them (``backend_url``, ``fake_api``, ...) are in conftest.py.
"""

from __future__ import annotations

import asyncio
import json
import os
import socket
import subprocess
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Callable, Dict, Iterator, List, Optional
from urllib.parse import parse_qs, urlparse

import pytest
import requests

REPO = Path(__file__).resolve().parents[2]
BACKEND_PY = REPO / ".venv" / "backend" / "bin" / "python"
NOW = "2026-11-27T10:00:00+08:00"
SERVICE_KEY = "test-channel-service-key"
PASSWORD = "Demo@2026"
PHONE_PIN = "202611"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def id_number(area: str, birth: str, seq: int) -> str:
    """A demo person's ID number as backend/sz_backend/seed.py makes it (GB 11643 check character)."""
    first17 = f"{area}{birth}{seq:03d}"
    weights = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
    total = sum(int(d) * w for d, w in zip(first17, weights, strict=True))
    return first17 + "10X98765432"[total % 11]


def start_backend(tmp_dir: Path) -> Iterator[str]:
    """Generator for a fixture: yields the base URL of a real backend process."""

    if not BACKEND_PY.exists():
        pytest.skip("backend virtual environment missing (run scripts/setup.sh)")
    port = free_port()
    db = tmp_dir / "backend.sqlite3"
    url = f"http://127.0.0.1:{port}"
    env = dict(
        os.environ,
        SZ_BACKEND_NOW=NOW,
        DATABASE_URL=f"sqlite:///{db}",
        SZ_BACKEND_PUBLIC_URL=url,
        SZ_SEED_DEMO="1",
        SZ_CHANNEL_SERVICE_KEY=SERVICE_KEY,
        SZ_DEV_MODE="1",
    )
    log_path = db.with_suffix(".log")
    log = open(log_path, "w")
    proc = subprocess.Popen(
        [str(BACKEND_PY), "-m", "sz_backend.cli", "serve", "--port", str(port)],
        cwd=REPO / "backend",
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                if requests.get(f"{url}/health", timeout=1).ok:
                    break
            except requests.RequestException:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                log.flush()
                pytest.fail("backend did not start:\n" + log_path.read_text()[-3000:])
            time.sleep(0.3)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


class SanicServer:
    """Serve blueprints of input channels on a free port from a background thread."""

    _count = 0

    def __init__(self, mounts: Dict[str, Any]) -> None:
        """``mounts``: url prefix -> blueprint."""
        from sanic import Sanic

        SanicServer._count += 1

        class TestSanic(Sanic):
            # Sanic 21.12 rewrites its HTTP protocol class at startup ("touchup"); a second
            # app in the same process fails unless test mode keeps the original method.
            test_mode = True

        self.app = TestSanic(f"channel_test_{os.getpid()}_{SanicServer._count}")
        for prefix, bp in mounts.items():
            self.app.blueprint(bp, url_prefix=prefix)
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.loop = asyncio.new_event_loop()
        self._server: Any = None
        self._ready = threading.Event()
        self._error: Optional[BaseException] = None
        self._thread = threading.Thread(target=self._run, name="sanic-test", daemon=True)

    def _run(self) -> None:
        asyncio.set_event_loop(self.loop)

        async def main() -> None:
            self._server = await self.app.create_server(
                host="127.0.0.1", port=self.port, return_asyncio_server=True, access_log=False
            )
            await self._server.startup()
            self._ready.set()
            await self._server.serve_forever()

        try:
            self.loop.run_until_complete(main())
        except BaseException as err:  # noqa: BLE001 - reported to the test thread
            self._error = err
            self._ready.set()

    def start(self) -> "SanicServer":
        self._thread.start()
        if not self._ready.wait(20) or self._error:
            raise RuntimeError(f"sanic test server did not start: {self._error!r}")
        return self

    def call(self, coro: Any, timeout: float = 10) -> Any:
        """Run a coroutine on the server's loop (e.g. to inspect channel state)."""
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def stop(self) -> None:
        def _stop() -> None:
            if self._server is not None:
                self._server.close()
            for task in asyncio.all_tasks(self.loop):
                task.cancel()

        self.loop.call_soon_threadsafe(_stop)
        self._thread.join(10)


class FakeBot:
    """Rasa's part: record the message and answer through its output channel.

    ``script(text, metadata)`` returns a list of steps: ``("text", str)``,
    ``("buttons", str, [buttons])``, ``("sleep", seconds)``, ``("custom", dict)``,
    ``("message", dict)`` (a message as an action dispatched it, e.g. text with a
    ``custom`` signal: sent through ``send_response`` like Rasa does), ``("raise",)``.
    """

    def __init__(self, script: Callable[[str, Dict[str, Any]], List[tuple]]) -> None:
        self.script = script
        self.received: List[Dict[str, Any]] = []
        self._lock = threading.Lock()

    async def __call__(self, message: Any) -> None:
        with self._lock:
            self.received.append(
                {
                    "text": message.text,
                    "sender_id": message.sender_id,
                    "metadata": dict(message.metadata or {}),
                    "input_channel": message.input_channel,
                    "message_id": message.message_id,
                }
            )
        out = message.output_channel
        for step in self.script(message.text or "", dict(message.metadata or {})):
            kind = step[0]
            if kind == "sleep":
                await asyncio.sleep(step[1])
            elif kind == "text":
                await out.send_response(message.sender_id, {"text": step[1]})
            elif kind == "buttons":
                await out.send_response(message.sender_id, {"text": step[1], "buttons": step[2]})
            elif kind == "custom":
                await out.send_response(message.sender_id, {"custom": step[1]})
            elif kind == "message":
                await out.send_response(message.sender_id, dict(step[1]))
            elif kind == "raise":
                raise RuntimeError("bot failure")

    def texts(self, sender: Optional[str] = None) -> List[str]:
        with self._lock:
            return [r["text"] for r in self.received if sender is None or r["sender_id"] == sender]

    def last(self, sender: Optional[str] = None) -> Dict[str, Any]:
        with self._lock:
            matching = [r for r in self.received if sender is None or r["sender_id"] == sender]
        assert matching, "the bot received nothing"
        return matching[-1]


class FakeWeChatAPI:
    """api.weixin.qq.com for tests: access tokens and customer-service messages."""

    def __init__(self, app_id: str, app_secret: str) -> None:
        self.app_id, self.app_secret = app_id, app_secret
        self.token_requests: List[Dict[str, List[str]]] = []
        self.sent: List[Dict[str, Any]] = []
        self.fail_sends = 0  # answer the next N sends with errcode 45015
        self.expire_token_once = False
        self._tokens = 0
        self._event = threading.Condition()
        self.oauth_codes: Dict[str, str] = {}  # code -> OpenID (one-time)
        self.code_exchanges = 0
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:  # quiet
                pass

            def _json(self, body: Dict[str, Any]) -> None:
                data = json.dumps(body).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self) -> None:  # noqa: N802
                parsed = urlparse(self.path)
                query = parse_qs(parsed.query)
                if parsed.path == "/connect/oauth2/authorize":  # WeChat's authorisation page
                    openid = self.headers.get("X-Fake-WeChat-OpenID") or ""
                    if query.get("appid") != [fake.app_id] or query.get("response_type") != ["code"] or not openid:
                        self._json({"errcode": 10003, "errmsg": "redirect_uri or appid invalid"})
                        return
                    code = f"CODE_{len(fake.oauth_codes) + 1}_{openid[-4:]}"
                    fake.oauth_codes[code] = openid
                    target = f"{query['redirect_uri'][0]}?code={code}&state={query.get('state', [''])[0]}"
                    self.send_response(302)
                    self.send_header("Location", target)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                if parsed.path == "/sns/oauth2/access_token":  # code -> OpenID
                    fake.code_exchanges += 1
                    code = (query.get("code") or [""])[0]
                    if query.get("appid") != [fake.app_id] or query.get("secret") != [fake.app_secret]:
                        self._json({"errcode": 40125, "errmsg": "invalid appsecret"})
                        return
                    openid = fake.oauth_codes.pop(code, "")
                    if not openid:
                        self._json({"errcode": 40029, "errmsg": "invalid code"})
                        return
                    self._json(
                        {
                            "access_token": "OAUTH_TOKEN",
                            "expires_in": 7200,
                            "refresh_token": "R",
                            "openid": openid,
                            "scope": "snsapi_base",
                        }
                    )
                    return
                if parsed.path != "/cgi-bin/token":
                    self._json({"errcode": 404, "errmsg": "not found"})
                    return
                fake.token_requests.append(query)
                if query.get("appid") != [fake.app_id] or query.get("secret") != [fake.app_secret]:
                    self._json({"errcode": 40125, "errmsg": "invalid appsecret"})
                    return
                fake._tokens += 1
                self._json({"access_token": f"ACCESS_TOKEN_{fake._tokens}", "expires_in": 7200})

            def do_POST(self) -> None:  # noqa: N802
                parsed = urlparse(self.path)
                query = parse_qs(parsed.query)
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length)
                if parsed.path != "/cgi-bin/message/custom/send":
                    self._json({"errcode": 404, "errmsg": "not found"})
                    return
                token = (query.get("access_token") or [""])[0]
                if fake.expire_token_once:
                    fake.expire_token_once = False
                    self._json({"errcode": 42001, "errmsg": "access_token expired"})
                    return
                if token != f"ACCESS_TOKEN_{fake._tokens}":
                    self._json({"errcode": 40001, "errmsg": "invalid credential"})
                    return
                if fake.fail_sends > 0:
                    fake.fail_sends -= 1
                    self._json({"errcode": 45015, "errmsg": "response out of time limit"})
                    return
                with fake._event:
                    fake.sent.append({"access_token": token, "raw": raw, "body": json.loads(raw.decode("utf-8"))})
                    fake._event.notify_all()
                self._json({"errcode": 0, "errmsg": "ok"})

        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def start(self) -> "FakeWeChatAPI":
        self._thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def wait_sent(self, count: int, timeout: float = 10) -> List[Dict[str, Any]]:
        deadline = time.monotonic() + timeout
        with self._event:
            while len(self.sent) < count:
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                self._event.wait(left)
            return list(self.sent)


def bind_link(reply: str) -> str:
    """The binding link of a channel reply (``<a href="...">``)."""
    import re

    m = re.search(r'<a href="([^"]+/bind/start\?s=[^"]+)">', reply)
    assert m, f"no binding link in {reply!r}"
    return m.group(1)


def bind_on_page(
    link: str, openid: str, username: str, password: str, session: Optional[requests.Session] = None
) -> Dict[str, Any]:
    """Open the binding link as the WeChat user ``openid`` (WeChat's in-app browser follows the
    OAuth redirects), then submit the log-in form. Returns the pages seen."""
    import re

    http = session or requests.Session()
    start = http.get(link, allow_redirects=False, timeout=10)
    assert start.status_code in (302, 303), start.text
    authorize = http.get(
        start.headers["Location"].split("#")[0],
        headers={"X-Fake-WeChat-OpenID": openid},
        allow_redirects=False,
        timeout=10,
    )
    assert authorize.status_code == 302, authorize.text
    form = http.get(authorize.headers["Location"], timeout=10)
    pages: Dict[str, Any] = {"form": form}
    if form.status_code != 200:
        return pages
    found = re.search(r'name="f" value="([^"]+)"', form.text)
    assert found, form.text
    nonce = found.group(1)
    login_url = form.url.split("/bind/")[0] + "/bind/login"
    pages["result"] = http.post(login_url, data={"f": nonce, "username": username, "password": password}, timeout=20)
    pages["nonce"] = nonce
    pages["login_url"] = login_url
    return pages
