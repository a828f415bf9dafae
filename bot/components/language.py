"""NLU component that tells which language a message is written in (Rasa 3.6).

``LanguageDetector`` adds the entity ``language`` (value ``en`` or ``zh``) to
each parsed message, so the slot ``language`` is filled by a plain
``from_entity`` mapping inside the Rasa process: no call to the action server
per turn (it replaced the custom mapping action ``action_detect_language``).
When a message says nothing about the language (button payloads such as
``/affirm``, digits, ID numbers, ``ok``, emoji, and a short message that
``bot.components.fallback`` judged meaningless: keyboard mash, "huh?", "嗯") no
entity is added and the slot keeps its previous value.

The rule itself lives in ``bot/language_detection.py`` (pure, shared with the
action server). The entity is declared with ``influence_conversation: false``
(domain.yml), so it does not change dialogue predictions. It spans the
whole message (start 0, end len(text)). Nothing is trained.

config.yml, after EntitySynonymMapper (so no synonym rewrites its value):

    - name: bot.components.language.LanguageDetector
"""

from __future__ import annotations

import re
from typing import Any, Dict, List, Optional, Text

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.extractors.extractor import EntityExtractorMixin
from rasa.shared.nlu.constants import (
    ENTITIES,
    ENTITY_ATTRIBUTE_END,
    ENTITY_ATTRIBUTE_START,
    ENTITY_ATTRIBUTE_TYPE,
    ENTITY_ATTRIBUTE_VALUE,
    TEXT,
)
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.language_detection import classify_language

ENTITY = "language"


def _says_nothing(message: Message) -> bool:
    """A message bot.components.fallback judged meaningless that is one Latin "word" at most
    ("asdfjkl", "huh?") and under three Chinese characters ("嗯", "啊？")."""
    if (message.get("understanding") or {}).get("decision") != "not_understood":
        return False
    text = message.get(TEXT) or ""
    return len(re.findall(r"[A-Za-z]+", text)) <= 1 and len(re.findall(r"[\u4e00-\u9fff]", text)) < 3


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR], is_trainable=False)
class LanguageDetector(GraphComponent, EntityExtractorMixin):
    """Adds the entity `language` (en / zh) unless the message is ambiguous."""

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {"entity": ENTITY}

    def __init__(self, config: Dict[Text, Any]) -> None:
        self._entity = config.get("entity") or ENTITY

    @classmethod
    def create(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> LanguageDetector:
        return cls(config)

    def language_entity(self, text: Optional[Text]) -> Optional[Dict[Text, Any]]:
        """The entity for `text`, or None when the text says nothing about the language."""
        language = classify_language(text)
        if language is None:
            return None
        return {
            ENTITY_ATTRIBUTE_TYPE: self._entity,
            ENTITY_ATTRIBUTE_VALUE: language,
            ENTITY_ATTRIBUTE_START: 0,
            ENTITY_ATTRIBUTE_END: len(text or ""),
        }

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            if _says_nothing(message):
                continue  # keyboard mash, "huh?", "嗯" say nothing about the language
            entity = self.language_entity(message.get(TEXT))
            if entity is None:
                continue
            entities = [e for e in message.get(ENTITIES, []) if e.get(ENTITY_ATTRIBUTE_TYPE) != self._entity]
            entities += self.add_extractor_name([entity])
            message.set(ENTITIES, entities, add_to_output=True)
        return messages

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        # training examples keep their own annotations; the entity is only predicted
        return training_data
