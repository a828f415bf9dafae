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
