"""Shared helpers of the benchmarks and the scale-out setup (Python 3.10, .venv/rasa).

Processes are started in their own session (process group) and remembered by
pid; stopping sends SIGTERM to those groups only, never to anything by name.
"""

from __future__ import annotations

import json
import math
import os
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any, Dict, Iterable, List, Optional, Sequence, Union

ROOT = Path(__file__).resolve().parents[1]
VAR = ROOT / "var"
BACKEND_PY = ROOT / ".venv/backend/bin/python"
RASA_PY = ROOT / ".venv/rasa/bin/python"
RASA_BIN = ROOT / ".venv/rasa/bin/rasa"
# A Friday 10:00 Beijing time: payment windows open, results do not depend on the wall clock.
PINNED_NOW = "2026-11-27T10:00:00+08:00"
DEMO_PASSWORD = "Demo@2026"
PG_HOST, PG_PORT, PG_USER = "127.0.0.1", 5432, "postgres"
REDIS_HOST, REDIS_PORT = "127.0.0.1", 6379


# ---- ports, HTTP --------------------------------------------------------------
def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def port_open(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket() as s:
        s.settimeout(0.5)
        return s.connect_ex((host, port)) == 0


def http_json(
    method: str, url: str, body: Any = None, headers: Optional[Dict[str, str]] = None, timeout: float = 30.0
) -> Any:
    data = json.dumps(body).encode() if body is not None else None
    hdrs = {"Content-Type": "application/json", **(headers or {})}
    req = urllib.request.Request(url, data=data, method=method, headers=hdrs)
    with urllib.request.urlopen(req, timeout=timeout) as resp:
        raw = resp.read()
    return json.loads(raw) if raw else None


def wait_http(url: str, seconds: float, proc: Optional[subprocess.Popen] = None, log: Optional[Path] = None) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=3) as resp:
                if resp.status == 200:
                    return
        except (OSError, urllib.error.URLError):
            pass
        if proc is not None and proc.poll() is not None:
            break
        time.sleep(0.5)
    tail = log.read_text(errors="replace")[-3000:] if log and log.exists() else ""
    raise RuntimeError(f"{url} did not come up within {seconds:.0f}s\n{tail}")


def login(backend: str, username: str, password: str = DEMO_PASSWORD) -> str:
    return http_json("POST", f"{backend}/auth/login", {"username": username, "password": password})["token"]


# ---- processes ----------------------------------------------------------------
class Procs:
    """Processes this run started (own process groups), stopped in reverse order."""

    def __init__(self, logdir: Path) -> None:
        self.logdir = logdir
        logdir.mkdir(parents=True, exist_ok=True)
        self.items: List[Dict[str, Any]] = []

    def start(
        self, name: str, argv: Sequence[Union[str, Path, int]], cwd: Path, env: Optional[Dict[str, str]] = None
    ) -> subprocess.Popen:
        log = self.logdir / f"{name}.log"
        full_env = {**os.environ, "RASA_TELEMETRY_ENABLED": "false", **(env or {})}
        with open(log, "w") as fh:
            proc = subprocess.Popen(
                [str(a) for a in argv],
                cwd=str(cwd),
                env=full_env,
                stdout=fh,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self.items.append({"name": name, "proc": proc, "log": log, "pid": proc.pid})
        return proc

    def get(self, name: str) -> Dict[str, Any]:
        return next(i for i in self.items if i["name"] == name)

    def wait(self, name: str, url: str, seconds: float) -> None:
        item = self.get(name)
        wait_http(url, seconds, item["proc"], item["log"])

    def stop(self, name: Optional[str] = None) -> None:
        items = [i for i in self.items if name is None or i["name"] == name]
        for item in reversed(items):
            stop_group(item["pid"])
        for item in items:
            try:
                item["proc"].wait(timeout=20)
            except subprocess.TimeoutExpired:
                stop_group(item["pid"], signal.SIGKILL)
                item["proc"].wait(timeout=5)
        self.items = [i for i in self.items if i not in items]


def stop_group(pid: int, sig: int = signal.SIGTERM) -> None:
    """Signal the process group that `pid` leads (started with start_new_session by us)."""
    try:
        os.killpg(pid, sig)
    except ProcessLookupError:
        pass


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
        return True
    except ProcessLookupError:
        return False
    except PermissionError:
        return True


def peak_rss_mb(pid: int) -> Optional[float]:
    """VmHWM (peak resident set size) of a live process, in MiB."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


def rss_mb(pid: int) -> Optional[float]:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


def stat_fields(stat_text: str) -> List[str]:
    """The fields of a /proc/<pid>/stat text after the command name: index 0 is field 3 of proc(5)."""
    return stat_text.rsplit(")", 1)[1].split()


def stat_cpu_seconds(fields: List[str], reaped_children: bool = False) -> float:
    """User + system CPU time (seconds) from `stat_fields`; with `reaped_children`, plus that of
    the children the process has waited for (fields cutime, cstime)."""
    ticks = int(fields[11]) + int(fields[12])
    if reaped_children:
        ticks += int(fields[13]) + int(fields[14])
    return ticks / os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> Optional[float]:
    """User + system CPU time of a live process (seconds)."""
    try:
        return stat_cpu_seconds(stat_fields(Path(f"/proc/{pid}/stat").read_text()))
    except (OSError, IndexError, ValueError):
        return None


# ---- statistics ---------------------------------------------------------------
def percentile(values: Sequence[float], p: float) -> float:
    """Nearest-rank-with-interpolation percentile (p in 0..100); NaN for no values."""
    if not values:
        return math.nan
    xs = sorted(values)
    if len(xs) == 1:
        return xs[0]
    k = (len(xs) - 1) * p / 100.0
    lo, hi = math.floor(k), math.ceil(k)
    return xs[lo] + (xs[hi] - xs[lo]) * (k - lo)


def summary_ms(latencies_s: Iterable[float]) -> Dict[str, Any]:
    ms = [x * 1000 for x in latencies_s]
    return {
        "n": len(ms),
        "p50": percentile(ms, 50),
        "p95": percentile(ms, 95),
        "p99": percentile(ms, 99),
        "mean": (sum(ms) / len(ms)) if ms else math.nan,
        "max": max(ms) if ms else math.nan,
    }


# ---- PostgreSQL (psycopg2 from Rasa's dependencies) ----------------------------
def pg_available() -> bool:
    try:
        import psycopg2

        psycopg2.connect(host=PG_HOST, port=PG_PORT, user=PG_USER, dbname="postgres", connect_timeout=3).close()
        return True
    except Exception:  # noqa: BLE001 - any failure means "not usable here"
        return False


def redis_available() -> bool:
    try:
        import redis

        return bool(redis.Redis(host=REDIS_HOST, port=REDIS_PORT, socket_timeout=3).ping())
    except Exception:  # noqa: BLE001
        return False


def pg_recreate_db(name: str) -> None:
    """Drop and create a scratch database (only names this project's benchmarks own)."""
    assert name.startswith(("sz_bench", "sz_scaleout", "rasa_bench", "rasa_scaleout")), name
    import psycopg2

    conn = psycopg2.connect(host=PG_HOST, port=PG_PORT, user=PG_USER, dbname="postgres")
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()",
            (name,),
        )
        cur.execute(f'DROP DATABASE IF EXISTS "{name}"')
        cur.execute(f'CREATE DATABASE "{name}"')
    conn.close()


def newest_model() -> Optional[Path]:
    models = sorted((ROOT / "models").glob("*.tar.gz"), key=lambda p: p.stat().st_mtime)
    return models[-1] if models else None


def write_json(path: Path, data: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, ensure_ascii=False, indent=2, default=str), encoding="utf-8")
