"""Security of the started Rasa server (issue 11, findings 1, 3 and 7), against real processes.

The stack (tests/bot/stack.py) starts Rasa with the HTTP API flags scripts/run.sh
uses (bot/server_args.py) and the project's REST channel class. Each test
reproduces an attack of the issue and shows it refused:

- finding 1: the conversation API without the token (read a tracker, inject an
  event), CORS for a foreign page, Rasa reachable on another interface;
- finding 3: one 100,000-character message while another user is served;
- finding 7: REST bodies that are not JSON objects (HTTP 500 before).
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path
from typing import Any, Dict, List

import pytest
import requests

pytest.importorskip("rasa")

from stack import RASA_TOKEN, REPO, Stack  # noqa: E402

WIDGET_ORIGIN = "http://127.0.0.1:8080"


def stack_credentials(st: Stack) -> Dict[str, Any]:  # the project's REST and widget channel classes
    """The channels of this module's stack (conftest.py's ``stack`` fixture)."""
    return {
        "bot.channels.rest.ReadableRestInput": None,
        "bot.channels.web.WebSocketIOInput": {
            "user_message_evt": "user_uttered",
            "bot_message_evt": "bot_uttered",
            "session_persistence": True,
            "metadata_key": "customData",
            "backend_url": st.backend,
        },
    }


def _say(st: Stack, sender: str, text: str, timeout: float = 120) -> List[Dict[str, Any]]:
    r = requests.post(f"{st.rasa}/webhooks/rest/webhook", json={"sender": sender, "message": text}, timeout=timeout)
    assert r.status_code == 200, r.text
    return r.json()


# ---------------------------------------------------------------- finding 1: the HTTP API
def test_run_sh_and_scaleout_start_rasa_with_the_protected_api_flags() -> None:
    run_sh = (REPO / "scripts/run.sh").read_text()
    assert '-m bot.rasa_ext run "${RASA_API_ARGS[@]}"' in run_sh
    assert '--cors "*"' not in run_sh and "--enable-api" not in run_sh
    assert "api_args(self.rasa_token)" in (REPO / "bench/stack.py").read_text()
    env = {**os.environ, "SZ_RASA_AUTH_TOKEN": RASA_TOKEN}
    env.pop("SZ_WIDGET_ORIGINS", None)
    env.pop("SZ_RASA_INTERFACE", None)
    out = subprocess.run(
        [sys.executable, "-m", "bot.server_args"], cwd=REPO, env=env, capture_output=True, text=True, check=True
    ).stdout.split("\n")
    assert out[:6] == ["--enable-api", "--auth-token", RASA_TOKEN, "-i", "127.0.0.1", "--cors"]
    assert "*" not in out and WIDGET_ORIGIN in out
    # no token: the flags are refused, so run.sh cannot start an open API by mistake
    env["SZ_RASA_AUTH_TOKEN"] = ""
    assert (
        subprocess.run([sys.executable, "-m", "bot.server_args"], cwd=REPO, env=env, capture_output=True).returncode
        != 0
    )


def test_conversation_api_refuses_callers_without_the_token(stack: Stack) -> None:
    sender = f"victim-{uuid.uuid4().hex[:8]}"
    assert _say(stack, sender, "你好")
    tracker = f"{stack.rasa}/conversations/{sender}/tracker"
    for url in (tracker, f"{tracker}?token=wrong-token-0123456789abcdef", f"{stack.rasa}/status"):
        r = requests.get(url, timeout=10)
        assert r.status_code in (401, 403), (url, r.status_code, r.text[:200])
        assert "你好" not in r.text
    # an injected slot event (the attack replaced the bank account a user then confirmed)
    event = {"event": "slot", "name": "requested_slot", "value": "injected-by-attacker"}
    r = requests.post(f"{tracker}/events", json=event, timeout=10)
    assert r.status_code in (401, 403), r.text[:200]
    r = requests.post(f"{tracker}/events?token=wrong-token-0123456789abcdef", json=event, timeout=10)
    assert r.status_code in (401, 403)
    r = requests.put(f"{tracker}/events", json=[event], timeout=10)
    assert r.status_code in (401, 403)
    # the operator with the token reads it, and nothing was injected
    r = requests.get(stack.api(f"/conversations/{sender}/tracker"), timeout=10)
    assert r.status_code == 200
    assert "injected-by-attacker" not in r.text
    assert [e.get("text") for e in r.json()["events"] if e.get("event") == "user"] == ["你好"]


def test_cors_headers_only_for_the_widget_page(stack: Stack) -> None:
    url = f"{stack.rasa}/webhooks/rest/webhook"
    evil = requests.options(
        url, headers={"Origin": "http://evil.example", "Access-Control-Request-Method": "POST"}, timeout=10
    )
    assert evil.headers.get("Access-Control-Allow-Origin") in (None, ""), dict(evil.headers)
    ok = requests.options(url, headers={"Origin": WIDGET_ORIGIN, "Access-Control-Request-Method": "POST"}, timeout=10)
    assert ok.headers.get("Access-Control-Allow-Origin") == WIDGET_ORIGIN, dict(ok.headers)


def _other_addresses() -> List[str]:
    found = set()
    try:
        out = subprocess.run(["hostname", "-I"], capture_output=True, text=True, timeout=5).stdout
        found.update(a for a in out.split() if ":" not in a)
    except (OSError, subprocess.SubprocessError):
        pass
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            s.connect(("192.0.2.1", 9))  # no packet is sent: only picks the outgoing interface
            found.add(s.getsockname()[0])
    except OSError:
        pass
    return sorted(a for a in found if not a.startswith("127."))


def test_rasa_listens_on_loopback_only(stack: Stack) -> None:
    addresses = _other_addresses()
    if not addresses:
        pytest.skip("this machine has no address besides loopback")
    port = stack.ports["rasa"]
    for address in addresses:
        with socket.socket() as s:
            s.settimeout(2)
            assert s.connect_ex((address, port)) != 0, f"Rasa answers on {address}:{port}"


# ---------------------------------------------------------------- finding 7: malformed bodies
@pytest.mark.parametrize(
    "body",
    [
        b"[]",
        b'"hello"',
        b"42",
        b"{not json",
        b'{"sender": 7, "message": "hi"}',
        b'{"sender": "s", "message": ["hi"]}',
        b'{"sender": "s", "message": "hi", "metadata": "x"}',
    ],
)
def test_rest_answers_4xx_to_malformed_bodies(stack: Stack, body: bytes) -> None:
    r = requests.post(
        f"{stack.rasa}/webhooks/rest/webhook", data=body, headers={"Content-Type": "application/json"}, timeout=30
    )
    assert 400 <= r.status_code < 500, (body, r.status_code, r.text[:300])
    assert "Traceback" not in r.text


# ---------------------------------------------------------------- finding 3: one long message
def test_a_100k_message_is_answered_kindly_at_once_while_another_user_is_served(stack: Stack) -> None:
    _say(stack, "warm-up", "你好")
    long_zh = ("我想问一下给孩子停保的事情，" * 8000)[:100_000]
    results: Dict[str, Any] = {}

    def long_user() -> None:
        t0 = time.perf_counter()
        results["long"] = _say(stack, f"long-{uuid.uuid4().hex[:6]}", long_zh)
        results["long_s"] = time.perf_counter() - t0

    def other_user() -> None:
        time.sleep(0.05)
        t0 = time.perf_counter()
        results["other"] = _say(stack, f"other-{uuid.uuid4().hex[:6]}", "我想给孩子停保")
        results["other_s"] = time.perf_counter() - t0

    threads = [threading.Thread(target=long_user), threading.Thread(target=other_user)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    texts = " ".join(m.get("text") or "" for m in results["long"])
    assert "太长" in texts and "100,000" in texts, texts
    assert results["other"] and "太长" not in json.dumps(results["other"], ensure_ascii=False)
    print(
        f"\n100,000-character message answered in {results['long_s'] * 1000:.0f} ms; "
        f"the other user's turn took {results['other_s'] * 1000:.0f} ms"
    )
    # the bound is 1 s; generous here because 8 test runs may share 2 cores
    assert results["long_s"] < 5.0
    # English gets the English reply; a message at the limit is still understood normally
    english = _say(stack, f"long-en-{uuid.uuid4().hex[:6]}", "please help me " * 7000)
    assert "too long" in english[0]["text"]
    at_limit = _say(stack, f"limit-{uuid.uuid4().hex[:6]}", ("我想给孩子停保。" * 200)[:1000])
    assert at_limit and "太长" not in json.dumps(at_limit, ensure_ascii=False)


# ---------------------------------------------------------------- finding 7: the /faq payload
def test_faq_payloads_are_answered(stack: Stack) -> None:
    topic = _say(stack, f"faq-{uuid.uuid4().hex[:6]}", "/faq/login")
    assert topic and any("登录" in (m.get("text") or "") for m in topic), topic
    bare = _say(stack, f"faq-{uuid.uuid4().hex[:6]}", "/faq")
    assert bare and "咨询" in bare[0]["text"], bare
    assert "KeyError" not in stack.log("rasa")


# ---------------------------------------------------------------- finding 5: the tracker store key
def test_tracker_store_refuses_the_development_key_outside_development_mode(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from rasa.shared.core.domain import Domain

    from bot.rasa_ext.tracker_store import DEV_KEY, KEY_ENV, RedactingSQLTrackerStore

    def store() -> Any:
        return RedactingSQLTrackerStore(domain=Domain.empty(), dialect="sqlite", db=str(tmp_path / "t.sqlite3"))

    monkeypatch.delenv("SZ_DEV_MODE", raising=False)
    for key in (None, DEV_KEY, f"new-secret-key-0123456789,{DEV_KEY}"):
        if key is None:
            monkeypatch.delenv(KEY_ENV, raising=False)
        else:
            monkeypatch.setenv(KEY_ENV, key)
        with pytest.raises(RuntimeError, match="SZ_DEV_MODE"):
            store()
    monkeypatch.setenv(KEY_ENV, "a-real-secret-key-0123456789")
    assert store() is not None
    monkeypatch.delenv(KEY_ENV)
    monkeypatch.setenv("SZ_DEV_MODE", "1")  # scripts/run.sh says so in its output
    assert store() is not None


def test_the_widget_socket_answers_a_long_message_kindly(stack: Stack) -> None:
    import asyncio

    from stack import SocketUser

    async def talk() -> List[Dict[str, Any]]:
        async with SocketUser(stack.rasa) as user:
            return await user.say("请问社保怎么交？" * 12_500, wait=20)

    replies = asyncio.run(talk())
    assert replies and "太长" in replies[0].get("text", ""), replies
