"""Fixtures shared by the assistant's tests, and the split between fast and end-to-end tests.

The assistant's tests run in development mode: the built-in development secrets (tracker store
key, channel service key) are accepted, as scripts/run.sh accepts them. The security tests that
show them refused outside development mode unset it themselves (docs/security.md).

Helpers (classes and functions, not fixtures) live in two modules of this directory, imported
by name (pytest puts this directory on sys.path, as for this file): channel_fixtures.py (the real
backend process, the Sanic server for channel blueprints, the stand-ins for Rasa and for WeChat's
API) and stack.py (the whole assistant as separate processes).

Fixtures (a test module may define its own of the same name to differ):
- ``backend_url`` (module): a REAL backend process for the module, its own database.
- ``client`` (function): the actions' backend client pointed at ``backend_url``, clock pinned to
  ``NOW`` (modules whose every test needs it: ``pytestmark = pytest.mark.usefixtures("client")``).
- ``fake_api`` (module): a ``FakeWeChatAPI`` for the module's ``APP_ID`` and ``APP_SECRET``.
- ``bot`` (module): a ``FakeBot`` (Rasa's stand-in) answering with the module's ``script``.
- ``stack`` (module): the whole assistant (backend, action server, Rasa) for the module, with the
  module's ``stack_credentials(st)`` (default: the REST channel only).

End-to-end tests: every test that uses a fixture starting processes or loading the trained
model (``E2E_FIXTURES``) or is marked ``slow``, and every test of a module that starts processes
in its tests (``E2E_MODULES``), is marked ``e2e``; ``pytest -m "not e2e" tests/bot`` runs the
others, which start no process and need no trained model.
"""

from __future__ import annotations

import os
from typing import Any, Callable, Dict, Iterator, List

import pytest
from channel_fixtures import NOW, FakeBot, FakeWeChatAPI, start_backend
from stack import Stack, run_stack

os.environ.setdefault("SZ_DEV_MODE", "1")

# Fixtures that start processes (a backend, a stack, Rasa, a message broker, a browser's Node.js)
# or need the trained model (agent: loads it, trains one when models/ has none).
E2E_FIXTURES = frozenset(
    {
        "agent",
        "backend_url",
        "backend",
        "stack",
        "scaleout",
        "rest_server",
        "page_server",
        "browser_tools",
        "node",
        "rabbitmq",
        "database",
    }
)
# Modules whose tests start processes themselves (subprocess, their own stack starters).
E2E_MODULES = frozenset(
    {
        "test_analytics_broker",
        "test_catalogue_agreement",
        "test_rasa_ext_patches",
        "test_scaleout",
        "test_security_rasa",
        "test_widget_browser",
        "test_window_console_browser",
        "test_window_e2e",
    }
)


def pytest_collection_modifyitems(config: pytest.Config, items: List[pytest.Item]) -> None:
    for item in items:
        module = item.path.stem
        if (
            module in E2E_MODULES
            or item.get_closest_marker("slow") is not None
            or E2E_FIXTURES.intersection(getattr(item, "fixturenames", ()))
        ):
            item.add_marker(pytest.mark.e2e)


@pytest.fixture(scope="module")
def backend_url(tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest) -> Iterator[str]:
    """A real backend process (temporary SQLite, demo people, clock pinned to NOW) for the module."""
    yield from start_backend(tmp_path_factory.mktemp(f"{request.path.stem}-backend"))


@pytest.fixture
def client(backend_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """The actions' BackendClient against ``backend_url`` (installed as the actions' client)."""
    from bot.actions import backend_client

    monkeypatch.setenv("SZ_NOW", NOW)
    c = backend_client.BackendClient(backend_url, timeout=(2, 10))
    backend_client.set_client(c)
    yield c
    backend_client.set_client(None)


@pytest.fixture(scope="module")
def fake_api(request: pytest.FixtureRequest) -> Iterator[FakeWeChatAPI]:
    """A running ``FakeWeChatAPI`` for the test module's ``APP_ID`` and ``APP_SECRET``."""
    api = FakeWeChatAPI(request.module.APP_ID, request.module.APP_SECRET).start()
    yield api
    api.stop()


@pytest.fixture(scope="module")
def bot(request: pytest.FixtureRequest) -> FakeBot:
    """Stands in for Rasa: answers with the module's ``script(text, metadata)``."""
    return FakeBot(request.module.script)


def _rest_only(st: Stack) -> Dict[str, Any]:
    return {"rest": None}


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest) -> Iterator[Stack]:
    """The whole assistant for the module: credentials from its ``stack_credentials(st)`` (REST only
    when it has none)."""
    credentials: Callable[[Stack], Dict[str, Any]] = getattr(request.module, "stack_credentials", _rest_only)
    yield from run_stack(tmp_path_factory.mktemp(request.path.stem), credentials)
