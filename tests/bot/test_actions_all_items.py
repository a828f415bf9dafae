"""Every catalogue item, end to end through the generic flow, against a real backend.

For each of the 31 items a demo person who may use it now is found through the
backend's own `GET /options` (so no business rule is copied here); the
conversation starts the item, answers each question the form asks with a
plausible answer, confirms, and must end in one of the backend's outcomes,
stated plainly: completed (serial number), pre-application (number, materials,
place, form link) or refused (reason). An item nobody may use now must be
refused before anything is asked. Its own backend process, so the changes made
here do not disturb other test modules.
"""

from __future__ import annotations

import re
from typing import Dict, List, Optional, Tuple

import pytest
import requests

pytest.importorskip("rasa_sdk")

import test_actions_flow as flow  # noqa: E402  (same directory: the Chat driver and the backend fixture)

from bot.actions.fields import ID_CHECK, ID_WEIGHTS  # noqa: E402
from bot.actions.items import ActionReviewTask, ActionStartTask, ActionSubmitTask  # noqa: E402
from bot.actions.tasks import ITEM_CODES  # noqa: E402

backend_url = flow.backend_url  # a fresh backend for this module (session fixture, own database)
client = flow.client

USERS = (
    "zhangwei",
    "lina",
    "chenjing",
    "huangqiang",
    "liuyang",
    "zhaojianguo",
    "sunli",
    "zhoumin",
    "wugang",
    "qianfang",
    "heli",
    "machao",
    "gaoyuan",
)
# Demo people (backend/sz_backend/seed.py): name, ID area, birth date, sequence -> their ID number.
PEOPLE = {
    "zhangwei": ("张伟", "440304", "19880512", 131),
    "lina": ("李娜", "440305", "19900820", 242),
    "chenjing": ("陈静", "440306", "19920214", 224),
    "huangqiang": ("黄强", "441900", "19851003", 153),
    "liuyang": ("刘洋", "440307", "19930427", 171),
    "zhaojianguo": ("赵建国", "440303", "19620315", 191),
    "zhoumin": ("周敏", "440304", "19891201", 246),
    "wugang": ("吴刚", "440303", "19660110", 117),
    "qianfang": ("钱芳", "440306", "19720408", 208),
    "heli": ("何丽", "440309", "19800707", 228),
    "machao": ("马超", "440310", "19911111", 159),
    "gaoyuan": ("高远", "440311", "19960606", 135),
}


def id_number(area: str, birth: str, seq: int) -> str:
    first17 = f"{area}{birth}{seq:03d}"
    return first17 + ID_CHECK[sum(int(d) * w for d, w in zip(first17, ID_WEIGHTS, strict=True)) % 11]


def answer(field: str, user: str) -> str:
    """A plausible answer, as a person would type it."""
    name, area, birth, seq = PEOPLE.get(user, ("张三", "440304", "19880512", 131))
    return {
        "month": "上个月",
        "medical_tier": "二档" if user != "liuyang" else "一档",
        "pension_grade": "第五档",
        "destination_province": "湖南",
        "destination_city": "长沙",
        "from_province": "湖南省",
        "from_city": "长沙",
        "new_id_number": "44030119780512123"
        + ID_CHECK[sum(int(d) * w for d, w in zip("44030119780512123", ID_WEIGHTS, strict=True)) % 11],
        "bank_name": "招商银行",
        "account_no": "6225 8802 1234 0000",
        "holder_name": name,
        "holder_id_number": id_number(area, birth, seq),
        "years": "3",
        "work_start_year": "2013",
        "work_end_year": "2015",
        "category": "被征地农民",
        "from_month": "2025年1月",
        "to_month": "2025年3月",
        "other_place": "广州",
        "settle_in_date": "2025年1月10日",
        "hukou_category": "广东省内非深户",
        "phone": "13900139000",
        "address": "深圳市南山区科技园",
        "in_school": "是",
        "school_name": "南山实验学校",
        "guardian_name": "李娜",
        "guardian_id_number": id_number("440305", "19900820", 242),
        "relation": "母亲",
        "change_target": "手机号码",
    }[field]


def who_may(backend_url: str, code: str) -> Optional[Tuple[str, Optional[str]]]:
    for user in USERS:
        token = flow.login(backend_url, user)
        r = requests.get(
            f"{backend_url}/options", params={"codes": code}, headers={"Authorization": f"Bearer {token}"}, timeout=10
        )
        r.raise_for_status()
        for o in r.json()["options"]:
            if o["eligible"]:
                return user, (str(o["subject_id"]) if o.get("subject_name") else None)
    return None


OUTCOME = re.compile(
    r"已办结：.*业务流水号：SZ\d{14}|预申请号：YS\d{12}[0-9X][\s\S]*请携带以下材料[\s\S]*打印申请表：http"
    r"|未能办理“|暂时不能办理“",
    re.S,
)


@pytest.mark.parametrize("code", ITEM_CODES)
def test_item_reaches_a_backend_outcome(backend_url: str, code: str) -> None:
    found = who_may(backend_url, code)
    user = found[0] if found else "zhangwei"
    chat = flow.Chat(flow.login(backend_url, user), sender=f"all-{code}")
    entities: Dict[str, List[str]] = {}
    chat.user("我要办理这项业务", code, entities)
    text = chat.run(ActionStartTask())
    transcript = [f"[{user}] start: {text}"]
    if chat.slots["task_stage"] == "choose" and found:  # several children: take the first
        payload = chat.buttons[0]["payload"]
        sid = re.search(r'"subject_id":"(\d+)"', payload).group(1)
        chat.user(payload, code, {"subject_id": sid})
        text = chat.run(ActionStartTask())
        transcript.append(f"child: {text}")
    if not found:
        assert "暂时不能办理“" in text and chat.slots["task_stage"] == "idle", "\n".join(transcript)
        return
    assert "系统繁忙" not in text
    for _round in range(3):  # a 422 from the backend re-opens the form
        if chat.slots["task_stage"] == "collect":
            state = chat.form()
            asked = 0
            while state == "asked":
                slot = chat.slots["requested_slot"]
                chat.user(answer(slot, user), "inform")
                state = chat.form()
                asked += 1
                assert asked < 12, f"form loops on {slot}: {chat.text}"
            assert state == "done"
            form_said = chat.text  # a value refused twice ends the task in the form, with the reason
            text = chat.run(ActionReviewTask()) or form_said
            transcript.append(f"review: {text}")
        if chat.slots["task_stage"] != "confirm":
            break
        assert "请核对以下信息" in text and "确认办理吗" in text
        chat.user("确认", "affirm")
        text = chat.run(ActionSubmitTask())
        transcript.append(f"submit: {text}")
        if chat.slots["task_stage"] != "collect":
            break
    final = "\n".join(transcript)
    assert OUTCOME.search(text), final
    kind = "completed" if "已办结" in text else "pre-application" if "预申请号" in text else "refused"
    print(f"OUTCOME {code} [{user}]: {kind}: {text.splitlines()[0]}")
    assert chat.slots["task_stage"] == "idle", final
    assert "系统繁忙" not in final
