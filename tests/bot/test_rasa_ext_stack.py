"""A conversation over REST answered the same by a Rasa server with the speed patches
(`python -m bot.rasa_ext run`) and one with them switched off (SZ_RASA_PATCHES=off).

One stack (backend, action server, the patched Rasa of tests/bot/stack.py) plus a second,
unpatched Rasa server with its own tracker store; both play the same messages as different
senders. Same replies (texts, buttons, signals) and the same dialogue (intents, actions,
slots in the trackers). Nothing is submitted, so the shared backend is the same for both.
"""

from __future__ import annotations

import sys
from typing import Any, Dict, Iterator, List, Optional, Tuple

import pytest
import requests
import yaml

pytest.importorskip("rasa")

from channel_fixtures import NOW, PASSWORD, REPO, SERVICE_KEY  # noqa: E402
from stack import RASA_TOKEN, Stack, model, run_stack  # noqa: E402

from bot.server_args import api_args  # noqa: E402

# anonymous, logged in, Traditional, English, a vague request, a typo, a cancelled form
CONVERSATIONS: List[Tuple[Optional[str], List[str]]] = [
    (None, ["你好", "社保卡丢了怎么办", "我想打印參保證明", "I want to print my insurance certificate", "嗯"]),
    ("chenjing", ["你好", "孩子还没上幼儿园，想给他参保", "算了，不办了", "查下我的缴费记录", "社保的事", "谢谢"]),
]


def _start_unpatched(st: Stack) -> None:
    endpoints = yaml.safe_load((st.tmp / "endpoints.yml").read_text())
    endpoints["tracker_store"] = {**endpoints["tracker_store"], "db": str(st.tmp / "tracker-off.sqlite3")}
    (st.tmp / "endpoints-off.yml").write_text(yaml.safe_dump(endpoints, allow_unicode=True))
    st.start(
        "rasa_off",
        [
            sys.executable,
            "-m",
            "bot.rasa_ext",
            "run",
            *api_args(RASA_TOKEN, ["http://127.0.0.1:8080"]),
            "--port",
            str(st.ports["rasa_off"]),
            "--model",
            str(model()),
            "--endpoints",
            str(st.tmp / "endpoints-off.yml"),
            "--credentials",
            str(st.tmp / "credentials.yml"),
        ],
        REPO,
        {
            "RASA_TELEMETRY_ENABLED": "false",
            "SZ_BACKEND_URL": st.backend,
            "SZ_NOW": NOW,
            "SZ_CHANNEL_SERVICE_KEY": SERVICE_KEY,
            "SZ_DEV_MODE": "1",
            "SZ_RASA_PATCHES": "off",
        },
    )
    st.wait("rasa_off", f"{st.rasa_off}/status?token={RASA_TOKEN}", 300)  # type: ignore[attr-defined]


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    yield from run_stack(
        tmp_path_factory.mktemp("rasa-ext"), lambda st: {"rest": None}, extra=("rasa_off",), also=_start_unpatched
    )


def _play(rasa: str, sender: str, token: Optional[str], messages: List[str]) -> Dict[str, Any]:
    replies = []
    for message in messages:
        body: Dict[str, Any] = {"sender": sender, "message": message}
        if token:
            body["metadata"] = {"auth_token": token}
        r = requests.post(f"{rasa}/webhooks/rest/webhook", json=body, timeout=120)
        assert r.status_code == 200, r.text
        replies.append([{k: v for k, v in m.items() if k != "recipient_id"} for m in r.json()])
    r = requests.get(f"{rasa}/conversations/{sender}/tracker?token={RASA_TOKEN}", timeout=30)
    r.raise_for_status()
    dialogue = []
    for e in r.json()["events"]:
        if e["event"] == "user":
            dialogue.append(
                (
                    "user",
                    e["parse_data"]["intent"].get("name"),
                    sorted((x["entity"], x.get("value")) for x in e["parse_data"].get("entities", [])),
                )
            )
        elif e["event"] in ("action", "slot", "active_loop"):
            dialogue.append((e["event"], e.get("name"), e.get("value") if e["event"] == "slot" else None))
    return {"replies": replies, "dialogue": dialogue}


def test_the_same_conversation_with_the_patches_off(stack: Stack) -> None:
    for who, messages in CONVERSATIONS:
        token = None
        if who:
            r = requests.post(f"{stack.backend}/auth/login", json={"username": who, "password": PASSWORD}, timeout=10)
            assert r.status_code == 200, r.text
            token = r.json()["token"]
        patched = _play(stack.rasa, f"ext-on-{who}", token, messages)
        unpatched = _play(stack.rasa_off, f"ext-off-{who}", token, messages)  # type: ignore[attr-defined]
        assert all(patched["replies"]), (patched, stack.logs())  # every message was answered
        assert unpatched["replies"] == patched["replies"], stack.logs()
        assert unpatched["dialogue"] == patched["dialogue"]
