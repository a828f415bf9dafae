"""Button payloads of retrieval intents (`/faq`, `/faq/login`) without a KeyError (issue 11, finding 7).

A payload is parsed by Rasa's regex handler, not the NLU pipeline, so its parse
data has no `response_selector`; Rasa's `ActionRetrieveResponse` (`utter_faq`)
then raised KeyError and the user got nothing. With `apply()`:
- `/faq/<topic>` answers `utter_faq/<topic>` (the same response the NLU would pick);
- a bare `/faq` (or an unknown topic) asks what the question is.
Messages the NLU parsed are untouched. It replaces a method of Rasa, so it passes the one
gate of Rasa patches (bot/rasa_ext/patches.py): only on the Rasa release it was written for,
and not with SZ_RASA_PATCHES=off (Rasa's own action then runs, KeyError included).
"""

from __future__ import annotations

import logging
from typing import Any, List

log = logging.getLogger(__name__)

ASK_ZH = "您想咨询哪方面的问题？请直接告诉我，比如“怎么注册账户”“什么时候可以缴费”。"
ASK_EN = 'What would you like to know? Just ask me, for example "how do I register" or "when can I pay".'


def apply() -> None:
    from rasa.core.actions.action import ActionBotResponse, ActionRetrieveResponse
    from rasa.nlu.constants import RESPONSE_SELECTOR_PROPERTY_NAME
    from rasa.shared.core.events import BotUttered

    from bot.rasa_ext.patches import patches_allowed

    if getattr(ActionRetrieveResponse.run, "_sz_payload_fix", False) or not patches_allowed():
        return
    original = ActionRetrieveResponse.run

    async def run(self: Any, output_channel: Any, nlg: Any, tracker: Any, domain: Any) -> List[Any]:
        latest = tracker.latest_message
        if latest is None or RESPONSE_SELECTOR_PROPERTY_NAME in latest.parse_data:
            return await original(self, output_channel, nlg, tracker, domain)
        intent = str((latest.intent or {}).get("name") or "")
        retrieval = self.intent_name_from_action(self.action_name)
        if intent.startswith(f"{retrieval}/") and f"utter_{intent}" in domain.responses:
            self.utter_action = f"utter_{intent}"
            return await ActionBotResponse.run(self, output_channel, nlg, tracker, domain)
        log.info("retrieval action %s without a selected response (payload %r): asking", self.action_name, intent)
        english = str(latest.metadata.get("language", "") if isinstance(latest.metadata, dict) else "") == "en"
        return [BotUttered(ASK_EN if english else ASK_ZH, metadata={"utter_action": self.action_name})]

    run._sz_payload_fix = True  # type: ignore[attr-defined]
    ActionRetrieveResponse.run = run
