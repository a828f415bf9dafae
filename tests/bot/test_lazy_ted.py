"""The lazy TED prediction gives Rasa's own choice of policy, and TED runs only when it can win."""

from __future__ import annotations

import random
from typing import List

import pytest
from rasa.core.policies.policy import PolicyPrediction

from bot.components import lazy_ted
from bot.components.lazy_ted import LazyPrediction

N_ACTIONS = 6


def _probs(rng: random.Random, certain: bool) -> List[float]:
    if certain:  # a rule or memoised story: one action with 1.0
        p = [0.0] * N_ACTIONS
        p[rng.randrange(N_ACTIONS)] = 1.0
        return p
    raw = [rng.random() ** 3 for _ in range(N_ACTIONS)]
    if rng.random() < 0.2:
        raw[rng.randrange(N_ACTIONS)] = 1e9  # a softmax that rounds to 1.0
    total = sum(raw)
    return [x / total for x in raw]


def _case(rng: random.Random):
    """Settled predictions like Rule (6), Memoization (3) and others, and a TED prediction (priority 1)."""
    settled = []
    for name, priority in (("RulePolicy", 6), ("MemoizationPolicy", 3), ("OtherPolicy", 2)):
        if rng.random() < 0.25:
            continue
        kind = rng.random()
        if kind < 0.4:
            probs = _probs(rng, certain=True)
        elif kind < 0.6:  # the RulePolicy's fallback: core_fallback_threshold on one action
            probs = [0.0] * N_ACTIONS
            probs[0] = rng.choice([0.3, 0.5, 1.0])
        elif kind < 0.75:  # nothing predicted
            probs = [0.0] * N_ACTIONS
        else:
            probs = _probs(rng, certain=False)
        settled.append(
            PolicyPrediction(
                probs,
                name,
                priority,
                events=[f"{name}-event"] if rng.random() < 0.3 else None,
                optional_events=[f"{name}-optional"] if rng.random() < 0.3 else None,
                is_no_user_prediction=rng.random() < 0.1,
                is_end_to_end_prediction=rng.random() < 0.05,
                hide_rule_turn=rng.random() < 0.3,
            )
        )
    ted_probs = _probs(rng, certain=False)
    return settled, ted_probs


def _summary(p: PolicyPrediction):
    return (
        p.policy_name,
        p.policy_priority,
        list(p.probabilities),
        list(p.events),
        p.is_end_to_end_prediction,
        p.is_no_user_prediction,
        p.hide_rule_turn,
    )


@pytest.mark.parametrize("seed", range(20))
def test_same_choice_as_rasa_with_ted_computed_only_when_it_can_win(seed):
    rng = random.Random(seed)
    for _ in range(200):
        settled, ted_probs = _case(rng)
        if not settled:
            continue
        order = rng.randrange(len(settled) + 1)
        eager = PolicyPrediction(list(ted_probs), "LazyTEDPolicy", 1)
        calls = []

        def compute(calls: list = calls, ted_probs: list = ted_probs) -> PolicyPrediction:
            calls.append(1)
            return PolicyPrediction(list(ted_probs), "LazyTEDPolicy", 1)

        lazy = LazyPrediction(compute, "LazyTEDPolicy", 1)
        expected = lazy_ted._original_pick_best_policy(settled[:order] + [eager] + settled[order:])
        got = lazy_ted._pick_best_policy(settled[:order] + [lazy] + settled[order:])
        assert _summary(got) == _summary(expected)
        # TED must be computed exactly when it is a candidate that could beat the best settled one
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
        assert bool(calls) == (not no_user and not e2e and best < (1.0, 1))
        if got.policy_name == "LazyTEDPolicy":
            assert calls


def test_a_certain_rule_prediction_skips_ted():
    rule = PolicyPrediction([0.0, 1.0, 0.0], "RulePolicy", 6)
    lazy = LazyPrediction(lambda: pytest.fail("TED was computed"), "LazyTEDPolicy", 1)
    assert lazy_ted._pick_best_policy([rule, lazy]).policy_name == "RulePolicy"
    assert not lazy.computed


def test_the_rule_fallback_lets_ted_win():
    rule = PolicyPrediction([0.3, 0.0, 0.0], "RulePolicy", 6)
    lazy = LazyPrediction(lambda: PolicyPrediction([0.1, 0.1, 0.8], "LazyTEDPolicy", 1), "LazyTEDPolicy", 1)
    best = lazy_ted._pick_best_policy([rule, lazy])
    assert (best.policy_name, best.max_confidence_index) == ("LazyTEDPolicy", 2)
    assert lazy.computed


def test_a_lazy_prediction_reads_like_the_computed_one():
    lazy = LazyPrediction(
        lambda: PolicyPrediction([0.2, 0.8], "LazyTEDPolicy", 1, diagnostic_data={"a": 1}), "LazyTEDPolicy", 1
    )
    assert not lazy.computed
    assert (lazy.max_confidence, lazy.diagnostic_data, lazy.events) == (0.8, {"a": 1}, [])
    assert lazy.computed
    with pytest.raises(AttributeError):
        _ = lazy.no_such_attribute
