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
  (``/cgi-bin/token`` and ``/cgi-bin/message/custom/send``).
- ``fake_api``: a module-scoped pytest fixture serving a ``FakeWeChatAPI`` for
  the requesting test module's ``APP_ID`` and ``APP_SECRET`` (import it into
  the test module to use it).
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
    total = sum(int(d) * w for d, w in zip(first17, weights))
    return first17 + "10X98765432"[total % 11]


def start_backend(tmp_dir: Path) -> Iterator[str]:
    """Generator for a fixture: yields the base URL of a real backend process."""
    import pytest

    if not BACKEND_PY.exists():
        pytest.skip("backend virtual environment missing (run scripts/setup.sh)")
    port = free_port()
    db = tmp_dir / "backend.sqlite3"
    url = f"http://127.0.0.1:{port}"
    env = dict(os.environ, SZ_BACKEND_NOW=NOW, DATABASE_URL=f"sqlite:///{db}", SZ_BACKEND_PUBLIC_URL=url,
               SZ_SEED_DEMO="1", SZ_CHANNEL_SERVICE_KEY=SERVICE_KEY)
    log_path = db.with_suffix(".log")
    log = open(log_path, "w")
    proc = subprocess.Popen([str(BACKEND_PY), "-m", "sz_backend.cli", "serve", "--port", str(port)],
                            cwd=REPO / "backend", env=env, stdout=log, stderr=subprocess.STDOUT)
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
            self._server = await self.app.create_server(host="127.0.0.1", port=self.port,
                                                        return_asyncio_server=True, access_log=False)
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
            self.received.append({"text": message.text, "sender_id": message.sender_id,
                                  "metadata": dict(message.metadata or {}), "input_channel": message.input_channel,
                                  "message_id": message.message_id})
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
        self.fail_sends = 0          # answer the next N sends with errcode 45015
        self.expire_token_once = False
        self._tokens = 0
        self._event = threading.Condition()
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


@pytest.fixture(scope="module")
def fake_api(request: pytest.FixtureRequest) -> Iterator[FakeWeChatAPI]:
    """A running ``FakeWeChatAPI`` for the test module's ``APP_ID`` and ``APP_SECRET``."""
    api = FakeWeChatAPI(request.module.APP_ID, request.module.APP_SECRET).start()
    yield api
    api.stop()
