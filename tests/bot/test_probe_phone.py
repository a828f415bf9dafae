"""Phone confirmations with the backend's preview (found by the probe): the caller hears what is
confirmed, and a heading ("办理后：") is never spoken without what it introduces.

The summary is the one items.present_summary writes for 少儿医保缴费 (lina, preview from
POST /items/pay_child_medical/validate); too long for one prompt, the preview line used to be
dropped whole, leaving "办理后。" and no amount before "确认请按1".
"""

from __future__ import annotations

import pytest

pytest.importorskip("rasa_sdk")

from bot.channels.rendering import fits_phone, phone_render  # noqa: E402

CONFIRM = [{"title": "确认", "payload": "/affirm"}, {"title": "取消", "payload": "/cancel"}]
PAY_SUMMARY = (
    "请核对以下信息：\n· 业务：少儿医保缴费\n· 办理对象：李小红\n办理后：\n"
    "· 将为李小红缴纳2026年度少儿医疗保险费，金额为每年425.00元，从中国银行账户************2345扣款；"
    "缴费后自2027-01起享受待遇。\n确认办理吗？"
)
EN_SUMMARY = (
    "Please check:\n- Item: Transfer medical insurance out\n- destination province: Guangdong\n"
    "- destination city: Guangzhou\nWhat will happen:\n- The medical insurance moves to 广州, 广东省; next "
    "apply for the transfer-in at 广州's agency; until it accepts you can cancel. Your pension insurance "
    "is not affected.\nShall I go ahead?"
)


def test_a_long_preview_is_heard_at_least_up_to_the_amount_and_no_heading_dangles() -> None:
    reply = phone_render([{"text": PAY_SUMMARY, "buttons": CONFIRM}])
    assert "将为李小红缴纳2026年度少儿医疗保险费" in reply.text, reply.text
    assert "办理后" not in reply.text, reply.text
    assert "李小红" in reply.text and reply.text.endswith("确认请按1，取消请按2。"), reply.text
    assert fits_phone(reply.text) and reply.sms_text and "425.00" in reply.sms_text


def test_the_english_confirmation_says_what_happens_without_the_bare_heading() -> None:
    reply = phone_render([{"text": EN_SUMMARY, "buttons": CONFIRM}], english=True)
    assert "What will happen" not in reply.text, reply.text
    assert "The medical insurance moves to" in reply.text, reply.text
    assert fits_phone(reply.text, english=True)


def test_a_heading_whose_content_does_not_fit_is_left_out() -> None:
    text = "已为您登记。\n办理后：\n· " + "，".join(["自2026-12起按新的档次每月缴纳医疗保险费用"] * 6) + "。"
    reply = phone_render([{"text": text}])
    assert "办理后" not in reply.text, reply.text


def test_a_question_in_quotes_stays_whole_and_in_its_place() -> None:
    # utter_out_of_scope on the phone was "…服务范围内。”。我可以帮您…“什么时候可以缴费？" (the closing
    # quote split off as a sentence, the quoted question moved to the end as if it were the prompt)
    text = (
        "抱歉，这个问题不在我的服务范围内。我可以帮您办理深圳社保个人网上业务，或解答相关的办事问题，"
        "例如：“给孩子停少儿医保”“查一下我的社保缴费明细”“什么时候可以缴费？”"
    )
    spoken = phone_render([{"text": text}]).text
    assert "”。我可以" not in spoken and spoken.startswith("抱歉，这个问题不在我的服务范围内。我可以"), spoken
    assert spoken.count("“") == spoken.count("”"), spoken
