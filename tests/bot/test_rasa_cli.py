"""Rasa's command line as README documents it: held-out sets Rasa can read,
readable REST answers, and ``rasa shell`` with readable signals and a log-in.

- tests/nlu/rasa/*.yml (``rasa test nlu --nlu ...``) are the current
  conversion of tests/nlu/heldout*.yml and Rasa's own loader reads every
  example of them (the source format reads as zero examples);
- the REST channel of credentials.yml (bot/channels/rest.py) answers UTF-8
  JSON, blocking and streaming;
- bot/channels/console.py: what ``rasa shell`` prints for a custom payload, and
  a shell started with SZ_SHELL_USER sends a token the REAL backend issued (the
  patched console functions post to a real channel server).
"""

from __future__ import annotations

import asyncio
import io
import json
import subprocess
import sys
from contextlib import redirect_stdout
from pathlib import Path
from typing import Any, Dict, Iterator, List

import pytest
import requests
import yaml

pytest.importorskip("rasa")

from channel_fixtures import FakeBot, SanicServer  # noqa: E402

from bot.channels import console as shell  # noqa: E402
from bot.channels.rest import ReadableRestInput  # noqa: E402

REPO = Path(__file__).resolve().parents[2]
NLU = REPO / "tests" / "nlu"


def test_heldout_sets_in_rasa_format_are_current_and_readable() -> None:
    from rasa.shared.nlu.training_data.loading import load_data

    check = subprocess.run(
        [sys.executable, str(NLU / "to_rasa.py"), "--check"], capture_output=True, text=True, timeout=60
    )
    assert check.returncode == 0, check.stdout + check.stderr
    import importlib.util

    spec = importlib.util.spec_from_file_location("to_rasa", NLU / "to_rasa.py")
    assert spec is not None and spec.loader is not None
    to_rasa = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(to_rasa)
    assert {"heldout.yml", "heldout7.yml"} <= set(to_rasa.SOURCES)  # every held-out set of tests/nlu
    for name in to_rasa.SOURCES:
        source = yaml.safe_load((NLU / name).read_text(encoding="utf-8"))["examples"]
        loaded = load_data(str(NLU / "rasa" / name))
        assert len(loaded.training_examples) == len(source), name
        assert {e.get("intent") for e in loaded.training_examples} == {e["intent"].split("/")[0] for e in source}
        # the source format itself is nothing Rasa can evaluate
        try:
            assert len(load_data(str(NLU / name)).training_examples) == 0
        except ValueError as err:
            assert "Unknown data format" in str(err)


def _script(text: str, metadata: Dict[str, Any]) -> List[tuple]:
    if text == "打印参保证明" and not metadata.get("auth_token"):
        return [
            ("message", {"text": "查询或办理个人业务前，需要先确认您的身份。"}),
            ("custom", {"signal": "verify_identity", "reason": "required"}),
        ]
    return [("text", f"收到：{text}（{'已登录' if metadata.get('auth_token') else '未登录'}）")]


@pytest.fixture(scope="module")
def bot() -> FakeBot:
    return FakeBot(_script)


@pytest.fixture(scope="module")
def rest_server(bot: FakeBot) -> Iterator[SanicServer]:
    srv = SanicServer({"/webhooks/rest": ReadableRestInput().blueprint(bot)}).start()
    yield srv
    srv.stop()


def test_credentials_use_the_readable_rest_channel() -> None:
    creds = yaml.safe_load((REPO / "credentials.yml").read_text(encoding="utf-8"))
    assert "bot.channels.rest.ReadableRestInput" in creds and "rest" not in creds
    assert ReadableRestInput.name() == "rest"  # same URL: /webhooks/rest/webhook


def test_root_config_files_load_with_rasas_own_readers(monkeypatch: pytest.MonkeyPatch) -> None:
    """`rasa run` (scripts/run.sh) reads credentials.yml and endpoints.yml from the root; the test
    stacks write their own, so only this shows that Rasa can read the real ones (its YAML reader
    decodes backslash escapes, so a stray backslash-u in a comment stops the server)."""
    from rasa.core.run import create_http_input_channels
    from rasa.core.utils import read_endpoints_from_path

    monkeypatch.setenv("SZ_DEV_MODE", "1")
    channels = create_http_input_channels(None, str(REPO / "credentials.yml"))
    assert {c.name() for c in channels} >= {"rest", "socketio", "wechat", "ivr"}
    endpoints = read_endpoints_from_path(str(REPO / "endpoints.yml"))
    assert endpoints.action and endpoints.tracker_store and endpoints.lock_store


def test_rest_answers_are_readable_utf8(rest_server: SanicServer) -> None:
    url = rest_server.url + "/webhooks/rest/webhook"
    r = requests.post(url, json={"sender": "cli-1", "message": "你好"}, timeout=10)
    assert r.status_code == 200 and r.headers["Content-Type"] == "application/json; charset=utf-8"
    assert "收到：你好" in r.content.decode("utf-8") and "\\u" not in r.text
    assert r.json() == [{"recipient_id": "cli-1", "text": "收到：你好（未登录）"}]
    stream = requests.post(url + "?stream=true", json={"sender": "cli-1", "message": "你好"}, timeout=10)
    assert [json.loads(line) for line in stream.text.splitlines() if line] == r.json()
    assert requests.get(rest_server.url + "/webhooks/rest/", timeout=5).json() == {"status": "ok"}


def test_shell_prints_custom_payloads_readably() -> None:
    from rasa.core.channels import console

    shell.apply()
    out = io.StringIO()
    with redirect_stdout(out):
        console._print_bot_output({"recipient_id": "x", "custom": {"signal": "verify_identity", "reason": "required"}})
        console._print_bot_output({"recipient_id": "x", "custom": {"signal": "handoff", "number": "12333"}})
        console._print_bot_output({"recipient_id": "x", "custom": {"kind": "card", "title": "参保证明"}})
        console._print_bot_output({"recipient_id": "x", "text": "您好"})
    printed = out.getvalue()
    assert "Custom json" not in printed and '"signal"' not in printed
    assert "signal verify_identity: the person must identify first" in printed and "SZ_SHELL_USER" in printed
    assert "transfers the call to 12333" in printed
    assert '"title": "参保证明"' in printed and "\\u" not in printed
    assert "您好" in printed


def test_shell_logs_in_with_sz_shell_user(
    rest_server: SanicServer, bot: FakeBot, backend_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from rasa.core.channels import console

    shell.apply()

    async def stream(sender: str, text: str) -> List[Dict[str, Any]]:
        return [m async for m in console._send_message_receive_stream(rest_server.url, "", sender, text)]

    # without SZ_SHELL_USER: a guest, the signal comes back (and prints readably)
    monkeypatch.delenv("SZ_SHELL_USER", raising=False)
    monkeypatch.setattr(shell, "_state", {"token": None, "tried": False})
    replies = asyncio.run(stream("shell-guest", "打印参保证明"))
    assert {"recipient_id": "shell-guest", "custom": {"signal": "verify_identity", "reason": "required"}} in replies
    assert "auth_token" not in (bot.last("shell-guest")["metadata"] or {})

    # with SZ_SHELL_USER: logged in at the backend once; the token goes with every message
    monkeypatch.setenv("SZ_SHELL_USER", "lina")
    monkeypatch.setenv("SZ_SHELL_PASSWORD", "Demo@2026")
    monkeypatch.setenv("SZ_BACKEND_URL", backend_url)
    monkeypatch.setattr(shell, "_state", {"token": None, "tried": False})
    replies = asyncio.run(stream("shell-lina", "打印参保证明"))
    assert replies == [{"recipient_id": "shell-lina", "text": "收到：打印参保证明（已登录）"}]
    token = bot.last("shell-lina")["metadata"]["auth_token"]
    me = requests.get(f"{backend_url}/me", headers={"Authorization": f"Bearer {token}"}, timeout=10)
    assert me.status_code == 200 and me.json()["name"] == "李娜"
    block = asyncio.run(console.send_message_receive_block(rest_server.url, "", "shell-lina", "你好"))
    assert block == [{"recipient_id": "shell-lina", "text": "收到：你好（已登录）"}]

    # a wrong password: a guest, said so
    monkeypatch.setenv("SZ_SHELL_PASSWORD", "wrong")
    monkeypatch.setattr(shell, "_state", {"token": None, "tried": False})
    out = io.StringIO()
    with redirect_stdout(out):
        replies = asyncio.run(stream("shell-wrong", "你好"))
    assert "log-in failed" in out.getvalue() and replies[0]["text"].endswith("（未登录）")
