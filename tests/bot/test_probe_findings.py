"""Bugs found by trying the integrated assistant as residents would (the "probe"), one test each.

Action by action against a REAL backend process (the `Chat` driver of
actions_driver.py plays the Rasa server with the intent and entities the
trained NLU really gave for these messages).
"""

from __future__ import annotations

import pytest

pytest.importorskip("rasa_sdk")

from actions_driver import Chat, login  # noqa: E402

from bot.actions.items import ActionStartTask  # noqa: E402

# every test runs the actions against this module's backend (conftest.py)
pytestmark = pytest.mark.usefixtures("client")


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


# ---- "能再说一遍吗" inside a form is not the answer 一档 -----------------------------------------
@pytest.mark.parametrize("ftype", ["tier", "grade", "int"])
@pytest.mark.parametrize("text", ["能再说一遍吗", "等一下", "一样的", "再来一次"])
def test_a_word_with_yi_in_it_is_not_the_number_one(ftype: str, text: str) -> None:
    # zhangwei asked for the medical tier said "能再说一遍吗": it was read as 一档 and refused
    # ("已是一档，无需变更") instead of the question being repeated
    from bot.actions.fields import parse_field

    spec = {"name": "x", "type": ftype, "label_zh": "档次", "required": True}
    assert parse_field(spec, {"text": text, "entities": []}, requested=True).value is None


@pytest.mark.parametrize(
    "text, value", [("一档", "1"), ("第一个", "1"), ("十一", "11"), ("再说一遍，二档", "2"), ("一年", "1")]
)
def test_the_number_one_is_still_read(text: str, value: str) -> None:
    from bot.actions.fields import parse_field

    spec = {"name": "x", "type": "int", "label_zh": "年数", "required": True}
    assert parse_field(spec, {"text": text, "entities": []}, requested=True).value == value


# ---- "asdf" in a Chinese conversation gets a Chinese reply -----------------------------------------
def _tracker(text: str, intent: str, language: str):
    from rasa_sdk import Tracker

    return Tracker(
        "s",
        {"language": language},
        {"text": text, "intent": {"name": intent, "confidence": 0.9}, "entities": []},
        [],
        False,
        None,
        {},
        "action_listen",
    )


@pytest.mark.parametrize("text", ["asdf", "qwer", "hmm"])
def test_keyboard_mash_keeps_the_conversation_language(text: str) -> None:
    from bot.actions.language import reply_language

    # the LanguageDetector sets no language for it (the slot stays zh); the actions answered in English
    assert reply_language(_tracker(text, "nlu_fallback", "zh")) == "zh"
    assert reply_language(_tracker(text, "nlu_fallback", "en")) == "en"


def test_an_understood_english_message_still_switches_to_english() -> None:
    from bot.actions.language import reply_language

    assert reply_language(_tracker("I want to stop my insurance", "stop_insurance", "zh")) == "en"
    assert reply_language(_tracker("how do I pay for this month please", "nlu_fallback", "zh")) == "en"


# ---- a correction the backend refuses is named as the person knows it ----------------------------------
def test_a_refused_correction_at_the_summary_shows_the_tier_not_its_code(backend_url: str) -> None:
    from bot.actions.items import ValidateItemForm  # noqa: F401  (the form the driver plays)
    from bot.actions.repair import ActionCorrectTask

    chat = Chat(login(backend_url, "zhangwei"), sender="pytest-probe-refused-correction")
    chat.user("我想把医保档次改成二档", "change_enrollment_info", {"medical_tier": "二档"})
    chat.run(ActionStartTask())
    if chat.slots.get("task_stage") == "collect":
        assert chat.form() == "done", chat.text
        from bot.actions.items import ActionReviewTask

        chat.run(ActionReviewTask())
    assert chat.slots["task_stage"] == "confirm", chat.text
    # zhangwei is already on 一档: the backend refuses it; the reply said 医疗保险档次“1”不能使用
    chat.user("不对，应该是一档", "correct_value", {"medical_tier": "1"})
    text = chat.run(ActionCorrectTask())
    assert "一档" in text and "“1”" not in text, text
    # the form that asks again does not read the refused correction a second time (the refusal was said twice)
    assert chat.form() == "asked" and chat.slots["requested_slot"] == "medical_tier", chat.text
    assert "不能使用" not in chat.text, chat.text
