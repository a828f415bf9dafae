"""The dialogue's actions against a REAL backend process.

conftest.py's ``backend_url`` starts the backend for this module (its own virtual environment,
a temporary SQLite database, the clock pinned to a working day inside the payment window, demo
people seeded) and ``client`` points the actions at it. The actions run with a real rasa_sdk
Tracker and CollectingDispatcher; a small driver (``Chat``, actions_driver.py) plays the Rasa
server's part: it records the user's turns, applies the events the actions return, and runs
``validate_item_form`` the way Rasa's FormAction does.
"""

from __future__ import annotations

import re

import pytest
import requests

pytest.importorskip("rasa_sdk")

from actions_driver import Chat, login  # noqa: E402
from channel_fixtures import free_port  # noqa: E402

from bot.actions import backend_client  # noqa: E402
from bot.actions.backend_client import BackendClient  # noqa: E402
from bot.actions.clarify import ActionClarifyIntent  # noqa: E402
from bot.actions.handoff import ActionHandoff  # noqa: E402
from bot.actions.items import (  # noqa: E402
    ActionCancelTask,
    ActionReviewTask,
    ActionStartTask,
    ActionSubmitTask,
)

# every test runs the actions against this module's backend
pytestmark = pytest.mark.usefixtures("client")


# ---------------------------------------------------------------------------
def test_direct_item_completes_with_serial_number_and_a_retried_confirmation_acts_once(backend_url: str) -> None:
    chat = Chat(login(backend_url, "zhangwei"))
    chat.user("我是灵活就业的，想把自己交的社保停了", "stop_individual_insurance")
    text = chat.run(ActionStartTask())
    assert "请核对" in text and "个人缴费人员停保" in text
    assert [b["payload"] for b in chat.buttons] == ["/affirm", "/cancel"]
    assert chat.slots["task_stage"] == "confirm" and chat.slots["task_nonce"]
    before = dict(chat.slots)
    chat.user("确认", "affirm")
    text = chat.run(ActionSubmitTask())
    assert "已办结" in text
    serial = re.search(r"SZ\d{14}", text).group()
    assert chat.slots["task_stage"] == "idle" and chat.slots["task_code"] is None
    # The same confirmation delivered again (a retry): the same Idempotency-Key, no second change.
    chat.slots.update(before)
    text = chat.run(ActionSubmitTask())
    assert serial in text and "没有重复办理" in text


def test_an_affirm_that_does_not_say_yes_submits_nothing_and_keeps_the_summary(backend_url: str) -> None:
    """The classifier's `affirm` on words that do not agree ("没看懂你的问题" was read as affirm at 0.22 and a
    child's insurance was stopped): nothing is submitted and the summary stands."""
    chat = Chat(login(backend_url, "lina"), sender="pytest-assent")
    chat.user("给小明停保", "stop_child_insurance")
    chat.run(ActionStartTask())
    assert chat.slots["task_stage"] == "confirm", chat.text
    chat.user("没看懂你的问题", "affirm")
    text = chat.run(ActionSubmitTask())
    assert "还没有提交" in text and "已办结" not in text
    assert chat.slots["task_stage"] == "confirm" and chat.slots["task_code"] == "stop_child_insurance"
    assert [b["payload"] for b in chat.buttons] == ["/affirm", "/cancel"]
    # (a plain yes submits: the other tests here; this module's backend keeps 李小明 enrolled for them)
    chat.user("算了，先不办", "cancel")
    chat.run(ActionCancelTask())
    assert chat.slots["task_stage"] == "idle"


def test_form_item_collects_fields_from_entities_and_text_then_completes(backend_url: str) -> None:
    # 赵建国 is retired; his medical insurance can be transferred out.
    chat = Chat(login(backend_url, "zhaojianguo"), sender="pytest-transfer")
    chat.user("我要把医保转到湖南", "transfer_medical_out", {"province": "湖南省"})
    chat.run(ActionStartTask())
    assert chat.slots["task_stage"] == "collect" and chat.slots["task_code"] == "transfer_medical_out", chat.text
    assert chat.form() == "asked"
    assert chat.slots["destination_province"] == "湖南省"  # taken from the request itself
    assert chat.slots["requested_slot"] == "destination_city"
    chat.user("123", "inform")  # not a city: re-asked with a hint
    assert chat.form() == "asked"
    assert "城市" in chat.text and chat.slots["destination_city"] is None
    chat.user("长沙", "inform")
    assert chat.form() == "done"
    text = chat.run(ActionReviewTask())
    assert "湖南省" in text and "长沙" in text and chat.slots["task_stage"] == "confirm"
    chat.user("确认", "affirm")
    text = chat.run(ActionSubmitTask())
    assert "已办结" in text and re.search(r"SZ\d{14}", text), text


def test_question_in_the_middle_of_the_form_is_left_to_the_rules(backend_url: str) -> None:
    chat = Chat(login(backend_url, "heli"), sender="pytest-faq")
    chat.user("居保缴费档次要改", "change_resident_pension_grade")
    chat.run(ActionStartTask())
    assert chat.form() == "asked" and chat.slots["requested_slot"] == "pension_grade"
    chat.user("什么是预申请", "faq")
    assert chat.form() == "rejected"  # FormAction rejects -> rule utter_faq -> form resumes
    chat.events.append({"event": "action", "name": "utter_faq"})
    assert chat.form() == "asked" and chat.slots["requested_slot"] == "pension_grade"
    assert chat.text == "<utter_ask_pension_grade>"  # no hint: the question is simply asked again
    chat.user("算了", "cancel")
    assert chat.form() == "rejected"
    text = chat.run(ActionCancelTask())
    assert "已取消" in text and not chat.active_loop and chat.slots["task_code"] is None


def test_pre_application_gives_number_materials_place_and_printable_form(backend_url: str) -> None:
    chat = Chat(login(backend_url, "wugang"), sender="pytest-preapp")
    chat.user("我到退休年龄了但是缴费年限不够，想延缴", "register_extended_contribution")
    text = chat.run(ActionStartTask())
    assert chat.slots["task_stage"] == "confirm", text
    chat.user("确认", "affirm")
    text = chat.run(ActionSubmitTask())
    assert "预申请号：YS2026" in text, text
    assert "请携带以下材料" in text and "身份证" in text
    assert "办理地点" in text and "12333" in text
    form_url = re.search(r"打印申请表：(\S+)", text).group(1)
    pdf = requests.get(form_url, timeout=10)
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")


def test_compare_mismatch_becomes_pre_application_and_says_what_to_fix(backend_url: str) -> None:
    # 李娜 has three linked children; only 李小乐 is not enrolled yet, and the hukou
    # registry has no settle-in date for him, so the comparison fails.
    chat = Chat(login(backend_url, "lina"), sender="pytest-compare")
    chat.user("给孩子第一次参保", "enroll_child_first_time")
    text = chat.run(ActionStartTask())
    assert chat.slots["subject_name"] == "李小乐", text
    assert chat.form() == "asked" and chat.slots["requested_slot"] == "settle_in_date"
    chat.user("2026年6月1日", "inform")
    assert chat.form() == "done"
    assert chat.slots["settle_in_date"] == "2026-06-01"
    text = chat.run(ActionReviewTask())
    assert "李小乐" in text and re.search("户籍(信息|登记)比对", text)
    chat.user("确认", "affirm")
    text = chat.run(ActionSubmitTask())
    assert "比对未通过" in text and "预申请号：YS2026" in text, text


def test_refusal_states_the_reason_and_the_fix_and_collects_nothing(backend_url: str) -> None:
    chat = Chat(login(backend_url, "liuyang"), sender="pytest-refused")
    chat.user("我想换个银行卡扣社保", "maintain_payment_bank")
    text = chat.run(ActionStartTask())
    assert "暂时不能办理“缴费银行信息维护”" in text and "金融社保卡" in text, text
    assert chat.slots["task_stage"] == "idle" and chat.slots.get("task_code") is None
    chat2 = Chat(login(backend_url, "lina"), sender="pytest-refused-2")
    chat2.user("停掉我个人交的社保", "stop_individual_insurance")
    text = chat2.run(ActionStartTask())
    assert "没有正在参保的个人缴费" in text and "建议：" in text


def test_backend_field_error_after_confirmation_reasks_that_field_then_comparison_passes(backend_url: str) -> None:
    # 陈静's daughter 陈安安 (born 2024-11-02) is not enrolled; the registry matches her settle-in date.
    chat = Chat(login(backend_url, "chenjing"), sender="pytest-422")
    chat.user("孩子没上幼儿园，想给她参保", "enroll_child_first_time")
    chat.run(ActionStartTask())
    assert chat.slots["subject_name"] == "陈安安"
    assert chat.form() == "asked" and chat.slots["requested_slot"] == "settle_in_date"
    chat.user("2020-01-01", "inform")  # well-formed, but before she was born: the backend says so
    assert chat.form() == "asked", chat.text  # at once (POST /items/{code}/validate), not after 确认
    assert "不能使用" in chat.text and chat.slots["settle_in_date"] is None
    assert chat.slots["requested_slot"] == "settle_in_date"
    chat.user("2025年1月10日", "inform")
    assert chat.form() == "done"
    text = chat.run(ActionReviewTask())
    assert "2025-01-10" in text
    chat.user("确认", "affirm")
    text = chat.run(ActionSubmitTask())
    assert "已办结" in text and "陈安安" in text, text


def test_id_number_format_is_checked_in_the_form_and_the_rule_by_the_backend(backend_url: str) -> None:
    chat = Chat(login(backend_url, "sunli"), sender="pytest-id")
    chat.user("身份证升位", "upgrade_id_number")
    chat.run(ActionStartTask())
    assert chat.form() == "asked" and chat.slots["requested_slot"] == "new_id_number"
    chat.user("440301197805121235", "inform", {"id_number": "440301197805121235"})  # wrong check character
    assert chat.form() == "asked" and "校验位" in chat.text and chat.slots["new_id_number"] is None
    chat.user("11010519491231002X", "inform", {"id_number": "11010519491231002X"})  # valid, but not his
    assert chat.form() == "asked", chat.text  # the backend refuses it at once, with its fix
    assert "不能使用" in chat.text and "建议：" in chat.text and chat.slots["new_id_number"] is None
    assert "11010519491231002X" not in chat.text
    chat.user("11010519491231002X", "inform", {"id_number": "11010519491231002X"})  # the same again
    assert chat.form() == "done", chat.text  # refused twice for the same reason: the form ends
    assert "未能办理" in chat.text and "没有办理任何业务" in chat.text and chat.slots["task_stage"] == "idle"


def test_vague_stop_is_clarified_from_the_profile_with_buttons(backend_url: str) -> None:
    chat = Chat(login(backend_url, "lina"), sender="pytest-vague")
    chat.user("我要停保", "stop_insurance")
    text = chat.run(ActionStartTask())
    payloads = [b["payload"] for b in chat.buttons]
    assert "哪一项" in text
    assert any(p.startswith("/stop_child_insurance{") for p in payloads)
    assert any(p.startswith("/stop_student_insurance{") for p in payloads)
    assert not any("stop_individual_insurance" in p for p in payloads)  # she is not a flexible worker
    child = next(p for p in payloads if p.startswith("/stop_child_insurance"))
    sid = re.search(r'"subject_id":"(\d+)"', child).group(1)
    chat.user(child, "stop_child_insurance", {"subject_id": sid})
    text = chat.run(ActionStartTask())
    assert chat.slots["task_stage"] == "confirm" and chat.slots["subject_id"] == sid and "李小明" in text


def test_without_identity_questions_are_fine_but_personal_data_is_refused(backend_url: str) -> None:
    chat = Chat(None, sender="pytest-anon", channel="wechat")
    chat.user("帮我查一下缴费明细", "query_contributions")
    text = chat.run(ActionStartTask())
    assert "绑定" in text and chat.slots["task_stage"] == "idle"
    chat.user("新用户怎么注册", "register_account")
    chat.run(ActionStartTask())  # a how-to question: the answer, and registration here as a button
    assert chat.messages[0].get("response") == "utter_faq/register"
    assert [b["payload"] for b in chat.buttons] == ["/register_account"]
    chat.user("/register_account", "register_account")
    text = chat.run(ActionStartTask())  # registration needs no login: its form starts (rules/registration.yml)
    assert "身份证" in text and "密码" in text and chat.slots["task_stage"] == "register"
    # a token the backend does not know (expired, revoked): treated as no login
    chat = Chat("not-a-valid-token-000000", sender="pytest-expired")
    chat.user("停保", "stop_individual_insurance")
    text = chat.run(ActionStartTask())
    assert "登录已失效" in text and chat.slots["task_stage"] == "idle"


def test_backend_down_means_busy_and_nothing_half_done(backend_url: str) -> None:
    chat = Chat(login(backend_url, "machao"), sender="pytest-down")
    chat.user("停保", "stop_individual_insurance")
    chat.run(ActionStartTask())
    assert chat.slots["task_stage"] == "confirm"
    backend_client.set_client(BackendClient(f"http://127.0.0.1:{free_port()}", timeout=(0.5, 0.5)))
    chat.user("确认", "affirm")
    text = chat.run(ActionSubmitTask())
    assert "系统繁忙，请稍后再试" in text
    assert chat.slots["task_stage"] == "confirm"  # the same 确认 can be retried, same key
    chat2 = Chat(login(backend_url, "zhangwei"), sender="pytest-down-2")
    chat2.user("转养老保险", "transfer_pension_out")
    text = chat2.run(ActionStartTask())
    assert "系统繁忙" in text and chat2.slots["task_stage"] == "idle" and chat2.slots["task_code"] is None


def test_english_gets_english(backend_url: str) -> None:
    chat = Chat(login(backend_url, "heli"), sender="pytest-en")
    chat.user("I want to stop my residents' insurance", "stop_resident_insurance")
    assert chat.slots["language"] == "en"
    text = chat.run(ActionStartTask())
    assert "Please check" in text and "Confirm" in [b["title"] for b in chat.buttons]
    chat.user("/affirm", "affirm")
    assert chat.slots["language"] == "en"  # a button payload keeps the language
    text = chat.run(ActionSubmitTask())
    assert text.startswith("Done:") and "Serial number" in text, text


def test_low_confidence_offers_likely_intents_by_their_catalogue_names(backend_url: str) -> None:
    chat = Chat(login(backend_url, "zhangwei"), sender="pytest-fallback")
    chat.user(
        "那个保险的事情",
        "nlu_fallback",
        confidence=0.4,
        ranking=[
            {"name": "nlu_fallback", "confidence": 0.4},
            {"name": "stop_individual_insurance", "confidence": 0.31},
            {"name": "transfer_pension_out", "confidence": 0.29},
            {"name": "greet", "confidence": 0.1},
        ],
    )
    text = chat.run(ActionClarifyIntent())
    assert "不太确定" in text
    titles = [b["title"] for b in chat.buttons]
    assert titles[:2] == ["个人缴费人员停保", "养老保险关系转出（省内外）"]
    assert chat.buttons[0]["payload"] == "/stop_individual_insurance"


def test_handoff_gives_hotline_and_windows_and_is_recorded(backend_url: str) -> None:
    chat = Chat(None, sender="pytest-human")
    chat.user("转人工", "ask_human")
    text = chat.run(ActionHandoff())
    assert "12333" in text and "窗口" in text
    assert chat.slots["handoff_requested"] is True


# ---- services ---------------------------------------------------------------
def test_self_service_payment_is_confirmed_then_paid_once(backend_url: str) -> None:
    chat = Chat(login(backend_url, "liuyang"), sender="pytest-pay")
    chat.user("交这个月的社保", "self_service_payment")
    text = chat.run(ActionStartTask())
    # the backend's quote: the month, the amount and the (masked) account before confirming
    assert "缴纳2026-11社会保险费" in text and "合计" in text and "*" in text, text
    assert chat.slots["task_stage"] == "confirm"
    before = dict(chat.slots)
    chat.user("确认", "affirm")
    text = chat.run(ActionSubmitTask())
    assert "已缴纳2026-11" in text and "合计" in text and re.search(r"SZ\d{14}", text), text
    chat.slots.update(before)  # the same confirmation again
    text = chat.run(ActionSubmitTask())
    assert "没有重复扣款" in text
    refused = Chat(login(backend_url, "lina"), sender="pytest-pay-2")
    refused.user("自助缴费", "self_service_payment")
    text = refused.run(ActionStartTask())  # refused before any confirmation
    assert "灵活就业" in text and refused.slots.get("task_stage") != "confirm", text


def test_contribution_details_for_a_period(backend_url: str) -> None:
    chat = Chat(login(backend_url, "chenjing"), sender="pytest-contrib")
    chat.user("查一下2026年1月到2026年10月的缴费明细", "query_contributions", {"month": ["2026年1月", "2026年10月"]})
    text = chat.run(ActionStartTask())
    assert "2026-01至2026-10" in text and "2026-10：已缴" in text and "分险种已缴合计" in text, text
    assert chat.slots["task_stage"] == "idle"


def test_certificate_for_oneself_and_for_a_child_chosen_with_a_button(backend_url: str) -> None:
    chat = Chat(login(backend_url, "lina"), sender="pytest-cert")
    chat.user("打印参保证明", "print_insurance_certificate")
    text = chat.run(ActionStartTask())
    url = re.search(r"下载打印：(\S+)", text).group(1)
    assert requests.get(url, timeout=10).content.startswith(b"%PDF")
    chat.user("给孩子打印参保证明", "print_insurance_certificate", {"subject": "child"})
    chat.run(ActionStartTask())
    assert {b["title"] for b in chat.buttons} >= {"李小明", "李小红"}
    payload = next(b["payload"] for b in chat.buttons if b["title"] == "李小明")
    sid = re.search(r'"subject_id":"(\d+)"', payload).group(1)
    chat.user(payload, "print_insurance_certificate", {"subject_id": sid})
    text = chat.run(ActionStartTask())
    assert "李小明" in text and "下载打印：" in text


def test_pre_application_status_asks_for_the_number_when_missing(backend_url: str) -> None:
    chat = Chat(login(backend_url, "qianfang"), sender="pytest-status")
    chat.user("我要办趸缴", "register_lump_sum_contribution")
    chat.run(ActionStartTask())
    chat.user("确认", "affirm")
    number = re.search(r"YS\d{12}[0-9X]", chat.run(ActionSubmitTask())).group()
    # right after it was made, "its progress" is that pre-application's: no number to type (issue 16)
    chat.user("查一下预申请进度", "query_pre_application")
    text = chat.run(ActionStartTask())
    assert number in text and "已提交" in text and chat.slots["task_stage"] == "idle", text
    # in a later conversation the number is asked for
    chat = Chat(login(backend_url, "qianfang"), sender="pytest-status-later")
    chat.user("查一下预申请进度", "query_pre_application")
    chat.run(ActionStartTask())
    assert chat.slots["task_stage"] == "collect"
    assert chat.form() == "asked" and chat.slots["requested_slot"] == "pre_application_number"
    chat.user("是YS123", "inform")
    assert chat.form() == "asked" and "YS" in chat.text  # format hint, asked again
    chat.user(number.lower(), "inform")
    assert chat.form() == "done"
    text = chat.run(ActionReviewTask())
    assert number in text and "已提交" in text and "请携带以下材料" in text, text
    assert chat.slots["task_stage"] == "idle"
    chat.user(
        f"查询预申请 {number[:-1]}0" if number[-1] != "0" else f"查询预申请 {number[:-1]}1", "query_pre_application"
    )
    text = chat.run(ActionStartTask())
    assert "预申请编号" in text and chat.slots["task_stage"] == "idle"  # the backend's check-character error


def test_a_short_answer_in_the_expected_shape_wins_over_a_misheard_intent(backend_url: str) -> None:
    chat = Chat(login(backend_url, "liuyang"), sender="pytest-shape")
    chat.user("医保档次要改", "change_enrollment_info")
    chat.run(ActionStartTask())
    assert chat.form() == "asked" and chat.slots["requested_slot"] == "medical_tier"
    chat.user("1", "goodbye", confidence=0.7)  # the NLU heard "goodbye" in a bare number
    assert chat.form() == "done" and chat.slots["medical_tier"] == "1"


def test_which_optional_field_to_change_is_read_from_the_request(backend_url: str) -> None:
    chat = Chat(login(backend_url, "zhoumin"), sender="pytest-basic")
    chat.user("我要改一下手机号", "change_basic_info")
    text = chat.run(ActionStartTask())
    assert chat.slots["task_stage"] == "collect", text
    assert chat.form() == "asked" and chat.slots["change_target"] == "phone"
    assert chat.slots["requested_slot"] == "phone"
    chat.user("13900139008", "inform", {"phone_number": "13900139008"})
    assert chat.form() == "done"
    text = chat.run(ActionReviewTask())
    assert "139****9008" in text and "13900139008" not in text


def test_which_one_can_be_typed_or_spoken_instead_of_clicked(backend_url: str) -> None:
    chat = Chat(login(backend_url, "lina"), sender="pytest-typed-choice", channel="ivr")
    chat.user("我要停保", "stop_insurance")
    chat.run(ActionStartTask())
    assert chat.slots["task_stage"] == "choose" and len(chat.slots["task_choices"]) == 2
    chat.user("随便吧", "nlu_fallback", confidence=0.3)  # matches nothing: asked again
    text = chat.run(ActionStartTask())
    assert "选择一项" in text and chat.slots["task_stage"] == "choose"
    chat.user("李小红", "inform", {"child_name": "李小红"})
    text = chat.run(ActionStartTask())
    assert chat.slots["task_stage"] == "confirm" and chat.slots["task_code"] == "stop_student_insurance", text
    assert "李小红" in text and chat.slots["task_choices"] is None


def test_a_province_given_when_the_city_was_asked_corrects_the_province(backend_url: str) -> None:
    chat = Chat(login(backend_url, "qianfang"), sender="pytest-province")
    chat.user("养老保险转到广东省外", "transfer_pension_out", {"province": "广东省"})  # the NLU misread 广东省外
    chat.run(ActionStartTask())
    assert chat.form() == "asked" and chat.slots["destination_province"] is None  # not taken as 广东省
    chat.user("广东", "inform", {"province": "广东省"})
    assert chat.form() == "asked" and chat.slots["destination_province"] == "广东省"
    chat.user("湖南", "inform", {"province": "湖南省"})
    assert chat.form() == "asked" and chat.slots["requested_slot"] == "destination_city"
    assert chat.slots["destination_province"] == "湖南省" and chat.slots["destination_city"] is None
    chat.user("44030119780512123", "goodbye", confidence=0.8)  # digits, misheard as goodbye: not an exit
    assert chat.form() == "asked" and chat.slots["requested_slot"] == "destination_city"
    chat.user("长沙", "inform", {"city": "长沙"})
    assert chat.form() == "done" and chat.slots["destination_city"] == "长沙"


def test_a_misheard_id_number_is_asked_again_not_taken_as_goodbye(backend_url: str) -> None:
    chat = Chat(login(backend_url, "sunli"), sender="pytest-id-goodbye")
    chat.user("身份证升位", "upgrade_id_number")
    chat.run(ActionStartTask())
    assert chat.form() == "asked"
    chat.user("440301197805121235", "goodbye", confidence=0.9)
    assert chat.form() == "asked" and "校验位" in chat.text


def test_a_rejected_city_is_asked_again_with_its_province(backend_url: str) -> None:
    chat = Chat(login(backend_url, "qianfang"), sender="pytest-city-pair")
    chat.user("养老保险转出", "transfer_pension_out")
    chat.run(ActionStartTask())
    chat.form()
    chat.user("广东", "inform", {"province": "广东省"})
    chat.form()
    chat.user("长沙", "inform", {"city": "长沙"})  # not in Guangdong: the backend says so at once
    assert chat.form() == "asked", chat.text
    assert "不能使用" in chat.text and chat.slots["task_stage"] == "collect"
    assert chat.slots["destination_province"] is None and chat.slots["destination_city"] is None
    assert chat.slots["requested_slot"] == "destination_province"
