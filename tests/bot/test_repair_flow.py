"""Conversation repair and corrections, action by action against a REAL backend process.

The driver `Chat` of actions_driver.py plays the Rasa server (user turns with the
intent and entities the NLU would give, the FormAction around validate_item_form);
the backend is a real process with the demo people. What is checked is what the
person sees and what the backend ends up with:

- a correction at the summary replaces the value and shows the updated summary (never a cancel);
  "改一下银行" asks that field again; "不对" alone asks which one; a plain no cancels;
- a correction inside the form replaces the earlier field and never fills the question asked;
- nlu_fallback inside the form is "not understood" + the question again, never an answer;
- "I don't know" explains why, where, and the ways out; the form rejects it (rules answer);
- a request to PAY understood as a STOP never reaches a stop confirmation;
- a child named in the request is used, not asked for; one who cannot have the item gets that
  child's reason (never another child); an unnamed child with several possible is asked for;
- asked which child's records, "my own" gives one's own.
"""

from __future__ import annotations

import re

import pytest
import requests

pytest.importorskip("rasa_sdk")

from actions_driver import Chat, login  # noqa: E402
from channel_fixtures import id_number  # noqa: E402

from bot.actions.corrections import named_field, read_correction, value_text  # noqa: E402
from bot.actions.items import ActionReviewTask, ActionStartTask, ActionSubmitTask  # noqa: E402
from bot.actions.repair import ActionCorrectTask, ActionExplainField, ActionRepeatLast  # noqa: E402
from bot.actions.tasks import conflicting_request, redirected_request  # noqa: E402

# every test runs the actions against this module's backend (conftest.py)
pytestmark = pytest.mark.usefixtures("client")

ZHANGWEI_ID = id_number("440304", "19880512", 131)
BANK_SPECS = [
    {"name": "bank_name", "type": "bank", "label_zh": "开户银行", "label_en": "bank"},
    {"name": "account_no", "type": "account", "label_zh": "银行账号", "label_en": "account number"},
    {"name": "holder_name", "type": "text", "label_zh": "账户户名", "label_en": "account holder name"},
    {
        "name": "holder_id_number",
        "type": "id_number",
        "label_zh": "户主身份证号",
        "label_en": "account holder's ID number",
    },
]


def bank_summary(chat: Chat) -> str:
    chat.user("我想换个扣社保的银行卡", "maintain_payment_bank")
    chat.run(ActionStartTask())
    assert chat.form() == "asked" and chat.slots["requested_slot"] == "bank_name", chat.text
    chat.user("招商银行", "inform", {"bank_name": "招商银行"})
    assert chat.form() == "asked" and chat.slots["requested_slot"] == "account_no", chat.text
    chat.user("6225 8802 1234 9999", "inform")
    assert chat.form() == "asked" and chat.slots["requested_slot"] == "holder_name", chat.text
    chat.user("张伟", "inform")
    assert chat.form() == "asked" and chat.slots["requested_slot"] == "holder_id_number", chat.text
    chat.user(ZHANGWEI_ID, "inform", {"id_number": ZHANGWEI_ID})
    assert chat.form() == "done", chat.text
    text = chat.run(ActionReviewTask())
    assert chat.slots["task_stage"] == "confirm" and "招商银行" in text, text
    return text


# ---- reading a correction (no backend needed, but fast) ----------------------------------
@pytest.mark.parametrize(
    "text, expected",
    [
        ("改一下银行", {"bank_name": None}),
        ("银行改成建设银行", {"bank_name": "中国建设银行"}),
        ("不对，户名应该是王小明", {"holder_name": "王小明"}),
        ("账号写错了，应该是6222 0202 0000 1234", {"account_no": "6222020200001234"}),
        ("銀行填錯了", {"bank_name": None}),
    ],
)
def test_reading_a_correction_names_the_field_and_the_value(text: str, expected: dict) -> None:
    assert read_correction(BANK_SPECS, {"text": text, "entities": []}, {}) == expected


def test_reading_a_correction_without_a_field_uses_the_last_answer_and_the_words_after_shi() -> None:
    specs = [
        {"name": "destination_province", "type": "province", "label_zh": "转往省份"},
        {"name": "destination_city", "type": "city", "label_zh": "转往城市"},
    ]
    msg = {"text": "刚才那个说错了，应该是湖北", "entities": []}
    assert read_correction(specs, msg, {"destination_province": "湖南省"}, "destination_province") == {
        "destination_province": "湖北省"
    }
    # an entity names the field by itself
    msg = {"text": "不对，是成都", "entities": [{"entity": "city", "value": "成都"}]}
    assert read_correction(specs, msg, {"destination_city": "长沙"})["destination_city"] == "成都"
    assert named_field("城市不对", specs) == "destination_city" and value_text("省份错了，是四川省") == "四川省"


@pytest.mark.parametrize(
    "code, text, wanted",
    [
        ("stop_child_insurance", "给孩子交医保", "pay_child_medical"),
        ("stop_insurance", "我要给儿子续费社保", "pay_child_medical"),
        ("stop_individual_insurance", "我想交这个月的社保", "self_service_payment"),
        ("pay_child_medical", "孩子的医保不想交了，停掉", "stop_child_insurance"),
        # a request to pay read as the contribution query (0.24): asked, not records shown
        ("query_contributions", "帮我把10月份的社保交了", "self_service_payment"),
        ("query_contributions", "please pay my October contribution", "self_service_payment"),
    ],
)
def test_words_that_contradict_the_item_are_caught(code: str, text: str, wanted: str) -> None:
    assert conflicting_request(code, text) == (wanted, code)


@pytest.mark.parametrize(
    "code, text",
    [
        ("stop_child_insurance", "孩子的医保不想交了"),
        ("pay_child_medical", "给孩子交医保"),
        ("stop_individual_insurance", "停缴社保"),
        ("stop_child_insurance", "/stop_child_insurance"),
        ("query_contributions", "帮我查一下10月份的社保交了没有"),
        ("query_contributions", "10月份社保交了吗"),
        ("query_contributions", "show me what I paid"),
    ],
)
def test_words_that_agree_with_the_item_pass(code: str, text: str) -> None:
    assert conflicting_request(code, text) is None


@pytest.mark.parametrize(
    "text, asked",
    [
        ("帮我把10月份的社保交了", "您是要缴费，还是要查询缴费记录？"),
        ("please pay my October contribution", "do you want to pay, or to see your contribution records?"),
    ],
)
def test_pay_read_as_the_records_asks_pay_or_records(backend_url: str, text: str, asked: str) -> None:
    """The question named a stop ("缴费，还是要停保？") while its buttons were the payment and the records."""
    chat = Chat(login(backend_url, "zhangwei"), sender=f"pytest-pay-or-records-{len(text)}")
    chat.user(text, "query_contributions", confidence=0.24)
    chat.run(ActionStartTask())
    assert asked in chat.text and "停保" not in chat.text and "stop" not in chat.text, chat.text
    assert [b["payload"] for b in chat.buttons][:2] == ["/self_service_payment", "/query_contributions"]


# ---- at the summary -------------------------------------------------------------------
def test_a_correction_at_the_summary_replaces_the_value_and_the_submission_uses_it(backend_url: str) -> None:
    chat = Chat(login(backend_url, "zhangwei"), sender="pytest-fix-summary")
    bank_summary(chat)
    nonce = chat.slots["task_nonce"]
    chat.user("不对，开户银行是建设银行", "deny", {"bank_name": "中国建设银行"})
    text = chat.run(ActionCorrectTask())
    assert "已取消" not in text and chat.slots["task_stage"] == "confirm", text
    assert "· 开户银行：中国建设银行" in text and "请核对" in text and "· 开户银行：招商银行" not in text, text
    assert "办理后" in text and "原为招商银行" in text, text  # the backend's preview: what changes
    assert chat.slots["bank_name"] == "中国建设银行" and chat.slots["task_nonce"] != nonce
    chat.user("确认", "affirm")
    text = chat.run(ActionSubmitTask())
    assert "已办结" in text, text
    me = requests.get(f"{backend_url}/me", headers={"Authorization": f"Bearer {chat.token}"}, timeout=10).json()
    assert "中国建设银行" in str(me), me


def test_an_english_new_not_old_correction_at_the_summary_replaces_the_city(backend_url: str) -> None:
    """Session 10 probe: "wait no, Mianyang not Chengdu" at an English transfer summary was not understood."""
    chat = Chat(login(backend_url, "wugang"), sender="pytest-fix-en-not")
    chat.user("pension transfer out to Chengdu, Sichuan", "transfer_pension_out")
    chat.run(ActionStartTask())
    assert chat.form() == "done", chat.text
    chat.run(ActionReviewTask())
    assert chat.slots["task_stage"] == "confirm" and chat.slots["destination_city"] == "成都", chat.slots
    chat.user("wait no, Mianyang not Chengdu", "nlu_fallback", confidence=0.85)
    text = chat.run(ActionCorrectTask())
    assert chat.slots["destination_city"] == "绵阳" and chat.slots["task_stage"] == "confirm", text
    assert "Mianyang" in text, text


def test_naming_a_field_at_the_summary_asks_it_again_then_shows_the_summary(backend_url: str) -> None:
    chat = Chat(login(backend_url, "zhangwei"), sender="pytest-fix-named")
    bank_summary(chat)
    chat.user("改一下银行", "maintain_payment_bank")  # the item's own intent: still a correction
    text = chat.run(ActionStartTask())
    assert chat.slots["task_stage"] == "collect" and chat.slots["bank_name"] is None, text
    assert chat.slots["account_no"] == "6225880212349999" and "开户银行" in text
    assert chat.form() == "asked" and chat.slots["requested_slot"] == "bank_name"
    chat.user("工商银行", "inform", {"bank_name": "中国工商银行"})
    assert chat.form() == "done"
    text = chat.run(ActionReviewTask())
    assert "中国工商银行" in text and chat.slots["task_stage"] == "confirm", text


def test_no_alone_asks_which_one_and_a_plain_no_cancels(backend_url: str) -> None:
    chat = Chat(login(backend_url, "zhangwei"), sender="pytest-fix-which")
    bank_summary(chat)
    chat.user("不对", "deny")
    text = chat.run(ActionCorrectTask())
    assert "哪一项" in text and chat.slots["task_stage"] == "confirm", text
    payloads = [b["payload"] for b in chat.buttons]
    assert '/correct_value{"choice":"account_no"}' in payloads and "/cancel" in payloads
    chat.user('/correct_value{"choice":"account_no"}', "correct_value", {"choice": "account_no"})
    chat.run(ActionCorrectTask())
    assert chat.slots["task_stage"] == "collect" and chat.slots["account_no"] is None
    assert chat.form() == "asked" and chat.slots["requested_slot"] == "account_no"
    chat.user("6225880212340001", "inform")
    assert chat.form() == "done"
    chat.run(ActionReviewTask())
    chat.user("不用了，不办了", "deny")
    text = chat.run(ActionCorrectTask())
    assert "已取消" in text and chat.slots["task_stage"] == "idle" and chat.slots["task_code"] is None


def test_an_unclear_message_at_the_summary_is_not_guessed_at(backend_url: str) -> None:
    chat = Chat(login(backend_url, "heli"), sender="pytest-fix-unclear")
    chat.user("居民医保先停一下", "stop_resident_insurance")
    chat.run(ActionStartTask())
    assert chat.slots["task_stage"] == "confirm"
    chat.user("嗯嗯啊啊", "nlu_fallback")
    text = chat.run(ActionCorrectTask())
    assert "没有听懂" in text and chat.slots["task_stage"] == "confirm"
    assert [b["payload"] for b in chat.buttons] == ["/affirm", "/cancel"]
    chat.user("再说一遍", "ask_repeat")
    text = chat.run(ActionRepeatLast())
    assert "没有听懂" in text and [b["payload"] for b in chat.buttons] == ["/affirm", "/cancel"]


@pytest.mark.parametrize(
    "text, submitted", [("那行，办吧", True), ("嗯嗯啊啊", False), ("行，我问一下我老婆再说", False)]
)
def test_a_short_yes_the_nlu_was_unsure_of_submits_at_the_summary(backend_url: str, text: str, submitted: bool) -> None:
    """Session 10: "那行，办吧" (asked, not meaningless) at a summary was 'did not understand'; meaningless
    input and a longer message with a yes in it are still not taken."""
    chat = Chat(login(backend_url, "heli"), sender=f"pytest-short-yes-{len(text)}")
    chat.user("居民医保先停一下", "stop_resident_insurance")
    chat.run(ActionStartTask())
    assert chat.slots["task_stage"] == "confirm"
    decision = "not_understood" if text == "嗯嗯啊啊" else "ask"
    chat.user(text, "nlu_fallback", understanding={"decision": decision})
    events = chat._run(ActionCorrectTask())
    followups = [e.get("name") for e in events if e.get("event") == "followup"]
    assert (followups == ["action_submit_task"]) is submitted, events


# ---- inside the form ---------------------------------------------------------------------
def test_a_correction_inside_the_form_replaces_the_earlier_field_not_the_next(backend_url: str) -> None:
    chat = Chat(login(backend_url, "zhaojianguo"), sender="pytest-fix-form")
    chat.user("我要把医保转到湖南", "transfer_medical_out", {"province": "湖南省"})
    chat.run(ActionStartTask())
    assert chat.form() == "asked" and chat.slots["requested_slot"] == "destination_city"
    chat.user("刚才那个说错了，应该是湖北", "correct_value", {"province": "湖北省"})
    assert chat.form() == "asked", chat.text
    assert chat.slots["destination_province"] == "湖北省" and chat.slots["destination_city"] is None
    assert chat.slots["requested_slot"] == "destination_city" and "湖北" in chat.text
    chat.user("我说错了", "correct_value")  # no value: the last answer is asked again
    assert chat.form() == "asked" and chat.slots["requested_slot"] == "destination_province"
    chat.user("湖北", "inform", {"province": "湖北省"})
    assert chat.form() == "asked" and chat.slots["requested_slot"] == "destination_city"
    chat.user("武汉", "inform", {"city": "武汉"})
    assert chat.form() == "done"
    text = chat.run(ActionReviewTask())
    assert "湖北" in text and "武汉" in text and "湖南" not in text, text


def test_meaningless_input_in_the_form_is_not_an_answer(backend_url: str) -> None:
    chat = Chat(login(backend_url, "zhangwei"), sender="pytest-fallback-form")
    chat.user("我想换个扣社保的银行卡", "maintain_payment_bank")
    chat.run(ActionStartTask())
    assert chat.form() == "asked" and chat.slots["requested_slot"] == "bank_name"
    for mash in ("？？", "。。。", "qwxzk", "😂"):
        chat.user(mash, "nlu_fallback", confidence=0.3)
        assert chat.form() == "asked", mash
        assert re.search("没有听懂|did not understand", chat.text), (mash, chat.text)
        assert chat.slots["bank_name"] is None, mash
    chat.user("建设银行", "nlu_fallback", {"bank_name": "中国建设银行"}, confidence=0.3)
    assert chat.form() == "asked" and chat.slots["bank_name"] == "中国建设银行"


def test_dont_know_and_repeat_leave_the_question_to_the_rules_and_explain(backend_url: str) -> None:
    chat = Chat(login(backend_url, "zhangwei"), sender="pytest-dont-know")
    chat.user("我想换个扣社保的银行卡", "maintain_payment_bank")
    chat.run(ActionStartTask())
    chat.user("招商银行", "inform", {"bank_name": "招商银行"})
    assert chat.form() == "asked" and chat.slots["requested_slot"] == "account_no"
    chat.user("我忘了卡号", "dont_know")
    assert chat.form() == "rejected"
    text = chat.run(ActionExplainField())
    assert "银行账号" in text and "卡号" in text and "取消" in text and "窗口" in text and "12333" in text, text
    assert not text.rstrip().endswith(("：", ":"))
    assert chat.form() == "asked" and chat.slots["requested_slot"] == "account_no"
    assert chat.slots["account_no"] is None
    chat.user("能再说一遍吗", "ask_repeat")
    assert chat.form() == "rejected"
    assert "再问一遍" in chat.run(ActionRepeatLast())
    assert chat.form() == "asked" and chat.slots["requested_slot"] == "account_no"


# ---- right item, right person ------------------------------------------------------------------
def test_pay_understood_as_stop_never_reaches_a_stop_confirmation(backend_url: str) -> None:
    chat = Chat(login(backend_url, "lina"), sender="pytest-pay-not-stop")
    chat.user("给孩子交一下医保", "stop_child_insurance")
    text = chat.run(ActionStartTask())
    assert chat.slots["task_stage"] == "choose" and "缴费" in text, text
    payloads = [b["payload"] for b in chat.buttons]
    assert "/affirm" not in payloads and "/pay_child_medical" in payloads, payloads


def test_a_child_named_in_the_request_is_used(backend_url: str) -> None:
    chat = Chat(login(backend_url, "lina"), sender="pytest-named-child")
    chat.user("帮我查一下小红的缴费明细", "query_contributions", {"child_name": "小红"})
    text = chat.run(ActionStartTask())
    assert "哪个孩子" not in text and "李小红" in text, text


@pytest.mark.parametrize(
    "code, text, meant",
    [
        ("change_basic_info", "孩子上幼儿园了，要更新一下信息", "maintain_child_student_info"),
        ("change_basic_info", "my son started school, update his record", "maintain_child_student_info"),
        ("change_basic_info", "我要改手机号", "change_basic_info"),
        ("maintain_guardian_info", "监护人的手机号换了", "change_basic_info"),
        ("maintain_guardian_info", "监护人身份证号填错了", "maintain_guardian_info"),
        # 延缴 named as what was done before; the request is to pay the rest at once (趸缴)
        (
            "register_extended_contribution",
            "I've extended my contributions for five years, still short, I want to pay the rest in one go",
            "register_lump_sum_contribution",
        ),
        (
            "register_extended_contribution",
            "延缴满五年了还差一点，剩下的想一次性补上",
            "register_lump_sum_contribution",
        ),
        ("register_extended_contribution", "我到退休年龄了年限不够，想办延缴", "register_extended_contribution"),
    ],
)
def test_a_request_for_a_childs_record_or_a_guardians_phone_goes_to_the_right_item(
    code: str, text: str, meant: str
) -> None:
    assert redirected_request(code, text) == meant


def test_a_guardian_updating_a_childs_school_record_is_not_her_own_basic_info(backend_url: str) -> None:
    chat = Chat(login(backend_url, "lina"), sender="pytest-child-school")
    chat.user("小红转学了，帮我更新一下孩子的学校信息", "change_basic_info", {"child_name": "小红"})
    text = chat.run(ActionStartTask())
    assert chat.slots["task_code"] == "maintain_child_student_info", text
    assert chat.slots["subject_name"] == "李小红", text


def test_a_guardians_phone_is_her_own_basic_info_and_the_phone_is_asked(backend_url: str) -> None:
    chat = Chat(login(backend_url, "chenjing"), sender="pytest-guardian-phone")
    chat.user("监护人手机号码换了，要更新", "maintain_guardian_info")
    text = chat.run(ActionStartTask())
    assert chat.slots["task_code"] == "change_basic_info", text
    assert chat.form() == "asked" and chat.slots["requested_slot"] == "phone", chat.text


def test_values_given_in_the_request_are_not_asked_again(backend_url: str) -> None:
    chat = Chat(login(backend_url, "zhaojianguo"), sender="pytest-up-front")
    chat.user("我要把医保转到湖南长沙", "transfer_medical_out", {"province": "湖南省", "city": "长沙"})
    text = chat.run(ActionStartTask())
    assert "需要以下信息" not in text, text
    assert chat.form() == "done", chat.text  # nothing left to ask
    text = chat.run(ActionReviewTask())
    assert "湖南" in text and "长沙" in text and chat.slots["task_stage"] == "confirm", text


def test_an_internal_error_says_what_happened_and_that_nothing_was_done(
    backend_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from bot.actions import backend_client

    chat = Chat(login(backend_url, "zhangwei"), sender="pytest-internal")

    class Broken:
        def __getattr__(self, name: str):
            raise RuntimeError("a bug")

    monkeypatch.setattr(backend_client, "_client", Broken(), raising=False)
    monkeypatch.setattr("bot.actions.items.get_client", lambda: Broken())
    chat.user("我想换个扣社保的银行卡", "maintain_payment_bank")
    text = chat.run(ActionStartTask())
    assert "内部出了错" in text and "没有办理任何业务" in text, text
    assert "Traceback" not in text and "RuntimeError" not in text


def test_a_follow_up_question_is_answered_from_the_last_outcome(backend_url: str) -> None:
    from bot.actions.repair import ActionAnswerQuestion

    chat = Chat(login(backend_url, "lina"), sender="pytest-follow-up")
    chat.user("停掉我个人交的社保", "stop_individual_insurance")
    refusal = chat.run(ActionStartTask())
    assert "暂时不能办理" in refusal and "建议：" in refusal, refusal
    chat.user("那我该怎么办", "faq")
    text = chat.run(ActionAnswerQuestion())
    assert text.startswith("建议：") and text.split("建议：")[1].split("。")[0] in refusal, text
    # a pre-application just given: "what do I bring" means its materials, "where" its place
    chat.events.append(
        {
            "event": "bot",
            "text": "“个人延缴登记”已提交预申请，还需要您到服务窗口完成办理。\n"
            "预申请号：YS2026000000123\n请携带以下材料：\n1. 身份证\n2. 申请表\n"
            "办理地点：福田区社保服务窗口\n打印申请表：http://x/documents/YS2026000000123.pdf",
        }
    )
    chat.user("要带什么材料", "faq")
    text = chat.run(ActionAnswerQuestion())
    assert "YS2026000000123" in text and "1. 身份证" in text and "2. 申请表" in text, text
    chat.user("去哪里办", "faq")
    assert "福田区社保服务窗口" in chat.run(ActionAnswerQuestion())


def test_a_question_without_context_gets_the_selected_faq_answer() -> None:
    import asyncio

    from rasa_sdk import Tracker
    from rasa_sdk.executor import CollectingDispatcher

    from bot.actions.repair import ActionAnswerQuestion

    message = {
        "text": "几点可以缴费",
        "intent": {"name": "faq", "confidence": 0.9},
        "response_selector": {
            "faq": {"response": {"intent_response_key": "faq/payment_hours", "utter_action": "utter_faq/payment_hours"}}
        },
    }
    tracker = Tracker(
        "s", {"language": "zh"}, message, [{"event": "user", "text": "几点可以缴费"}], False, None, {}, "action_listen"
    )
    dispatcher = CollectingDispatcher()
    asyncio.run(ActionAnswerQuestion().run(dispatcher, tracker, {}))
    assert dispatcher.messages[0]["response"] == "utter_faq/payment_hours"


@pytest.mark.parametrize("payload, expected", [("/faq/login", "utter_faq/login"), ("/faq", None)])
def test_a_question_button_payload_is_answered(payload: str, expected) -> None:
    import asyncio

    from rasa_sdk import Tracker
    from rasa_sdk.executor import CollectingDispatcher

    from bot.actions.repair import ActionAnswerQuestion

    message = {"text": payload, "intent": {"name": payload.lstrip("/"), "confidence": 1.0}}
    tracker = Tracker(
        "s", {"language": "zh"}, message, [{"event": "user", "text": payload}], False, None, {}, "action_listen"
    )
    dispatcher = CollectingDispatcher()
    asyncio.run(ActionAnswerQuestion().run(dispatcher, tracker, {"responses": {"utter_faq/login": [{"text": "x"}]}}))
    if expected:
        assert dispatcher.messages[0]["response"] == expected
    else:
        assert "咨询" in dispatcher.messages[0]["text"]


# ---- the child meant: named -> that child (or that child's reason); unnamed, several -> ask -----
def test_a_named_child_who_cannot_enrol_is_told_why_never_switched(backend_url: str) -> None:
    chat = Chat(login(backend_url, "lina"), sender="pytest-named-child-enrol")
    chat.user("给李小明办少儿首次参保", "enroll_child_first_time")
    text = chat.run(ActionStartTask())
    assert "李小乐" not in text and "李小明" in text, text
    assert chat.slots["task_code"] is None and not chat.buttons, text  # no form, no choice: the reason


def test_a_named_child_given_as_entity_only_cannot_be_switched_either(backend_url: str) -> None:
    chat = Chat(login(backend_url, "lina"), sender="pytest-named-child-entity")
    chat.user("给小明办一下少儿首次参保", "enroll_child_first_time", {"child_name": "小明"})
    text = chat.run(ActionStartTask())
    assert "李小乐" not in text and "李小明" in text and chat.slots["task_code"] is None, text


def test_a_vague_stop_for_a_child_asks_which_child(backend_url: str) -> None:
    chat = Chat(login(backend_url, "lina"), sender="pytest-vague-child-stop")
    chat.user("孩子的医保要停一下", "stop_insurance", {"subject": "child"})
    text = chat.run(ActionStartTask())
    assert chat.slots["task_stage"] == "choose" and chat.slots["task_code"] is None, text
    titles = " ".join(b["title"] for b in chat.buttons)
    assert "李小明" in titles and "李小红" in titles and "李小乐" not in titles, titles
    assert "/affirm" not in [b["payload"] for b in chat.buttons]


def test_a_child_item_without_a_named_child_asks_when_several_could_be_meant(backend_url: str) -> None:
    chat = Chat(login(backend_url, "lina"), sender="pytest-child-item-unnamed")
    chat.user("孩子的医保要停一下", "stop_child_insurance", {"subject": "child"})
    text = chat.run(ActionStartTask())
    assert chat.slots["task_code"] is None and "确认" not in text, text


@pytest.mark.parametrize("intent, entities", [("print_insurance_certificate", {"subject": "child"}), ("deny", {})])
def test_asked_which_child_my_own_records_are_given(backend_url: str, intent: str, entities: dict) -> None:
    chat = Chat(login(backend_url, "lina"), sender=f"pytest-own-cert-{intent}")
    chat.user("开一个社保参保证明，孩子上学要用", "print_insurance_certificate", {"subject": "child"})
    text = chat.run(ActionStartTask())
    assert "哪个孩子" in text, text
    chat.user("不是孩子的，是我自己的参保证明", intent, entities)
    text = chat.run(ActionStartTask())
    assert "哪个孩子" not in text and "李娜" in text, text
