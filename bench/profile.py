"""py-spy sampling of the running processes, summarised by component.

`record()` attaches py-spy (bench/requirements.txt) to several pids at once for a
fixed time while a load runs; `summarise()` reads py-spy's raw (collapsed)
output and attributes every sample to the first component (in BUCKETS order) among
its frames (NLU, policies, tracker store, HTTP, database ...), so the
report can say where a turn's CPU time goes.
"""

from __future__ import annotations

import collections
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple

from .common import ROOT

# (bucket, regex on "function (file:line)"). A sample goes to the FIRST bucket of this list that any
# of its frames matches (specific components before the glue that calls them).
BUCKETS: List[Tuple[str, str]] = [
    # Rasa server
    ("tracker store (read/write events, SQL)", r"rasa/core/tracker_store\.py|bot/rasa_ext/tracker_store\.py"),
    ("lock store", r"rasa/core/lock_store\.py"),
    ("NLU: tokenizer/normaliser (jieba, OpenCC)", r"bot/components/(tokenizer|normalizer)\.py|jieba/|opencc"),
    ("NLU: featurizers", r"rasa/nlu/featurizers/"),
    ("NLU: intent classifier (TF-IDF, logistic regression)", r"bot/components/intent_classifier\.py"),
    ("NLU: DIET classifier", r"rasa/nlu/classifiers/diet_classifier\.py"),
    ("NLU: response selector", r"rasa/nlu/selectors/|bot/components/response_selector\.py"),
    ("NLU: other components", r"rasa/nlu/|bot/components/language\.py"),
    ("policy: TED", r"rasa/core/policies/ted_policy\.py"),
    ("policy: rules/memoization", r"rasa/core/policies/(rule_policy|memoization)\.py"),
    # the ensemble (bot/components/lazy_ted.py patches its pick) and the policies' state featurisation
    ("policy: ensemble/featurisation", r"rasa/core/policies/|rasa/core/featurizers/|bot/components/lazy_ted\.py"),
    ("jsonschema check of action server responses", r"_validate_action_result|jsonschema/"),
    ("calling the action server (HTTP, JSON)", r"RemoteAction|rasa/utils/endpoints\.py"),
    ("events/tracker (de)serialisation", r"rasa/shared/core/(trackers|events|domain)\.py|jsonpickle"),
    ("graph engine/processor glue", r"rasa/engine/|rasa/core/processor\.py|rasa/core/agent\.py"),
    ("REST channel + Sanic HTTP", r"rasa/core/channels/|sanic/"),
    # action server
    ("actions: backend HTTP call (requests)", r"requests/|urllib3/|http/client\.py"),
    ("actions: action code", r"bot/actions/"),
    ("actions: rasa_sdk (tracker from JSON, responses)", r"rasa_sdk/"),
    # backend
    ("backend: auth (token lookup)", r"services/identity\.py"),
    ("backend: SQLAlchemy/DB driver", r"sqlalchemy/|sqlite3|psycopg"),
    ("backend: item runner/rules", r"sz_backend/services/items/|sz_backend/rules/"),
    ("backend: other services", r"sz_backend/"),
    ("backend: FastAPI/pydantic/uvicorn", r"fastapi/|pydantic|starlette/|uvicorn/|anyio/"),
    ("asyncio/threads (event loop, to_thread)", r"asyncio/|concurrent/futures|threading\.py"),
]
# Leaf frames of a thread that waits (py-spy cannot always tell idle threads apart).
IDLE = re.compile(
    r"^(_worker \(concurrent/futures/thread\.py|select \(selectors\.py|EpollSelector\.select|"
    r"wait \(threading\.py|_wait_for_tstate_lock|get \(queue\.py|poll \(selectors\.py|"
    r"serve \(sanic/server/runners\.py|run_forever \(asyncio/base_events\.py|_run_once \(asyncio)"
)
_COMPILED = [(name, re.compile(rx)) for name, rx in BUCKETS]


def py_spy() -> Optional[str]:
    exe = ROOT / ".venv/rasa/bin/py-spy"
    return str(exe) if exe.exists() else shutil.which("py-spy")


def record(pids: Dict[str, int], seconds: int, outdir: Path, rate: int = 100) -> Dict[str, subprocess.Popen]:
    """Start one py-spy per process (raw collapsed stacks, CPU samples only); wait with wait_all()."""
    exe = py_spy()
    if not exe:
        return {}
    outdir.mkdir(parents=True, exist_ok=True)
    procs = {}
    for name, pid in pids.items():
        out = outdir / f"{name}.txt"
        procs[name] = subprocess.Popen(
            [
                exe,
                "record",
                "--pid",
                str(pid),
                "--duration",
                str(seconds),
                "--rate",
                str(rate),
                "--format",
                "raw",
                "--output",
                str(out),
                "--subprocesses",
            ],
            # blocking (the default): py-spy pauses the process for each sample;
            # --nonblocking read torn stacks here (frames of unrelated
            # coroutines mixed in one sample)
            stdout=subprocess.DEVNULL,
            stderr=open(outdir / f"{name}.err", "w"),
        )
    return procs


def wait_all(procs: Dict[str, subprocess.Popen], timeout: float) -> None:
    for p in procs.values():
        try:
            p.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            p.terminate()
            p.wait(timeout=10)


def summarise(path: Path, top: int = 12) -> Dict[str, Any]:
    """Buckets (share of samples) and the hottest leaf functions of one py-spy raw file."""
    buckets: collections.Counter = collections.Counter()
    leaves: collections.Counter = collections.Counter()
    total = idle = 0
    if not path.exists():
        return {"samples": 0, "buckets": [], "leaves": []}
    for line in path.read_text(errors="replace").splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        n = int(count)
        frames = [f for f in stack.split(";") if not f.startswith("process ") and not f.startswith("thread ")]
        if frames and IDLE.match(_short(frames[-1])):
            idle += n
            continue
        total += n
        name = next((b for b, rx in _COMPILED if any(rx.search(fr) for fr in frames)), "other")
        buckets[name] += n
        if frames:
            leaves[_short(frames[-1])] += n
    return {
        "samples": total,
        "idle_samples": idle,
        "buckets": [(b, n, n / total if total else 0.0) for b, n in buckets.most_common()],
        "leaves": [(f, n, n / total if total else 0.0) for f, n in leaves.most_common(top)],
    }


def _short(frame: str) -> str:
    m = re.match(r"(.*) \((.*?):(\d+)\)$", frame)
    if not m:
        return frame[:120]
    func, path, line = m.groups()
    for marker in ("site-packages/", "python3.10/", "python3.11/", "/work/main/"):
        if marker in path:
            path = path.split(marker, 1)[1]
    return f"{func} ({path}:{line})"
