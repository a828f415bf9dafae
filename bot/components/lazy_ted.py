"""TEDPolicy whose prediction is computed only when it can change the outcome.

Rasa's policy ensemble picks the prediction with the highest (confidence,
priority). When the RulePolicy (priority 6) or the MemoizationPolicy (3) knows
the next action, its confidence is 1.0, so TED (priority 1, confidence <= 1.0)
cannot win, yet Rasa runs TED's featurisation and transformer anyway: ~30 % of
the Rasa server's CPU per turn (docs/benchmarks.md). Here TED returns a
`LazyPrediction`, and the ensemble (patched when this module is loaded with the
model, through the one gate of Rasa patches: bot/rasa_ext/patches.py, so only on
the Rasa release it was written for and unless SZ_RASA_PATCHES=off) forces it
only when it could be picked; otherwise it is dropped unevaluated. Without the
patched ensemble the policy is plain TED (computed every time). Same winner, same events:
a TED prediction carries no events, and without end-to-end training data it is
never an end-to-end prediction (such a model is left fully eager).
tests/bot/test_lazy_ted.py compares the patched ensemble with Rasa's own.
"""

from __future__ import annotations

from typing import Any, Callable, Dict, List, Optional, Text

from rasa.core.policies.ensemble import DefaultPolicyPredictionEnsemble
from rasa.core.policies.policy import PolicyPrediction
from rasa.core.policies.ted_policy import TEDPolicy
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.shared.core.domain import Domain
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.nlu.constants import TEXT

from bot.rasa_ext.patches import patches_allowed


class LazyPrediction(PolicyPrediction):
    """A prediction computed on first use of any attribute but its policy's name and priority.

    Only made for predictions that are never end-to-end, never "no user" predictions and
    carry no events, so the ensemble can tell without computing it whether it can win.
    """

    def __init__(self, compute: Callable[[], PolicyPrediction], policy_name: Text, policy_priority: int) -> None:
        # no super().__init__: every other attribute comes from the computed prediction
        self._compute: Optional[Callable[[], PolicyPrediction]] = compute
        self.policy_name = policy_name
        self.policy_priority = policy_priority

    @property
    def computed(self) -> bool:
        return self._compute is None

    def __getattr__(self, name: str) -> Any:  # only for attributes not set yet
        compute = self.__dict__.get("_compute")
        if compute is None:
            raise AttributeError(name)
        self._compute = None
        self.__dict__.update(vars(compute()))
        return getattr(self, name)


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.POLICY_WITH_END_TO_END_SUPPORT, is_trainable=True)
class LazyTEDPolicy(TEDPolicy):
    """TEDPolicy (same training, same model) whose prediction is evaluated only if it can win."""

    def predict_action_probabilities(
        self,
        tracker: DialogueStateTracker,
        domain: Domain,
        rule_only_data: Optional[Dict[Text, Any]] = None,
        **kwargs: Any,
    ) -> PolicyPrediction:
        def compute() -> PolicyPrediction:
            return super(LazyTEDPolicy, self).predict_action_probabilities(
                tracker, domain, rule_only_data=rule_only_data, **kwargs
            )

        if not installed() or self.model is None or TEXT in (getattr(self, "fake_features", None) or {}):
            return compute()  # an end-to-end model may override other policies: no shortcut
        return LazyPrediction(compute, self.__class__.__name__, self.priority)


_original_pick_best_policy = DefaultPolicyPredictionEnsemble._pick_best_policy


def _pick_best_policy(predictions: List[PolicyPrediction]) -> PolicyPrediction:
    """Rasa's choice, without evaluating lazy predictions that cannot be chosen."""
    pending = [isinstance(p, LazyPrediction) and not p.computed for p in predictions]
    lazy = [p for p, is_pending in zip(predictions, pending, strict=True) if is_pending]
    if lazy:
        settled = [p for p, is_pending in zip(predictions, pending, strict=True) if not is_pending]
        # a lazy prediction is neither "no user" nor end-to-end: if any settled one is, it is not a candidate
        no_user = any(p.is_no_user_prediction for p in settled)
        e2e = any(p.is_end_to_end_prediction for p in settled)
        best = max(
            (
                (p.max_confidence, p.policy_priority)
                for p in settled
                if p.is_no_user_prediction == no_user and (no_user or p.is_end_to_end_prediction == e2e)
            ),
            default=(-1.0, -1),
        )
        # its confidence is at most 1.0: it loses to any (1.0, higher priority), as in Rasa's strict ">"
        beaten = [p for p in lazy if no_user or e2e or best >= (1.0, p.policy_priority)]
        if beaten:
            predictions = [p for p in predictions if not any(p is b for b in beaten)]
    return _original_pick_best_policy(predictions)


def install() -> None:
    DefaultPolicyPredictionEnsemble._pick_best_policy = staticmethod(_pick_best_policy)  # type: ignore[assignment]


def uninstall() -> None:
    DefaultPolicyPredictionEnsemble._pick_best_policy = staticmethod(_original_pick_best_policy)  # type: ignore[assignment]


def installed() -> bool:
    return DefaultPolicyPredictionEnsemble._pick_best_policy is _pick_best_policy


if patches_allowed():
    install()
