"""Follow-ups and requests that span turns (issue 16), against a real backend.

- details given before a clarification click are used once the item is picked ("我换手机号了，
  新号码139…" -> [个人基本信息变更] -> the phone is not asked again);
- a how-to answer about something the chat can do offers the item, and the details of the
  question are used ("我是东莞户口…要怎么改" -> the answer, [个人基本信息变更], the category);
- "刚才那个撤销掉" right after a transfer-out starts its cancellation;
- "改一下我的信息" naming nothing asks which information;
- a day said without its year takes the year said earlier in the task;
- a medical request the NLU read as the pension item goes to the medical item;
- the status of the pre-application just made needs no number (test_actions_flow).
"""

from __future__ import annotations

import pytest
import requests

pytest.importorskip("rasa_sdk")

from actions_driver import Chat, login  # noqa: E402

from bot.actions.clarify import ActionClarifyIntent  # noqa: E402
from bot.actions.items import ActionCancelTask, ActionReviewTask, ActionStartTask, ActionSubmitTask  # noqa: E402
from bot.actions.repair import ActionAnswerQuestion, ActionCorrectTask  # noqa: E402

pytestmark = pytest.mark.usefixtures("client")


def _faq(topic: str) -> dict:
    return {"faq": {"response": {"intent_response_key": f"faq/{topic}", "utter_action": f"utter_faq/{topic}"}}}


def test_details_before_a_clarification_click_are_used(backend_url: str) -> None:
    chat = Chat(login(backend_url, "zhangwei"), sender="fu-phone")
    chat.user(
        "我换手机号了，新号码13912345678，帮我改一下",
        "nlu_fallback",
        ranking=[{"name": "change_basic_info", "confidence": 0.4}, {"name": "faq", "confidence": 0.2}],
    )
    chat.run(ActionClarifyIntent())
    assert "/change_basic_info" in [b["payload"] for b in chat.buttons], chat.text
    for e in chat.events:  # the tracker store keeps what was said with personal numbers masked
        if e.get("event") == "user":
            e["text"] = e["parse_data"]["text"] = e["text"].replace("13912345678", "139****5678")
    chat.user("/change_basic_info", "change_basic_info")
    chat.run(ActionStartTask())
    assert chat.slots["task_stage"] == "collect", chat.text
    assert chat.form() == "done", chat.text
    assert chat.slots["phone"] == "13912345678" and chat.slots["change_target"] == "phone"
    text = chat.run(ActionReviewTask())
    assert "139****5678" in text and chat.slots["task_stage"] == "confirm", text


def test_a_how_to_answer_offers_the_item_and_keeps_the_details(backend_url: str) -> None:
    chat = Chat(login(backend_url, "huangqiang"), sender="fu-hukou")
    chat.user(
        "系统说我户籍信息不对，我是东莞户口，不是深户，要怎么改", "faq", response_selector=_faq("fix_hukou_category")
    )
    chat.run(ActionAnswerQuestion())
    assert chat.messages[0]["response"] == "utter_faq/fix_hukou_category"
    assert [b["payload"] for b in chat.buttons] == ["/change_basic_info"], chat.messages
    assert chat.slots["task_stage"] == "idle"  # an offer, not a pending question
    chat.user("/change_basic_info", "change_basic_info")
    chat.run(ActionStartTask())
    assert chat.form() == "done", chat.text
    text = chat.run(ActionReviewTask())
    assert "广东省内非深户" in text, text
    chat.user("确认", "affirm")
    assert "已办结" in chat.run(ActionSubmitTask())


def test_registration_is_offered_to_the_logged_out_only(backend_url: str) -> None:
    chat = Chat(None, sender="fu-register")
    chat.user("新用户怎么注册", "faq", response_selector=_faq("register"))
    chat.run(ActionAnswerQuestion())
    assert [b["payload"] for b in chat.buttons] == ["/register_account"]
    chat = Chat(login(backend_url, "zhangwei"), sender="fu-register-in")
    chat.user("新用户怎么注册", "faq", response_selector=_faq("register"))
    chat.run(ActionAnswerQuestion())
    assert not chat.buttons


def test_a_how_to_question_about_an_item_before_logging_in_is_answered(backend_url: str) -> None:
    chat = Chat(None, sender="fu-flex-out")
    chat.user("灵活就业人员怎么参保？", "register_individual_insurance")
    chat.run(ActionStartTask())
    assert chat.messages[0].get("response") == "utter_faq/flexible_employment"
    assert "登录" in chat.text


@pytest.mark.parametrize("intent", ["correct_value", "cancel"])
def test_undo_right_after_a_transfer_out_is_its_cancellation(backend_url: str, intent: str) -> None:
    chat = Chat(login(backend_url, "wugang"), sender=f"fu-undo-{intent}")
    chat.user("养老保险转出到江西赣州", "transfer_pension_out", {"province": "江西省", "city": "赣州"})
    chat.run(ActionStartTask())
    assert chat.form() == "done"
    chat.run(ActionReviewTask())
    chat.user("确认", "affirm")
    assert "已办结" in chat.run(ActionSubmitTask())
    chat.user("等一下，我还是不转了，刚才那个撤销掉", intent)
    text = chat.run(ActionCorrectTask() if intent == "correct_value" else ActionCancelTask())
    assert "撤销养老保险" in text and chat.slots["task_stage"] == "confirm", text
    assert chat.slots["task_code"] == "cancel_pension_transfer_out"
    chat.user("确认", "affirm")
    assert "已办结" in chat.run(ActionSubmitTask())


def test_nothing_to_undo_without_a_recent_transfer(backend_url: str) -> None:
    chat = Chat(login(backend_url, "zhangwei"), sender="fu-undo-none")
    chat.user("刚才那个撤销掉", "correct_value")
    text = chat.run(ActionCorrectTask())
    assert "没有正在办理的业务" in text and chat.slots["task_stage"] == "idle"


def test_change_my_information_naming_nothing_asks_which(backend_url: str) -> None:
    chat = Chat(login(backend_url, "zhangwei"), sender="fu-vague-change")
    chat.user("我想改一下我的信息", "change_enrollment_info")
    text = chat.run(ActionStartTask())
    assert chat.slots["task_stage"] == "choose" and "哪一项" in text, text
    assert {b["payload"] for b in chat.buttons} >= {"/change_basic_info", "/change_enrollment_info"}
    chat = Chat(login(backend_url, "zhangwei"), sender="fu-tier-change")
    chat.user("我想改一下医保档次", "change_enrollment_info")
    chat.run(ActionStartTask())
    assert chat.slots["task_stage"] == "collect" and chat.slots["task_code"] == "change_enrollment_info"


def test_a_day_without_its_year_takes_the_year_said_before(backend_url: str) -> None:
    chat = Chat(login(backend_url, "chenjing"), sender="fu-year")
    chat.user("我女儿陈安安2025年迁的户口，帮她参加少儿医保", "enroll_child_first_time")
    chat.run(ActionStartTask())
    assert chat.form() == "asked" and chat.slots["requested_slot"] == "settle_in_date", chat.text
    chat.user("1月10号", "inform")
    assert chat.form() == "done", chat.text
    assert chat.slots["settle_in_date"] == "2025-01-10"


def test_a_medical_request_read_as_the_pension_item_goes_to_the_medical_one(backend_url: str) -> None:
    chat = Chat(login(backend_url, "zhaojianguo"), sender="fu-medical")
    chat.user("医保关系转到江西南昌去", "transfer_pension_out", {"province": "江西省", "city": "南昌"})
    chat.run(ActionStartTask())
    assert chat.slots["task_code"] == "transfer_medical_out", chat.text


@pytest.mark.parametrize(
    "words", ["I need an operator", "this is too confusing, can someone help me", "找个真人跟我说"]
)
def test_a_person_asked_for_inside_the_form_is_handed_over(backend_url: str, words: str) -> None:
    chat = Chat(login(backend_url, "zhangwei"), sender=f"fu-person-{len(words)}")
    chat.user("I want to change my payment bank account", "maintain_payment_bank")
    chat.run(ActionStartTask())
    assert chat.form() == "asked" and chat.slots["requested_slot"] == "bank_name"
    chat.user(words, "nlu_fallback", confidence=0.3)
    assert chat.form() == "asked", chat.text
    assert "12333" in chat.text and chat.slots["handoff_requested"] is True
    assert chat.slots["bank_name"] is None and chat.slots["requested_slot"] == "bank_name"


def test_an_english_request_names_the_new_bank(backend_url: str) -> None:
    chat = Chat(login(backend_url, "zhangwei"), sender="fu-icbc")
    chat.user("change my payment bank to ICBC", "maintain_payment_bank")
    chat.run(ActionStartTask())
    assert chat.form() == "asked" and chat.slots["bank_name"] == "中国工商银行", chat.text


def test_registration_details_in_the_request_are_not_asked_again(backend_url: str) -> None:
    chat = Chat(None, sender="fu-register-details")
    chat.user(
        "新用户注册，我叫林晓，身份证440304199801202601，招商银行的卡6225 8802 1111 2222，预留手机13800138014", "inform"
    )
    chat.run(ActionStartTask())
    assert chat.slots["task_stage"] == "register", chat.text
    assert chat.slots["registration_name"] == "林晓"
    assert chat.slots["registration_id_number"] == "440304199801202601"
    assert chat.slots["registration_bank_account"] == "6225880211112222"
    assert chat.slots["registration_phone"] == "13800138014"
    assert chat.slots["registration_bank_name"]


def test_details_with_no_task_ask_what_to_do(backend_url: str) -> None:
    chat = Chat(login(backend_url, "zhangwei"), sender="fu-inform-idle")
    chat.user("13800138000", "inform")
    chat.run(ActionStartTask())
    assert chat.messages[0].get("response") == "utter_ask_what_task"
    assert chat.slots["task_stage"] == "idle"


@pytest.mark.parametrize("words", ["我自己", "本人的", "it's my own account"])
def test_the_holder_is_myself(backend_url: str, words: str) -> None:
    chat = Chat(login(backend_url, "zhangwei"), sender=f"fu-self-{len(words)}")
    chat.user("扣款银行改成工行", "maintain_payment_bank")
    chat.run(ActionStartTask())
    assert chat.form() == "asked" and chat.slots["requested_slot"] == "account_no"
    chat.user("6222021234567890", "inform")
    assert chat.form() == "asked" and chat.slots["requested_slot"] == "holder_name"
    chat.user(words, "inform")
    assert chat.form() == "asked", chat.text
    assert chat.slots["holder_name"] == "张伟" and chat.slots["requested_slot"] == "holder_id_number"


def test_a_comparison_that_would_fail_again_is_refused_before_the_summary(backend_url: str) -> None:
    """黄强's registry says 广东省内非深户; his pre-application for 广东省外户籍 is open. Asking for the same
    change again gets the open number at once, not a summary to confirm that the backend then refuses."""
    token = login(backend_url, "huangqiang")
    first = requests.post(
        f"{backend_url}/items/change_basic_info",
        json={"fields": {"hukou_category": "outside_guangdong"}},
        headers={"Authorization": f"Bearer {token}", "X-Channel": "web"},
        timeout=10,
    )
    assert first.status_code == 200 and first.json()["outcome"] == "pre_application", first.text
    number = first.json()["pre_application"]["number"]
    chat = Chat(token, sender="fu-open-preapp")
    chat.user("我是外省户口，户籍类别要改成广东省外户籍", "change_basic_info")
    chat.run(ActionStartTask())
    assert chat.form() == "done", chat.text
    text = chat.run(ActionReviewTask())
    assert number in text and "暂时不能办理" in text, text
    assert chat.slots["task_stage"] == "idle" and not chat.buttons, chat.messages


@pytest.mark.parametrize("second", [0.16, 0.05])
def test_a_request_with_its_value_read_as_a_bare_value_starts_the_item(backend_url: str, second: float) -> None:
    """The NLU may call "我换手机号了，新号码139…，帮我改一下" inform (a value alone) with the item close behind:
    outside a task that is the request, and the number said is used; far behind, the person is asked."""
    chat = Chat(login(backend_url, "zhangwei"), sender=f"fu-inform-{second}")
    chat.user(
        "我换手机号了，新号码13912345678，帮我改一下",
        "inform",
        confidence=0.36,
        ranking=[
            {"name": "inform", "confidence": 0.36},
            {"name": "change_basic_info", "confidence": second},
            {"name": "faq", "confidence": 0.06},
        ],
    )
    text = chat.run(ActionStartTask())
    if second < 0.12:
        assert chat.messages[0].get("response") == "utter_ask_what_task", chat.messages
        return
    assert chat.slots["task_code"] == "change_basic_info", text
    assert chat.form() == "done", chat.text
    assert chat.slots["phone"] == "13912345678"
    assert "139" in chat.run(ActionReviewTask())
