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
from typing import Dict, List

import pytest

pytest.importorskip("rasa_sdk")

from actions_driver import Chat, answer, login, who_may  # noqa: E402

from bot.actions.items import ActionReviewTask, ActionStartTask, ActionSubmitTask  # noqa: E402
from bot.actions.tasks import ITEM_CODES  # noqa: E402

# every test runs the actions against this module's backend (conftest.py)
pytestmark = pytest.mark.usefixtures("client")

OUTCOME = re.compile(
    r"已办结：.*业务流水号：SZ\d{14}|预申请号：YS\d{12}[0-9X][\s\S]*请携带以下材料[\s\S]*打印申请表：http"
    r"|未能办理“|暂时不能办理“",
    re.S,
)


@pytest.mark.parametrize("code", ITEM_CODES)
def test_item_reaches_a_backend_outcome(backend_url: str, code: str) -> None:
    found = who_may(backend_url, code)
    user = found[0] if found else "zhangwei"
    chat = Chat(login(backend_url, user), sender=f"all-{code}")
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
