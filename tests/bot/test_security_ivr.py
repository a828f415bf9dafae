"""IVR security (issue 11, findings 3 and 6), with a real backend and the phone front end's requests.

Finding 6: 12 wrong phone PINs over 4 calls, then the right one, was accepted.
Now the backend counts PIN failures per account across calls and channels and
locks for a while; the IVR tells the caller and transfers to an agent. Finding
3: a very long transcript is answered kindly instead of understood.
"""

from __future__ import annotations

from typing import Iterator

import pytest

pytest.importorskip("rasa")
from channel_fixtures import FakeBot, SanicServer  # noqa: E402
from ivr_driver import Call, script, start_ivr_server  # noqa: E402, F401  (script: what conftest.py's bot answers)

from bot.channels.ivr import MAX_TRANSCRIPT_CHARS  # noqa: E402


@pytest.fixture(scope="module")
def server(backend_url: str, bot: FakeBot) -> Iterator[SanicServer]:
    yield from start_ivr_server(backend_url, bot)


def test_pin_guesses_over_several_calls_lock_verification_and_transfer_to_an_agent(
    server: SanicServer, bot: FakeBot
) -> None:
    wrong = iter(["000000", "111111", "222222", "333333", "444444"])
    first = Call(server)
    first.start()
    for _ in range(3):  # the channel transfers after three failures in one call
        out = first.verify(pin=next(wrong))
    assert out["transfer"]["reason"] == "verification_failed"
    second = Call(server)  # the caller simply calls again
    second.start()
    for _ in range(2):
        second.verify(pin=next(wrong))
    third = Call(server)
    third.start()
    out = third.verify()  # the right PIN, after five wrong ones: refused
    assert "锁定" in out["text"], out["text"]
    assert out["transfer"] == {"number": "12333", "reason": "verification_locked"}
    assert all(bot.texts(c.call_id) == [] for c in (first, second, third))


def test_a_very_long_transcript_is_answered_kindly_not_understood(server: SanicServer, bot: FakeBot) -> None:
    call = Call(server, caller=None)
    call.start()
    out = call.say("我想问一下社保的事情" * (MAX_TRANSCRIPT_CHARS // 5))
    assert "太长" in out["text"] and out["expect"]["type"] == "speech"
    assert bot.texts(call.call_id) == []
    out = call.say("怎么交社保")  # a normal sentence afterwards is understood
    assert bot.texts(call.call_id) == ["怎么交社保"]
