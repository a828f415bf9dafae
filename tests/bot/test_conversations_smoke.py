"""The conversation benchmark's runner works (bench/conversations.py).

A handful of simple conversations of tests/conversations/ (tuning set, never
held-out ones), played by the same runner the benchmark uses against a stack of
this module (tests/bot/stack.py): a login per conversation, REST turns, the
backend's database restored to the seeded state before each one, the outcome
read from that database. The full set and its figures are the benchmark's job
(docs/conversation-report.md), not this test's.

A wrong outcome must fail the test: the last test plays a conversation whose
expectation is deliberately wrong and checks that the runner says so.
"""

from __future__ import annotations

import copy

import pytest

pytest.importorskip("rasa")

from stack import Stack  # noqa: E402

from bench.conversations import BackendState, load_conversations, run_all  # noqa: E402

SMOKE_IDS = [
    "stop_individual_plain",  # completed, own record
    "stop_child_nickname",  # completed, a child chosen
    "retry_last_month_spoken",  # completed with a field value
    "tier_up_asked",  # a form question answered
    "resume_resident_already_active_refused",  # refused
    "faq_payment_hours",  # answer, not logged in
    "handoff_plain",  # handoff
]


@pytest.fixture(scope="module")
def state(stack: Stack) -> BackendState:
    st = BackendState(stack.tmp / "backend.sqlite3", stack.tmp / "seeded.sqlite3")
    st.take_snapshot()
    return st


@pytest.mark.slow
def test_simple_conversations_reach_their_outcome(stack: Stack, state: BackendState) -> None:
    convs = {c["id"]: c for c in load_conversations()}
    chosen = [convs[i] for i in SMOKE_IDS]
    assert not any(c.get("heldout") for c in chosen)
    results = run_all(chosen, stack.backend, stack.rasa, state, progress=False)
    failed = [r for r in results if not r.passed]
    assert not failed, "\n\n".join(f"{r.id}: {r.reasons}\n" + "\n".join(r.transcript) for r in failed) + stack.logs()
    # the state is restored between conversations: the stop of the first left no trace for the next ones
    assert all(r.user_turns >= 1 for r in results)


@pytest.mark.slow
def test_a_wrong_outcome_is_reported(stack: Stack, state: BackendState) -> None:
    conv = copy.deepcopy({c["id"]: c for c in load_conversations()}["stop_individual_plain"])
    conv["id"] = "deliberately_wrong"
    conv["expect"] = {"outcome": "completed", "item": "stop_resident_insurance"}  # not what the turns ask
    [result] = run_all([conv], stack.backend, stack.rasa, state, progress=False)
    assert not result.passed and "stop_resident_insurance" in " ".join(result.reasons), result.reasons


def test_a_field_stored_masked_matches_the_full_value_it_masks() -> None:
    from bench.conversations import _same

    # the backend stores ID, card and phone numbers masked (backend rules/masking.py)
    assert _same("440301197805121237", "4403**********1237")
    assert _same("广州", "广州市")
    assert not _same("440301197805121238", "4403**********1237")  # a kept character differs
    assert not _same("44030119780512123", "4403**********1237")  # another length
    assert not _same("4403", "4403**********1237")


def test_the_phone_player_reads_spoken_options_as_choices() -> None:
    from bench.conversations import PhonePlayer

    player = PhonePlayer.__new__(PhonePlayer)  # no call: only the reading of a prompt
    player.last = {"text": "抱歉，我不太确定您的意思。您是想问以下哪一项？个人参保信息变更请按1，都不是请按2。"}
    assert player.buttons() == [
        {"title": "个人参保信息变更", "payload": "1"},
        {"title": "都不是", "payload": "2"},
    ]
    player.last = {"text": "请核对。确认办理吗？确认请按1，取消请按2。"}
    assert player.buttons() == []  # a confirmation is answered as one, not as a choice
