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
Same checks, same error type and message (tests/bot/test_rasa_speedups.py).

2. Reading a tracker: `Event.resolve_by_type` walks every subclass of `Event`
   (with `inspect.isabstract` on each) for every stored event it deserialises:
   ~13 % of the Rasa server's CPU per turn in the py-spy profile. A dict from
   type name to class, built once and rebuilt when a name is missing (a class
   defined later), returns the same class: the first match in Rasa's order.

Applied when the Rasa server loads our NLU components (bot/components/__init__.py).
"""
from __future__ import annotations

import copy
from functools import lru_cache
from typing import Any, Dict, Optional, Text, Tuple

from jsonschema import ValidationError
from jsonschema.validators import validator_for
from rasa.core.actions.action import RemoteAction
from rasa.shared.core.events import Event
from rasa.shared.utils.common import all_subclasses
from rasa.shared.constants import DOCS_BASE_URL


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


def apply() -> None:
    RemoteAction._validate_action_result = _validate_action_result  # type: ignore[assignment]
    Event.resolve_by_type = staticmethod(_resolve_by_type)  # type: ignore[assignment]
