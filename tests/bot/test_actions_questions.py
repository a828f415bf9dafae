"""Questions the NLU was unsure about (bot/actions/questions.py), against a real backend.

- an unsure question the response selector is clearly sure of is answered, not asked back; the
  items it may also have meant are offered; an unclear selector, a statement or meaningless input is
  still asked / not understood, as before;
- a follow-up question right after an answer is answered in the context of that answer;
- "要带什么材料？" in the middle of an item (in the form, through the FAQ rule, at the summary) is about
  that item: its materials and window, or that it completes online; "这个多久生效？" how soon it is done;
- a how-to question about an item the FAQ explains is answered, with the item as a button; a request
  to do it starts it;
- a question about any other item ("什么是四类人员补缴？") is answered from the backend (how it is done,
  what it asks for, whether one can now), with the item as a button; one that gives a value starts it;
- a Chinese name typed in an English conversation keeps the conversation English;
- a child named in pinyin in an English request is that child.
"""

from __future__ import annotations

from typing import Any, Dict, List

import pytest

pytest.importorskip("rasa_sdk")

from actions_driver import Chat, login  # noqa: E402

from bot.actions.clarify import ActionClarifyIntent  # noqa: E402
from bot.actions.items import ActionReviewTask, ActionStartTask  # noqa: E402
from bot.actions.language import is_bare_value  # noqa: E402
from bot.actions.questions import asks_how, is_question, question_topic  # noqa: E402
from bot.actions.repair import ActionAnswerQuestion, ActionCorrectTask  # noqa: E402

pytestmark = pytest.mark.usefixtures("client")


def _selector(*ranked: tuple) -> Dict[str, Any]:
    """A response selector result: (topic, confidence), best first."""
    best = ranked[0][0]
    return {
        "faq": {
            "response": {"intent_response_key": f"faq/{best}", "utter_action": f"utter_faq/{best}"},
            "ranking": [{"intent_response_key": f"faq/{t}", "confidence": c} for t, c in ranked],
        }
    }


def _unsure(ranking: List[tuple]) -> List[Dict[str, Any]]:
    return [{"name": "nlu_fallback", "confidence": 0.8}] + [{"name": n, "confidence": c} for n, c in ranking]


def _responses(chat: Chat) -> List[str]:
    return [m["response"] for m in chat.messages if m.get("response")]


def test_an_unsure_question_the_selector_is_sure_of_is_answered(backend_url: str) -> None:
    chat = Chat(login(backend_url, "zhangwei"), sender="q-hours")
    chat.user(
        "社保要几点之前交才能扣款成功",
        "nlu_fallback",
        ranking=_unsure([("faq", 0.2), ("retry_individual_collection", 0.1), ("maintain_payment_bank", 0.06)]),
        response_selector=_selector(("payment_hours", 0.56), ("lump_sum", 0.12)),
        understanding={"decision": "ask"},
    )
    chat.run(ActionClarifyIntent())
    assert _responses(chat) == ["utter_faq/payment_hours"]
    assert "不太确定" not in chat.text
    # what else it may have meant, to do here and now
    assert {b["payload"] for b in chat.buttons} == {"/retry_individual_collection", "/maintain_payment_bank"}
    assert chat.slots["task_request"] == "社保要几点之前交才能扣款成功"


@pytest.mark.parametrize(
    "text, ranked, decision",
    [
        # the selector is not clearly sure (a margin of 2.1): which one
        (
            "How can I get medical insurance for my toddler?",
            [("flexible_employment", 0.62), ("child_enrollment", 0.29)],
            "ask",
        ),
        # a statement, not a question
        ("社保扣款成功", [("payment_hours", 0.9), ("lump_sum", 0.01)], "ask"),
        # meaningless input is never answered
        ("？？", [("payment_hours", 0.9), ("lump_sum", 0.01)], "not_understood"),
    ],
)
def test_otherwise_it_still_asks(backend_url: str, text: str, ranked: List[tuple], decision: str) -> None:
    chat = Chat(login(backend_url, "zhangwei"), sender=f"q-ask-{len(text)}")
    chat.user(
        text,
        "nlu_fallback",
        ranking=_unsure([("faq", 0.3), ("enroll_child_first_time", 0.1)]),
        response_selector=_selector(*ranked),
        understanding={"decision": decision},
    )
    chat.run(ActionClarifyIntent())
    assert not _responses(chat), chat.messages
    assert "不太确定" in chat.text or "not sure" in chat.text or "没有听懂" in chat.text, chat.text


def test_an_item_ranked_above_the_faq_is_still_asked(backend_url: str) -> None:
    chat = Chat(login(backend_url, "zhangwei"), sender="q-item-first")
    chat.user(
        "上个月没扣成功怎么办",
        "nlu_fallback",
        ranking=_unsure([("retry_individual_collection", 0.3), ("faq", 0.2)]),
        response_selector=_selector(("payment_hours", 0.9), ("lump_sum", 0.01)),
        understanding={"decision": "ask"},
    )
    chat.run(ActionClarifyIntent())
    assert not _responses(chat) and "/retry_individual_collection" in [b["payload"] for b in chat.buttons]


def test_a_follow_up_after_an_answer_is_about_that_answer(backend_url: str) -> None:
    chat = Chat(None, sender="q-follow-up")
    chat.user("What does a lump-sum contribution mean here?", "faq", response_selector=_selector(("lump_sum", 0.98)))
    chat.run(ActionAnswerQuestion())
    assert _responses(chat) == ["utter_faq/lump_sum"]
    # unsure, the selector leans elsewhere, but the answer just given is among its best three
    chat.user(
        "And who is allowed to do it?",
        "nlu_fallback",
        ranking=_unsure([("faq", 0.31), ("out_of_scope", 0.12)]),
        response_selector=_selector(("register", 0.17), ("lump_sum", 0.16), ("flexible_employment", 0.13)),
        understanding={"decision": "ask"},
    )
    chat.run(ActionClarifyIntent())
    assert _responses(chat) == ["utter_faq/lump_sum"]
    # the same when the NLU is sure it is a question but not of its topic
    chat.user(
        "and is there an age limit?",
        "faq",
        response_selector=_selector(("register", 0.3), ("lump_sum", 0.25), ("login", 0.1)),
    )
    chat.run(ActionAnswerQuestion())
    assert _responses(chat) == ["utter_faq/lump_sum"]


def test_a_follow_up_needs_the_answer_in_the_last_turn(backend_url: str) -> None:
    chat = Chat(None, sender="q-follow-up-late")
    chat.user("趸缴是什么意思", "faq", response_selector=_selector(("lump_sum", 0.98)))
    chat.run(ActionAnswerQuestion())
    chat.user("你好", "greet")
    chat.run(ActionRepeatNothing())
    chat.user(
        "谁可以办？",
        "nlu_fallback",
        ranking=_unsure([("faq", 0.31)]),
        response_selector=_selector(("register", 0.17), ("lump_sum", 0.16)),
        understanding={"decision": "ask"},
    )
    assert question_topic(chat.tracker()) is None


class ActionRepeatNothing:
    """A turn in between (a greeting answered)."""

    def name(self) -> str:
        return "utter_greet"

    async def run(self, dispatcher: Any, tracker: Any, domain: Any) -> List[Dict[str, Any]]:
        dispatcher.utter_message(text="您好")
        return []


def _medical_in(backend_url: str, sender: str) -> Chat:
    chat = Chat(login(backend_url, "lina"), sender=sender)
    chat.user("医保关系要从外地转进深圳", "transfer_medical_in")
    chat.run(ActionStartTask())
    assert chat.form() == "asked" and chat.slots["requested_slot"] == "from_province", chat.text
    return chat


def test_a_materials_question_in_the_form_is_about_the_item(backend_url: str) -> None:
    chat = _medical_in(backend_url, "q-materials-form")
    chat.user(
        "转进来的话需要准备哪些材料啊",
        "nlu_fallback",
        ranking=_unsure([("faq", 0.16), ("transfer_medical_in", 0.12)]),
        # the selector is sure, and wrong: the item's own materials win
        response_selector=_selector(("register", 0.96), ("online_items", 0.01)),
        understanding={"decision": "ask"},
    )
    assert chat.form() == "asked"
    assert "参保缴费凭证" in chat.text and "预申请" in chat.text and "没有听懂" not in chat.text, chat.text
    assert chat.slots["requested_slot"] == "from_province" and chat.slots["from_province"] is None
    chat.user("江西", "inform", {"province": "江西省"})
    assert chat.form() == "asked" and chat.slots["requested_slot"] == "from_city"


def test_a_materials_question_read_as_a_weak_faq_in_the_form_is_about_the_item(backend_url: str) -> None:
    """The NLU's faq at 0.19 (below the interruption level) reaches the form: not 'tell me the province'."""
    chat = _medical_in(backend_url, "q-materials-weak-faq")
    chat.user(
        "转进来的话需要准备哪些材料啊",
        "faq",
        confidence=0.19,
        ranking=[{"name": "faq", "confidence": 0.19}, {"name": "out_of_scope", "confidence": 0.16}],
        response_selector=_selector(("register", 0.73), ("online_items", 0.11)),
    )
    assert chat.form() == "asked"
    assert "参保缴费凭证" in chat.text and "省份名称" not in chat.text, chat.text
    assert chat.slots["requested_slot"] == "from_province" and chat.slots["from_province"] is None


def test_a_materials_question_through_the_faq_rule_is_about_the_item(backend_url: str) -> None:
    chat = _medical_in(backend_url, "q-materials-rule")
    chat.user("要带什么材料？", "faq", response_selector=_selector(("pre_application", 0.9)))
    assert chat.form() == "rejected"  # the rule answers, then the form asks again
    text = chat.run(ActionAnswerQuestion())
    assert "参保缴费凭证" in text and not _responses(chat), chat.messages


def test_a_direct_item_needs_no_materials(backend_url: str) -> None:
    chat = Chat(login(backend_url, "wugang"), sender="q-materials-direct")
    chat.user("养老保险转出", "transfer_pension_out")
    chat.run(ActionStartTask())
    assert chat.form() == "asked"
    chat.user("What documents do I need to bring?", "nlu_fallback", ranking=_unsure([("faq", 0.2)]))
    assert chat.form() == "asked"
    assert "no materials" in chat.text, chat.text


def test_how_soon_in_the_form_is_about_the_item_and_the_question_is_asked_again(backend_url: str) -> None:
    """Session 10 probe: "这个多久生效啊" while the grade was asked got "did not understand"."""
    chat = Chat(login(backend_url, "heli"), sender="q-when-form")
    chat.user("居民养老想换个档次", "change_resident_pension_grade")
    chat.run(ActionStartTask())
    assert chat.form() == "asked" and chat.slots["requested_slot"] == "pension_grade"
    chat.user("这个多久生效啊", "nlu_fallback", ranking=_unsure([("out_of_scope", 0.13)]))
    assert chat.form() == "asked"
    assert "当场办结" in chat.text and "没有听懂" not in chat.text, chat.text
    assert chat.slots["requested_slot"] == "pension_grade" and chat.slots["pension_grade"] is None


def test_how_long_for_a_pre_application_item_says_the_window_finishes_it(backend_url: str) -> None:
    chat = Chat(login(backend_url, "heli"), sender="q-when-summary")
    chat.user("居民一次性补缴，补三年", "resident_back_payment")
    chat.run(ActionStartTask())
    assert chat.form() == "done"
    chat.run(ActionReviewTask())
    chat.user("How long will it take?", "nlu_fallback", ranking=_unsure([("faq", 0.2)]))
    chat.run(ActionCorrectTask())
    assert "pre-application number" in chat.text or "预申请编号" in chat.text, chat.text
    assert chat.slots["task_stage"] == "confirm"


def test_a_question_at_the_summary_is_answered_and_the_summary_waits(backend_url: str) -> None:
    chat = Chat(login(backend_url, "heli"), sender="q-summary")
    chat.user("居民一次性补缴，补三年", "resident_back_payment")
    chat.run(ActionStartTask())
    assert chat.form() == "done"
    chat.run(ActionReviewTask())
    assert chat.slots["task_stage"] == "confirm"
    chat.user("去窗口要带哪些证件？", "nlu_fallback", ranking=_unsure([("faq", 0.2)]))
    chat.run(ActionCorrectTask())
    assert "户口簿" in chat.text and _responses(chat) == ["utter_confirm_or_cancel"], chat.messages
    assert chat.slots["task_stage"] == "confirm" and chat.slots["years"] in (3, "3")


def test_an_unclear_answer_at_the_summary_is_still_not_guessed(backend_url: str) -> None:
    chat = Chat(login(backend_url, "heli"), sender="q-summary-unclear")
    chat.user("居民一次性补缴，补三年", "resident_back_payment")
    chat.run(ActionStartTask())
    chat.form()
    chat.run(ActionReviewTask())
    chat.user("嗯嗯", "nlu_fallback", ranking=_unsure([("affirm", 0.2)]))
    assert "没有听懂" in chat.run(ActionCorrectTask())


@pytest.mark.parametrize(
    "text, asks",
    [
        ("趸缴需要什么条件？", True),
        ("灵活就业怎么参保", True),
        ("What are the requirements for the lump-sum payment?", True),
        ("Is it possible to pay all the missing years at once?", True),
        ("人在国外，能注册吗", True),
        ("帮我办一下趸缴", False),
        ("我要办个人趸缴登记", False),
        ("Please register my lump-sum contribution, how long does it take?", False),
    ],
)
def test_how_to_questions_about_an_item(text: str, asks: bool) -> None:
    assert asks_how(text, broad=True) is asks


def test_a_how_to_question_about_an_item_is_answered_with_the_item_offered(backend_url: str) -> None:
    chat = Chat(login(backend_url, "qianfang"), sender="q-how-lump")
    chat.user("趸缴需要什么条件？", "register_lump_sum_contribution")
    chat.run(ActionStartTask())
    assert _responses(chat) == ["utter_faq/lump_sum"]
    assert {b["payload"] for b in chat.buttons} == {
        "/register_extended_contribution",
        "/register_lump_sum_contribution",
    }
    assert chat.slots["task_stage"] == "idle" and not chat.active_loop
    chat.user("/register_lump_sum_contribution", "register_lump_sum_contribution")
    chat.run(ActionStartTask())
    assert chat.slots["task_stage"] == "confirm" and "趸缴" in chat.text, chat.text
    # a request to do it starts it at once
    chat = Chat(login(backend_url, "qianfang"), sender="q-do-lump")
    chat.user("帮我办一下趸缴", "register_lump_sum_contribution")
    chat.run(ActionStartTask())
    assert chat.slots["task_stage"] == "confirm" and not _responses(chat)


@pytest.mark.parametrize(
    "text, bare",
    [("王建军", True), ("南昌", True), ("招商银行", True), ("王建军？", False), ("Wang Jianjun", False), ("", False)],
)
def test_bare_values(text: str, bare: bool) -> None:
    assert is_bare_value(text) is bare


def test_a_chinese_name_in_an_english_conversation_keeps_it_english(backend_url: str) -> None:
    chat = Chat(login(backend_url, "lina"), sender="q-lang")
    chat.user("I'd like to add my husband as a guardian of my son Xiaoming.", "maintain_guardian_info")
    chat.run(ActionStartTask())
    # the child named in pinyin is that child: no "which child?"
    assert chat.slots["subject_name"] == "李小明" and chat.slots["task_stage"] == "collect", chat.text
    assert chat.form() == "asked" and chat.slots["requested_slot"] == "guardian_name"
    chat.events.append({"event": "slot", "name": "language", "value": "en"})
    chat.user("王建军", "nlu_fallback", ranking=_unsure([]))
    assert chat.slots["language"] == "zh"  # what the NLU's language entity does to the slot
    assert chat.form() == "asked" and chat.slots["guardian_name"] == "王建军"
    assert chat.slots["language"] == "en"  # the form keeps the conversation's language


def test_is_question() -> None:
    assert all(is_question(t) for t in ("几点能交", "能不能自己交", "And who can do it?", "是这样吗", "how so"))
    assert not any(is_question(t) for t in ("帮我停保", "I want to pay", "二档"))


def test_the_own_name_in_pinyin_is_the_own_name(backend_url: str) -> None:
    chat = Chat(login(backend_url, "zhangwei"), sender="q-pinyin-holder")
    chat.user("I opened an ICBC account and want my contributions taken from it", "maintain_payment_bank")
    chat.run(ActionStartTask())
    assert chat.form() == "asked" and chat.slots["bank_name"] == "中国工商银行", chat.text  # the new bank, said
    chat.user("6222020200055556666", "inform")
    assert chat.form() == "asked" and chat.slots["requested_slot"] == "holder_name"
    chat.user("Zhang Wei", "inform")
    assert chat.form() == "asked" and chat.slots["holder_name"] == "张伟", chat.text
    # somebody else's name in pinyin stays what was said (the comparison then decides)
    chat = Chat(login(backend_url, "zhangwei"), sender="q-pinyin-other")
    chat.user("I want to change my payment bank to ICBC", "maintain_payment_bank")
    chat.run(ActionStartTask())
    chat.form()
    chat.user("6222020200055556666", "inform")
    chat.form()
    chat.user("Wang Fang", "inform")
    chat.form()
    assert chat.slots["holder_name"] != "张伟"


def test_a_latin_name_with_a_resident_id_is_asked_again_in_characters(backend_url: str) -> None:
    import asyncio

    from rasa_sdk.executor import CollectingDispatcher

    from bot.actions.registration import ValidateRegistrationForm

    chat = Chat(None, sender="q-register-latin")
    chat.user("440304199801202601", "inform")
    chat.slots["language"] = "en"
    chat.slots["registration_name"] = "Lin Xiao"
    form = ValidateRegistrationForm()
    dispatcher = CollectingDispatcher()
    out = asyncio.run(form.validate_registration_id_number("440304199801202601", dispatcher, chat.tracker(), {}))
    assert out == {"registration_id_number": "440304199801202601", "registration_name": None}, out
    assert "Chinese characters" in dispatcher.messages[0]["text"]
    # with the number known, the name in pinyin again is not taken; in characters it is
    chat.slots["registration_id_number"] = "440304199801202601"
    chat.slots["registration_name"] = None
    dispatcher = CollectingDispatcher()
    assert asyncio.run(form.validate_registration_name("Lin Xiao", dispatcher, chat.tracker(), {})) == {
        "registration_name": None
    }
    dispatcher = CollectingDispatcher()
    assert asyncio.run(form.validate_registration_name("林晓", dispatcher, chat.tracker(), {})) == {
        "registration_name": "林晓"
    }


def test_a_question_between_an_item_and_the_faq_is_answered(backend_url: str) -> None:
    chat = Chat(login(backend_url, "qianfang"), sender="q-item-or-faq")
    chat.user(
        "我听说可以一次性补够剩下的年限 这是什么政策",
        "nlu_fallback",
        ranking=_unsure([("register_lump_sum_contribution", 0.34), ("faq", 0.32)]),
        understanding={"decision": "ask"},
    )
    chat.run(ActionClarifyIntent())
    assert _responses(chat) == ["utter_faq/lump_sum"]
    assert "/register_lump_sum_contribution" in [b["payload"] for b in chat.buttons]


def test_a_question_about_registering_is_answered_with_registration_offered(backend_url: str) -> None:
    chat = Chat(None, sender="q-register-question")
    chat.user("人在国外 能注册深圳社保网上账户吗", "register_account")
    chat.run(ActionStartTask())
    assert _responses(chat) == ["utter_faq/register"]
    assert [b["payload"] for b in chat.buttons] == ["/register_account"]
    assert chat.slots["task_stage"] == "idle"
    for words in ("我想注册", "帮我注册一个账号", "注册，我叫林晓，身份证440304199801202601"):
        chat = Chat(None, sender=f"q-register-{len(words)}")
        chat.user(words, "register_account")
        chat.run(ActionStartTask())
        assert chat.slots["task_stage"] == "register", (words, chat.text)


def test_a_question_no_faq_topic_fits_is_out_of_scope_not_another_answer(backend_url: str) -> None:
    """The NLU takes it for a question (faq first, out_of_scope close), the selector is flat: not the
    registration text (questions.ANSWER_FLOOR), the out-of-scope reply."""
    chat = Chat(login(backend_url, "zhangwei"), sender="q-oos-flat")
    chat.user(
        "How many days of paternity leave do I get in Shenzhen?",
        "faq",
        confidence=0.26,
        ranking=[{"name": "faq", "confidence": 0.26}, {"name": "out_of_scope", "confidence": 0.21}],
        response_selector=_selector(("register", 0.16), ("lump_sum", 0.16), ("payment_hours", 0.15)),
    )
    chat.run(ActionAnswerQuestion())
    assert _responses(chat) == ["utter_out_of_scope"]


def test_a_flat_selector_without_out_of_scope_near_is_asked(backend_url: str) -> None:
    chat = Chat(login(backend_url, "zhangwei"), sender="q-flat-ask")
    chat.user(
        "银行那个怎么弄",
        "faq",
        confidence=0.25,
        ranking=[
            {"name": "faq", "confidence": 0.25},
            {"name": "maintain_payment_bank", "confidence": 0.1},
            {"name": "ask_capabilities", "confidence": 0.08},
        ],
        response_selector=_selector(("cooperating_banks", 0.21), ("register", 0.17)),
    )
    chat.run(ActionAnswerQuestion())
    assert not _responses(chat)
    assert "/maintain_payment_bank" in [b["payload"] for b in chat.buttons]
    # a sure selector is still answered
    chat.user("合作银行有哪些", "faq", response_selector=_selector(("cooperating_banks", 0.76)))
    chat.run(ActionAnswerQuestion())
    assert _responses(chat)[-1:] == ["utter_faq/cooperating_banks"]


def test_an_unsure_question_with_a_weak_faq_intent_is_not_answered(backend_url: str) -> None:
    chat = Chat(login(backend_url, "lina"), sender="q-unsure-floor")
    chat.user(
        "Does my medical insurance cover dental treatment?",
        "nlu_fallback",
        ranking=_unsure([("faq", 0.14), ("query_contributions", 0.1)]),
        response_selector=_selector(("child_enrollment", 0.74), ("flexible_employment", 0.05)),
        understanding={"decision": "ask"},
    )
    chat.run(ActionClarifyIntent())
    assert not _responses(chat)


@pytest.mark.parametrize("text", ["四类人员一次性补缴是什么？需要什么条件", "什么是四类人员补缴"])
def test_a_question_about_an_item_is_answered_with_the_item_to_do_now(backend_url: str, text: str) -> None:
    """ "什么是四类人员补缴？" started the form and asked for the category: a question, not a request."""
    chat = Chat(login(backend_url, "wugang"), sender=f"about-four-{len(text)}")
    chat.user(text, "four_categories_back_payment")
    chat.run(ActionStartTask())
    assert not chat.slots["task_code"] and chat.slots["task_stage"] == "idle", chat.text
    assert "预申请" in chat.text and "四类人员身份证明材料" in chat.text, chat.text
    assert "人员类别（被征地农民、原农村户籍人员、原临时工、其他符合政策人员）" in chat.text
    assert "根据您目前的参保情况" in chat.text
    assert [b["payload"] for b in chat.buttons] == ["/four_categories_back_payment"]
    # the button does it
    chat.user("/four_categories_back_payment", "four_categories_back_payment")
    chat.run(ActionStartTask())
    assert chat.slots["task_code"] == "four_categories_back_payment", chat.text


def test_a_question_about_an_item_in_english(backend_url: str) -> None:
    chat = Chat(login(backend_url, "zhangwei"), sender="about-en")
    chat.user("How does transferring pension insurance in work?", "transfer_pension_in")
    chat.run(ActionStartTask())
    assert not chat.slots["task_code"], chat.text
    assert "province insured before" in chat.text and "pre-application" in chat.text, chat.text
    assert chat.buttons and chat.buttons[0]["payload"] == "/transfer_pension_in"


def test_a_question_that_gives_a_value_starts_the_item_with_it(backend_url: str) -> None:
    chat = Chat(login(backend_url, "wugang"), sender="about-value")
    chat.user("我以前是农村户口，四类人员补缴怎么办理？", "four_categories_back_payment")
    chat.run(ActionStartTask())
    assert chat.slots["task_code"] == "four_categories_back_payment", chat.text
    chat.form()
    assert chat.slots["category"] == "原农村户籍人员", chat.text


def test_a_request_is_not_a_question_about_the_item(backend_url: str) -> None:
    chat = Chat(login(backend_url, "wugang"), sender="about-request")
    chat.user("帮我办一下养老保险转入，怎么弄都行", "transfer_pension_in")
    chat.run(ActionStartTask())
    assert chat.slots["task_code"] == "transfer_pension_in", chat.text


def test_do_it_after_the_answer_is_the_item_offered(backend_url: str) -> None:
    """'那就帮我停了吧' after the answer about one's own stop was read as the child's stop (0.25) and refused."""
    chat = Chat(login(backend_url, "zhangwei"), sender="about-then-do")
    chat.user("单位会给我买社保了，我自己交的那个要停保吗，怎么停", "stop_individual_insurance")
    chat.run(ActionStartTask())
    assert [b["payload"] for b in chat.buttons] == ["/stop_individual_insurance"], chat.text
    chat.user("那就帮我停了吧", "stop_child_insurance", confidence=0.25)
    chat.run(ActionStartTask())
    assert chat.slots["task_code"] == "stop_individual_insurance", chat.text


@pytest.mark.parametrize(
    "asked, offered, then, intent",
    [
        # items that share only their first word are different requests, not one for another person
        ("养老保险转入怎么办理？", "transfer_pension_in", "不是转入，我是要转出去", "transfer_pension_out"),
        (
            "灵活就业怎么参保？",
            "register_individual_insurance",
            "帮我给我爸办城乡居民养老保险参保",
            "register_resident_pension",
        ),
    ],
)
def test_another_item_after_the_answer_is_not_the_item_offered(
    backend_url: str, asked: str, offered: str, then: str, intent: str
) -> None:
    chat = Chat(login(backend_url, "zhangwei"), sender=f"about-then-other-{intent}")
    chat.user(asked, offered)
    chat.run(ActionStartTask())
    assert [b["payload"] for b in chat.buttons] == [f"/{offered}"], chat.text
    chat.user(then, intent)
    chat.run(ActionStartTask())
    assert chat.slots["task_code"] != offered and "个人缴费人员参保登记" not in chat.text, chat.text
