"""A guardian registering herself for a linked child by the child's name ("把我登记成安安的妈妈"): once the
NLU reads it as maintain_guardian_info (bot/data/nlu), the flow takes the child from the request, the
relation from the words, and the backend's refusal (already linked) is said with its reason."""

from __future__ import annotations

import pytest

pytest.importorskip("rasa_sdk")

from actions_driver import Chat, login  # noqa: E402

from bot.actions.items import ActionStartTask  # noqa: E402

pytestmark = pytest.mark.usefixtures("client")


def test_registering_oneself_as_the_mother_of_a_linked_child(backend_url: str) -> None:
    chat = Chat(login(backend_url, "chenjing"), sender="guardian-self")
    chat.user("把我登记成安安的妈妈", "maintain_guardian_info")
    chat.run(ActionStartTask())
    assert chat.slots["subject_name"] == "陈安安" and chat.slots["task_stage"] == "collect", chat.text
    assert chat.form() == "asked" and chat.slots["requested_slot"] == "guardian_name", chat.text
    chat.user("我自己", "inform")
    assert chat.form() == "asked" and chat.slots["guardian_name"] == "陈静", chat.text
    chat.user("440306199202142240", "inform")
    # the relation said in the request (妈妈) is checked at once: already linked, said with the reason
    assert chat.form() == "asked" and chat.slots["requested_slot"] == "relation", chat.text
    assert "已登记为陈安安的母亲" in chat.text and "无需重复" in chat.text, chat.text
    # insisting ends the task with the same reason; nothing is submitted
    chat.user("母亲", "inform")
    assert chat.form() == "done"
    assert "未能办理" in chat.text and "无需重复" in chat.text and chat.slots["task_stage"] == "idle", chat.text
