"""End to end: chat -> pre-application -> a clerk finishes it in the console (browser) ->
the resident's status (API and chat) says finished, the notice waits for her next
visit -> the analytics dashboard (browser) counts the conversation.

One stack (tests/bot/stack.py: the real backend, action server and Rasa with the
trained model, REST channel) whose endpoints add the production event broker
(bot.event_broker.ConfirmedPikaEventBroker on the local RabbitMQ, a queue of its own),
and the analytics consumer process on the backend's database.

Needs RabbitMQ at 127.0.0.1:5672, node and chromium: skipped with a message without
them, except under CI=true where that is a failure.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import time
import uuid
from pathlib import Path
from typing import Any, Dict, Iterator, List

import pytest
import requests
from channel_fixtures import BACKEND_PY, PASSWORD, REPO  # noqa: E402
from stack import Stack, run_stack  # noqa: E402

CHROMIUM = os.environ.get("SZ_CHROMIUM", "/usr/bin/chromium")
QUEUE, EXCHANGE = f"sz_analytics_e2e_{uuid.uuid4().hex[:8]}", f"sz-e2e-exchange-{uuid.uuid4().hex[:8]}"
PRE_APP = re.compile(r"YS\d{12}[0-9X]")


def _absent(message: str) -> None:
    if os.environ.get("CI") == "true":
        pytest.fail(f"{message} (required under CI=true)")
    pytest.skip(message)


@pytest.fixture(scope="module")
def node() -> str:
    try:
        socket.create_connection(("127.0.0.1", 5672), timeout=2).close()
    except OSError:
        _absent("RabbitMQ is not reachable at 127.0.0.1:5672")
    path = shutil.which("node")
    if not path or not os.access(CHROMIUM, os.X_OK) or not (REPO / "web/node_modules/playwright-core").is_dir():
        _absent("node, chromium or web/node_modules/playwright-core missing (scripts/setup_web.sh)")
    return path or ""


@pytest.fixture(scope="module")
def stack(node: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    tmp = tmp_path_factory.mktemp("window-e2e")
    broker = {
        "event_broker": {
            "type": "bot.event_broker.ConfirmedPikaEventBroker",
            "url": "127.0.0.1",
            "username": "guest",
            "password": "guest",
            "queues": [QUEUE],
            "exchange_name": EXCHANGE,
        }
    }
    for st in run_stack(tmp, lambda _st: {"rest": {}}, endpoints_extra=broker):
        st.start(
            "consumer",
            [str(BACKEND_PY), "-m", "sz_backend.cli", "analytics-consume"],
            REPO / "backend",
            {
                "DATABASE_URL": f"sqlite:///{tmp / 'backend.sqlite3'}",
                "SZ_ANALYTICS_QUEUE": QUEUE,
                "SZ_ANALYTICS_EXCHANGE": EXCHANGE,
            },
        )
        deadline = time.monotonic() + 60
        while "consuming" not in st.log("consumer"):
            if time.monotonic() > deadline:
                pytest.fail("the analytics consumer did not start:\n" + st.log("consumer")[-3000:])
            time.sleep(0.3)
        yield st
    try:  # the queue and exchange of this run only
        import asyncio

        import aio_pika

        async def delete() -> None:
            connection = await aio_pika.connect("amqp://guest:guest@127.0.0.1:5672/")
            async with connection:
                channel = await connection.channel()
                await channel.queue_delete(QUEUE)
                await channel.exchange_delete(EXCHANGE)

        asyncio.run(delete())
    except Exception:  # noqa: BLE001 - best effort
        pass


def chat(st: Stack, token: str, sender: str, text: str) -> str:
    r = requests.post(
        f"{st.rasa}/webhooks/rest/webhook",
        timeout=60,
        json={"sender": sender, "message": text, "metadata": {"auth_token": token}},
    )
    r.raise_for_status()
    return "\n".join(m.get("text", "") for m in r.json())


def converse(st: Stack, token: str, sender: str, opening: str) -> List[str]:
    """Talk as a resident would until the pre-application number comes (answers chosen by the question)."""
    transcript, reply = [], chat(st, token, sender, opening)
    for _ in range(8):
        transcript += [opening, reply]
        if PRE_APP.search(reply):
            return transcript
        if "哪个孩子" in reply or "哪位" in reply:
            opening = "李小乐"
        elif "入户" in reply and "确认" not in reply:
            opening = "2026年6月1日"
        elif "确认" in reply:
            opening = "确认"
        else:
            break
        reply = chat(st, token, sender, opening)
    pytest.fail("no pre-application in the conversation:\n" + "\n".join(transcript) + "\n" + st.logs()[-3000:])


def node_json(node: str, script: str, *args: str) -> Dict[str, Any]:
    proc = subprocess.run(
        [node, str(REPO / "web" / "tests" / script), *args, "--chromium", CHROMIUM],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=REPO / "web",
    )
    lines = [line for line in proc.stdout.splitlines() if line.startswith("{")]
    assert lines, proc.stdout + proc.stderr
    result = json.loads(lines[-1])
    assert result["ok"], json.dumps(result, ensure_ascii=False) + proc.stderr[-2000:]
    return result


@pytest.mark.slow
def test_chat_window_notice_and_dashboard(stack: Stack, node: str, tmp_path: Path) -> None:
    st = stack
    login = requests.post(
        f"{st.backend}/auth/login",
        json={"username": "lina", "password": PASSWORD},
        headers={"X-Channel": "web"},
        timeout=10,
    ).json()
    token, sender = login["token"], f"e2e-{uuid.uuid4().hex[:8]}"
    transcript = converse(st, token, sender, "李小乐首次参加少儿医保")
    number = PRE_APP.search(transcript[-1]).group()

    result = node_json(
        node,
        "console.e2e.mjs",
        "--page",
        f"{st.backend}/console",
        "--number",
        number,
        "--screenshot",
        str(tmp_path / "console.png"),
    )
    assert result["status"] == "completed" and result["serial_no"]

    auth = {"Authorization": f"Bearer {token}"}
    status = requests.get(f"{st.backend}/pre-applications/{number}", headers=auth, timeout=10).json()
    assert status["status"] == "completed" and status["serial_no"] == result["serial_no"]
    answer = chat(st, token, sender, f"查询预申请 {number}")
    assert "已办结" in answer and result["serial_no"] in answer and "窗口办结" in answer, answer
    notices = requests.get(f"{st.backend}/notices", headers=auth, timeout=10).json()["notices"]
    assert len(notices) == 1 and number in notices[0]["text"]

    # The conversation reached the analytics tables through RabbitMQ.
    sup = requests.post(
        f"{st.backend}/window/auth/login", json={"username": "super01", "password": PASSWORD}, timeout=10
    ).json()["token"]
    deadline, item = time.monotonic() + 60, None
    while time.monotonic() < deadline:
        summary = requests.get(
            f"{st.backend}/window/analytics/summary",
            params={"days": 366},
            timeout=10,
            headers={"Authorization": f"Bearer {sup}"},
        ).json()
        item = next((i for i in summary["items"] if i["item_code"] == "enroll_child_first_time"), None)
        if item and item["pre_applied"] >= 1 and summary["sessions"] >= 1:
            break
        time.sleep(1)
    assert item and item["started"] >= 1 and item["pre_applied"] >= 1, (item, st.log("consumer")[-2000:])
    assert summary["containment_rate"] == 1.0
    board = node_json(
        node,
        "dashboard.e2e.mjs",
        "--page",
        f"{st.backend}/dashboard",
        "--item",
        "enroll_child_first_time",
        "--screenshot",
        str(tmp_path / "dashboard.png"),
    )
    assert board["export"] == "not-understood.yml" and board["containment"] == "100.0%"
    if os.environ.get("SZ_UPDATE_DASHBOARD_PNG") == "1":
        shutil.copy(tmp_path / "dashboard.png", REPO / "docs" / "dashboard.png")
