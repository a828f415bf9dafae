"""ResponseSelector that answers only messages classified as its retrieval intent.

Rasa's ResponseSelector runs its transformer on every message, although its
answer is used only when the intent is the retrieval intent (`faq`): ~3.7 ms of
the ~15 ms NLU parse on 2 cores, on every business turn. This subclass skips the
other messages (their parse data then has no `response_selector`, which nothing
but the retrieval action reads). Training and the FAQ answers are unchanged.
"""
from __future__ import annotations

from typing import List

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.nlu.selectors.response_selector import ResponseSelector
from rasa.shared.nlu.constants import INTENT, INTENT_NAME_KEY
from rasa.shared.nlu.training_data.message import Message


@DefaultV1Recipe.register(
    [DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=True
)
class IntentGatedResponseSelector(ResponseSelector):
    """A ResponseSelector that only processes messages whose intent is its retrieval intent."""

    def process(self, messages: List[Message]) -> List[Message]:
        wanted = [m for m in messages if self._is_retrieval(m)]
        if wanted:
            super().process(wanted)
        return messages

    def _is_retrieval(self, message: Message) -> bool:
        if not self.retrieval_intent:  # a selector for all retrieval intents: always run
            return True
        return (message.get(INTENT) or {}).get(INTENT_NAME_KEY) == self.retrieval_intent
