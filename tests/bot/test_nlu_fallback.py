"""Meaningless input is never acted on: the trained model calls it nlu_fallback, and the
reply says it did not understand, with examples of what can be said (issue 14).

The inputs below are written here, not taken from the training data (which holds no
meaningless examples at all) nor from the held-out sets. The trained model is the one
the other bot tests serve (tests/bot/stack.py: the newest in models/, or SZ_TEST_MODEL).
"""

from __future__ import annotations

import asyncio

import pytest

pytest.importorskip("rasa")

MEANINGLESS = [
    # lone punctuation, symbols, emoji
    "？",
    "?!",
    "。。。",
    "……",
    "~~~",
    "#$%^&",
    "😂",
    "👍👍",
    "🤔？",
    "。",
    "/",  # no button payload (session 10: it was read as one, and the classifier's affirm taken)
    "//",
    # fillers and sounds
    "嗯",
    "嗯嗯嗯嗯",
    "啊？",
    "呃……",
    "额额额",
    "哦哦",
    "哈哈哈哈",
    "喂喂",
    "喂？听得见吗",
    "huh?",
    "hmm",
    "uh",
    "lalala",
    "blah blah",
    # keyboard mash and random letters
    "asdfjkl;",
    "qwertyuiop",
    "zxcvbnm",
    "jjjjjj",
    "ksjdhfkjsh",
    "xyz",
    # random digits
    "123",
    "98765",
    "0000",
    "3.1415",
    # half a sentence
    "我想",
    "请问",
    "那个……",
    "就是说",
]
REQUESTS = [
    ("给孩子停少儿医保", "stop_child_insurance"),
    ("I want to transfer my pension out", "transfer_pension_out"),
    ("我想辦理養老保險關係轉出", "transfer_pension_out"),
    ("谢谢", "thank"),
    ("转人工", "ask_human"),
    ("取消", "cancel"),
]


@pytest.fixture(scope="module")
def agent():
    from rasa.core.agent import Agent
    from stack import model

    return Agent.load(str(model()))


def parse(agent, text):
    return asyncio.run(agent.parse_message(text))


def test_at_least_thirty_varied_meaningless_inputs():
    assert len(set(MEANINGLESS)) == len(MEANINGLESS) >= 30


@pytest.mark.parametrize("text", MEANINGLESS)
def test_meaningless_input_is_nlu_fallback(agent, text):
    parsed = parse(agent, text)
    assert parsed["intent"]["name"] == "nlu_fallback", parsed["intent"]
    assert parsed["understanding"]["decision"] == "not_understood"
    # nothing to guess from: no intent is offered, no language is claimed
    assert [r["name"] for r in parsed["intent_ranking"]] == ["nlu_fallback"]


@pytest.mark.parametrize("text", ["asdfjkl;", "qwertyuiop", "zxcvbnm", "huh?", "hmm", "嗯", "啊？", "😂", "98765"])
def test_short_meaningless_input_says_nothing_about_the_language(agent, text):
    """Keyboard mash is not English: the conversation's language (slot `language`) stays."""
    assert not [e for e in parse(agent, text)["entities"] if e["entity"] == "language"]


@pytest.mark.parametrize("text,intent", REQUESTS)
def test_real_requests_are_still_understood(agent, text, intent):
    parsed = parse(agent, text)
    assert parsed["intent"]["name"] == intent
    assert parsed["understanding"]["decision"] == "act"


def _run_clarify(latest, slots):
    from rasa_sdk import Tracker
    from rasa_sdk.executor import CollectingDispatcher

    from bot.actions.clarify import ActionClarifyIntent

    tracker = Tracker("s1", slots, latest, [], False, None, {}, "action_listen")
    dispatcher = CollectingDispatcher()
    asyncio.run(ActionClarifyIntent().run(dispatcher, tracker, {}))
    return dispatcher.messages


@pytest.mark.parametrize(
    "text,slot,lang", [("asdfjkl", "zh", "zh"), ("huh?", "en", "en"), ("？", None, "zh"), ("qwerty", None, "zh")]
)
def test_fallback_reply_says_not_understood_with_examples(agent, text, slot, lang):
    from bot.actions.clarify import EXAMPLES

    latest = parse(agent, text)
    messages = _run_clarify(latest, {"language": slot})
    assert len(messages) == 1 and not messages[0].get("buttons")
    reply = messages[0]["text"]
    examples = [zh if lang == "zh" else en for zh, en in EXAMPLES]
    assert sum(example in reply for example in examples) >= 2, reply
    assert ("没有听懂" in reply) if lang == "zh" else ("did not understand" in reply)
