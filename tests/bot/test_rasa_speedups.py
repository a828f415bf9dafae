"""The cached action-result validator accepts and rejects exactly what Rasa's own does."""
from __future__ import annotations

import pytest
from jsonschema import ValidationError, validate
from rasa.core.actions.action import RemoteAction

import bot.components  # noqa: F401 - applies the fix
from bot import rasa_speedups

VALID = [{"events": [{"event": "slot", "name": "x", "value": 1}], "responses": [{"text": "hi"}]}, {}, {"events": []}]
INVALID = [{"events": "nope"}, {"events": [{"name": "x"}]}, {"responses": "nope"}]


def test_the_fix_is_applied_on_import():
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
