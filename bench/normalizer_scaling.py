"""How the text normaliser's time grows with the message length (issue 11, finding 3).

The homophone correction scan and the Traditional->Simplified alignment used to
be quadratic: 8,000 characters took 7 s and 100,000 kept a core busy for over 10
minutes. This measures ``normalize_uncached`` (no cache) on messages of 1,000
to 100,000 characters of three kinds, prints milliseconds and microseconds per
character, and writes var/bench/normalizer_scaling.json. Linear means the
per-character figure stays flat as the length grows 100-fold.

The channels refuse messages over SZ_MAX_MESSAGE_CHARS (1,000) before the NLU
(bot/channels/limits.py); this shows the NLU itself no longer has a length that
stops the service.

    .venv/rasa/bin/python -m bench.normalizer_scaling [--max 100000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Dict, List

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

# Three kinds of long input: Simplified with domain terms and speech homophones (the
# correction scan), Traditional (the phrase alignment), and text without any domain term.
KINDS = {
    "simplified_homophones": "我想给孩子停保，元老保险转储怎么办？设保一保欠费了，养老保险转出需要什么材料。",
    "traditional": "請問社會保險怎麼繳費？我的醫療保險要轉移到杭州，資訊在哪裡列印？網際網路上可以辦嗎。",
    "no_domain_terms": "今天天气很好，我们一起去公园散步，然后吃了一顿很好吃的午饭，下午回家休息。",
}
LENGTHS = (1_000, 2_000, 5_000, 10_000, 20_000, 50_000, 100_000)


def measure(max_len: int, repeat: int) -> Dict[str, List[Dict[str, float]]]:
    from bot.components import normalizer

    normalizer.warm_up()
    results: Dict[str, List[Dict[str, float]]] = {}
    for kind, unit in KINDS.items():
        rows = []
        for n in (n for n in LENGTHS if n <= max_len):
            text = (unit * (n // len(unit) + 1))[:n]
            best = float("inf")
            for _ in range(repeat):
                t0 = time.perf_counter()
                out = normalizer.normalize_uncached(text)
                best = min(best, time.perf_counter() - t0)
            assert len(out) == n
            rows.append({"chars": n, "ms": best * 1000, "us_per_char": best * 1e6 / n})
            print(f"  {kind:22s} {n:>7,d} chars  {best * 1000:9.1f} ms  {best * 1e6 / n:6.1f} us/char", flush=True)
        results[kind] = rows
    return results


def main(argv: List[str]) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--max", type=int, default=100_000)
    p.add_argument("--repeat", type=int, default=3)
    p.add_argument("--out", type=Path, default=ROOT / "var/bench/normalizer_scaling.json")
    args = p.parse_args(argv)
    print("normalize_uncached: time by message length (best of %d)" % args.repeat)
    results = measure(args.max, args.repeat)
    growth = {k: rows[-1]["us_per_char"] / rows[0]["us_per_char"] for k, rows in results.items() if len(rows) > 1}
    for kind, g in growth.items():
        print(
            f"  {kind}: per-character time at the longest / at 1,000 characters = {g:.2f} "
            f"({'linear' if g < 3 else 'NOT linear'})"
        )
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({"results": results, "per_char_growth": growth}, indent=2))
    print(f"written {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
