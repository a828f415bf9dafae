"""What counts as a yes to a confirmation summary (bot/actions/assent.py): plain agreement in the
languages and styles residents use passes; a negation, a question or a wish to wait never does, whatever
intent the classifier gave the message."""

from __future__ import annotations

import pytest

from bot.actions.assent import says_yes, short_yes

YES = [
    "确认",
    "好的",
    "是的",
    "对",
    "嗯",
    "嗯嗯",
    "可以",
    "行",
    "办吧",
    "确认办理",
    "没问题，办吧",
    "對，確認",
    "好呀",
    "对的没错",
    "就这样吧",
    "係呀",
    "yes",
    "Yes, go ahead",
    "ok",
    "OK的",
    "sure",
    "yes please",
    "confirm",
    "I agree",
    "👍",
    "得",
    "中！",
    "/affirm",
    "/affirm{}",
]
NOT_YES = [
    "没看懂你的问题",
    "确认吗？",
    "是吗",
    "是不是要交钱",
    "不要",
    "等一下",
    "好像不对",
    "再想想",
    "算了",
    "what?",
    "no",
    "not ok",
    "hold on",
    "is it ok?",
    "wait, wrong month",
    "我还没想好",
    "你说什么",
    "",
    "随便",
    "知道了吗",
    "为什么要停",
    "我觉得",
    "关系转出",
]


@pytest.mark.parametrize("text", YES)
def test_plain_agreement_is_a_yes(text: str) -> None:
    assert says_yes(text)


@pytest.mark.parametrize("text", NOT_YES)
def test_doubt_negation_or_question_is_not_a_yes(text: str) -> None:
    assert not says_yes(text)


@pytest.mark.parametrize("text", ["那就扣吧", "停了吧", "那行，办吧", "嗯 扣就扣吧", "fine go ahead"])
def test_a_yes_in_a_few_words_is_taken_also_when_the_nlu_was_unsure(text: str) -> None:
    """Session 10: "那就扣吧" / "那行，办吧" at a summary were nlu_fallback and 'did not understand'."""
    assert short_yes(text)


@pytest.mark.parametrize("text", ["行，我问一下我老婆再说", "不要扣吧", "扣吧？", "yes but wait"])
def test_a_longer_or_doubtful_yes_is_not_taken_when_the_nlu_was_unsure(text: str) -> None:
    assert not short_yes(text)
