"""Bugs found by trying the integrated assistant as residents would (the "probe"), one test each.

Action by action against a REAL backend process (the `Chat` driver of
test_actions_flow.py plays the Rasa server with the intent and entities the
trained NLU really gave for these messages).
"""
from __future__ import annotations

import sys
from pathlib import Path

import pytest

pytest.importorskip("rasa_sdk")

sys.path.insert(0, str(Path(__file__).resolve().parent))
from test_actions_flow import Chat, backend_url, client, login  # noqa: E402,F401  (fixtures)

from bot.actions.items import ActionStartTask  # noqa: E402


def test_a_child_named_only_in_the_words_gets_the_childs_records_not_the_guardians(backend_url: str) -> None:
    # the trained NLU gives query_contributions without a child_name entity for this message;
    # the guardian's own records were shown instead of 李小红's
    chat = Chat(login(backend_url, "lina"), sender="pytest-probe-named-child")
    chat.user("查一下小红的缴费明细", "query_contributions")
    text = chat.run(ActionStartTask())
    assert "李小红" in text and "李娜" not in text, text


def test_own_records_are_still_shown_when_no_child_is_named(backend_url: str) -> None:
    chat = Chat(login(backend_url, "lina"), sender="pytest-probe-own-records")
    chat.user("查一下我的缴费明细", "query_contributions")
    text = chat.run(ActionStartTask())
    assert "李娜" in text and "哪个孩子" not in text, text
