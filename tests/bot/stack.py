"""The whole assistant as separate processes, for end-to-end tests.

``run_stack`` (a generator for a fixture: ``yield from run_stack(...)``) starts,
on free ports and in a temporary directory:

- the REAL backend (its own virtual environment, a temporary SQLite database,
  demo people seeded, the clock pinned to ``NOW``, a Friday inside the payment
  window, and the channel service key ``SERVICE_KEY``);
- the action server (``rasa run actions --actions bot.actions``);
- Rasa (``rasa run`` through bot/rasa_ext, i.e. with the speed patches, with the HTTP API flags scripts/run.sh uses, bot/server_args.py:
  API behind the token ``RASA_TOKEN`` (``stack.api(path)`` adds it), 127.0.0.1,
  CORS for the stack's extra pages only; with the trained model of ``model()``, an endpoints file
  pointing at that action server with the conversations in a temporary SQLite
  tracker store, and the credentials file the caller describes);
- optionally more processes (``also``, e.g. the widget's page server).

It waits until every process answers, yields the ``Stack`` (URLs, ports,
``logs()`` for failure messages) and stops the processes it started, and only
those, at the end. conftest.py's ``stack`` fixture (one stack per test module, with the
module's ``stack_credentials``) runs it; test_widget_browser.py, test_channels_e2e.py,
test_rasa_ext_stack.py and test_window_e2e.py start theirs with more processes or settings, and
bench/conversations.py uses it outside pytest. ``SocketUser`` talks to a stack's Rasa as the
web widget does (Socket.IO).

The model: ``SZ_TEST_MODEL=/path/model.tar.gz``, else the newest file in
models/, else one is trained into models/.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any, Callable, Dict, Iterable, Iterator, List, Optional, Tuple

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
from channel_fixtures import BACKEND_PY, NOW, REPO, SERVICE_KEY, free_port  # noqa: E402

sys.path.insert(0, str(REPO))
from bot.server_args import api_args  # noqa: E402

# The Rasa HTTP API token of the test stacks (the API refuses calls without it).
RASA_TOKEN = "test-rasa-api-token-0123456789abcdef"

RASA_BIN = Path(sys.executable).parent / "rasa"


def http_get(
    url: str, timeout: float = 2.0, headers: Optional[Dict[str, str]] = None
) -> Tuple[int, bytes, Dict[str, str]]:
    req = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return r.status, r.read(), dict(r.headers)
    except urllib.error.HTTPError as e:
        return e.code, e.read(), dict(e.headers)


class Stack:
    """The processes of one test stack: ``backend``, ``actions``, ``rasa`` (and ``extra`` names) are URLs."""

    backend: str
    actions: str
    rasa: str

    def __init__(self, tmp: Path, extra: Iterable[str] = ()) -> None:
        self.tmp = tmp
        self.procs: List[Tuple[str, subprocess.Popen, Path]] = []
        self.ports = {k: free_port() for k in ("backend", "actions", "rasa", *extra)}
        self.urls = {k: f"http://127.0.0.1:{port}" for k, port in self.ports.items()}
        for name, url in self.urls.items():
            setattr(self, name, url)

    def api(self, path: str) -> str:
        """URL of a Rasa HTTP API path with the stack's token."""
        return f"{self.rasa}{path}{'&' if '?' in path else '?'}token={RASA_TOKEN}"

    def start(self, name: str, argv: List[str], cwd: Path, env: Dict[str, str]) -> None:
        log = self.tmp / f"{name}.log"
        proc = subprocess.Popen(
            argv,
            cwd=cwd,
            env={**os.environ, **env},
            stdout=open(log, "w"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.procs.append((name, proc, log))

    def wait(self, name: str, url: str, seconds: float) -> None:
        proc, log = next((p, lg) for n, p, lg in self.procs if n == name)
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            try:
                if http_get(url)[0] == 200:
                    return
            except OSError:
                pass
            if proc.poll() is not None:
                break
            time.sleep(0.5)
        pytest.fail(f"{name} did not start ({url}):\n{log.read_text()[-4000:]}")

    def log(self, name: str) -> str:
        return next(lg for n, _, lg in self.procs if n == name).read_text()

    def logs(self) -> str:
        return "\n".join(f"--- {n} log (tail)\n{lg.read_text()[-2500:]}" for n, _, lg in self.procs)

    def stop(self) -> None:
        for _, proc, _ in reversed(self.procs):
            if proc.poll() is None:
                proc.terminate()
        for _, proc, _ in self.procs:
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()


def model() -> Path:
    """The trained model to serve (see the module docstring)."""
    if os.environ.get("SZ_TEST_MODEL"):  # a model file to use instead of the newest in models/
        return Path(os.environ["SZ_TEST_MODEL"])
    models = sorted((REPO / "models").glob("*.tar.gz"), key=lambda p: p.stat().st_mtime)
    if not models:
        if not ((REPO / "config.yml").exists() and (REPO / "domain.yml").exists()):
            pytest.skip("the dialogue (config.yml, domain.yml) is not there yet")
        subprocess.run(
            [
                str(RASA_BIN),
                "train",
                "--domain",
                "domain.yml",
                "--data",
                "bot/data",
                "--config",
                "config.yml",
                "--out",
                "models",
                "--quiet",
            ],
            cwd=REPO,
            check=True,
            env={**os.environ, "RASA_TELEMETRY_ENABLED": "false"},
        )
        models = sorted((REPO / "models").glob("*.tar.gz"), key=lambda p: p.stat().st_mtime)
    return models[-1]


def _yaml_load(path: Path) -> Dict[str, Any]:
    import yaml

    return yaml.safe_load(path.read_text()) or {}


def _endpoints(st: Stack) -> Dict[str, Any]:
    """The project's endpoints.yml with this stack's action server and a temporary tracker store."""
    endpoints = _yaml_load(REPO / "endpoints.yml")
    endpoints["action_endpoint"] = {**(endpoints.get("action_endpoint") or {}), "url": f"{st.actions}/webhook"}
    tracker = dict(endpoints.get("tracker_store") or {"type": "SQL", "dialect": "sqlite"})
    if str(tracker.get("dialect", "sqlite")) == "sqlite":
        tracker["db"] = str(st.tmp / "tracker.sqlite3")
    else:  # never write the test's conversations into a shared database
        tracker = {"type": "SQL", "dialect": "sqlite", "db": str(st.tmp / "tracker.sqlite3")}
    endpoints["tracker_store"] = tracker
    endpoints["lock_store"] = {"type": "in_memory"}
    return endpoints


def run_stack(
    tmp: Path,
    credentials: Callable[[Stack], Dict[str, Any]],
    *,
    extra: Iterable[str] = (),
    backend_env: Optional[Callable[[Stack], Dict[str, str]]] = None,
    rasa_env: Optional[Dict[str, str]] = None,
    also: Optional[Callable[[Stack], None]] = None,
    endpoints_extra: Optional[Dict[str, Any]] = None,
) -> Iterator[Stack]:
    """Start the stack, yield it, stop it (a generator for a fixture).

    ``credentials(stack)``: the content of Rasa's credentials.yml (it may use the
    stack's URLs). ``extra``: names of more ports (``stack.<name>`` is its URL).
    ``backend_env(stack)``: more environment for the backend; ``rasa_env``: for Rasa.
    ``also(stack)``: starts and waits for more processes (``stack.start``/``wait``).
    ``endpoints_extra``: more sections of Rasa's endpoints file (e.g. an event_broker).
    """
    import yaml

    if not BACKEND_PY.exists() or not RASA_BIN.exists():
        pytest.skip("virtual environments missing (run scripts/setup.sh)")
    model_path = model()
    st = Stack(tmp, extra)
    (tmp / "endpoints.yml").write_text(
        yaml.safe_dump({**_endpoints(st), **(endpoints_extra or {})}, allow_unicode=True)
    )
    (tmp / "credentials.yml").write_text(yaml.safe_dump(credentials(st), allow_unicode=True))
    common = {
        "RASA_TELEMETRY_ENABLED": "false",
        "SZ_BACKEND_URL": st.backend,
        "SZ_NOW": NOW,
        "SZ_CHANNEL_SERVICE_KEY": SERVICE_KEY,
        "SZ_DEV_MODE": "1",
    }  # development secrets and SMS outbox
    try:
        st.start(
            "backend",
            [str(BACKEND_PY), "-m", "sz_backend.cli", "serve", "--port", str(st.ports["backend"])],
            REPO / "backend",
            {
                **common,
                "SZ_BACKEND_NOW": NOW,
                "SZ_SEED_DEMO": "1",
                "DATABASE_URL": f"sqlite:///{tmp / 'backend.sqlite3'}",
                "SZ_BACKEND_PUBLIC_URL": st.backend,
                **(backend_env(st) if backend_env else {}),
            },
        )
        st.start(
            "actions",
            [str(RASA_BIN), "run", "actions", "--actions", "bot.actions", "--port", str(st.ports["actions"])],
            REPO,
            common,
        )
        origins = [url for name, url in st.urls.items() if name not in ("backend", "actions", "rasa")]
        st.start(
            "rasa",
            [
                sys.executable,
                "-m",
                "bot.rasa_ext",
                "run",
                *api_args(RASA_TOKEN, origins or ["http://127.0.0.1:8080"]),
                "--port",
                str(st.ports["rasa"]),
                "--model",
                str(model_path),
                "--endpoints",
                str(tmp / "endpoints.yml"),
                "--credentials",
                str(tmp / "credentials.yml"),
            ],
            REPO,
            {**common, **(rasa_env or {})},
        )
        if also is not None:
            also(st)
        st.wait("backend", f"{st.backend}/health", 90)
        st.wait("actions", f"{st.actions}/health", 240)  # importing rasa_sdk + TensorFlow took > 120 s under load
        st.wait("rasa", st.api("/status"), 240)
        yield st
    finally:
        st.stop()


class SocketUser:
    """A Socket.IO client speaking the widget's protocol (python-socketio, which comes with Rasa)."""

    def __init__(
        self, url: str, token: Optional[str] = None, session_id: Optional[str] = None, origin: Optional[str] = None
    ) -> None:
        import socketio

        self.url, self.token, self.session_id, self.origin = url, token, session_id, origin
        self.sio = socketio.AsyncClient(reconnection=False)
        self.bot: List[Dict[str, Any]] = []
        self.auth: List[Dict[str, Any]] = []
        self.confirmed = asyncio.Event()
        self.sio.on("bot_uttered", lambda m: self.bot.append(m))
        self.sio.on("auth_status", lambda m: self.auth.append(m))

        def confirm(sid: str) -> None:
            self.session_id = sid
            self.confirmed.set()

        self.sio.on("session_confirm", confirm)

    async def __aenter__(self) -> "SocketUser":
        await self.sio.connect(
            self.url,
            socketio_path="/socket.io",
            transports=["polling"],  # engineio 4.15 websocket client needs aiohttp >= 3.10; Rasa pins 3.9
            auth={"auth_token": self.token} if self.token else None,
            wait_timeout=10,
            headers={"Origin": self.origin} if self.origin else {},
        )
        await self.sio.emit("session_request", {"session_id": self.session_id})
        await asyncio.wait_for(self.confirmed.wait(), 10)
        return self

    async def __aexit__(self, *_: Any) -> None:
        await self.sio.disconnect()

    async def say(self, text: str, custom: Optional[Dict[str, Any]] = None, wait: float = 30.0) -> List[Dict[str, Any]]:
        before = len(self.bot)
        await self.sio.emit(
            "user_uttered", {"message": text, "session_id": self.session_id, "customData": custom or {}}
        )
        deadline = time.monotonic() + wait
        seen, quiet_since = before, time.monotonic()
        while time.monotonic() < deadline:
            await asyncio.sleep(0.2)
            if len(self.bot) != seen:
                seen, quiet_since = len(self.bot), time.monotonic()
            elif seen > before and time.monotonic() - quiet_since > 1.5:  # the turn's messages are in
                return self.bot[before:]
        raise AssertionError(f"no reply to {text!r}")
