"""The registration form's questions ask one thing each in their last line (session 9).

The phone question said "请输入这张卡在银行预留的手机号码，验证码会发到这个手机" (the bank and the code in the line
that asks for the phone), the name question "请告诉我您的姓名（与身份证上一致）": a resident reading the question's
last line for what to type is pointed at two or three things (tuning conversations answered the ID to the name
question and the code to the phone question, and ended after 9 turns without an account). The explanation now
comes first and the question's own line names only its field (likewise the bank question: the card rule
first, then "which bank?").
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

DOMAIN = Path(__file__).resolve().parents[2] / "domain.yml"
# words that belong to the other questions of the form (zh, en)
OTHERS = {
    "utter_ask_registration_name": (
        "身份证",
        "银行",
        "手机",
        "验证码",
        "id card",
        "id number",
        "bank",
        "mobile",
        "code",
    ),
    "utter_ask_registration_id_number": ("姓名", "银行", "手机", "验证码", "bank", "mobile", "code"),
    "utter_ask_registration_bank_name": ("卡号", "手机", "验证码", "card number", "mobile", "code"),
    "utter_ask_registration_bank_account": ("哪家银行", "手机", "验证码", "which bank", "mobile", "code"),
    "utter_ask_registration_phone": ("银行", "卡号", "验证码", "bank", "card", "code"),
}


@pytest.mark.parametrize("response", sorted(OTHERS))
def test_the_last_line_of_a_registration_question_asks_only_its_own_thing(response: str) -> None:
    domain = yaml.safe_load(DOMAIN.read_text(encoding="utf-8"))
    for variant in domain["responses"][response]:
        last = [line for line in variant["text"].splitlines() if line.strip()][-1].lower()
        assert not [w for w in OTHERS[response] if w in last], (response, last)
