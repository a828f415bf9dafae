"""Load generator over Rasa's REST channel (asyncio + aiohttp, both come with Rasa).

Every virtual user has its own sender ids (a fresh one every `turns_per_sender`
turns, so conversations stay short unless a test wants them long). Every loop
is bounded in count and time, and only talks to 127.0.0.1.

    .venv/rasa/bin/python -m bench.load --url http://127.0.0.1:5005 --scenario faq --concurrency 8 --seconds 20
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time
import uuid
from dataclasses import dataclass, field
from typing import Any, Awaitable, Callable, Dict, List, Optional, Sequence

import aiohttp

from .common import summary_ms

FAQ_TEXT = "个人网上服务系统怎么登录"
BACKEND_TEXT = "查一下我的缴费明细"
CONVERSATION_START = "给孩子停保"
TIMEOUT = aiohttp.ClientTimeout(total=60)


class TurnError(Exception):
    pass


@dataclass
class Result:
    latencies: List[float] = field(default_factory=list)  # seconds, per successful turn
    errors: int = 0
    error_samples: List[str] = field(default_factory=list)
    elapsed: float = 0.0
    turns: int = 0

    def add_error(self, err: BaseException) -> None:
        self.errors += 1
        if len(self.error_samples) < 5:
            self.error_samples.append(f"{type(err).__name__}: {str(err)[:200]}")

    def as_dict(self) -> Dict[str, Any]:
        return {
            "latency_ms": summary_ms(self.latencies),
            "errors": self.errors,
            "error_samples": self.error_samples,
            "elapsed_s": self.elapsed,
            "turns": self.turns,
            "turns_per_s": (self.turns / self.elapsed) if self.elapsed else 0.0,
        }


async def send(
    session: aiohttp.ClientSession, url: str, sender: str, text: str, metadata: Optional[Dict[str, Any]] = None
) -> tuple:
    """One REST turn: (seconds, bot messages)."""
    body: Dict[str, Any] = {"sender": sender, "message": text}
    if metadata:
        body["metadata"] = metadata
    t0 = time.perf_counter()
    async with session.post(f"{url}/webhooks/rest/webhook", json=body) as resp:
        payload = await resp.read()
        if resp.status != 200:
            raise TurnError(f"HTTP {resp.status}: {payload[:200]!r}")
    dt = time.perf_counter() - t0
    msgs = json.loads(payload)
    if not isinstance(msgs, list) or not msgs:
        raise TurnError(f"no reply to {text!r}")
    return dt, msgs


def _texts(msgs: Sequence[Dict[str, Any]]) -> str:
    return "\n".join(str(m.get("text") or "") for m in msgs)


def check_faq(msgs: Sequence[Dict[str, Any]]) -> None:
    if "登录" not in _texts(msgs):
        raise TurnError(f"unexpected FAQ answer: {_texts(msgs)[:120]!r}")


def check_contributions(msgs: Sequence[Dict[str, Any]]) -> None:
    text = _texts(msgs)
    if "缴费" not in text or "登录" in text[:30]:
        raise TurnError(f"unexpected contributions answer: {text[:160]!r}")


async def conversation(session: aiohttp.ClientSession, url: str, sender: str, token: str) -> List[float]:
    """给孩子停保 -> choose the child (buttons) -> 确认 -> serial number. Returns each turn's seconds."""
    meta = {"auth_token": token}
    turns: List[float] = []
    dt, msgs = await send(session, url, sender, CONVERSATION_START, meta)
    turns.append(dt)
    buttons = [b for m in msgs for b in (m.get("buttons") or []) if b.get("payload", "").startswith("/stop_child")]
    if not buttons:
        raise TurnError(f"no child buttons: {_texts(msgs)[:160]!r}")
    dt, msgs = await send(session, url, sender, buttons[0]["payload"], meta)
    turns.append(dt)
    if not any(b.get("payload") == "/affirm" for m in msgs for b in (m.get("buttons") or [])):
        raise TurnError(f"no confirmation: {_texts(msgs)[:160]!r}")
    dt, msgs = await send(session, url, sender, "/affirm", meta)
    turns.append(dt)
    if "流水号" not in _texts(msgs):
        raise TurnError(f"no serial number: {_texts(msgs)[:160]!r}")
    return turns


async def _closed_loop(
    url: str,
    concurrency: int,
    seconds: float,
    max_turns: int,
    make_turn: Callable[[aiohttp.ClientSession, str], Awaitable[float]],
    label: str,
    turns_per_sender: int = 10,
    warmup: int = 0,
) -> Result:
    """`concurrency` virtual users, each sending turns back to back until time or count runs out."""
    result = Result()
    run = uuid.uuid4().hex[:6]
    conn = aiohttp.TCPConnector(limit=0, force_close=False)
    async with aiohttp.ClientSession(timeout=TIMEOUT, connector=conn) as session:
        # warm-up turns (not measured): model caches, connection pools
        for i in range(warmup):
            try:
                await make_turn(session, f"warm-{run}-{i}")
            except Exception:  # noqa: BLE001
                pass
        deadline = time.perf_counter() + seconds
        budget = [max_turns]

        async def user(u: int) -> None:
            k = 0
            while time.perf_counter() < deadline and budget[0] > 0:
                budget[0] -= 1
                sender = f"{label}-{run}-u{u}-s{k // turns_per_sender}"
                k += 1
                try:
                    dt = await make_turn(session, sender)
                    result.latencies.append(dt)
                    result.turns += 1
                except Exception as err:  # noqa: BLE001 - counted, the loop goes on
                    result.add_error(err)

        t0 = time.perf_counter()
        await asyncio.gather(*(user(u) for u in range(concurrency)))
        result.elapsed = time.perf_counter() - t0
    return result


def faq_turn(url: str) -> Callable[[aiohttp.ClientSession, str], Awaitable[float]]:
    async def turn(session: aiohttp.ClientSession, sender: str) -> float:
        dt, msgs = await send(session, url, sender, FAQ_TEXT)
        check_faq(msgs)
        return dt

    return turn


def backend_turn(url: str, token: str) -> Callable[[aiohttp.ClientSession, str], Awaitable[float]]:
    async def turn(session: aiohttp.ClientSession, sender: str) -> float:
        dt, msgs = await send(session, url, sender, BACKEND_TEXT, {"auth_token": token})
        check_contributions(msgs)
        return dt

    return turn


def run_turns(
    url: str, scenario: str, concurrency: int, seconds: float, max_turns: int, token: str = "", warmup: int = 3
) -> Result:
    make = faq_turn(url) if scenario == "faq" else backend_turn(url, token)
    return asyncio.run(_closed_loop(url, concurrency, seconds, max_turns, make, scenario, warmup=warmup))


def run_conversations(
    url: str, tokens: List[str], concurrency: int = 1, seconds: float = 60.0, max_conversations: int = 30
) -> Dict[str, Any]:
    """Whole business conversations, each with its own guardian (a token from `tokens`)."""
    per_turn: List[List[float]] = [[], [], []]
    totals: List[float] = []
    res = Result()
    pool = list(tokens)

    async def main() -> None:
        run = uuid.uuid4().hex[:6]
        async with aiohttp.ClientSession(timeout=TIMEOUT) as session:
            deadline = time.perf_counter() + seconds
            count = [0]

            async def user(u: int) -> None:
                while time.perf_counter() < deadline and count[0] < max_conversations and pool:
                    count[0] += 1
                    token = pool.pop()
                    t0 = time.perf_counter()
                    try:
                        turns = await conversation(session, url, f"conv-{run}-u{u}-{count[0]}", token)
                    except Exception as err:  # noqa: BLE001
                        res.add_error(err)
                        continue
                    totals.append(time.perf_counter() - t0)
                    for i, dt in enumerate(turns):
                        per_turn[i].append(dt)
                    res.turns += len(turns)

            t0 = time.perf_counter()
            await asyncio.gather(*(user(u) for u in range(concurrency)))
            res.elapsed = time.perf_counter() - t0

    asyncio.run(main())
    return {
        "conversation_ms": summary_ms(totals),
        "turn_ms": [summary_ms(x) for x in per_turn],
        "all_turns_ms": summary_ms([x for t in per_turn for x in t]),
        "errors": res.errors,
        "error_samples": res.error_samples,
        "conversations": len(totals),
        "elapsed_s": res.elapsed,
        "conversations_per_s": len(totals) / res.elapsed if res.elapsed else 0.0,
        "turns_per_s": res.turns / res.elapsed if res.elapsed else 0.0,
    }


def long_conversation(
    url: str,
    turns: int,
    checkpoints: Sequence[int],
    window: int = 10,
    text: str = FAQ_TEXT,
    metadata: Optional[Dict[str, Any]] = None,
) -> Dict[str, Any]:
    """One conversation of `turns` turns; latency over the `window` turns ending at each checkpoint."""
    lat: List[float] = []

    async def main() -> None:
        sender = f"long-{uuid.uuid4().hex[:8]}"
        async with aiohttp.ClientSession(timeout=TIMEOUT) as session:
            for _ in range(turns):
                dt, _msgs = await send(session, url, sender, text, metadata)
                lat.append(dt)

    asyncio.run(main())
    out = {}
    for c in checkpoints:
        if c <= len(lat):
            out[str(c)] = summary_ms(lat[max(0, c - window) : c])
    return {"checkpoints": out, "turns": len(lat)}


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--url", required=True)
    p.add_argument("--scenario", choices=["faq", "backend"], default="faq")
    p.add_argument("--token", default="", help="backend token (the 'backend' scenario)")
    p.add_argument("--concurrency", type=int, default=1)
    p.add_argument("--seconds", type=float, default=20)
    p.add_argument("--max-turns", type=int, default=100000)
    args = p.parse_args()
    res = run_turns(args.url, args.scenario, args.concurrency, args.seconds, args.max_turns, args.token)
    print(json.dumps(res.as_dict(), indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
