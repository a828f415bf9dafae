"""The speed patches (bot/rasa_ext/speedups.py), installed by apply_patches, behave exactly as Rasa's own code."""

from __future__ import annotations

import pytest
from jsonschema import ValidationError, validate
from rasa.core.actions.action import RemoteAction

from bot.rasa_ext import speedups as rasa_speedups
from bot.rasa_ext.patches import apply_patches


@pytest.fixture(autouse=True, scope="module")
def _patched():
    assert apply_patches(environ={}), "the installed Rasa is the one the patches are written for"
    yield


VALID = [
    {"events": [{"event": "slot", "name": "x", "value": 1}], "responses": [{"text": "hi"}]},
    {},
    {"events": []},
    {
        "events": [
            {"event": "slot", "timestamp": None, "name": "x", "value": {"a": [1]}},
            {"event": "active_loop", "name": None},
            {"event": "followup", "name": "action_x"},
            {"event": "bot", "text": "hi", "data": {"buttons": []}, "metadata": {}},
            {
                "event": "user",
                "text": "hi",
                "parse_data": {"intent": {"name": "greet", "confidence": 1.0}, "entities": []},
            },
            {"event": "reset_slots"},
            {"event": "restart"},
            {"event": "session_started"},
        ],
        "responses": [{"text": "a", "buttons": [{"title": "t", "payload": "/p"}], "custom": {"signal": "x"}}],
    },
]
INVALID = [
    {"events": "nope"},
    {"events": [{"name": "x"}]},
    {"responses": "nope"},
    {"events": [{"event": "no_such_event"}]},  # unknown type
    {"events": [{"event": "slot", "name": 3, "value": 1}]},  # a branch's own field
    {"events": [{"event": "slot"}]},  # a branch's required field
    {"events": [{"event": "action", "name": "x", "timestamp": "x"}]},  # the common fields
    {"events": [{"event": "slot", "name": "x", "value": 1}, {"event": 7}]},
    {"events": [{"event": "user", "parse_data": {"entities": [{"entity": "x"}]}}]},
]


def test_the_fix_is_applied():
    assert RemoteAction._validate_action_result is rasa_speedups._validate_action_result


@pytest.mark.parametrize("result", VALID)
def test_valid_results_pass_like_jsonschema(result):
    validate(result, RemoteAction.action_response_format_spec())
    assert RemoteAction("action_x", None)._validate_action_result(result) is True


@pytest.mark.parametrize("result", INVALID)
def test_invalid_results_fail_like_jsonschema(result):
    with pytest.raises(ValidationError):
        validate(result, RemoteAction.action_response_format_spec())
    with pytest.raises(ValidationError, match="Failed to validate Action server response"):
        RemoteAction("action_x", None)._validate_action_result(result)


def test_event_types_resolve_to_the_same_classes_as_rasa():
    from rasa.shared.core.events import Event
    from rasa.shared.utils.common import all_subclasses

    assert Event.resolve_by_type is rasa_speedups._resolve_by_type
    for cls in all_subclasses(Event):
        expected = rasa_speedups._original_resolve_by_type(cls.type_name)
        assert Event.resolve_by_type(cls.type_name) is expected
    assert Event.resolve_by_type("topic") is None
    assert Event.resolve_by_type("no_such_event", default=Event) is Event
    with pytest.raises(ValueError, match="Unknown event name"):
        Event.resolve_by_type("no_such_event")


def test_an_event_class_defined_later_is_found():
    from rasa.shared.core.events import ActionExecuted, Event

    Event.resolve_by_type("action")  # the cache is built

    class LateEvent(ActionExecuted):
        type_name = "sz_late_test_event"

    assert Event.resolve_by_type("sz_late_test_event") is LateEvent


def _story_trackers():
    """Trackers of the training stories and rules and of the test stories, without augmentation."""
    from pathlib import Path

    from rasa.shared.core.domain import Domain
    from rasa.shared.core.generator import TrainingDataGenerator
    from rasa.shared.core.trackers import DialogueStateTracker
    from rasa.shared.core.training_data.loading import load_data_from_files
    from rasa.shared.core.training_data.structures import StoryGraph

    root = Path(__file__).resolve().parents[2]
    domain = Domain.load(str(root / "domain.yml"))
    files = [
        str(p)
        for d in ("bot/data/stories", "bot/data/rules", "tests/bot/stories")
        for p in sorted((root / d).glob("*.yml"))
    ]
    graph = StoryGraph(load_data_from_files(files, domain))
    generated = TrainingDataGenerator(graph, domain, remove_duplicates=False, augmentation_factor=0).generate()
    return domain, [DialogueStateTracker.from_events(t.sender_id, list(t.events), domain.slots) for t in generated]


def test_dialogue_states_are_rasas_own_for_every_prefix_of_every_story():
    import copy
    import random

    from rasa.shared.core.events import ActionExecuted
    from rasa.shared.core.trackers import DialogueStateTracker

    domain, trackers = _story_trackers()
    assert len(trackers) > 100
    rule_only = [None, {"slots": ["task_stage", "requested_slot"], "loops": ["item_form"]}]
    rng = random.Random(5)
    checked = 0
    for full in trackers:
        events = copy.deepcopy(list(full.events))
        for event in events:  # turns the RulePolicy predicted as rule-only are hidden from the ML policies
            if isinstance(event, ActionExecuted) and rng.random() < 0.3:
                event.hide_rule_turn = True
        tracker = DialogueStateTracker(full.sender_id, domain.slots)
        for event in events:  # one tracker growing event by event, as in a conversation
            tracker.update(event)
            for omit in (False, True):
                for ignore in (False, True):
                    for data in rule_only:
                        expected = rasa_speedups._original_states_for_tracker_history(
                            domain, tracker, omit, ignore, data
                        )
                        got = domain.states_for_tracker_history(tracker, omit, ignore, data)
                        assert got == expected
                        for state in got:  # callers modify what they get: the cache must not change
                            for sub_state in state.values():
                                sub_state.clear()
                        checked += 1
    assert checked > 10000


@pytest.mark.parametrize("seed", range(10))
def test_sparse_features_combine_exactly_like_scipy_hstack(seed):
    import numpy as np
    import scipy.sparse as sp

    rng = np.random.default_rng(seed)
    for _ in range(50):
        rows = int(rng.integers(1, 12))
        dtypes = [np.float32, np.float64, np.int64]
        left = sp.random(
            rows,
            int(rng.integers(1, 40)),
            density=float(rng.random()),
            format="coo",
            dtype=dtypes[int(rng.integers(3))],
            random_state=int(rng.integers(1 << 30)),
        )
        right = sp.random(
            rows,
            int(rng.integers(1, 40)),
            density=float(rng.random()),
            format="coo",
            dtype=dtypes[int(rng.integers(3))],
            random_state=int(rng.integers(1 << 30)),
        )
        expected, got = sp.hstack([left, right]), rasa_speedups.hstack_coo(left, right)
        assert type(got) is type(expected) and got.shape == expected.shape and got.dtype == expected.dtype
        for name in ("data", "row", "col"):  # same entries in the same order (what DIET's tensors are built from)
            assert getattr(got, name).dtype == getattr(expected, name).dtype
            assert np.array_equal(getattr(got, name), getattr(expected, name))


def test_message_features_combine_like_rasa():
    import numpy as np
    import scipy.sparse as sp
    from rasa.shared.nlu.training_data.features import Features

    def feature(matrix, origin):
        return Features(matrix, "sequence", "text", origin)

    a, b = sp.random(4, 7, density=0.4, format="coo"), sp.random(4, 3, density=0.4, format="coo")
    ours, theirs = feature(a, "x"), feature(a.copy(), "x")
    ours.combine_with_features(feature(b, "y"))
    rasa_speedups._original_combine_sparse_features(theirs, feature(b, "y"))
    assert np.array_equal(ours.features.toarray(), theirs.features.toarray())
    assert ours.fingerprint() == theirs.fingerprint()
    csr = feature(a.tocsr(), "x")  # not COO: Rasa's own code
    csr.combine_with_features(feature(b, "y"))
    assert np.array_equal(csr.features.toarray(), theirs.features.toarray())
    with pytest.raises(ValueError, match="sequence dimensions do not match"):
        feature(a, "x").combine_with_features(feature(sp.random(2, 3, format="coo"), "y"))


class _Node:
    """Stands in for a GraphNode: records its calls; its output depends on its arguments."""

    def __init__(self, name, calls, fail=None):
        self.name, self.calls, self.fail = name, calls, fail

    def __call__(self, *inputs):
        self.calls.append((self.name, inputs))
        if self.fail is not None:
            raise self.fail
        return self.name, f"{self.name}({', '.join(map(repr, inputs))})"


def _runner(nodes, calls, fail=None):
    from rasa.engine.graph import GraphComponent, GraphSchema, SchemaNode
    from rasa.engine.runner.dask import DaskGraphRunner

    runner = object.__new__(DaskGraphRunner)  # nodes without components: the runner only calls them
    runner._graph_schema = GraphSchema(
        {
            name: SchemaNode(
                needs=needs,
                uses=GraphComponent,
                constructor_name="create",
                fn="process",
                config={},
                is_target=is_target,
            )
            for name, (needs, is_target) in nodes.items()
        }
    )
    runner._instantiated_nodes = {name: _Node(name, calls, fail if name == "n0" else None) for name in nodes}
    runner._execution_context = None  # only logged
    return runner


def _random_graph(rng):
    """A random DAG of nodes n0..nk; needs name earlier nodes or placeholders (given as inputs or not)."""
    nodes = {}
    for i in range(rng.randint(1, 14)):
        sources = [f"n{j}" for j in range(i)] + ["__message__", "__tracker__", "__missing__"]
        needs = {f"arg{k}": rng.choice(sources) for k in range(rng.randint(0, 3))}
        nodes[f"n{i}"] = (needs, rng.random() < 0.3)
    return nodes


def _outcome(run, runner, inputs, targets):
    try:
        return "ok", run(runner, inputs, targets)
    except Exception as e:  # noqa: BLE001 - the same error is the point
        return "error", type(e), str(e), type(e.__cause__), str(e.__cause__)


@pytest.mark.parametrize("seed", range(20))
def test_graph_runs_call_the_same_nodes_in_dasks_order(seed):
    import random

    from rasa.engine.runner.dask import DaskGraphRunner

    assert DaskGraphRunner.run is rasa_speedups._run_graph
    rng = random.Random(seed)
    for _ in range(40):
        nodes = _random_graph(rng)
        names = list(nodes) + ["__message__", "__tracker__"]
        inputs = {name: [f"value of {name}"] for name in rng.sample(["__message__", "__tracker__"], rng.randint(0, 2))}
        if rng.random() < 0.2:  # an input replaces a node, or clashes with one's name
            inputs[rng.choice(list(nodes))] = rng.choice(["replaced", rng.choice(names)])
        targets = rng.choice([None, rng.sample(names, rng.randint(1, min(4, len(names))))])
        fail = rng.choice([None, None, RuntimeError("boom"), ValueError("bad")])
        ours_calls, rasas_calls = [], []
        ours_runner, rasas_runner = _runner(nodes, ours_calls, fail), _runner(nodes, rasas_calls, fail)
        for _repeat in range(2):  # the second run reuses the schedule stored on the runner
            ours_calls.clear()
            rasas_calls.clear()
            ours = _outcome(DaskGraphRunner.run, ours_runner, dict(inputs), targets)
            rasas = _outcome(rasa_speedups._original_graph_run, rasas_runner, dict(inputs), targets)
            assert ours == rasas
            assert ours_calls == rasas_calls


def test_graph_schedule_is_kept_per_targets_and_inputs():
    from rasa.engine.runner.dask import DaskGraphRunner

    nodes = {
        "n0": ({"m": "__message__"}, False),
        "n1": ({"x": "n0"}, True),
        "n2": ({"t": "__tracker__", "x": "n0"}, True),
    }
    runner, rasas = _runner(nodes, []), _runner(nodes, [])
    for inputs, targets in (
        ({"__message__": 1}, ["n1"]),
        ({"__message__": 2, "__tracker__": 3}, ["n2"]),
        ({"__message__": 4}, ["n1"]),
    ):
        got = DaskGraphRunner.run(runner, inputs, targets)
        assert got == rasa_speedups._original_graph_run(rasas, inputs, targets)
        assert repr(inputs["__message__"]) in got[targets[0]]  # this run's input, not a stored one
    assert set(runner._sz_plans) == {(("n1",), ("__message__",)), (("n2",), ("__message__", "__tracker__"))}
