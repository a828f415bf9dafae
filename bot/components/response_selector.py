"""ResponseSelector that answers only messages classified as its retrieval intent.

Rasa's ResponseSelector runs its transformer on every message, although its
answer is used only when the intent is the retrieval intent (`faq`): ~3.7 ms of
the ~15 ms NLU parse on 2 cores, on every business turn. This subclass skips the
other messages (their parse data then has no `response_selector`, which nothing
but the retrieval action reads). Training and the FAQ answers are unchanged.

The featurizers whose features only this selector reads (count vectors of words
and characters, lexical-syntactic features) skip those messages too: ~7 % of the
Rasa server's CPU per business turn.
"""

from __future__ import annotations

from typing import Any, Callable, Dict, List, Optional, Text

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.nlu.featurizers.sparse_featurizer.count_vectors_featurizer import CountVectorsFeaturizer
from rasa.nlu.featurizers.sparse_featurizer.lexical_syntactic_featurizer import LexicalSyntacticFeaturizer
from rasa.nlu.selectors.response_selector import ResponseSelector
from rasa.shared.nlu.constants import INTENT, INTENT_NAME_KEY
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData


def _process_intent_only(
    process: Callable[[List[Message]], Any], messages: List[Message], intent: Optional[Text]
) -> List[Message]:
    """`process` the messages classified as `intent` (all of them when `intent` is None); return all."""
    if intent:
        messages_to_process = [m for m in messages if (m.get(INTENT) or {}).get(INTENT_NAME_KEY) == intent]
    else:
        messages_to_process = messages
    if messages_to_process:
        process(messages_to_process)
    return messages


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=True)
class IntentGatedResponseSelector(ResponseSelector):
    """A ResponseSelector that only processes messages whose intent is its retrieval intent."""

    def process(self, messages: List[Message]) -> List[Message]:
        # no retrieval intent: a selector for all retrieval intents, which runs on every message
        return _process_intent_only(super().process, messages, self.retrieval_intent)


class _RetrievalIntentOnly:
    """For a featurizer whose features only the response selector reads (the TF-IDF intent
    classifier and the CRF make their own): a message is featurized only if its intent is
    `retrieval_intent`, so the featurizer must come after the intent classifier. Training
    featurizes every example, as Rasa does: the trained models are unchanged, and a message
    of the retrieval intent gets the very features it had before."""

    _config: Dict[Text, Any]  # set by rasa.nlu.featurizers.featurizer.Featurizer

    def process(self, messages: List[Message]) -> List[Message]:
        intent = None if self.__dict__.get("_sz_training") else self._config.get("retrieval_intent")
        return _process_intent_only(super().process, messages, intent)  # type: ignore[misc]

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        self.__dict__["_sz_training"] = True  # Rasa's own method, which calls process() on every example
        try:
            return super().process_training_data(training_data)  # type: ignore[misc]
        finally:
            self.__dict__["_sz_training"] = False


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER, is_trainable=True)
class RetrievalIntentCountVectorsFeaturizer(_RetrievalIntentOnly, CountVectorsFeaturizer):
    """CountVectorsFeaturizer for the response selector only (see `_RetrievalIntentOnly`)."""

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {**CountVectorsFeaturizer.get_default_config(), "retrieval_intent": None}


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER, is_trainable=True)
class RetrievalIntentLexicalSyntacticFeaturizer(_RetrievalIntentOnly, LexicalSyntacticFeaturizer):
    """LexicalSyntacticFeaturizer for the response selector only (see `_RetrievalIntentOnly`)."""

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {**LexicalSyntacticFeaturizer.get_default_config(), "retrieval_intent": None}
