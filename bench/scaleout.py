"""Scale-out deployment on one machine (run through scripts/scaleout.sh; docs/scaleout.md).

    scripts/scaleout.sh start [--rasa 2] [--actions 2] [--backend-workers 1] [--model FILE] [--fresh]
                              [--dir var/scaleout] [--auto-ports] [--db-suffix NAME]
    scripts/scaleout.sh status | stop [--dir var/scaleout]

start: several Rasa servers sharing a PostgreSQL tracker store (database
`rasa_scaleout`) and a Redis lock store (db 3, prefix `sz_scaleout`), several
action servers, the backend on PostgreSQL (database `sz_scaleout`), and nginx in
front (REST/API on 127.0.0.1:5080, round-robin; Socket.IO sticky by client
address; the action servers behind 127.0.0.1:5081). Generated config
(endpoints.yml, credentials.yml, nginx.conf), logs and the pids of what it
started live in the work directory. Processes keep running after this command
returns; `stop` ends exactly those pids.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path
from typing import Any, Dict, Optional

from .common import (
    PG_HOST,
    PG_PORT,
    VAR,
    http_json,
    newest_model,
    pg_available,
    pg_recreate_db,
    pid_alive,
    port_open,
    redis_available,
)
from .stack import Stack, postgres_tracker, redis_lock, stop_pids

FIXED_PORTS = {"nginx": 5080, "nginx_actions": 5081, "backend": 8100, "rasa_base": 5101, "actions_base": 5201}


def _state_file(workdir: Path) -> Path:
    return workdir / "state.json"


def _running(state: Dict[str, Any]) -> bool:
    return any(pid_alive(p) for p in state.get("pids", {}).values())


def _ensure_db(name: str, fresh: bool) -> None:
    import psycopg2

    if fresh:
        pg_recreate_db(name)
        return
    conn = psycopg2.connect(host=PG_HOST, port=PG_PORT, user="postgres", dbname="postgres")
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,))
        if cur.fetchone() is None:
            cur.execute(f'CREATE DATABASE "{name}"')
    conn.close()


def start(args: argparse.Namespace) -> int:
    workdir = Path(args.dir).resolve()
    sf = _state_file(workdir)
    if sf.exists() and _running(json.loads(sf.read_text())):
        print(f"scaleout: already running (state in {sf}); `scripts/scaleout.sh stop` first", file=sys.stderr)
        return 1
    problems = []
    if not pg_available():
        problems.append(f"PostgreSQL is not reachable at {PG_HOST}:{PG_PORT} (user postgres, trust auth)")
    if not redis_available():
        problems.append("Redis is not reachable at 127.0.0.1:6379")
    if problems:
        print("scaleout: " + "; ".join(problems), file=sys.stderr)
        return 2
    model = Path(args.model).resolve() if args.model else newest_model()
    if model is None or not model.exists():
        print("scaleout: no model in models/ (train first: scripts/run.sh, or pass --model)", file=sys.stderr)
        return 2
    suffix = f"_{args.db_suffix}" if args.db_suffix else ""
    tracker_db, backend_db = f"rasa_scaleout{suffix}", f"sz_scaleout{suffix}"
    _ensure_db(tracker_db, args.fresh)
    _ensure_db(backend_db, args.fresh)
    ports: Optional[Dict[str, Any]] = None
    if not args.auto_ports:
        ports = {
            "nginx": FIXED_PORTS["nginx"],
            "nginx_actions": FIXED_PORTS["nginx_actions"],
            "backend": FIXED_PORTS["backend"],
            "rasa": [FIXED_PORTS["rasa_base"] + i for i in range(args.rasa)],
            "actions": [FIXED_PORTS["actions_base"] + i for i in range(args.actions)],
        }
        busy = [p for v in ports.values() for p in (v if isinstance(v, list) else [v]) if port_open(p)]
        if busy:
            print(f"scaleout: port(s) {busy} are in use; stop what uses them or pass --auto-ports", file=sys.stderr)
            return 2
    stack = Stack(
        workdir,
        model,
        f"postgresql+psycopg://postgres@{PG_HOST}:{PG_PORT}/{backend_db}",
        postgres_tracker(tracker_db),
        redis_lock(db=3, prefix=f"sz_scaleout{suffix}"),
        rasa_instances=args.rasa,
        action_instances=args.actions,
        backend_workers=args.backend_workers,
        nginx=True,
        ports=ports,
    )
    print(
        f"scaleout: starting backend, {args.actions} action server(s), {args.rasa} Rasa server(s) and nginx "
        f"(model {model.name}; first start of each Rasa server takes a minute or more)",
        flush=True,
    )
    t0 = time.perf_counter()
    stack.start()
    state = stack.state()
    state["started_at"] = time.time()
    state["startup_s"] = time.perf_counter() - t0
    sf.write_text(json.dumps(state, indent=2))
    os.chmod(sf, 0o600)  # it holds the Rasa API token
    print(
        f"scaleout: up in {state['startup_s']:.0f} s\n"
        f"  Rasa (REST, API, Socket.IO) via nginx: {stack.rasa}\n"
        f"  Rasa instances: {', '.join(stack.rasa_instances)}\n"
        f"  action servers via nginx: {stack.action_url}\n"
        f"  backend (PostgreSQL {backend_db}): {stack.backend}\n"
        f"  tracker store: PostgreSQL {tracker_db}; lock store: Redis db 3\n"
        f"  config and logs: {workdir}\n"
        f"  Rasa HTTP API token (?token=...): in {sf} (rasa_token)\n"
        f'  try: curl -s {stack.rasa}/webhooks/rest/webhook -d \'{{"sender":"me","message":"你好"}}\''
    )
    # Popen objects go away with this process; the servers run on in their own sessions.
    return 0


def stop(args: argparse.Namespace) -> int:
    sf = _state_file(Path(args.dir).resolve())
    if not sf.exists():
        print("scaleout: nothing recorded as started", file=sys.stderr)
        return 0
    state = json.loads(sf.read_text())
    stop_pids(state.get("pids", {}))
    sf.unlink()
    print("scaleout: stopped " + ", ".join(f"{k} ({v})" for k, v in state.get("pids", {}).items()))
    return 0


def status(args: argparse.Namespace) -> int:
    sf = _state_file(Path(args.dir).resolve())
    if not sf.exists():
        print("scaleout: not running")
        return 3
    state = json.loads(sf.read_text())
    ok = True
    for name, pid in state.get("pids", {}).items():
        alive = pid_alive(pid)
        ok &= alive
        print(f"  {name:10s} pid {pid:<8d} {'running' if alive else 'NOT RUNNING'}")
    for url in state.get("rasa_instances", []):
        try:
            http_json("GET", f"{url}/status?token={state.get('rasa_token', '')}", timeout=5)
            print(f"  {url}/status ok")
        except OSError as err:
            ok = False
            print(f"  {url}/status FAILED: {err}")
    print(f"  entry point: {state.get('rasa')}")
    return 0 if ok else 1


def main(argv: Any = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("command", choices=["start", "stop", "status"])
    p.add_argument("--dir", default=str(VAR / "scaleout"))
    p.add_argument("--rasa", type=int, default=2, help="Rasa server instances")
    p.add_argument("--actions", type=int, default=2, help="action server processes")
    p.add_argument("--backend-workers", type=int, default=1)
    p.add_argument("--model", help="model file (default: the newest in models/)")
    p.add_argument("--fresh", action="store_true", help="drop and recreate the two scale-out databases first")
    p.add_argument("--auto-ports", action="store_true", help="free ports instead of 5080/5081/8100/51xx/52xx")
    p.add_argument("--db-suffix", default="", help="use rasa_scaleout_<s>/sz_scaleout_<s> (tests)")
    args = p.parse_args(argv)
    return {"start": start, "stop": stop, "status": status}[args.command](args)


if __name__ == "__main__":
    sys.exit(main())
