"""The chat's rendering of a pre-application's status: the real state and its history,
as the backend returns them after a window step (tests/backend/test_window.py)."""

from __future__ import annotations

import pytest

services = pytest.importorskip("bot.actions.services", reason="needs the Rasa environment (.venv/rasa)")

SUBMITTED = {"at": "2026-11-27T10:00:00+08:00", "action": "submitted", "status": "submitted"}


def body(status: str, history: list, **extra) -> dict:
    return {
        "number": "YS2026000012347",
        "status": status,
        "history": [SUBMITTED, *history],
        "message_zh": f"预申请YS2026000012347（深户非在园在校少儿首次参保）：{status}。",
        "message_en": f"Pre-application YS2026000012347: {status}.",
        "materials": [{"zh": "少儿户口簿原件", "en": "The child's hukou book"}],
        "where_zh": "各区社保经办窗口",
        "where_en": "any district service window",
        "form_url": "http://127.0.0.1:8000/documents/YS2026000012347.pdf?exp=1&sig=x",
        **extra,
    }


def test_finished_shows_the_history_and_no_more_materials() -> None:
    text = services.render_pre_application(
        body(
            "completed",
            [
                {"at": "2026-11-28T09:10:00+08:00", "action": "materials_received", "status": "processing"},
                {"at": "2026-11-28T09:12:00+08:00", "action": "finished", "status": "completed", "serial_no": "SZ1"},
            ],
        ),
        "zh",
    )
    assert "· 2026-11-28 09:12 窗口办结" in text and "· 2026-11-28 09:10 窗口核收材料" in text
    assert "少儿户口簿原件" not in text and "打印申请表" not in text


def test_returned_shows_where_and_the_form_again_in_english() -> None:
    text = services.render_pre_application(
        body(
            "returned", [{"at": "2026-11-28T09:12:00+08:00", "action": "returned", "status": "returned", "reason": "x"}]
        ),
        "en",
    )
    assert "- 2026-11-28 09:12 returned by the window" in text
    assert "Where: any district service window" in text and "Printable application form" in text


def test_just_submitted_has_no_history_block() -> None:
    text = services.render_pre_application(body("submitted", []), "zh")
    assert "办理进度" not in text and "1. 少儿户口簿原件" in text
