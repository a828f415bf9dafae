"""Operator-facing behaviour: migrations, the hukou import, the catalogue, a real server process."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests
import yaml
from sqlalchemy import create_engine, inspect, select

from sz_backend.catalogue import get_catalogue
from sz_backend.cli import import_hukou, migrate
from sz_backend.persistence.db import session_scope
from sz_backend.persistence.models import Base, HukouRecord
from sz_backend.settings import BACKEND_DIR, DATA_DIR

SPEC = DATA_DIR / "catalog.codes.yml"


def test_catalogue_matches_the_project_spec():
    spec = yaml.safe_load(SPEC.read_text(encoding="utf-8"))
    cat = get_catalogue()
    assert [e.code for e in cat.items] == [i["code"] for i in spec["items"]]
    assert [e.code for e in cat.services] == [s["code"] for s in spec["services"]]
    assert len(cat.items) == 31 and len(cat.services) == 5
    for entry in cat.items:
        if entry.mode in ("pre_application", "compare"):
            assert entry.materials, f"{entry.code} needs a materials list"
    shared = Path(__file__).resolve().parents[3] / "shared" / "spec" / "catalog.yml"
    if shared.exists():  # the design workspace copy, when present beside the repo
        assert yaml.safe_load(shared.read_text(encoding="utf-8")) == spec


def test_every_item_has_a_handler(client):
    from sz_backend.services.items.base import REGISTRY

    assert sorted(REGISTRY) == sorted(e.code for e in get_catalogue().items)


def test_catalogue_endpoint_lists_names_modes_fields_materials(client):
    body = client.get("/catalogue").json()
    codes = {i["code"]: i for i in body["items"]}
    assert codes["transfer_pension_in"]["mode"] == "pre_application"
    assert codes["transfer_pension_in"]["materials"]
    assert codes["stop_child_insurance"]["name_en"] and codes["stop_child_insurance"]["name_zh"] == "少儿停保"
    assert {f["name"] for f in codes["transfer_pension_out"]["fields"]} == {"destination_province", "destination_city"}


def test_migrations_create_exactly_the_models(tmp_path):
    url = f"sqlite:///{tmp_path / 'm.sqlite3'}"
    migrate(url)
    tables = set(inspect(create_engine(url)).get_table_names()) - {"alembic_version"}
    assert tables == set(Base.metadata.tables)


def test_hukou_import_upserts_and_rejects_bad_rows(db, tmp_path):
    good = tmp_path / "hukou.csv"
    good.write_text(
        "id_number,name,hukou_category,hukou_address,settle_in_date\n"
        "11010519491231002X,王老先生,outside_guangdong,北京市,\n"
        "440524188001010014,古人,guangdong_non_shenzhen,汕头,\n",
        encoding="utf-8",
    )
    assert import_hukou(good) == 2
    good.write_text(
        "id_number,name,hukou_category,hukou_address,settle_in_date\n"
        "11010519491231002X,王老先生,shenzhen,深圳市,2001-02-03\n",
        encoding="utf-8",
    )
    assert import_hukou(good) == 1
    with session_scope() as s:
        row = s.scalar(select(HukouRecord).where(HukouRecord.id_number == "11010519491231002X"))
        assert row.hukou_category.value == "shenzhen" and str(row.settle_in_date) == "2001-02-03"
    bad = tmp_path / "bad.csv"
    bad.write_text("id_number,name,hukou_category\n110105194912310021,坏号码,shenzhen\n", encoding="utf-8")
    with pytest.raises(SystemExit, match="row 2"):
        import_hukou(bad)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.slow
def test_real_server_process_login_and_item(db):
    """The README's backend command: a real process, a person logs in and carries out an item."""
    port = _free_port()
    env = os.environ | {"DATABASE_URL": db}
    proc = subprocess.Popen(
        [sys.executable, "-m", "sz_backend.cli", "serve", "--port", str(port)],
        cwd=BACKEND_DIR,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                if requests.get(f"{base}/health", timeout=1).ok:
                    break
            except requests.ConnectionError:
                time.sleep(0.1)
        token = requests.post(
            f"{base}/auth/login", json={"username": "zhangwei", "password": "Demo@2026"}, timeout=10
        ).json()["token"]
        headers = {"Authorization": f"Bearer {token}", "Idempotency-Key": "proc-1"}
        r = requests.post(f"{base}/items/stop_individual_insurance", json={}, headers=headers, timeout=10)
        assert r.status_code == 200, r.text
        assert r.json()["outcome"] == "completed" and r.json()["serial_no"].startswith("SZ")
        assert requests.get(f"{base}/openapi.json", timeout=10).json()["info"]["title"]
    finally:
        proc.terminate()
        proc.wait(timeout=10)
