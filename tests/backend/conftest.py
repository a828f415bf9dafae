"""Fixtures for the backend suite.

Every test gets its own database, copied from a migrated and seeded template:
SQLite by default, PostgreSQL when TEST_DATABASE=postgres (the README's test
command runs the suite both ways). The clock is pinned to a working day inside
the payment window unless a test pins it elsewhere.
"""

from __future__ import annotations

import json
import os
import shutil
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

os.environ.setdefault("SZ_BACKEND_NOW", "2026-11-27T10:00:00+08:00")  # a Friday, 10:00 Beijing time
os.environ.setdefault("SZ_BACKEND_PUBLIC_URL", "http://testserver")
os.environ.setdefault("SZ_PASSWORD_HASH", "fast")  # Argon2id with small costs: see services/identity.py
os.environ.setdefault(
    "SZ_DEV_MODE", "1"
)  # development secrets and the SMS outbox (tests/backend/test_security*.py checks without)

from fastapi.testclient import TestClient  # noqa: E402
from sqlalchemy import create_engine, text  # noqa: E402

from sz_backend.persistence import db as dbmod  # noqa: E402

BACKEND = os.environ.get("TEST_DATABASE", "sqlite")
PG_ADMIN_URL = os.environ.get("TEST_PG_ADMIN_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
DEMO_PASSWORD = "Demo@2026"


def _reset_caches() -> None:
    """Close pools and forget the settings so the next session uses DATABASE_URL anew."""
    dbmod.reset()


def _pg_admin():
    engine = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            conn.execute(text("select 1"))
    except Exception as err:  # noqa: BLE001
        engine.dispose()
        if os.environ.get("CI") == "true":
            pytest.fail(f"PostgreSQL is required under CI=true but is not reachable: {err}")
        pytest.skip(f"PostgreSQL not reachable at 127.0.0.1:5432 ({type(err).__name__}); skipping")
    return engine


def _pg_url(name: str) -> str:
    return PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + name


def _build(url: str) -> None:
    from sz_backend.cli import migrate, seed

    os.environ["DATABASE_URL"] = url
    _reset_caches()
    migrate(url)
    seed()
    _reset_caches()


@pytest.fixture(scope="session")
def template(tmp_path_factory) -> Iterator[str]:
    saved = os.environ.get("DATABASE_URL")
    if BACKEND == "postgres":
        admin = _pg_admin()
        name = f"sz_tmpl_{uuid.uuid4().hex[:10]}"
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        _build(_pg_url(name))
        yield name
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
    else:
        path = tmp_path_factory.mktemp("db") / "template.sqlite3"
        _build(f"sqlite:///{path}")
        yield str(path)
    if saved is None:
        os.environ.pop("DATABASE_URL", None)
    else:
        os.environ["DATABASE_URL"] = saved


@pytest.fixture
def db(template: str, tmp_path, monkeypatch) -> Iterator[str]:
    """A fresh copy of the seeded template; returns its URL."""
    if BACKEND == "postgres":
        admin = _pg_admin()
        name = f"sz_t_{uuid.uuid4().hex[:12]}"
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{template}"'))
        url = _pg_url(name)
    else:
        target = tmp_path / "backend.sqlite3"
        shutil.copy(template, target)
        url = f"sqlite:///{target}"
    monkeypatch.setenv("DATABASE_URL", url)
    _reset_caches()
    yield url
    _reset_caches()
    if BACKEND == "postgres":
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _first_difference(sent: Any, built: Any, path: str = "") -> str:
    if isinstance(sent, dict) and isinstance(built, dict):
        if list(sent) != list(built):
            return f"{path or '/'}: keys sent {list(sent)}, built {list(built)}"
        for key in built:
            if json.dumps(sent[key]) != json.dumps(built[key]):
                return _first_difference(sent[key], built[key], f"{path}/{key}")
    if isinstance(sent, list) and isinstance(built, list) and len(sent) == len(built):
        for i, (a, b) in enumerate(zip(sent, built, strict=True)):
            if json.dumps(a) != json.dumps(b):
                return _first_difference(a, b, f"{path}/{i}")
    return f"{path or '/'}: sent {sent!r:.200}, built {built!r:.200}"


@pytest.fixture(autouse=True, scope="session")
def responses_keep_their_bytes() -> Iterator[None]:
    """Every JSON answer of the suite leaves as the handler built it: the response models
    (api/responses.py) check and document the bodies but must not drop, add, retype or
    reorder a key. A handler key the model does not declare fails here (the model would
    filter it out of the wire)."""
    import fastapi.routing
    from fastapi.encoders import jsonable_encoder

    original = fastapi.routing.serialize_response

    async def checked(*, response_content: Any, **kwargs: Any) -> Any:
        sent = await original(response_content=response_content, **kwargs)
        if kwargs.get("field") is not None and isinstance(response_content, (dict, list)):
            wire = json.loads(sent) if isinstance(sent, (bytes, str)) else sent
            expected = jsonable_encoder(response_content)
            assert json.dumps(wire, ensure_ascii=False) == json.dumps(expected, ensure_ascii=False), (
                f"the response model changed the body at {_first_difference(wire, expected)}"
            )
        return sent

    fastapi.routing.serialize_response = checked  # type: ignore[assignment]
    yield
    fastapi.routing.serialize_response = original


@pytest.fixture
def client(db: str) -> TestClient:
    from sz_backend.api.app import app

    return TestClient(app)


def login(client: TestClient, username: str, channel: str = "web") -> dict[str, str]:
    """Headers of a logged-in demo person."""
    resp = client.post(
        "/auth/login", json={"username": username, "password": DEMO_PASSWORD}, headers={"X-Channel": channel}
    )
    assert resp.status_code == 200, resp.text
    return {"Authorization": f"Bearer {resp.json()['token']}", "X-Channel": channel}


@pytest.fixture
def as_user(client: TestClient):
    """as_user("zhangwei") -> headers for that demo person."""
    return lambda username, channel="web": login(client, username, channel)
