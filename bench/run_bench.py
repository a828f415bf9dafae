"""Measure the assistant and write docs/benchmarks.md (run through scripts/bench.sh).

    .venv/rasa/bin/python -m bench.run_bench [--quick] [--model FILE] [--only a,b] [--skip a,b]

Phases (in order; results are merged into var/bench/results.json, so a phase can
be re-run alone and the report re-rendered with `--only report`):
  env       date, machine, versions, load average
  train     a full `rasa train --force` into var/bench/train-*/ (timed; that model is used below)
  nlu       bench/nlu_eval.py on tests/nlu/heldout.yml, with the TF-IDF baseline
  probe     cost of Rasa's per-action-call jsonschema check of the action server's response
  speed     one stack on SQLite (backend, action server, Rasa): per-turn latency (FAQ, backend-calling
            turn, whole business conversation), throughput at concurrency 1/8/32, CPU per turn,
            the backend alone (wrk GET /me, POST /items/stop_child_insurance), py-spy profile of
            the backend-calling turn, a 10/100/500-turn conversation, peak memory of each process
  growth    backend on scratch SQLite and PostgreSQL databases with 10k/100k/1M people and
            transactions (bench/seed_bulk.py): GET /me, eligibility and an item call
  scaleout  PostgreSQL tracker store + Redis lock store + nginx: 1 and 2 Rasa instances (and as many
            action servers), backend on PostgreSQL; throughput
  report    render docs/benchmarks.md from the results
Every load is bounded in time and count and only talks to 127.0.0.1.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import os
import platform
import random
import re
import resource
import shutil
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional

from . import load, profile, seed_bulk
from .common import (
    BACKEND_PY,
    PG_HOST,
    PG_PORT,
    RASA_PY,
    ROOT,
    VAR,
    Procs,
    cpu_seconds,
    http_json,
    login,
    newest_model,
    peak_rss_mb,
    pg_available,
    pg_recreate_db,
    redis_available,
    stat_cpu_seconds,
    stat_fields,
    summary_ms,
    write_json,
)
from .stack import Stack, postgres_tracker, redis_lock, sqlite_tracker

PHASES = ["env", "train", "nlu", "probe", "speed", "growth", "scaleout", "report"]
OUT = VAR / "bench"
RESULTS = OUT / "results.json"


def log(msg: str) -> None:
    print(f"[bench {dt.datetime.now():%H:%M:%S}] {msg}", flush=True)


def load_results() -> Dict[str, Any]:
    if RESULTS.exists():
        return json.loads(RESULTS.read_text())
    return {}


def save(results: Dict[str, Any]) -> None:
    write_json(RESULTS, results)


def loadavg() -> List[float]:
    return [round(x, 2) for x in os.getloadavg()]


# Processes that work for the benchmark although they are not its children.
_SERVICES = ("postgres", "redis-server")
_PF_KTHREAD = 0x00200000  # proc(5) flags: a kernel thread


def cpu_snapshot() -> Dict[str, float]:
    """CPU seconds so far: the whole machine (/proc/stat), this process and its waited-for
    children (the servers and load generators it started), and the local database servers."""
    tick = os.sysconf("SC_CLK_TCK")
    machine = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    busy = sum(machine) - machine[3] - (machine[4] if len(machine) > 4 else 0)  # minus idle and iowait
    own = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    # the kernel's own interrupt handling and its threads (writeback of the growth phase's
    # inserts, say) work for the benchmark's I/O: counted with the services
    services = (machine[5] + machine[6]) / tick if len(machine) > 6 else 0.0  # irq, softirq
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
            fields = stat_fields(text)
            name = text[text.find("(") + 1 : text.rfind(")")]
            if name.startswith(_SERVICES):
                # with the children it has reaped: a PostgreSQL connection's process that ends
                # during a phase (the growth phase's bulk inserts) leaves its CPU time there
                services += stat_cpu_seconds(fields, reaped_children=True)
            elif int(fields[6]) & _PF_KTHREAD:  # field 9 of proc(5): flags
                services += stat_cpu_seconds(fields)
        except (OSError, IndexError, ValueError):
            continue
    # children still running (a stack of one phase) are added by the phase's own accounting;
    # between phases every child has been stopped and waited for
    return {
        "wall": time.monotonic(),
        "machine": busy / tick,
        "services": services,
        "own": own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime,
    }


def other_cores(before: Dict[str, float], after: Dict[str, float]) -> float:
    """Average cores used by other work during a phase (not the benchmark, its children,
    the database servers or the kernel)."""
    wall = max(after["wall"] - before["wall"], 1e-9)
    other = (
        (after["machine"] - before["machine"])
        - (after["own"] - before["own"])
        - (after["services"] - before["services"])
    )
    return round(max(other, 0.0) / wall, 2)


# ---- env -----------------------------------------------------------------------
def cpu_reference_ms(repeats: int = 5) -> float:
    """Best-of-`repeats` time of a fixed single-threaded pure-Python workload (ms). The same
    kind of 2-core machine has been seen here at twice the speed on another day: this figure
    lets two runs' latencies be compared."""
    best = float("inf")
    for _ in range(repeats):
        t0 = time.perf_counter()
        total, table = 0, {}
        for i in range(400_000):
            total += (i * i) % 7
            table[i % 1000] = str(i)
        json.loads(json.dumps(sorted(table.values())))
        best = min(best, time.perf_counter() - t0)
    return round(best * 1000, 1)


def _cmd(argv: List[str]) -> str:
    try:
        p = subprocess.run(argv, capture_output=True, text=True, timeout=30)
        return (p.stdout + p.stderr).strip()
    except (OSError, subprocess.TimeoutExpired):
        return "not found"


def phase_env(args: argparse.Namespace) -> Dict[str, Any]:
    from importlib import metadata

    def ver(name: str) -> str:
        try:
            return metadata.version(name)
        except metadata.PackageNotFoundError:
            return "-"

    backend_versions = _cmd(
        [
            str(BACKEND_PY),
            "-c",
            "import json,sys,importlib.metadata as m;print(json.dumps("
            "{'python': sys.version.split()[0], **{n: m.version(n) for n in "
            "('fastapi','uvicorn','SQLAlchemy','psycopg','pydantic')}}))",
        ]
    )
    backend_info: Dict[str, Any]
    try:
        backend_info = json.loads(backend_versions.splitlines()[-1])
    except (ValueError, IndexError):
        backend_info = {"error": backend_versions[:200]}
    pg = "-"
    try:
        import psycopg2

        conn = psycopg2.connect(host=PG_HOST, port=PG_PORT, user="postgres", dbname="postgres", connect_timeout=3)
        with conn.cursor() as cur:
            cur.execute("SHOW server_version")
            pg = cur.fetchone()[0]
        conn.close()
    except Exception:  # noqa: BLE001
        pass
    redis_v = "-"
    try:
        import redis

        redis_v = redis.Redis(host="127.0.0.1", port=6379, socket_timeout=3).info("server").get("redis_version", "-")
    except Exception:  # noqa: BLE001
        pass
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor() or "-",
    )
    mem_kb = next(
        (
            int(line.split()[1])
            for line in Path("/proc/meminfo").read_text().splitlines()
            if line.startswith("MemTotal")
        ),
        0,
    )
    git = _cmd(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"])
    dirty = _cmd(["git", "-C", str(ROOT), "status", "--porcelain"])
    return {
        "date": dt.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z"),
        "host": platform.node(),
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory_gib": round(mem_kb / 1048576, 1),
        "os": f"{platform.system()} {platform.release()}",
        "loadavg_start": loadavg(),
        "cpu_reference_ms": cpu_reference_ms(),
        "git": git,
        "git_dirty_files": len([x for x in dirty.splitlines() if x.strip()]),
        "versions": {
            "python (rasa venv)": platform.python_version(),
            "rasa": ver("rasa"),
            "rasa-sdk": ver("rasa-sdk"),
            "tensorflow": ver("tensorflow"),
            "SQLAlchemy (rasa)": ver("SQLAlchemy"),
            "aiohttp": ver("aiohttp"),
            "psycopg2-binary": ver("psycopg2-binary"),
            "redis (client)": ver("redis"),
            "backend": backend_info,
            "PostgreSQL": pg,
            "Redis": redis_v,
            "nginx": _cmd(["nginx", "-v"]).replace("nginx version: ", ""),
            "wrk": _cmd(["wrk", "-v"]).splitlines()[0] if shutil.which("wrk") else "not found",
            "py-spy": _cmd([profile.py_spy() or "py-spy", "--version"]),
        },
        "quick": bool(args.quick),
    }


# ---- train ---------------------------------------------------------------------
def phase_train(args: argparse.Namespace) -> Dict[str, Any]:
    for old in OUT.glob("train-*"):
        shutil.rmtree(old, ignore_errors=True)
    outdir = OUT / f"train-{dt.datetime.now():%Y%m%d-%H%M%S}"
    outdir.mkdir(parents=True)
    log(f"training (rasa train --force) into {outdir.relative_to(ROOT)}")
    la0 = loadavg()
    t0 = time.perf_counter()
    with open(outdir / "train.log", "w") as fh:
        proc = subprocess.run(
            [
                str(RASA_PY),
                "-m",
                "bot.rasa_ext",
                "train",
                "--domain",
                "domain.yml",
                "--data",
                "bot/data",
                "--config",
                "config.yml",
                "--out",
                str(outdir),
                "--force",
                "--quiet",
            ],
            cwd=ROOT,
            stdout=fh,
            stderr=subprocess.STDOUT,
            env={**os.environ, "RASA_TELEMETRY_ENABLED": "false"},
        )
    seconds = time.perf_counter() - t0
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    models = sorted(outdir.glob("*.tar.gz"))
    if proc.returncode != 0 or not models:
        raise RuntimeError(f"rasa train failed; see {outdir / 'train.log'}")
    log(f"trained in {seconds:.0f} s")
    return {
        "seconds": seconds,
        "peak_rss_mb": peak,
        "model": str(models[-1]),
        "model_mb": models[-1].stat().st_size / 1048576,
        "loadavg_before": la0,
        "loadavg_after": loadavg(),
    }


def model_path(args: argparse.Namespace, results: Dict[str, Any]) -> Path:
    if args.model:
        return Path(args.model).resolve()
    trained = (results.get("train") or {}).get("model")
    if trained and Path(trained).exists():
        return Path(trained)
    m = newest_model()
    if m is None:
        raise SystemExit("no model: run the train phase, pass --model, or train into models/ (scripts/run.sh)")
    return m


# ---- nlu -----------------------------------------------------------------------
def phase_nlu(args: argparse.Namespace, model: Path) -> Dict[str, Any]:
    log("held-out NLU evaluation (bench/nlu_eval.py)")
    out = OUT / "nlu.json"
    report = ROOT / "docs" / "nlu-report.md"  # the held-out report the README points to
    t0 = time.perf_counter()
    proc = subprocess.run(
        [
            str(RASA_PY),
            str(ROOT / "bench/nlu_eval.py"),
            "--model",
            str(model),
            "--report",
            str(report),
            "--json",
            str(out),
            "--homophone-ablation",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={**os.environ, "RASA_TELEMETRY_ENABLED": "false"},
    )
    if proc.returncode != 0 or not out.exists():
        raise RuntimeError("nlu_eval failed:\n" + proc.stderr[-3000:])
    data = json.loads(out.read_text())
    data["seconds"] = time.perf_counter() - t0
    data["model"] = model.name
    return data


# ---- speed -----------------------------------------------------------------------
def _proc_pids(stack: Stack) -> Dict[str, int]:
    names = {"rasa0": "rasa", "actions0": "action server", "backend": "backend"}
    return {names.get(k, k): v for k, v in stack.pids().items() if k != "nginx"}


def _cpu(pids: Dict[str, int]) -> Dict[str, float]:
    return {k: cpu_seconds(p) or 0.0 for k, p in pids.items()}


def _with_cpu(pids: Dict[str, int], fn: Callable[[], Any]) -> tuple:
    before = _cpu(pids)
    res = fn()
    after = _cpu(pids)
    return res, {k: after[k] - before[k] for k in pids}


def _turns(
    url: str, scenario: str, c: int, seconds: float, max_turns: int, token: str, pids: Dict[str, int]
) -> Dict[str, Any]:
    res, cpu = _with_cpu(pids, lambda: load.run_turns(url, scenario, c, seconds, max_turns, token))
    d = res.as_dict()
    d["concurrency"] = c
    d["cpu_s"] = cpu
    d["cpu_ms_per_turn"] = {k: (v * 1000 / d["turns"]) if d["turns"] else None for k, v in cpu.items()}
    d["cpu_ms_per_turn_total"] = (sum(cpu.values()) * 1000 / d["turns"]) if d["turns"] else None
    return d


def _wrk(url: str, token: str, c: int, seconds: int) -> Dict[str, Any]:
    if not shutil.which("wrk"):
        return {"error": "wrk not installed (scripts/setup_bench.sh)"}
    out = _cmd(
        [
            "wrk",
            "-t",
            str(min(c, 2)),
            "-c",
            str(c),
            "-d",
            f"{seconds}s",
            "--latency",
            "--timeout",
            "10s",
            "-H",
            f"Authorization: Bearer {token}",
            url,
        ]
    )
    res: Dict[str, Any] = {"concurrency": c, "raw": out[-1500:]}
    m = re.search(r"Requests/sec:\s+([\d.]+)", out)
    res["requests_per_s"] = float(m.group(1)) if m else None
    for pct in ("50", "90", "99"):
        m = re.search(rf"^\s+{pct}%\s+([\d.]+)(us|ms|s)\s*$", out, re.M)
        if m:
            v = float(m.group(1)) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[m.group(2)]
            res[f"p{pct}_ms"] = v
    m = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    res["non_2xx"] = int(m.group(1)) if m else 0
    return res


def _post_items(backend: str, pairs: List[tuple], c: int, seconds: float) -> Dict[str, Any]:
    """POST /items/stop_child_insurance, each request for a different child (so each one completes)."""
    import aiohttp

    lat: List[float] = []
    errors: List[str] = []

    async def main() -> float:
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30)) as session:
            deadline = time.perf_counter() + seconds

            async def user() -> None:
                while time.perf_counter() < deadline and pairs:
                    token, child = pairs.pop()
                    t0 = time.perf_counter()
                    async with session.post(
                        f"{backend}/items/stop_child_insurance",
                        json={"fields": {}, "subject_id": child},
                        headers={"Authorization": f"Bearer {token}", "Idempotency-Key": uuid.uuid4().hex},
                    ) as resp:
                        body = await resp.read()
                        if resp.status != 200:
                            errors.append(f"{resp.status} {body[:120]!r}")
                            continue
                    lat.append(time.perf_counter() - t0)

            t0 = time.perf_counter()
            await asyncio.gather(*(user() for _ in range(c)))
            return time.perf_counter() - t0

    elapsed = asyncio.run(main())
    return {
        "concurrency": c,
        "latency_ms": summary_ms(lat),
        "requests_per_s": len(lat) / elapsed if elapsed else 0,
        "errors": len(errors),
        "error_samples": errors[:3],
    }


def _time_calls(fn: Callable[[int], None], n: int) -> Dict[str, Any]:
    lat = []
    for i in range(n):
        t0 = time.perf_counter()
        fn(i)
        lat.append(time.perf_counter() - t0)
    return summary_ms(lat)


JSONSCHEMA_PROBE = """
import json, time
from jsonschema import validate, validators
from rasa.core.actions.action import RemoteAction
spec = RemoteAction.action_response_format_spec()
res = {"events": [{"event": "slot", "name": "language", "value": "zh", "timestamp": None}],
       "responses": [{"text": "x" * 300, "buttons": [{"title": "a", "payload": "/affirm"}]}]}
validate(res, spec)
t = time.perf_counter()
for _ in range(30):
    validate(res, spec)
a = (time.perf_counter() - t) / 30 * 1000
v = validators.validator_for(spec)(spec)
t = time.perf_counter()
for _ in range(300):
    v.validate(res)
b = (time.perf_counter() - t) / 300 * 1000
print(json.dumps({"per_call_ms": a, "cached_validator_ms": b}))
"""


def _jsonschema_cost() -> Dict[str, Any]:
    """What Rasa's RemoteAction._validate_action_result costs per action call (jsonschema.validate)."""
    proc = subprocess.run(
        [str(RASA_PY), "-c", JSONSCHEMA_PROBE],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "RASA_TELEMETRY_ENABLED": "false", "TF_CPP_MIN_LOG_LEVEL": "3"},
    )
    try:
        return json.loads(proc.stdout.strip().splitlines()[-1])
    except (ValueError, IndexError):
        return {"error": (proc.stdout + proc.stderr)[-300:]}


def phase_speed(args: argparse.Namespace, model: Path) -> Dict[str, Any]:
    work = OUT / "stack"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    backend_db = work / "sz_bench_speed.sqlite3"
    stack = Stack(work, model, f"sqlite:///{backend_db}", sqlite_tracker(work / "tracker.sqlite3"))
    log("starting a stack on SQLite (backend, action server, Rasa)")
    t0 = time.perf_counter()
    stack.start()
    out: Dict[str, Any] = {"startup_s": time.perf_counter() - t0, "loadavg_start": loadavg()}
    try:
        seeded = seed_bulk.seed(f"sqlite:///{backend_db}", args.families * 3)
        families = list(range(seeded["first_guardian"], seeded["last_guardian"] + 1, 3))
        conv_tokens = [seed_bulk.token_for(g) for g in families[-200:]]
        item_pairs = [(seed_bulk.token_for(g), g + k) for g in families[:-200] for k in (1, 2)]
        random.Random(7).shuffle(item_pairs)
        lina = login(stack.backend, "lina")
        url = stack.rasa
        pids = _proc_pids(stack)
        S, N = args.seconds, args.max_turns
        # where a backend-calling turn's time goes: its parts measured alone
        log("breakdown: NLU parse alone, backend call alone")
        out["parts"] = {
            "nlu_parse_ms": _time_calls(
                lambda i: http_json("POST", stack.api("/model/parse"), {"text": load.BACKEND_TEXT}), 50
            ),
            "backend_contributions_ms": _time_calls(
                lambda i: http_json(
                    "GET", f"{stack.backend}/services/contributions", headers={"Authorization": f"Bearer {lina}"}
                ),
                50,
            ),
            "backend_me_ms": _time_calls(
                lambda i: http_json("GET", f"{stack.backend}/me", headers={"Authorization": f"Bearer {lina}"}), 50
            ),
        }
        log("latency at concurrency 1: FAQ turn, backend-calling turn, business conversation")
        out["faq_c1"] = _turns(url, "faq", 1, S, N, "", pids)
        out["backend_c1"] = _turns(url, "backend", 1, S, N, lina, pids)
        out["conversation_c1"] = load.run_conversations(url, conv_tokens, 1, max(S, 30), args.conversations)
        out["throughput"] = []
        for c in (8, 32):
            for scen in ("faq", "backend"):
                log(f"throughput: {scen} at concurrency {c}")
                out["throughput"].append({"scenario": scen, **_turns(url, scen, c, S, N, lina, pids)})
        log("profile (py-spy) of the backend-calling turn at concurrency 1")
        prof_dir = OUT / "profile"
        shutil.rmtree(prof_dir, ignore_errors=True)
        spies = profile.record(pids, int(S), prof_dir)
        prof_run = _turns(url, "backend", 1, S, N, lina, pids)
        profile.wait_all(spies, S + 60)
        out["profile"] = {
            "run": prof_run,
            "available": bool(spies),
            "processes": {k: profile.summarise(prof_dir / f"{k}.txt") for k in pids},
        }
        log(f"a long conversation: {args.long_turns} turns")
        checkpoints = [c for c in (10, 100, 500) if c <= args.long_turns]
        out["long_conversation"] = load.long_conversation(url, args.long_turns, checkpoints)
        log("backend alone: wrk GET /me, POST /items/stop_child_insurance")
        out["backend_alone"] = {"get_me": [], "post_item": []}
        for c in (1, 8, 32):
            out["backend_alone"]["get_me"].append(_wrk(f"{stack.backend}/me", lina, c, int(min(S, 15))))
            out["backend_alone"]["post_item"].append(_post_items(stack.backend, item_pairs, c, min(S, 10)))
        out["peak_rss_mb"] = {k: peak_rss_mb(p) for k, p in pids.items()}
        out["loadavg_end"] = loadavg()
    finally:
        stack.stop()
    return out


# ---- growth ------------------------------------------------------------------------
def _measure_backend(backend: str, guardians: List[int], n: int) -> Dict[str, Any]:
    rnd = random.Random(11)
    picks = rnd.sample(guardians, min(len(guardians), n))

    def hdr(g: int) -> Dict[str, str]:
        return {"Authorization": f"Bearer {seed_bulk.token_for(g)}"}

    # warm-up
    for g in picks[:5]:
        http_json("GET", f"{backend}/me", headers=hdr(g))
    res = {
        "get_me": _time_calls(lambda i: http_json("GET", f"{backend}/me", headers=hdr(picks[i % len(picks)])), n),
        "eligibility": _time_calls(
            lambda i: http_json(
                "GET",
                f"{backend}/items/stop_child_insurance/eligibility?subject_id={picks[i % len(picks)] + 1}",
                headers=hdr(picks[i % len(picks)]),
            ),
            n,
        ),
        "post_item": _time_calls(
            lambda i: http_json(
                "POST",
                f"{backend}/items/stop_child_insurance",
                {"fields": {}, "subject_id": picks[i] + 2},
                headers={**hdr(picks[i]), "Idempotency-Key": uuid.uuid4().hex},
            ),
            min(n, len(picks)),
        ),
    }
    return res


def _db_size(url: str) -> Optional[float]:
    if url.startswith("sqlite"):
        p = Path(url.split("sqlite:///", 1)[1])
        return sum(f.stat().st_size for f in p.parent.glob(p.name + "*")) / 1048576
    try:
        import psycopg2

        db = url.rsplit("/", 1)[1]
        conn = psycopg2.connect(host=PG_HOST, port=PG_PORT, user="postgres", dbname=db)
        with conn.cursor() as cur:
            cur.execute("SELECT pg_database_size(current_database())")
            size = cur.fetchone()[0] / 1048576
        conn.close()
        return size
    except Exception:  # noqa: BLE001
        return None


def phase_growth(args: argparse.Namespace) -> Dict[str, Any]:
    out: Dict[str, Any] = {"sizes": args.sizes, "runs": []}
    dialects = ["sqlite"] + (["postgresql"] if pg_available() else [])
    if "postgresql" not in dialects:
        out["note"] = "PostgreSQL not reachable at 127.0.0.1:5432: SQLite only"
    for dialect in dialects:
        work = OUT / f"growth-{dialect}"
        shutil.rmtree(work, ignore_errors=True)
        work.mkdir(parents=True)
        if dialect == "sqlite":
            path = work / "sz_bench_growth.sqlite3"
            seed_url, backend_url = f"sqlite:///{path}", f"sqlite:///{path}"
        else:
            pg_recreate_db("sz_bench_growth")
            seed_url = f"postgresql://postgres@{PG_HOST}:{PG_PORT}/sz_bench_growth"
            backend_url = f"postgresql+psycopg://postgres@{PG_HOST}:{PG_PORT}/sz_bench_growth"
        env = {"DATABASE_URL": backend_url, "SZ_BACKEND_NOW": "2026-11-27T10:00:00+08:00", "SZ_DEV_MODE": "1"}
        subprocess.run(
            [str(BACKEND_PY), "-m", "sz_backend.cli", "migrate"],
            cwd=ROOT / "backend",
            env={**os.environ, **env},
            check=True,
            capture_output=True,
        )
        guardians: List[int] = []
        have = 0
        for size in args.sizes:
            log(f"growth: {dialect}: inserting up to {size} people and transactions")
            seeded = seed_bulk.seed(seed_url, size - have)
            have += seeded["added_people"]
            guardians += list(range(seeded["first_guardian"], seeded["last_guardian"] + 1, 3))
            procs = Procs(work / "log")
            from .common import free_port

            port = free_port()
            backend = f"http://127.0.0.1:{port}"
            procs.start(
                "backend",
                [BACKEND_PY, "-m", "sz_backend.cli", "serve", "--port", port],
                ROOT / "backend",
                {**env, "SZ_SEED_DEMO": "0"},
            )
            try:
                procs.wait("backend", f"{backend}/health", 120)
                log(f"growth: {dialect} {size}: timing GET /me, eligibility, POST item")
                m = _measure_backend(backend, guardians, args.growth_calls)
                # these families' second child is now stopped: never pick them again
                used = set(random.Random(11).sample(guardians, min(len(guardians), args.growth_calls)))
                guardians = [g for g in guardians if g not in used]
            finally:
                procs.stop()
            out["runs"].append(
                {"dialect": dialect, "people": have, "insert_s": seeded["seconds"], "db_mb": _db_size(seed_url), **m}
            )
            save_partial("growth", out)
        if dialect == "postgresql" and not args.keep_scratch:
            pg_recreate_db("sz_bench_growth")  # leave an empty scratch database behind
        if not args.keep_scratch:
            for f in work.glob("sz_bench_growth.sqlite3*"):
                f.unlink()
    return out


_partial: Dict[str, Any] = {}


def save_partial(key: str, value: Any) -> None:
    if _partial:
        _partial[key] = value
        save(_partial)


# ---- scale-out -----------------------------------------------------------------------
def phase_scaleout(args: argparse.Namespace, model: Path) -> Dict[str, Any]:
    if not (pg_available() and redis_available() and shutil.which("nginx")):
        return {
            "skipped": "needs PostgreSQL (127.0.0.1:5432), Redis (127.0.0.1:6379) and nginx (scripts/setup_bench.sh)"
        }
    out: Dict[str, Any] = {"runs": []}
    for n in args.instances:
        work = OUT / f"scaleout-{n}"
        shutil.rmtree(work, ignore_errors=True)
        pg_recreate_db("rasa_bench_scaleout")
        pg_recreate_db("sz_bench_scaleout")
        stack = Stack(
            work,
            model,
            f"postgresql+psycopg://postgres@{PG_HOST}:{PG_PORT}/sz_bench_scaleout",
            postgres_tracker("rasa_bench_scaleout"),
            redis_lock(db=4, prefix="sz_bench"),
            rasa_instances=n,
            action_instances=n,
            nginx=True,
        )
        log(f"scale-out: starting {n} Rasa instance(s) and {n} action server(s) behind nginx (PostgreSQL, Redis)")
        t0 = time.perf_counter()
        stack.start()
        run: Dict[str, Any] = {"instances": n, "startup_s": time.perf_counter() - t0, "results": []}
        try:
            lina = login(stack.backend, "lina")
            pids = {k: v for k, v in stack.pids().items() if k != "nginx"}
            for c in args.scaleout_concurrency:
                for scen in ("faq", "backend"):
                    log(f"scale-out: {n} instance(s), {scen} at concurrency {c}")
                    r = _turns(stack.rasa, scen, c, args.seconds, args.max_turns, lina, pids)
                    run["results"].append({"scenario": scen, **r})
            run["peak_rss_mb"] = {k: peak_rss_mb(p) for k, p in pids.items()}
        finally:
            stack.stop()
        out["runs"].append(run)
        save_partial("scaleout", out)
    if not args.keep_scratch:
        pg_recreate_db("rasa_bench_scaleout")
        pg_recreate_db("sz_bench_scaleout")
    return out


# ---- main ------------------------------------------------------------------------------
def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--quick", action="store_true", help="short windows and sizes 10k/100k (a smoke run, not figures)")
    p.add_argument("--model", help="use this model file and skip training")
    p.add_argument("--only", default="", help=f"comma-separated phases of {','.join(PHASES)}")
    p.add_argument("--skip", default="", help="comma-separated phases to leave out")
    p.add_argument("--seconds", type=float, default=None, help="length of each load window (default 20, quick 6)")
    p.add_argument("--max-turns", type=int, default=5000)
    p.add_argument("--sizes", default=None, help="people counts of the growth phase (default 10000,100000,1000000)")
    p.add_argument("--long-turns", type=int, default=None, help="turns of the long conversation (default 500)")
    p.add_argument("--instances", default="1,2")
    p.add_argument("--keep-scratch", action="store_true", help="keep the scratch databases of growth/scale-out")
    p.add_argument("--preliminary", default=None, help="mark the report preliminary, with this reason")
    p.add_argument("--report", default=str(ROOT / "docs/benchmarks.md"))
    p.add_argument("--fresh", action="store_true", help="forget earlier results before running")
    args = p.parse_args()
    args.seconds = args.seconds or (6.0 if args.quick else 20.0)
    args.sizes = [int(x) for x in (args.sizes or ("10000,100000" if args.quick else "10000,100000,1000000")).split(",")]
    args.long_turns = args.long_turns or (100 if args.quick else 500)
    args.instances = [int(x) for x in args.instances.split(",")]
    args.scaleout_concurrency = [8, 32]
    args.families = 1500 if args.quick else 5000
    args.conversations = 10 if args.quick else 30
    args.growth_calls = 30 if args.quick else 100
    only = [x for x in args.only.split(",") if x]
    skip = set(x for x in args.skip.split(",") if x)
    if args.model:
        skip.add("train")
    phases = [ph for ph in PHASES if (not only or ph in only) and ph not in skip]
    unknown = (set(only) | skip) - set(PHASES)
    if unknown:
        raise SystemExit(f"unknown phase(s): {', '.join(sorted(unknown))}")

    results = {} if args.fresh else load_results()
    _partial.update(results)
    _partial["_running"] = True
    if args.preliminary:
        results["preliminary"] = args.preliminary
    failures = []
    for ph in phases:
        if ph == "report":
            continue
        t0 = time.perf_counter()
        cpu0 = cpu_snapshot()
        try:
            if ph == "env":
                results["env"] = phase_env(args)
            elif ph == "train":
                results["train"] = phase_train(args)
            elif ph == "nlu":
                results["nlu"] = phase_nlu(args, model_path(args, results))
            elif ph == "probe":
                results["probe"] = {"jsonschema_validate_ms": _jsonschema_cost()}
            elif ph == "speed":
                results["speed"] = phase_speed(args, model_path(args, results))
            elif ph == "growth":
                results["growth"] = phase_growth(args)
            elif ph == "scaleout":
                results["scaleout"] = phase_scaleout(args, model_path(args, results))
            results.setdefault("phase_seconds", {})[ph] = time.perf_counter() - t0
            results.setdefault("phase_loadavg", {})[ph] = loadavg()
            results.setdefault("phase_other_cores", {})[ph] = other_cores(cpu0, cpu_snapshot())
        except Exception as err:  # noqa: BLE001 - one failed phase must not lose the others
            log(f"phase {ph} FAILED: {type(err).__name__}: {err}")
            results.setdefault("failures", {})[ph] = f"{type(err).__name__}: {str(err)[:500]}"
            failures.append(ph)
        else:
            results.get("failures", {}).pop(ph, None)
        _partial.clear()
        _partial.update(results)
        save(results)
    if "env" in results:
        results["env"]["loadavg_end"] = loadavg()
    # Figures taken while other work loads the machine are preliminary: say so in the report.
    # (The load average cannot tell: at the end of a phase it holds the benchmark's own load.)
    cores = os.cpu_count() or 1
    busy = {ph: c for ph, c in (results.get("phase_other_cores") or {}).items() if c > 0.25}
    if busy and not args.preliminary:
        results["preliminary"] = (
            "Other work used the machine while these figures were taken (average cores "
            "used by processes that are not the benchmark's, per phase: "
            + ", ".join(f"{k} {v}" for k, v in busy.items())
            + f", of {cores}); latencies and "
            "throughput are pessimistic. Re-run `scripts/bench.sh` on a quiet machine."
        )
    elif not busy and not args.preliminary and args.fresh:
        results.pop("preliminary", None)
    save(results)
    if "report" in phases:
        from .report import render

        Path(args.report).write_text(render(results), encoding="utf-8")
        log(f"wrote {Path(args.report).relative_to(ROOT) if Path(args.report).is_relative_to(ROOT) else args.report}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
