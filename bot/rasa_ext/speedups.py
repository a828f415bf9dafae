"""Measured speed fixes for Rasa 3.6 (see docs/benchmarks.md), same behaviour.

1. Remote action calls: validating the action server's response.

`RemoteAction._validate_action_result` calls `jsonschema.validate`, which checks
the schema itself before validating, on every action call: ~22 ms of CPU per
call on the 2-core benchmark machine, two calls per backend-calling turn, about
half of the Rasa server's CPU per turn. A validator built once does the same
validation in ~2 ms for a typical response: most of that is the schema's
`oneOf` over 23 event types, which tries every branch for every event. The
branches are told apart by the constant `event`, so an event can only ever
match the branch of its own type: validating it against that branch alone
accepts and rejects exactly the same events (~0.2 ms per response); an event of
unknown type goes through the full schema for Rasa's own error message.
Same checks, same error type and message (tests/bot/test_rasa_ext_speedups.py).

2. Reading a tracker: `Event.resolve_by_type` walks every subclass of `Event`
   (with `inspect.isabstract` on each) for every stored event it deserialises:
   ~13 % of the Rasa server's CPU per turn in the py-spy profile. A dict from
   type name to class, built once and rebuilt when a name is missing (a class
   defined later), returns the same class: the first match in Rasa's order.

3. Dialogue states: every policy turns the tracker into its list of past states
   (`Domain.states_for_tracker_history`), which replays the whole session event
   by event; RulePolicy does it twice per prediction and MemoizationPolicy and
   TED once more each. The replay (the state at each action, and what decides
   which turns are hidden from the ML policies) is kept on the tracker object
   for its current events and shared by these calls; each call still builds
   its own copies of the states, as the featurizers modify them.

4. Combining sparse features: before DIET, each message's sparse features from
   the four featurizers are joined side by side with `scipy.sparse.hstack`,
   pairwise, for tokens and sentence: ~7 % of the Rasa server's CPU per turn,
   mostly scipy's general block-matrix code. For two COO matrices the same
   result (entries, their order, dtypes, shape) is three array concatenations.

5. Running the model graph: for every message and every prediction (3-4 runs
   per turn) Rasa's DaskGraphRunner rebuilds the minimal schema for its targets
   (a recursive walk with list concatenation) and hands dask a new graph to
   order and schedule: ~12 % of the Rasa server's CPU per turn, for a pipeline
   that is a chain of 14 nodes. Which nodes run, and in which order, depends
   only on the schema, the targets and the names of the inputs, so it is found
   once for each of these, by letting dask itself schedule the same graph with
   stand-in tasks that only record their turn. Later runs call the same nodes
   with the same arguments in that order: the nodes see exactly what dask
   gives them, errors are raised and wrapped the same way.

Installed by `bot.rasa_ext.patches.apply_patches` (only on the Rasa version they were
written for, and unless switched off), never on import.
"""

from __future__ import annotations

import copy
from functools import lru_cache
from typing import Any, Dict, List, Optional, Text, Tuple

import dask
import numpy as np
import rasa.shared.core.constants as core_constants
import scipy.sparse
from jsonschema import ValidationError
from jsonschema.validators import validator_for
from rasa.core.actions.action import RemoteAction
from rasa.engine.exceptions import GraphRunError
from rasa.engine.runner.dask import DaskGraphRunner
from rasa.shared.constants import DOCS_BASE_URL
from rasa.shared.core.domain import Domain, State
from rasa.shared.core.events import Event
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.nlu.training_data.features import Features
from rasa.shared.utils.common import all_subclasses


@lru_cache(maxsize=1)
def _validator() -> Any:
    schema = RemoteAction.action_response_format_spec()
    cls = validator_for(schema)
    cls.check_schema(schema)  # once, instead of on every call
    return cls(schema)


@lru_cache(maxsize=1)
def _event_validators() -> Optional[Tuple[Any, Dict[str, Any]]]:
    """(validator of the response without the events' oneOf, {event type: validator of one event}),
    or None when the schema's event branches are not told apart by a constant `event`."""
    schema = RemoteAction.action_response_format_spec()
    cls = validator_for(schema)
    items = schema.get("properties", {}).get("events", {}).get("items", {})
    branches = items.get("oneOf") or []
    base_item = {k: v for k, v in items.items() if k != "oneOf"}
    by_type: Dict[str, Any] = {}
    for branch in branches:
        const = branch.get("properties", {}).get("event", {}).get("const")
        if not isinstance(const, str) or const in by_type:
            return None
        by_type[const] = cls({"allOf": [base_item, branch]})
    if not by_type:
        return None
    outer = copy.deepcopy(schema)
    outer["properties"]["events"]["items"] = base_item
    return cls(outer), by_type


def _validate(result: Any) -> None:
    split = _event_validators()
    if split is None:
        _validator().validate(result)
        return
    outer, by_type = split
    outer.validate(result)  # the response's shape and each event's common fields
    events = result.get("events") if isinstance(result, dict) else None
    for event in events or []:
        validator = by_type.get(event.get("event"))
        if validator is None:  # unknown event type: Rasa's own message
            _validator().validate(result)
        else:
            validator.validate(event)


_original_validate_action_result = RemoteAction._validate_action_result


def _validate_action_result(self: RemoteAction, result: Dict[Text, Any]) -> bool:
    try:
        _validate(result)
        return True
    except ValidationError as e:
        e.message += (
            ". Failed to validate Action server response from API, make sure your response from the Action "
            f"endpoint is valid. For more information about the format visit {DOCS_BASE_URL}/custom-actions"
        )
        raise e


_original_resolve_by_type = Event.resolve_by_type
_event_classes: Dict[str, Any] = {}


def _resolve_by_type(type_name: Text, default: Optional[Any] = None) -> Optional[Any]:
    cls = _event_classes.get(type_name)
    if cls is None:
        classes: Dict[str, Any] = {}
        for subclass in all_subclasses(Event):  # Rasa's order: the first match wins
            classes.setdefault(subclass.type_name, subclass)
        _event_classes.clear()
        _event_classes.update(classes)
        cls = _event_classes.get(type_name)
    if cls is not None:
        return cls
    return _original_resolve_by_type(type_name, default)  # "topic", default, or Rasa's ValueError


# (state at the action, hide_rule_turn, previous action sub-state, whether this turn updates "hidden")
_Step = Tuple[State, bool, Optional[Dict[Text, Text]], bool]
_original_states_for_tracker_history = Domain.states_for_tracker_history


def _replay(domain: Domain, tracker: DialogueStateTracker, omit_unset_slots: bool) -> List[_Step]:
    """What Rasa's loop reads from each prior tracker, computed once per tracker and events."""
    events = tracker.events
    key = (id(domain), len(events), id(events[-1]) if events else None)
    cache = tracker.__dict__.get("_sz_replay")
    if cache is None or cache[0] != key:
        cache = (key, {})  # events changed: forget older replays
        tracker.__dict__["_sz_replay"] = cache
    steps = cache[1].get(omit_unset_slots)
    if steps is None:
        steps = [
            (
                domain.get_active_state(tr, omit_unset_slots=omit_unset_slots),
                hide,
                domain._get_prev_action_sub_state(tr),
                not tr.followup_action and not tr.latest_action_name == tr.active_loop_name,
            )
            for tr, hide in tracker.generate_all_prior_trackers()
        ]
        cache[1][omit_unset_slots] = steps
    return steps


def _copy_state(state: State) -> State:
    return {kind: dict(sub_state) for kind, sub_state in state.items()}  # sub-state values are immutable


def _states_for_tracker_history(
    self: Domain,
    tracker: DialogueStateTracker,
    omit_unset_slots: bool = False,
    ignore_rule_only_turns: bool = False,
    rule_only_data: Optional[Dict[Text, Any]] = None,
) -> List[State]:
    """Rasa's `Domain.states_for_tracker_history` on the cached replay (same loop, same results)."""
    if type(tracker) is not DialogueStateTracker:  # training trackers cache their states their own way
        return _original_states_for_tracker_history(
            self, tracker, omit_unset_slots, ignore_rule_only_turns, rule_only_data
        )
    states: List[State] = []
    last_ml_action_sub_state = None
    turn_was_hidden = False
    for cached_state, hide_rule_turn, prev_action_sub_state, updates_hidden in _replay(self, tracker, omit_unset_slots):
        if ignore_rule_only_turns:
            if not turn_was_hidden:
                last_ml_action_sub_state = prev_action_sub_state
            if updates_hidden:
                turn_was_hidden = hide_rule_turn
            if turn_was_hidden:
                continue
        state = _copy_state(cached_state)
        if ignore_rule_only_turns:
            self._remove_rule_only_features(state, rule_only_data)
            if states:
                self._substitute_rule_only_user_input(state, states[-1])
            if last_ml_action_sub_state:
                state[core_constants.PREVIOUS_ACTION] = dict(last_ml_action_sub_state)
        states.append(self._clean_state(state))
    return states


_original_combine_sparse_features = Features._combine_sparse_features


def hstack_coo(left: Any, right: Any) -> Any:
    """`scipy.sparse.hstack([left, right])` of two COO matrices with the same number of rows."""
    dtype = np.result_type(left.dtype, right.dtype)
    return scipy.sparse.coo_matrix(
        (
            np.concatenate([left.data.astype(dtype, copy=False), right.data.astype(dtype, copy=False)]),
            (np.concatenate([left.row, right.row]), np.concatenate([left.col, right.col + left.shape[1]])),
        ),
        shape=(left.shape[0], left.shape[1] + right.shape[1]),
    )


def _combine_sparse_features(self: Features, additional_features: Features) -> None:
    left, right = self.features, additional_features.features
    if (
        not (scipy.sparse.isspmatrix_coo(left) and scipy.sparse.isspmatrix_coo(right))
        or left.shape[0] != right.shape[0]
    ):
        _original_combine_sparse_features(self, additional_features)  # other formats, Rasa's error
        return
    self.features = hstack_coo(left, right)
    self._cached_fingerprint = None


_original_graph_run = DaskGraphRunner.run


class _Plan:
    """What dask does for one set of targets and input names: the keys of the graph Rasa builds,
    and the nodes it runs (with their needs in the schema's order), in dask's order."""

    def __init__(self, runner: DaskGraphRunner, targets: Tuple[Text, ...], input_names: Tuple[Text, ...]) -> None:
        schema = runner._graph_schema.minimal_graph_schema(list(targets))
        self.node_names = tuple(schema.nodes)
        ran: List[Text] = []

        def stand_in(name: Text) -> Any:
            def record(*_: Any) -> Tuple[Text, None]:
                ran.append(name)
                return name, None

            return record

        # the graph DaskGraphRunner builds, with stand-ins for the nodes and the inputs' values
        graph: Dict[Text, Any] = {name: (stand_in(name), *node.needs.values()) for name, node in schema.nodes.items()}
        graph.update({name: (name, None) for name in input_names})
        dask.get(graph, list(targets))
        self.steps = [(name, tuple(schema.nodes[name].needs.values())) for name in ran]


def _run_graph(
    self: DaskGraphRunner, inputs: Optional[Dict[Text, Any]] = None, targets: Optional[List[Text]] = None
) -> Dict[Text, Any]:
    """Rasa's `DaskGraphRunner.run`, with dask's schedule for these targets and inputs reused."""
    inputs = inputs or {}
    run_targets = tuple(targets if targets else self._graph_schema.target_names)
    if any(t not in self._graph_schema.nodes and t not in inputs for t in run_targets):
        return _original_graph_run(self, inputs, targets)  # a target nothing provides: Rasa's error
    plans: Dict[Any, _Plan] = self.__dict__.setdefault("_sz_plans", {})
    key = (run_targets, tuple(inputs))
    plan = plans.get(key)
    if plan is None:
        plan = plans[key] = _Plan(self, *key)
    self._add_inputs_to_graph(inputs, dict.fromkeys(plan.node_names))  # Rasa's name-clash check
    try:
        results: Dict[Text, Any] = {name: (name, value) for name, value in inputs.items()}  # as dask passes them
        nodes = self._instantiated_nodes
        for name, needs in plan.steps:
            # dask passes a need it has no value for (a placeholder without input) as its name
            results[name] = nodes[name](*(results.get(need, need) for need in needs))
    except RuntimeError as e:
        raise GraphRunError("Error running runner.") from e
    return dict(results[t] for t in run_targets)


def install() -> None:
    """Replace the five Rasa functions (no checks: call `bot.rasa_ext.patches.apply_patches`)."""
    RemoteAction._validate_action_result = _validate_action_result  # type: ignore[assignment]
    Event.resolve_by_type = staticmethod(_resolve_by_type)  # type: ignore[assignment]
    Domain.states_for_tracker_history = _states_for_tracker_history  # type: ignore[assignment]
    Features._combine_sparse_features = _combine_sparse_features  # type: ignore[assignment]
    DaskGraphRunner.run = _run_graph  # type: ignore[assignment]


def installed() -> bool:
    return DaskGraphRunner.run is _run_graph


def uninstall() -> None:
    """Put Rasa's own functions back (tests compare both)."""
    RemoteAction._validate_action_result = _original_validate_action_result  # type: ignore[assignment]
    Event.resolve_by_type = staticmethod(_original_resolve_by_type)  # type: ignore[assignment]
    Domain.states_for_tracker_history = _original_states_for_tracker_history  # type: ignore[assignment]
    Features._combine_sparse_features = _original_combine_sparse_features  # type: ignore[assignment]
    DaskGraphRunner.run = _original_graph_run  # type: ignore[assignment]
