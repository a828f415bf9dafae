"""Jieba tokenizer with domain normalisation, for Rasa Open Source 3.6.

``DomainJiebaTokenizer`` is Rasa's ``JiebaTokenizer`` plus:

* the text is normalised first (``bot.components.normalizer.normalize``:
  NFKC, Traditional -> Simplified, speech-homophone correction of the domain
  terms).  The normaliser keeps the length, character for character, so jieba's
  offsets on the normalised text are offsets into the user's original text:
  ``token.start``/``token.end`` index ``message.get("text")`` (entity
  annotations, entity values and regex matches keep working on what the user
  typed), while ``token.text`` (and ``lemma``) is the normalised form, which is
  what the featurizers see (養老保險 and 元老保险 give the token 养老保险);
* blank tokens (jieba yields " " between Chinese and English words) are dropped
  (RasaHQ/rasa#7910);
* ``dictionary_path`` defaults to ``bot/components/jieba_dict`` and a relative
  path is also looked up from the repository root, so training works from any
  working directory; the dictionaries and the normaliser's data are part of the
  component's fingerprint, so editing them retrains the model.

User dictionary (``jieba_dict/domain.txt``, jieba format): one ``word freq pos``
a line, no comments (jieba would load a comment line as a word).  It holds the
domain terms, the catalogue item names, the 12 cooperating banks and their short
names, the 34 provinces with and without 省/市/自治区 and Guangdong's 21 cities.
Rule: a dictionary word must not contain an entity value that the training data
annotates inside it, or Rasa reports "Misaligned entity annotation" and the
entity extractor cannot learn that entity: so catalogue names that contain
养老/医疗/医保/居保/深户 (养老保险关系转出, 居民养老参保登记, ...) are not in
it, and 城乡/居民/在校 have frequencies high enough to split 城乡居民养老 and
在校学生医保.
"""

from __future__ import annotations

import hashlib
import logging
from pathlib import Path
from typing import Any, Dict, List, Optional, Text, cast

from rasa.engine.graph import ExecutionContext
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.tokenizers.jieba_tokenizer import JiebaTokenizer
from rasa.nlu.tokenizers.tokenizer import Token
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message

from bot.components import normalizer

NORMALIZED_TEXT = "normalized_text"

logger = logging.getLogger(__name__)

COMPONENT_DIR = Path(__file__).resolve().parent
REPO_ROOT = COMPONENT_DIR.parent.parent
DEFAULT_DICTIONARY_PATH = COMPONENT_DIR / "jieba_dict"


def _resolve_dictionary_path(path: Optional[Text]) -> Optional[Text]:
    if path is None:
        return None
    candidate = Path(path)
    if not candidate.is_absolute() and not candidate.exists():
        from_root = REPO_ROOT / candidate
        if from_root.exists():
            candidate = from_root
    if not candidate.is_dir():
        raise FileNotFoundError(f"DomainJiebaTokenizer: dictionary_path '{path}' is not a directory")
    return str(candidate)


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.MESSAGE_TOKENIZER], is_trainable=True)
class DomainJiebaTokenizer(JiebaTokenizer):
    """Jieba tokenizer on normalised text; offsets index the original text."""

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        """Returns the default config (see parent class for full docstring)."""
        return {
            **JiebaTokenizer.get_default_config(),
            "dictionary_path": str(DEFAULT_DICTIONARY_PATH),
            # NFKC + Traditional -> Simplified
            "normalize": True,
            # speech-homophone correction of the domain terms (needs normalize)
            "correct_homophones": True,
        }

    @staticmethod
    def required_packages() -> List[Text]:
        """Any extra python dependencies required for this component to run."""
        return ["jieba", "opencc", "pypinyin"]

    @classmethod
    def fingerprint_addon(cls, config: Dict[str, Any]) -> Optional[str]:
        """Dictionaries and normaliser data are external inputs: fingerprint them."""
        digest = hashlib.sha256()
        files = [Path(__file__), Path(normalizer.__file__), normalizer.DOMAIN_TERMS_PATH]
        dictionary_path = config.get("dictionary_path")
        if dictionary_path is not None:
            try:
                directory = Path(cast(str, _resolve_dictionary_path(dictionary_path)))
                files += sorted(p for p in directory.glob("*") if p.is_file())
            except FileNotFoundError:
                pass  # reported by create()
        for path in files:
            digest.update(path.name.encode())
            digest.update(path.read_bytes())
        return digest.hexdigest()

    def __init__(self, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource) -> None:
        """Initialize the tokenizer."""
        super().__init__(config, model_storage, resource)
        self._normalize = bool(config.get("normalize", True))
        self._homophones = bool(config.get("correct_homophones", True))
        if self._normalize:
            normalizer.warm_up()

    @classmethod
    def create(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> DomainJiebaTokenizer:
        """Creates a new component (see parent class for full docstring)."""
        config = {
            **config,
            "dictionary_path": _resolve_dictionary_path(config.get("dictionary_path")),
        }
        return super().create(config, model_storage, resource, execution_context)

    def normalize_text(self, text: Text) -> Text:
        """The text jieba sees: same length as ``text``."""
        if not self._normalize or not text:
            return text
        normalized = normalizer.normalize(text, self._homophones)
        return normalized if len(normalized) == len(text) else text

    def tokenize(self, message: Message, attribute: Text) -> List[Token]:
        """Tokenizes the text of the provided attribute of the incoming message."""
        import jieba

        text = message.get(attribute)
        normalized = self.normalize_text(text)
        if attribute == TEXT:
            # the intent classifier reads it (bot/components/intent_classifier.py)
            message.set(NORMALIZED_TEXT, normalized)
        tokens = [Token(word, start, end) for (word, start, end) in jieba.tokenize(normalized) if word.strip()]
        return self._apply_token_pattern(tokens)
