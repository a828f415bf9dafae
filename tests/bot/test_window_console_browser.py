"""The window console in a real browser against a real backend process.

A resident (李娜) makes a pre-application through the API (her child's first
enrolment, which the registry cannot confirm), then headless Chromium
(playwright-core, Debian's /usr/bin/chromium, as tests/bot/test_widget_browser.py)
runs web/tests/console.e2e.mjs: the clerk logs in (a wrong password first), finds
the number, ticks and records the materials and finishes it. The resident's status
then says completed with the same serial number, and the notice waits for her next
widget visit. A second run returns a pre-application instead, and the resident sees
the reason.

Without node or chromium the test is skipped with a message, except under CI=true
where that is a failure.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Dict, Iterator

import pytest
import requests
from channel_fixtures import PASSWORD, REPO, start_backend  # noqa: E402

CHROMIUM = os.environ.get("SZ_CHROMIUM", "/usr/bin/chromium")
E2E = REPO / "web" / "tests" / "console.e2e.mjs"


@pytest.fixture(scope="module")
def node() -> str:
    path = shutil.which("node")
    missing = None if path else "node (Node.js) is not installed"
    if not missing and not os.access(CHROMIUM, os.X_OK):
        missing = f"{CHROMIUM} is not installed"
    if not missing and not (REPO / "web" / "node_modules" / "playwright-core").is_dir():
        missing = "web/node_modules/playwright-core missing (scripts/setup_web.sh)"
    if missing:
        if os.environ.get("CI") == "true":
            pytest.fail(f"{missing} (required under CI=true)")
        pytest.skip(missing + ": the console browser test needs it")
    return path or ""


@pytest.fixture(scope="module")
def backend(tmp_path_factory) -> Iterator[str]:
    yield from start_backend(tmp_path_factory.mktemp("console"))


def login(backend: str, user: str = "lina") -> Dict[str, str]:
    r = requests.post(
        f"{backend}/auth/login", json={"username": user, "password": PASSWORD}, headers={"X-Channel": "web"}, timeout=10
    )
    r.raise_for_status()
    return {"Authorization": f"Bearer {r.json()['token']}"}


def pre_application(backend: str, headers: Dict[str, str], child: str) -> str:
    children = requests.get(f"{backend}/me", headers=headers, timeout=10).json()["children"]
    sid = next(c["id"] for c in children if c["name"] == child)
    r = requests.post(
        f"{backend}/items/enroll_child_first_time",
        headers=headers,
        timeout=10,
        json={"subject_id": sid, "fields": {"settle_in_date": "2026-06-01"}},
    )
    r.raise_for_status()
    assert r.json()["outcome"] == "pre_application", r.text
    return r.json()["pre_application"]["number"]


def run_console(node: str, backend: str, number: str, action: str, shot: Path) -> dict:
    proc = subprocess.run(
        [
            node,
            str(E2E),
            "--page",
            f"{backend}/console",
            "--number",
            number,
            "--action",
            action,
            "--chromium",
            CHROMIUM,
            "--screenshot",
            str(shot),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=REPO / "web",
    )
    lines = [line for line in proc.stdout.splitlines() if line.startswith("{")]
    assert lines, f"no result from the browser test:\n{proc.stdout}\n{proc.stderr}"
    result = json.loads(lines[-1])
    assert result["ok"], json.dumps(result, ensure_ascii=False, indent=1) + "\n" + proc.stderr[-2000:]
    return result


def test_clerk_finishes_a_pre_application_in_the_console(node: str, backend: str, tmp_path: Path) -> None:
    lina = login(backend)
    number = pre_application(backend, lina, "李小乐")
    result = run_console(node, backend, number, "finish", tmp_path / "console.png")
    assert result["status"] == "completed" and result["serial_no"]
    assert (tmp_path / "console.png").stat().st_size > 10_000
    if os.environ.get("SZ_UPDATE_CONSOLE_PNG") == "1":
        shutil.copy(tmp_path / "console.png", REPO / "docs" / "console.png")

    status = requests.get(f"{backend}/pre-applications/{number}", headers=lina, timeout=10).json()
    assert status["status"] == "completed" and status["serial_no"] == result["serial_no"]
    assert [h["action"] for h in status["history"]] == ["submitted", "materials_received", "finished"]
    notices = requests.get(f"{backend}/notices", headers=lina, timeout=10).json()["notices"]
    assert len(notices) == 1 and result["serial_no"] in notices[0]["text"]
    children = requests.get(f"{backend}/me", headers=lina, timeout=10).json()["children"]
    assert any(c["name"] == "李小乐" and c.get("enrolments") for c in children), children


def test_clerk_returns_a_pre_application_in_the_console(node: str, backend: str, tmp_path: Path) -> None:
    chen = login(backend, "chenjing")
    children = requests.get(f"{backend}/me", headers=chen, timeout=10).json()["children"]
    sid = children[0]["id"]
    r = requests.post(
        f"{backend}/items/enroll_child_first_time",
        headers=chen,
        timeout=10,
        json={"subject_id": sid, "fields": {"settle_in_date": "2025-01-11"}},
    )  # not the registry's date
    number = r.json()["pre_application"]["number"]
    result = run_console(node, backend, number, "return", tmp_path / "returned.png")
    assert result["status"] == "returned"
    status = requests.get(f"{backend}/pre-applications/{number}", headers=chen, timeout=10).json()
    assert status["status"] == "returned" and status["returned"]["reason"] == "户口簿未载明入户时间"
    assert "入户时间证明" in status["message_zh"]
