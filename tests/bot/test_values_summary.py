"""No summary ever shows a value the backend's validation refuses (issue 16, "Done when"), per field type.

For every field type of the catalogue (month, tier, grade, id_number, bank, account, text, province,
city, int, choice, date, phone) an item with such a field is played through the generic flow against
a real backend: at that field the resident first gives a value the backend refuses (or one the bot
must not take: a bank outside the list, "确认" as a name, a destination in Shenzhen, a date before the
child's birth, an end month before the start...), then the right answers. Every summary the flow
shows is sent back to `POST /items/{code}/validate` exactly as it would be submitted: it must come
back without a single error, and the refused words must not be in it. The items and people come
from the backend's own `GET /options` (no business rule is copied here).
"""

from __future__ import annotations

import re
from typing import Dict, List, Optional, Tuple

import pytest
import requests

pytest.importorskip("rasa_sdk")

from actions_driver import Chat, answer, login, who_may  # noqa: E402

from bot.actions.common import FIELD_SLOTS, FORM_ONLY_SLOTS  # noqa: E402
from bot.actions.items import ActionReviewTask, ActionStartTask  # noqa: E402
from bot.actions.tasks import CHANGE_TARGET  # noqa: E402

pytestmark = pytest.mark.usefixtures("client")

# (field type, item, field, what the resident says first, words that must not be in the summary)
CASES: List[Tuple[str, str, str, str, Tuple[str, ...]]] = [
    ("month", "retry_individual_collection", "month", "2027年5月", ("2027",)),
    ("month", "refund_duplicate_pension", "to_month", "2024年1月", ("2024-01", "2024年1月")),
    ("tier", "change_enrollment_info", "medical_tier", "五档", ("五档",)),
    ("grade", "change_resident_pension_grade", "pension_grade", "第十五档", ("十五",)),
    ("id_number", "upgrade_id_number", "new_id_number", "440301197805121230", ("1230",)),
    ("bank", "maintain_payment_bank", "bank_name", "花旗银行", ("花旗",)),
    ("account", "maintain_payment_bank", "account_no", "12345", ("12345",)),
    ("text", "maintain_payment_bank", "holder_name", "确认", ("户名：确认",)),
    ("text", "maintain_guardian_info", "guardian_name", "13800138000", ("13800138000",)),
    ("province", "transfer_pension_out", "destination_province", "火星", ("火星",)),
    ("city", "transfer_pension_out", "destination_city", "深圳", ("深圳",)),
    ("city", "transfer_pension_in", "from_city", "深圳", ("深圳",)),
    ("int", "resident_back_payment", "years", "50", ("50",)),
    ("int", "work_years_back_payment", "work_end_year", "2035", ("2035",)),
    ("choice", "four_categories_back_payment", "category", "随便", ("随便",)),
    ("choice", "maintain_guardian_info", "relation", "邻居", ("邻居",)),
    ("date", "enroll_child_first_time", "settle_in_date", "2001年1月1日", ("2001",)),
    ("phone", "change_basic_info", "phone", "12345", ("12345",)),
]


def _validate(url: str, token: str, code: str, fields: Dict[str, str], subject_id: Optional[str]) -> Dict:
    r = requests.post(
        f"{url}/items/{code}/validate",
        json={"subject_id": int(subject_id) if subject_id else None, "fields": fields},
        headers={"Authorization": f"Bearer {token}"},
        timeout=10,
    )
    r.raise_for_status()
    return r.json()


def _shown(chat: Chat) -> Dict[str, str]:
    return {
        n: chat.slots[n]
        for n in FIELD_SLOTS + FORM_ONLY_SLOTS
        if chat.slots.get(n) is not None and n not in (CHANGE_TARGET, "pre_application_number")
    }


@pytest.mark.parametrize(("ftype", "code", "field", "bad", "never"), CASES, ids=[f"{c[0]}-{c[2]}" for c in CASES])
def test_a_refused_value_never_reaches_the_summary(
    backend_url: str, ftype: str, code: str, field: str, bad: str, never: Tuple[str, ...]
) -> None:
    found = who_may(backend_url, code)
    if not found:
        pytest.skip(f"no demo person may use {code} now")
    user, subject = found
    token = login(backend_url, user)
    chat = Chat(token, sender=f"summary-{ftype}-{field}")
    chat.user(f"/{code}" + (f'{{"subject_id":"{subject}"}}' if subject else ""), code, {"subject_id": subject})
    chat.run(ActionStartTask())
    if field == "phone":
        chat.slots[CHANGE_TARGET] = "phone"
    transcript: List[str] = [chat.text]
    summaries: List[str] = []
    said_bad = False
    for _round in range(3):
        if chat.slots["task_stage"] != "collect":
            break
        state = chat.form()
        turns = 0
        while state == "asked":
            slot = chat.slots["requested_slot"]
            reply = bad if slot == field and not said_bad else answer(slot, user)
            if slot == "from_month" and field == "to_month":
                reply = "2025年3月"  # the end month said next is before it
            said_bad = said_bad or slot == field
            chat.user(reply, "inform")
            state = chat.form()
            transcript.append(f"> {reply}\n{chat.text}")
            turns += 1
            assert turns < 14, "\n".join(transcript)
        if state != "done":
            break
        text = chat.run(ActionReviewTask())
        transcript.append(text)
        if chat.slots["task_stage"] == "confirm":
            summaries.append(text)
    assert said_bad, "the field was never asked:\n" + "\n".join(transcript)
    for text in summaries:
        body = _validate(backend_url, token, code, _shown(chat), chat.slots["subject_id"])
        assert not body.get("errors"), f"the summary shows refused values {body['errors']}:\n" + "\n".join(transcript)
        for word in never:
            assert not re.search(re.escape(word), text), f"{word!r} in the summary:\n{text}"
