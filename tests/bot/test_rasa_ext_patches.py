"""apply_patches (bot/rasa_ext/patches.py): installed only on the Rasa version they are written for,
and unless switched off; Rasa's own functions stay otherwise. The launcher applies them.

The equivalence of each patch with Rasa's code: tests/bot/test_rasa_ext_speedups.py; a
conversation with the patches off: tests/bot/test_rasa_ext_stack.py.
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from pathlib import Path
from typing import Iterator

import pytest
from rasa.core.actions.action import RemoteAction
from rasa.engine.runner.dask import DaskGraphRunner
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import Event
from rasa.shared.nlu.training_data.features import Features

from bot.rasa_ext import patches, speedups

REPO = Path(__file__).resolve().parents[2]


def _rasas_own() -> bool:
    return (
        RemoteAction._validate_action_result is speedups._original_validate_action_result
        and Event.resolve_by_type is speedups._original_resolve_by_type
        and Domain.states_for_tracker_history is speedups._original_states_for_tracker_history
        and Features._combine_sparse_features is speedups._original_combine_sparse_features
        and DaskGraphRunner.run is speedups._original_graph_run
    )


def _all_patched() -> bool:
    return (
        RemoteAction._validate_action_result is speedups._validate_action_result
        and Event.resolve_by_type is speedups._resolve_by_type
        and Domain.states_for_tracker_history is speedups._states_for_tracker_history
        and Features._combine_sparse_features is speedups._combine_sparse_features
        and DaskGraphRunner.run is speedups._run_graph
    )


@pytest.fixture(autouse=True)
def _unpatched() -> Iterator[None]:
    """Each test starts from Rasa's own functions; the previous state is restored afterwards."""
    was = speedups.installed()
    speedups.uninstall()
    assert _rasas_own()
    yield
    speedups.install() if was else speedups.uninstall()


def test_importing_the_extensions_patches_nothing() -> None:
    code = (
        "import bot.rasa_ext, bot.rasa_ext.patches, bot.rasa_ext.speedups, bot.rasa_ext.tracker_store, "
        "bot.rasa_ext.lock_store, bot.components, bot.actions\n"
        "from rasa.engine.runner.dask import DaskGraphRunner\n"
        "from bot.rasa_ext import speedups\n"
        "print(DaskGraphRunner.run is speedups._original_graph_run)"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=300)
    assert out.stdout.strip().splitlines()[-1:] == ["True"], out.stderr[-3000:]


def test_on_the_supported_version_every_patch_is_installed(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger=patches.__name__):
        assert patches.apply_patches(environ={}) is True
    assert _all_patched() and not caplog.records
    assert patches.apply_patches(environ={}) is True and _all_patched()  # idempotent


@pytest.mark.parametrize("version", ["3.6.20", "3.7.0", "3.6.21rc1", "4.0.0"])
def test_another_rasa_version_gets_no_patch_and_a_warning(version: str, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger=patches.__name__):
        assert patches.apply_patches(rasa_version=version, environ={}) is False
    assert _rasas_own()
    warning = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warning) == 1 and version in warning[0].getMessage() and "3.6.21" in warning[0].getMessage()


def test_the_installed_version_is_read_from_rasa(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    import rasa

    monkeypatch.setattr(rasa, "__version__", "3.7.1")
    with caplog.at_level(logging.WARNING, logger=patches.__name__):
        assert patches.apply_patches(environ={}) is False
    assert _rasas_own() and "3.7.1" in caplog.text


@pytest.mark.parametrize("value", ["off", "OFF", "0", "false", "no", " off "])
def test_the_switch_turns_them_off(value: str) -> None:
    assert patches.apply_patches(environ={patches.SWITCH_ENV: value}) is False
    assert _rasas_own()


@pytest.mark.parametrize("value", ["on", "1", "yes", ""])
def test_other_switch_values_leave_them_on(value: str) -> None:
    assert patches.apply_patches(environ={patches.SWITCH_ENV: value}) is True and _all_patched()


def test_the_switch_is_read_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(patches.SWITCH_ENV, "off")
    assert patches.apply_patches() is False and _rasas_own()
    monkeypatch.delenv(patches.SWITCH_ENV)
    assert patches.apply_patches() is True and _all_patched()


def test_uninstall_restores_rasas_functions() -> None:
    speedups.install()
    assert _all_patched()
    speedups.uninstall()
    assert _rasas_own()


def test_the_launcher_is_rasas_command_line_with_the_patches() -> None:
    code = (
        "import sys, runpy\n"
        "from rasa.engine.runner.dask import DaskGraphRunner\n"
        "from bot.rasa_ext import speedups\n"
        "sys.argv = ['x', '--version']\n"
        "try:\n"
        "    runpy.run_module('bot.rasa_ext', run_name='__main__')\n"
        "finally:\n"
        "    print('patched:', DaskGraphRunner.run is speedups._run_graph)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
        env={**{k: v for k, v in os.environ.items() if k != patches.SWITCH_ENV}, "RASA_TELEMETRY_ENABLED": "false"},
    )
    assert "Rasa Version      :         3.6.21" in out.stdout and "patched: True" in out.stdout, out.stderr[-3000:]


# The two patches that install themselves with the model's components pass the same gate.
_SELF_INSTALLING = (
    "import rasa\n"
    "{set_version}"
    "import bot.components\n"  # applies the retrieval-payload fix (bot/retrieval_payload.py)
    "from bot.components import lazy_ted\n"
    "from rasa.core.actions.action import ActionRetrieveResponse\n"
    "from rasa.core.policies.ensemble import DefaultPolicyPredictionEnsemble as E\n"
    "print('ensemble:', E._pick_best_policy is lazy_ted._pick_best_policy,"
    " 'payload:', getattr(ActionRetrieveResponse.run, '_sz_payload_fix', False))\n"
)


@pytest.mark.parametrize(
    "version, switch, patched",
    [("3.6.21", "", True), ("3.7.0", "", False), ("3.6.20", "", False), ("3.6.21", "off", False)],
)
def test_lazy_ted_and_the_payload_fix_follow_the_same_gate(version: str, switch: str, patched: bool) -> None:
    code = _SELF_INSTALLING.format(set_version=f"rasa.__version__ = {version!r}\n")
    env = {**os.environ, patches.SWITCH_ENV: switch, "RASA_TELEMETRY_ENABLED": "false"}
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=300, env=env)
    assert out.stdout.strip().splitlines()[-1:] == [f"ensemble: {patched} payload: {patched}"], out.stderr[-3000:]
    if version != "3.6.21":
        assert version in out.stderr and "not applied" in out.stderr


def test_without_the_patched_ensemble_lazy_ted_is_plain_ted(monkeypatch: pytest.MonkeyPatch) -> None:
    """Rasa's own ensemble would read a LazyPrediction's attributes one by one: without the
    patched ensemble the policy gives TED's computed prediction, as TEDPolicy does."""
    from rasa.core.policies.policy import PolicyPrediction
    from rasa.core.policies.ted_policy import TEDPolicy

    from bot.components import lazy_ted

    computed = PolicyPrediction([0.2, 0.8], "LazyTEDPolicy", 1)
    monkeypatch.setattr(TEDPolicy, "predict_action_probabilities", lambda self, *a, **k: computed)
    policy = object.__new__(lazy_ted.LazyTEDPolicy)
    policy.model = object()  # a trained model, no end-to-end features
    policy.priority = 1
    was = lazy_ted.installed()
    try:
        lazy_ted.install()
        assert isinstance(policy.predict_action_probabilities(None, None), lazy_ted.LazyPrediction)  # type: ignore[arg-type]
        lazy_ted.uninstall()
        assert policy.predict_action_probabilities(None, None) is computed  # type: ignore[arg-type]
    finally:
        lazy_ted.install() if was else lazy_ted.uninstall()
