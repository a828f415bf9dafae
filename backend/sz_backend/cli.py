"""Operator commands.

    python -m sz_backend.cli migrate              # apply Alembic migrations
    python -m sz_backend.cli seed                 # demo people and window staff (only where none exist)
    python -m sz_backend.cli deliver-notices      # deliver (retry) queued WeChat/SMS notices
    python -m sz_backend.cli analytics-consume    # Rasa event broker (RabbitMQ) -> analytics tables
    python -m sz_backend.cli import-hukou FILE    # load/refresh the hukou registry (CSV or JSON)
    python -m sz_backend.cli serve [--port 8000]  # migrate, seed when empty, serve the API

import-hukou file format (CSV with a header row, UTF-8; or a JSON list of objects):
    id_number,name,hukou_category,hukou_address,settle_in_date
    440305202203081115,李小明,shenzhen,广东省深圳市,2022-04-01
hukou_category is one of shenzhen / guangdong_non_shenzhen / outside_guangdong.
Rows are upserted by id_number; a bad row is reported with its line and nothing is written.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
from datetime import date
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import select

from .errors import BusinessError
from .persistence.db import session_scope
from .persistence.models import HukouCategory, HukouRecord
from .rules import idnumber
from .settings import BACKEND_DIR, get_settings


def migrate(url: str | None = None) -> None:
    cfg = Config(str(BACKEND_DIR / "alembic.ini"))
    if url:
        cfg.attributes["url"] = url
    command.upgrade(cfg, "head")


def seed() -> bool:
    from .seed import seed_demo, seed_demo_staff

    with session_scope() as session:
        seeded = seed_demo(session)
        staff_seeded = seed_demo_staff(session)
        return seeded or staff_seeded


def _rows(path: Path) -> list[dict[str, Any]]:
    text = path.read_text(encoding="utf-8-sig")
    if path.suffix.lower() == ".json":
        data = json.loads(text)
        if not isinstance(data, list):
            raise ValueError("the JSON file must hold a list of objects")
        return data
    return list(csv.DictReader(text.splitlines()))


def import_hukou(path: Path) -> int:
    rows = _rows(path)
    parsed: list[dict[str, Any]] = []
    for line, row in enumerate(rows, start=2):
        try:
            id_number = idnumber.validate(str(row["id_number"]))
            category = HukouCategory(str(row["hukou_category"]).strip())
            settle = str(row.get("settle_in_date") or "").strip()
            parsed.append(
                {
                    "id_number": id_number,
                    "name": str(row["name"]).strip()[:64],
                    "hukou_category": category,
                    "hukou_address": (row.get("hukou_address") or None),
                    "settle_in_date": date.fromisoformat(settle) if settle else None,
                }
            )
        except (KeyError, ValueError, BusinessError) as err:
            raise SystemExit(f"import-hukou: row {line}: {err}") from None
    with session_scope() as session:
        for row in parsed:
            existing = session.scalar(select(HukouRecord).where(HukouRecord.id_number == row["id_number"]))
            if existing is None:
                session.add(HukouRecord(**row))
            else:
                for key, value in row.items():
                    setattr(existing, key, value)
    return len(parsed)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="sz_backend.cli")
    sub = parser.add_subparsers(dest="cmd", required=True)
    sub.add_parser("migrate")
    sub.add_parser("seed")
    sub.add_parser("deliver-notices", help="deliver queued WeChat/SMS notices (retries failed ones)")
    sub.add_parser("analytics-consume", help="read Rasa's event broker queue into the analytics tables")
    imp = sub.add_parser("import-hukou")
    imp.add_argument("file", type=Path)
    srv = sub.add_parser("serve")
    srv.add_argument("--host", default="127.0.0.1")
    srv.add_argument("--port", type=int, default=8000)
    args = parser.parse_args(argv)
    if args.cmd == "migrate":
        migrate()
    elif args.cmd == "seed":
        print("seeded" if seed() else "database already has people: nothing seeded")
    elif args.cmd == "deliver-notices":
        from .services.notices import deliver_pending

        print(f"delivered {deliver_pending()} notices")
    elif args.cmd == "analytics-consume":
        from .analytics_consumer import main as consume

        migrate()
        consume()
    elif args.cmd == "import-hukou":
        print(f"imported {import_hukou(args.file)} hukou records")
    elif args.cmd == "serve":
        import uvicorn

        from .settings import InsecureSettings, check_production_settings

        settings = get_settings()
        try:
            check_production_settings(settings)
        except InsecureSettings as err:
            print(f"sz_backend: {err}", file=sys.stderr)
            return 2
        if settings.dev_mode:
            print(
                "sz_backend: DEVELOPMENT MODE (SZ_DEV_MODE=1): development secrets and the SMS outbox are "
                "accepted; never use this mode in production",
                file=sys.stderr,
                flush=True,
            )
        migrate()
        if get_settings().seed_demo_data:
            seed()
        uvicorn.run("sz_backend.api.app:app", host=args.host, port=args.port, log_level="warning")
    return 0


if __name__ == "__main__":
    sys.exit(main())
