"""The decision between "act", "ask which one" and "I did not understand" (Rasa 3.6).

Why not Rasa's ``FallbackClassifier`` alone: a softmax over ~70 classes gives
low top probabilities, and keyboard mash, a lone "？", "嗯", an emoji or "huh?"
still get *some* intent with a confidence near any threshold that keeps real
requests (0.16 passed 0.15).  A threshold on the classifier cannot tell
"meaningless" from "unsure between two things", so this component first looks
at signals that do not depend on the classifier:

* **content**: what is left after whitespace, punctuation, symbols and emoji;
  nothing left -> not understood;
* **digits only** without an entity the regexes/lookups know (ID number,
  phone, pre-application number...) -> not understood (random digits);
* **domain vocabulary**: the jieba words / English words of the message that
  are *informative* in the training data, i.e. seen in training examples of
  at most ``max_intent_share`` of the intents (so 我, 想, 请问, the, can...
  carry nothing, 停保, 转出, 养老, pension, card do).  No informative word ->
  not understood (mash, fillers, half sentences "我想", "请问", "喂喂 听得到吗",
  unknown English).  A message that is (after normalisation) exactly a
  training example is always understood ("好", "ok", "hi").

Then the classifier: when its two models (``TfidfIntentClassifier`` with
``ensemble: true``: character n-grams within words / words and word pairs +
character n-grams across words) name different best classes, the message is
not acted on unless the mean probability of the best class reaches
``disagree_threshold`` (default: ``override_confidence``; calibrated like
``threshold``);
then the confidence: the probability of the single best class
(a FAQ topic counts on its own, not summed into ``faq``, so a follow-up that
is vaguely FAQ-like does not get a confident answer on an unrelated topic).
Below ``threshold`` -> ``nlu_fallback``; and the best class must lead the
runner-up by ``margin`` (``disagree_margin`` when the models disagree): two
classes within a few points of each other are a guess between them, however
high the best one is (session 9: in cross-validation the best class was right
37% of the time when it led by less than 0.05 with agreeing models).  The
clarification action offers the likely intents as buttons ("ask which one")
when the message had informative words, else says it did not understand and
gives examples.  The thresholds and margins are calibrated by cross-validation
on the training data (``bench/nlu_eval.py --calibrate``, rule in config.yml),
never on a held-out set.

Output: ``intent`` / ``intent_ranking`` as Rasa's FallbackClassifier sets them,
plus ``understanding``: ``{"decision": "act" | "ask" | "not_understood",
"reason": ..., "informative": n}`` (in the parse data, so actions read it from
``tracker.latest_message``).
"""

from __future__ import annotations

import collections
import json
import logging
import re
import unicodedata
from typing import Any, Dict, Iterable, List, Optional, Set, Text

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.classifiers.classifier import IntentClassifier
from rasa.shared.nlu.constants import (
    ENTITIES,
    ENTITY_ATTRIBUTE_TYPE,
    INTENT,
    INTENT_NAME_KEY,
    INTENT_RESPONSE_KEY,
    PREDICTED_CONFIDENCE_KEY,
    TEXT,
    TEXT_TOKENS,
)
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

logger = logging.getLogger(__name__)

FALLBACK = "nlu_fallback"
UNDERSTANDING = "understanding"
TOP_CLASS = "top_class"  # set by TfidfIntentClassifier: (full class name, probability)
MODELS_AGREE = "models_agree"  # set by TfidfIntentClassifier's ensemble: do its two models agree
TOP_MARGIN = "top_margin"  # set by TfidfIntentClassifier: best class's probability minus the runner-up's
VOCAB_FILE = "vocabulary.json"
# Extractors whose entities mean the message carries a value (not the CRF: it guesses on mash)
VALUE_EXTRACTORS = {"RegexEntityExtractor", "EntitySynonymMapper"}
_LATIN_WORD = re.compile(r"[a-z]+")
# Fillers, pronouns, particles and function words: never informative, however rare in training
FILLERS = set(
    """
嗯 嗯嗯 啊 啊啊 哦 噢 喔 呃 额 诶 欸 唉 哎 哎呀 喂 喂喂 哈 哈哈 哈哈哈 嘿 呀 吧 呢 吗 嘛 么 了 的 地 得 着 过
那个 这个 那 这 就是 就是说 然后 所以 但是 还有 还是 那么 这么 好像 可能 其实 反正 随便 什么 怎么 怎样 怎么样
我 你 您 他 她 它 我们 你们 他们 咱 咱们 俺 自己 请问 请 想 我想 要 我要 一下 一 个 在 在不在 在吗
听 听到 听得到 得到 见 看 说 问 问问 说说 看看 一个 一些 东西 事 事情
i you he she it we they me my your our a an the is are was were be been am do does did can could will would
should what how why when where who which this that these those there here to of in on for with at by from
and or but so just like really very about um uh eh oh ah huh hmm er erm hm mm
""".split()
)
SPOKEN_DIGITS = set("零〇一二三四五六七八九幺两")
_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")


def content(text: str) -> str:
    """Letters, digits and CJK characters of ``text`` (NFKC, lower case), nothing else."""
    text = unicodedata.normalize("NFKC", text or "").lower()
    return "".join(ch for ch in text if unicodedata.category(ch)[0] in ("L", "N"))


def words_of(message: Message) -> List[str]:
    """The message's words as the featurizers see them: jieba tokens (normalised text),
    English words split off, lower case, no punctuation."""
    out: List[str] = []
    for token in message.get(TEXT_TOKENS) or []:
        word = content(token.text)
        if not word:
            continue
        latin = _LATIN_WORD.findall(word)
        if latin and not _CJK.search(word):
            out.extend(latin)
        else:
            out.append(word)
    return out


class Vocabulary:
    """Which words are informative: seen in the training examples of few intents."""

    def __init__(
        self, spread: Dict[str, int], n_intents: int, examples: Iterable[str], max_intent_share: float
    ) -> None:
        self.spread = spread
        self.n_intents = max(n_intents, 1)
        self.examples = set(examples)
        self.limit = max(1, int(max_intent_share * self.n_intents))

    @classmethod
    def build(cls, messages: List[Message], max_intent_share: float) -> "Vocabulary":
        intents_of: Dict[str, Set[str]] = collections.defaultdict(set)
        labels: Set[str] = set()
        examples: Set[str] = set()
        for m in messages:
            label = m.get(INTENT_RESPONSE_KEY) or m.get(INTENT)
            if not label:
                continue
            labels.add(label)
            examples.add(content("".join(t.text for t in m.get(TEXT_TOKENS) or [])))
            for w in set(words_of(m)):
                intents_of[w].add(label)
        return cls({w: len(s) for w, s in intents_of.items()}, len(labels), examples, max_intent_share)

    def to_json(self) -> Dict[str, Any]:
        return {
            "spread": self.spread,
            "n_intents": self.n_intents,
            "examples": sorted(self.examples),
            "limit": self.limit,
        }

    @classmethod
    def from_json(cls, data: Dict[str, Any]) -> "Vocabulary":
        vocab = cls(data["spread"], data["n_intents"], data["examples"], 0.0)
        vocab.limit = int(data["limit"])
        return vocab

    def informative(self, words: Iterable[str]) -> List[str]:
        return [w for w in words if w not in FILLERS and 0 < self.spread.get(w, 0) <= self.limit]


def _has_value_entity(message: Message) -> bool:
    return any(
        e.get("extractor") in VALUE_EXTRACTORS and e.get(ENTITY_ATTRIBUTE_TYPE) != "language"
        for e in message.get(ENTITIES) or []
    )


# Entities that are a field's value: a message that is nothing but one (a city, a bank, a tier, a month, an
# ID number) is the answer to a question, whatever the classifier saw in two unknown characters ("绵阳"
# was affirm 0.43 at a summary: session 10 probe). Particles around it are allowed ("是绵阳吧").
BARE_VALUE_TYPES = {
    "id_number",
    "pre_application_number",
    "phone_number",
    "province",
    "city",
    "medical_tier",
    "month",
    "bank_name",
    "hukou_category",
    "pension_grade",
}
# a button payload: "/intent" or "/intent{...}"
PAYLOAD = re.compile(r"^/\w")
BARE_VALUE_PARTICLES = "是就吧啊呀的了嗯哦噢喔那"


def bare_value(message: Message) -> bool:
    """True when the message's letters, digits and CJK characters are all inside value entities."""
    text = message.get(TEXT) or ""
    if PAYLOAD.match(text):
        return False
    spans = [
        (int(e["start"]), int(e["end"]))
        for e in message.get(ENTITIES) or []
        if e.get(ENTITY_ATTRIBUTE_TYPE) in BARE_VALUE_TYPES and e.get("start") is not None and e.get("end") is not None
    ]
    if not spans:
        return False
    rest = "".join(ch for i, ch in enumerate(text) if not any(a <= i < b for a, b in spans))
    return not content(rest).strip(BARE_VALUE_PARTICLES)


def judge(
    message: Message,
    vocab: Optional[Vocabulary],
    threshold: float,
    override: float = 1.0,
    disagree: Optional[float] = None,
    margin: float = 0.0,
    disagree_margin: Optional[float] = None,
) -> Dict[str, Any]:
    """The decision for one parsed message (see the module docstring); ``disagree``: the
    confidence a best class needs when the ensemble's two models disagree (default ``override``);
    ``margin`` / ``disagree_margin``: how far the best class must be ahead of the runner-up
    (models agree / disagree; ``disagree_margin`` defaults to ``margin``)."""
    text = message.get(TEXT) or ""
    if PAYLOAD.match(text):  # a button payload names its intent (a lone "/" is no payload)
        return {"decision": "act", "reason": "payload", "informative": 0}
    normalized = "".join(t.text for t in message.get(TEXT_TOKENS) or [])
    key = content(normalized) or content(text)
    if not key:
        return {"decision": "not_understood", "reason": "no_content", "informative": 0}
    if vocab is not None and key in vocab.examples:
        return {"decision": "act", "reason": "known_example", "informative": 1}
    has_value = _has_value_entity(message)
    numerals = sum(ch.isdigit() or ch in SPOKEN_DIGITS for ch in key)
    if numerals == len(key) and not has_value and numerals < 11:
        return {"decision": "not_understood", "reason": "digits", "informative": 0}
    top = message.get(TOP_CLASS)
    confidence = float(top[1]) if top else float((message.get(INTENT) or {}).get(PREDICTED_CONFIDENCE_KEY) or 0)
    informative = len(vocab.informative(words_of(message))) if vocab is not None else 1
    if informative == 0 and not has_value and numerals < 11 and confidence < override:
        return {"decision": "not_understood", "reason": "no_domain_words", "informative": 0}
    if message.get(MODELS_AGREE) is False and confidence < (override if disagree is None else disagree):
        return {"decision": "ask", "reason": "models_disagree", "informative": informative}
    if confidence < threshold:
        return {"decision": "ask", "reason": "low_confidence", "informative": informative}
    gap = message.get(TOP_MARGIN)
    needed = disagree_margin if message.get(MODELS_AGREE) is False and disagree_margin is not None else margin
    if gap is not None and float(gap) < needed:
        return {"decision": "ask", "reason": "close_runner_up", "informative": informative}
    return {"decision": "act", "reason": "confident", "informative": informative}


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=True)
class CalibratedFallbackClassifier(IntentClassifier, GraphComponent):
    """Sets ``nlu_fallback`` for meaningless input and for low-confidence predictions."""

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        # threshold: calibrated (config.yml); override: a prediction this sure is taken even
        # without a domain word ("what can you do for me"); max_intent_share: see Vocabulary
        # disagree_threshold: what the best class needs when the two models disagree (None: override)
        # margin / disagree_margin: the lead over the runner-up class it needs (agree / disagree;
        # disagree_margin None: margin)
        return {
            "threshold": 0.3,
            "override_confidence": 0.6,
            "max_intent_share": 0.6,
            "disagree_threshold": None,
            "margin": 0.0,
            "disagree_margin": None,
        }

    @classmethod
    def fingerprint_addon(cls, config: Dict[str, Any]) -> Optional[str]:
        import hashlib
        from pathlib import Path

        return hashlib.sha256(Path(__file__).read_bytes()).hexdigest()

    def __init__(
        self,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        vocab: Optional[Vocabulary] = None,
    ) -> None:
        self.config = {**self.get_default_config(), **config}
        self._model_storage = model_storage
        self._resource = resource
        self._vocab = vocab

    @classmethod
    def create(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> "CalibratedFallbackClassifier":
        return cls(config, model_storage, resource)

    def train(self, training_data: TrainingData) -> Resource:
        examples = [e for e in training_data.intent_examples if e.get(INTENT) and e.get(TEXT)]
        self._vocab = Vocabulary.build(examples, float(self.config["max_intent_share"]))
        with self._model_storage.write_to(self._resource) as directory:
            (directory / VOCAB_FILE).write_text(json.dumps(self._vocab.to_json(), ensure_ascii=False), encoding="utf-8")
        return self._resource

    @classmethod
    def load(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> "CalibratedFallbackClassifier":
        try:
            with model_storage.read_from(resource) as directory:
                vocab = Vocabulary.from_json(json.loads((directory / VOCAB_FILE).read_text(encoding="utf-8")))
        except (ValueError, FileNotFoundError):
            vocab = None
        return cls(config, model_storage, resource, vocab)

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            if self._vocab is None and message.get(TOP_CLASS) is None:
                continue  # nothing trained (no intents): nothing to judge
            disagree = self.config.get("disagree_threshold")
            disagree_margin = self.config.get("disagree_margin")
            verdict = judge(
                message,
                self._vocab,
                float(self.config["threshold"]),
                float(self.config["override_confidence"]),
                None if disagree is None else float(disagree),
                float(self.config.get("margin") or 0.0),
                None if disagree_margin is None else float(disagree_margin),
            )
            if bare_value(message):
                verdict = {"decision": "act", "reason": "bare_value", "informative": verdict.get("informative", 0)}
                message.set(INTENT, {INTENT_NAME_KEY: "inform", PREDICTED_CONFIDENCE_KEY: 1.0}, add_to_output=True)
                ranking = [r for r in message.get("intent_ranking") or [] if r.get(INTENT_NAME_KEY) != "inform"]
                message.set(
                    "intent_ranking",
                    [{INTENT_NAME_KEY: "inform", PREDICTED_CONFIDENCE_KEY: 1.0}] + ranking,
                    add_to_output=True,
                )
            message.set(UNDERSTANDING, verdict, add_to_output=True)
            if verdict["decision"] == "act":
                continue
            intent = message.get(INTENT) or {}
            confidence = 1.0 - float(intent.get(PREDICTED_CONFIDENCE_KEY) or 0.0)
            ranking = message.get("intent_ranking") or []
            if verdict["decision"] == "not_understood":
                ranking = []  # nothing to offer: no guesses
            message.set(INTENT, {INTENT_NAME_KEY: FALLBACK, PREDICTED_CONFIDENCE_KEY: confidence}, add_to_output=True)
            message.set(
                "intent_ranking",
                [{INTENT_NAME_KEY: FALLBACK, PREDICTED_CONFIDENCE_KEY: confidence}] + list(ranking),
                add_to_output=True,
            )
        return messages
