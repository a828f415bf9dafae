"""A choice typed instead of clicked (bot/actions/choices.py), against a real backend.

"2", "第二个", "the second one", or a part of its name only it has ("养老") after buttons is that button, replayed as if pressed (with the login);
a yes after "which one?" takes the only option or shows the list again; a yes with nothing shown is
still "nothing to confirm". Each of these failed before: "第二个" was "I did not understand", a yes was
"nothing waiting for your confirmation".
"""

from __future__ import annotations

import pytest

pytest.importorskip("rasa_sdk")

from actions_driver import Chat, login  # noqa: E402

from bot.actions.choices import named_button, position  # noqa: E402
from bot.actions.clarify import ActionAffirmWithoutTask, ActionClarifyIntent  # noqa: E402
from bot.actions.items import ActionStartTask  # noqa: E402

pytestmark = pytest.mark.usefixtures("client")

ASKED = [
    {"name": "nlu_fallback", "confidence": 0.8},
    {"name": "register_individual_insurance", "confidence": 0.13},
    {"name": "self_service_payment", "confidence": 0.10},
]


@pytest.mark.parametrize(
    "text, expected",
    [
        ("2", 2),
        ("第二个", 2),
        ("第2项", 2),
        ("选第一个吧", 1),
        ("就三号", 3),
        ("那就第一个。", 1),
        ("the second one", 2),
        ("option 3", 3),
        ("2nd", 2),
        ("first one please", 1),
        # not a position
        ("2个孩子", None),
        ("第二个孩子的医保", None),
        ("二档", None),
        ("two kids", None),
        ("yes", None),
        ("10", None),
        ("", None),
        ("option two", 2),
        ("no one", None),
        ("the one", None),
        ("i want one", None),
        ("pick one", None),
    ],
)
def test_a_position_is_a_whole_message_naming_a_place_in_the_list(text: str, expected: int) -> None:
    assert position(text) == expected


def _asked_which(chat: Chat) -> None:
    chat.user("I want to pay my social insurance for October", "nlu_fallback", confidence=0.8, ranking=ASKED)
    chat.run(ActionClarifyIntent())
    assert [b["payload"] for b in chat.buttons][:2] == ["/register_individual_insurance", "/self_service_payment"]


@pytest.mark.parametrize("answer", ["2", "the second one", "第二个"])
def test_a_typed_position_after_which_one_is_that_button_pressed(backend_url: str, answer: str) -> None:
    chat = Chat(login(backend_url, "zhangwei"), sender=f"choice-{len(answer)}")
    _asked_which(chat)
    chat.user(answer, "nlu_fallback", confidence=0.9, ranking=[{"name": "nlu_fallback", "confidence": 0.9}])
    events = chat._run(ActionClarifyIntent())
    assert [e["event"] for e in events] == ["action", "user"], events
    assert events[0]["name"] == "action_listen"
    replayed = events[1]
    assert replayed["text"] == "/self_service_payment"
    assert replayed["parse_data"]["intent"] == {"name": "self_service_payment", "confidence": 1.0}
    assert replayed["metadata"]["auth_token"] == chat.token  # the login travels with the pick
    assert not chat.messages  # nothing said: the item's own flow answers


TRANSFERS = [
    {"title": "养老保险关系转出（省内外）", "payload": "/transfer_pension_out"},
    {"title": "医疗保险关系转出", "payload": "/transfer_medical_out"},
    {"title": "都不是", "payload": "/cancel"},
]


@pytest.mark.parametrize(
    "text, expected",
    [
        ("养老", "/transfer_pension_out"),
        ("医疗的", "/transfer_medical_out"),
        ("养老吧", "/transfer_pension_out"),
        # a part both titles have, the way out, a longer message, a place: not a pick by name
        ("转出", None),
        ("都不是", None),
        ("我要转养老保险到湖北去", None),
        ("湖北", None),
        ("养", None),
    ],
)
def test_a_part_of_one_buttons_name_is_that_button(text: str, expected: str) -> None:
    """Session 10 probe: "养老" after the two transfer-outs got another "which one?" with other items."""
    assert (named_button(text, TRANSFERS) or {}).get("payload") == expected


def test_a_typed_name_after_which_one_is_that_button_pressed(backend_url: str) -> None:
    chat = Chat(login(backend_url, "zhangwei"), sender="choice-name")
    _asked_which(chat)
    chat.user("flexible worker", "nlu_fallback", confidence=0.9, ranking=[{"name": "nlu_fallback", "confidence": 0.9}])
    events = chat._run(ActionClarifyIntent())
    assert [e["event"] for e in events] == ["action", "user"], events
    assert events[1]["text"] == "/register_individual_insurance"


def test_a_position_outside_the_list_is_not_a_pick(backend_url: str) -> None:
    chat = Chat(login(backend_url, "zhangwei"), sender="choice-outside")
    _asked_which(chat)
    chat.user("7", "nlu_fallback", confidence=0.9, ranking=[{"name": "nlu_fallback", "confidence": 0.9}])
    events = chat._run(ActionClarifyIntent())
    assert not any(e["event"] == "user" for e in events)
    assert chat.text  # said it did not understand


def test_yes_after_which_one_shows_the_list_again(backend_url: str) -> None:
    chat = Chat(login(backend_url, "zhangwei"), sender="choice-yes")
    _asked_which(chat)
    shown = chat.buttons
    chat.user("yes", "affirm")
    events = chat._run(ActionAffirmWithoutTask())
    assert events == []
    assert chat.buttons == shown and "tap one" in chat.text, chat.text


def test_yes_after_a_single_option_takes_it(backend_url: str) -> None:
    chat = Chat(login(backend_url, "zhangwei"), sender="choice-yes-one")
    chat.user(
        "交社保",
        "nlu_fallback",
        confidence=0.8,
        ranking=[{"name": "nlu_fallback", "confidence": 0.8}, {"name": "self_service_payment", "confidence": 0.12}],
    )
    chat.run(ActionClarifyIntent())
    assert [b["payload"] for b in chat.buttons] == ["/self_service_payment", "/ask_capabilities"]
    chat.user("是的", "affirm")
    events = chat._run(ActionAffirmWithoutTask())
    assert events[-1]["text"] == "/self_service_payment", events


def test_yes_with_nothing_shown_has_nothing_to_confirm(backend_url: str) -> None:
    chat = Chat(login(backend_url, "zhangwei"), sender="choice-yes-none")
    chat.user("好的", "affirm")
    events = chat._run(ActionAffirmWithoutTask())
    assert events == [] and chat.messages[0]["response"] == "utter_nothing_to_confirm"


def test_a_typed_position_answers_which_child(backend_url: str) -> None:
    chat = Chat(login(backend_url, "lina"), sender="choice-child")
    chat.user("给孩子停保", "stop_child_insurance")
    chat.run(ActionStartTask())
    titles = [b["title"] for b in chat.buttons]
    assert chat.slots["task_stage"] == "choose" and len(titles) >= 3, chat.text
    chat.user("第二个", "nlu_fallback", confidence=0.9, ranking=[{"name": "nlu_fallback", "confidence": 0.9}])
    chat.run(ActionStartTask())
    second = titles[1]
    assert chat.slots["task_code"] and chat.slots["task_stage"] != "choose", chat.text
    assert second.split("（")[1].rstrip("）") in chat.text, (second, chat.text)


def test_a_typed_position_of_a_question_button_is_its_answer(backend_url: str) -> None:
    chat = Chat(login(backend_url, "zhangwei"), sender="choice-faq")
    chat.user("I want to pay my social insurance for October", "nlu_fallback", confidence=0.8, ranking=ASKED)
    chat.run(ActionClarifyIntent())
    chat.messages[-1]["buttons"].insert(0, {"title": "Payment hours", "payload": "What time can I pay?"})
    chat.events[-1]["data"]["buttons"] = chat.messages[-1]["buttons"]  # as if the FAQ had been offered first
    chat.user("1", "nlu_fallback", confidence=0.9, ranking=[{"name": "nlu_fallback", "confidence": 0.9}])
    events = chat._run(ActionClarifyIntent())
    assert events == [] and chat.messages[0]["response"] == "utter_faq/payment_hours", chat.messages


def test_yes_shows_the_same_list_again(backend_url: str) -> None:
    chat = Chat(login(backend_url, "zhangwei"), sender="choice-yes-same")
    _asked_which(chat)
    chat.events[-1]["data"]["buttons"].insert(0, {"title": "Payment hours", "payload": "What time can I pay?"})
    shown = chat.events[-1]["data"]["buttons"]
    chat.user("yes", "affirm")
    chat._run(ActionAffirmWithoutTask())
    assert chat.buttons == shown, chat.buttons


def test_a_typed_number_never_picks_a_summarys_confirm(backend_url: str) -> None:
    chat = Chat(login(backend_url, "zhangwei"), sender="choice-confirm")
    chat.events.append(
        {
            "event": "bot",
            "text": "确认办理吗？",
            "data": {"buttons": [{"title": "确认", "payload": "/affirm"}, {"title": "取消", "payload": "/cancel"}]},
        }
    )
    chat.user("1", "nlu_fallback", confidence=0.9, ranking=[{"name": "nlu_fallback", "confidence": 0.9}])
    events = chat._run(ActionClarifyIntent())
    assert not any(e["event"] == "user" for e in events), events
