"""Session 8 conversation causes (tests/conversations/situations2.yml), each against a real backend:

- a grade or tier change said relative to the present one ("往上调两档", "升一档") is read from the
  eligibility answer's `schema.current`, never as the level named by the count;
- a whole bank change read as a bare value ("社保扣费的卡我要换成工商的，卡号6222…") starts the item with the
  short bank name and the card it gives;
- an account holder given with who they are ("me, Zhang Wei", "Wang Fang, my wife");
- without a login, "I need an account" / "还没有账号" starts the registration (also from the clarification
  and from an FAQ reading); a bank named in Traditional characters is the bank;
- a correction inside a form that names another field ("开始月份说错了，是…") corrects that field;
- a request the NLU read as a question, not shaped as one, with its item close behind, is that item;
- a message naming only the field ("关于社保") is asked which one, whatever the NLU guessed;
- out of scope is not said to a message that names an item's own thing (a tier) with the item close.
"""

from __future__ import annotations

import asyncio

import pytest

pytest.importorskip("rasa_sdk")

from actions_driver import Chat, login  # noqa: E402
from rasa_sdk.executor import CollectingDispatcher  # noqa: E402

from bot.actions.clarify import ActionClarifyIntent, ActionOutOfScope  # noqa: E402
from bot.actions.items import ActionStartTask  # noqa: E402
from bot.actions.registration import ValidateRegistrationForm, details_in  # noqa: E402
from bot.actions.repair import ActionAnswerQuestion  # noqa: E402
from bot.actions.values.text import split_correction  # noqa: E402

pytestmark = pytest.mark.usefixtures("client")


@pytest.mark.parametrize(
    "user, code, text, field, expected",
    [
        ("heli", "change_resident_pension_grade", "居民养老保险的档次想往上调两档", "pension_grade", "5"),
        (
            "heli",
            "change_resident_pension_grade",
            "城乡居民养老从三档升到五档怎么操作，帮我升一下",
            "pension_grade",
            "5",
        ),
        ("liuyang", "change_enrollment_info", "医保的档次我想往上升一档", "medical_tier", "1"),
    ],
)
def test_a_change_relative_to_the_present_level(
    backend_url: str, user: str, code: str, text: str, field: str, expected: str
) -> None:
    chat = Chat(login(backend_url, user), sender=f"dc-rel-{user}-{len(text)}")
    chat.user(text, code)
    chat.run(ActionStartTask())
    assert chat.form() == "done", chat.text
    assert chat.slots[field] == expected, chat.text


def test_a_bank_change_read_as_a_value_starts_the_item_with_its_values(backend_url: str) -> None:
    chat = Chat(login(backend_url, "zhangwei"), sender="dc-inform-bank")
    chat.user(
        "社保扣费的卡我要换成工商的，卡号6222020200055556666",
        "inform",
        confidence=0.22,
        ranking=[
            {"name": "inform", "confidence": 0.222},
            {"name": "maintain_payment_bank", "confidence": 0.117},
            {"name": "faq", "confidence": 0.11},
        ],
    )
    chat.run(ActionStartTask())
    assert chat.slots["task_code"] == "maintain_payment_bank", chat.text
    assert chat.form() == "asked", chat.text
    assert chat.slots["bank_name"] == "中国工商银行" and chat.slots["account_no"], (chat.text, chat.slots)
    assert chat.slots["account_no"] == "6222020200055556666"
    assert chat.slots["requested_slot"] == "holder_name"


@pytest.mark.parametrize("words, holder", [("me, Zhang Wei", "张伟"), ("Wang Fang, my wife", "Wang Fang")])
def test_the_holder_said_with_who_it_is(backend_url: str, words: str, holder: str) -> None:
    chat = Chat(login(backend_url, "zhangwei"), sender=f"dc-holder-{len(words)}")
    chat.user("switch my payment bank to ICBC", "maintain_payment_bank")
    chat.run(ActionStartTask())
    assert chat.form() == "asked" and chat.slots["requested_slot"] == "account_no", chat.text
    chat.user("6222020200055556666", "inform")
    assert chat.form() == "asked" and chat.slots["requested_slot"] == "holder_name"
    chat.user(words, "inform")
    assert chat.form() == "asked", chat.text
    assert chat.slots["holder_name"] == holder


def _followups(chat: Chat) -> list:
    return [e.get("name") for e in chat.events if e.get("event") == "followup"]


def test_no_account_without_login_starts_the_registration(backend_url: str) -> None:
    chat = Chat(None, sender="dc-register-clarify")
    text = (
        "I just graduated and got my first job in Shenzhen. I need an account for the social insurance online services."
    )
    chat.user(
        text,
        "nlu_fallback",
        ranking=[{"name": "nlu_fallback", "confidence": 0.72}, {"name": "faq", "confidence": 0.28}],
        understanding={"decision": "ask"},
    )
    chat.run(ActionClarifyIntent())
    assert _followups(chat) == ["action_start_task"]
    chat.run(ActionStartTask())
    assert chat.slots["task_stage"] == "register", chat.text
    # the same words from someone logged in: not a registration
    chat = Chat(login(backend_url, "zhangwei"), sender="dc-register-in")
    chat.user(text, "nlu_fallback", ranking=[{"name": "nlu_fallback", "confidence": 0.72}], understanding={})
    chat.run(ActionClarifyIntent())
    assert _followups(chat) == []


def test_no_login_yet_read_as_a_question_goes_to_the_registration(backend_url: str) -> None:
    chat = Chat(None, sender="dc-register-faq")
    chat.user(
        "new here, no login yet. how do i get one?",
        "faq",
        response_selector={
            "faq": {
                "response": {"intent_response_key": "faq/login", "utter_action": "utter_faq/login"},
                "ranking": [{"intent_response_key": "faq/login", "confidence": 0.3}],
            }
        },
    )
    chat.run(ActionAnswerQuestion())
    assert _followups(chat) == ["action_start_task"]
    chat.run(ActionStartTask())  # a how-question: the answer, and the registration as a button
    assert [b["payload"] for b in chat.buttons] == ["/register_account"], chat.text


def test_a_bank_in_traditional_characters_registers(backend_url: str) -> None:
    assert details_in("我還沒有帳號，用招商銀行的卡")["registration_bank_name"] == "招商银行"
    chat = Chat(None, sender="dc-register-trad")
    chat.user("招商銀行", "inform")
    out = asyncio.run(
        ValidateRegistrationForm().validate_registration_bank_name(
            "招商銀行", CollectingDispatcher(), chat.tracker(), {}
        )
    )
    assert out == {"registration_bank_name": "招商银行"}
    out = asyncio.run(
        ValidateRegistrationForm().validate_registration_phone(
            "+86 138 0013 8014", CollectingDispatcher(), chat.tracker(), {}
        )
    )
    assert out == {"registration_phone": "13800138014"}


def test_a_correction_naming_another_field_in_the_form(backend_url: str) -> None:
    chat = Chat(login(backend_url, "lina"), sender="dc-refund-correct")
    chat.user("我在东莞和深圳重复交了养老保险，要退深圳这边的", "refund_duplicate_pension")
    chat.run(ActionStartTask())
    assert chat.form() == "asked" and chat.slots["requested_slot"] == "from_month", chat.text
    chat.user("2025年3月", "inform")
    assert chat.form() == "asked" and chat.slots["requested_slot"] == "to_month"
    chat.user("哦不对，开始月份说错了，是2025年5月", "correct_value")
    chat.form()
    assert chat.slots["from_month"] == "2025-05" and chat.slots.get("to_month") is None, chat.text


def test_a_correction_without_a_comma_before_not() -> None:
    assert split_correction("等一下，城市写错了，是江门不是佛山")[2] == "江门"


# The NLU's reading of both messages below: a weak faq with the bank item close behind, the selector sure of
# the banks topic.
_FAQ_BANK_CLOSE = {
    "ranking": [{"name": "faq", "confidence": 0.297}, {"name": "maintain_payment_bank", "confidence": 0.264}],
    "response_selector": {
        "faq": {
            "response": {"intent_response_key": "faq/cooperating_banks"},
            "ranking": [{"intent_response_key": "faq/cooperating_banks", "confidence": 0.75}],
        }
    },
}


def test_a_request_read_as_a_question_starts_the_item(backend_url: str) -> None:
    chat = Chat(login(backend_url, "zhangwei"), sender="dc-faq-request")
    chat.user("我办了张工商银行的卡，想用它交社保", "faq", confidence=0.3, **_FAQ_BANK_CLOSE)
    chat.run(ActionAnswerQuestion())
    assert _followups(chat) == ["action_start_task"], chat.text
    chat.run(ActionStartTask())
    assert chat.slots["task_code"] == "maintain_payment_bank", chat.text
    # a question with the same ranking is answered
    chat = Chat(login(backend_url, "zhangwei"), sender="dc-faq-question")
    chat.user("工商银行的卡能用来交社保吗", "faq", **_FAQ_BANK_CLOSE)
    chat.run(ActionAnswerQuestion())
    assert _followups(chat) == [] and chat.messages[0].get("response") == "utter_faq/cooperating_banks"


@pytest.mark.parametrize("text", ["关于社保", "social insurance stuff"])
def test_a_message_naming_only_the_field_is_asked_which(backend_url: str, text: str) -> None:
    chat = Chat(login(backend_url, "zhangwei"), sender=f"dc-topic-{len(text)}")
    chat.user(
        text,
        "transfer_out",
        confidence=0.5,
        ranking=[{"name": "transfer_out", "confidence": 0.5}, {"name": "stop_insurance", "confidence": 0.22}],
    )
    chat.run(ActionStartTask())
    assert chat.buttons and chat.slots.get("task_code") is None, chat.text
    assert "需先停保" not in chat.text


def test_out_of_scope_with_an_items_own_words_is_asked(backend_url: str) -> None:
    chat = Chat(login(backend_url, "liuyang"), sender="dc-oos-tier")
    chat.user(
        "医保档次往上提一下",
        "out_of_scope",
        confidence=0.3,
        ranking=[{"name": "out_of_scope", "confidence": 0.3}, {"name": "change_enrollment_info", "confidence": 0.2}],
    )
    chat.run(ActionOutOfScope())
    assert "/change_enrollment_info" in [b["payload"] for b in chat.buttons], chat.text
    chat.user("深圳明天会下雨吗", "out_of_scope", ranking=[{"name": "out_of_scope", "confidence": 0.9}])
    chat.run(ActionOutOfScope())
    assert chat.messages[0].get("response") == "utter_out_of_scope"


def test_a_restated_request_at_the_summary_read_as_a_sibling_item_is_asked_not_switched(backend_url: str) -> None:
    """'那就帮我停了吧' at the summary of one's own stop, read as the child's stop with nothing naming a child:
    the pending item is offered for confirmation; the task is neither switched nor done."""
    chat = Chat(login(backend_url, "zhangwei"), sender="pytest-restated")
    chat.user("我不干灵活就业了，社保帮我停了", "stop_individual_insurance")
    chat.run(ActionStartTask())
    assert chat.slots["task_stage"] == "confirm" and chat.slots["task_code"] == "stop_individual_insurance"
    chat.user("那就帮我停了吧", "stop_child_insurance")
    text = chat.run(ActionStartTask())
    assert "正在确认" in text and "个人缴费人员停保" in text, text
    assert [b["payload"] for b in chat.buttons] == ["/affirm", "/cancel"]
    assert chat.slots["task_stage"] == "confirm" and chat.slots["task_code"] == "stop_individual_insurance"
    # naming someone is a real switch, as before: the child's stop is started (and refused: no children)
    chat.user("不是，给孩子停", "stop_child_insurance", {"subject": "child"})
    chat.run(ActionStartTask())
    assert chat.slots["task_code"] != "stop_individual_insurance" or chat.slots["task_stage"] != "confirm"


@pytest.mark.parametrize(
    "text, expected",
    [
        ("算了，我是要停保", "rejected"),  # another item with words that take the current one back: the rules start it
        ("sorry wrong one, I meant stopping my insurance", "rejected"),
        ("停保", "asked"),  # another item at a low confidence without such words: still not a switch
    ],
)
def test_another_item_named_with_switch_words_inside_a_form_leaves_the_form(
    backend_url: str, text: str, expected: str
) -> None:
    """Session 10 probe: "算了，我是要停保" while the medical tier was asked got the tier question again."""
    chat = Chat(login(backend_url, "zhangwei"), sender=f"dc-switch-{abs(hash(text))}")
    chat.user("我要换医保档次", "change_enrollment_info")
    chat.run(ActionStartTask())
    assert chat.form() == "asked", chat.text
    chat.user(text, "stop_insurance", confidence=0.3)
    assert chat.form() == expected, chat.text
