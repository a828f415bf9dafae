"""A speech-homophone stress set made from the held-out messages (for bench/nlu_eval.py).

Real transcripts swap a domain term's characters for others that sound the
same (社保 -> 设保, 医保 -> 一保). The held-out set has such messages, but the
training data has examples of those same swaps, so it cannot show whether the
pinyin-based corrector generalises beyond them. This set takes the Chinese
held-out messages (plain, colloquial, mixed, typo) that contain a domain term
(bot/components/domain_terms.txt) and replaces ONE character of each such term
with a different common character of exactly the same toneless pinyin (jieba's
single-character words, by frequency), chosen with a fixed seed. Nothing here
reads the corrector's own list of known mis-transcriptions.
"""

from __future__ import annotations

import random
import sys
from collections import defaultdict
from functools import lru_cache
from pathlib import Path
from typing import Dict, List, cast

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

STYLES = ("plain", "colloquial", "mixed", "typo")
MIN_CHAR_FREQ = 2000  # a common character, as a speech recogniser would output


@lru_cache(maxsize=1)
def _same_sound() -> Dict[str, List[str]]:
    """toneless pinyin -> common single characters, most frequent first."""
    from pypinyin import Style, lazy_pinyin

    from bot.components.normalizer import _jieba_main_dict

    chars = []
    with open(cast(Path, _jieba_main_dict()), encoding="utf-8") as f:
        for line in f:
            word, _, rest = line.partition(" ")
            if len(word) == 1 and "\u4e00" <= word <= "\u9fff":
                freq = int(rest.split(" ", 1)[0])
                if freq >= MIN_CHAR_FREQ:
                    chars.append((freq, word))
    table: Dict[str, List[str]] = defaultdict(list)
    for _freq, ch in sorted(chars, reverse=True):
        table[lazy_pinyin(ch, style=Style.NORMAL)[0]].append(ch)
    return table


@lru_cache(maxsize=1)
def _terms() -> tuple:
    from bot.components.normalizer import read_domain_terms

    return tuple(sorted({fields[0] for fields in read_domain_terms()["terms"]}, key=len, reverse=True))


def perturb(text: str, rng: random.Random) -> str:
    """`text` with one character of each domain term swapped for a same-sounding one."""
    from pypinyin import Style, lazy_pinyin

    out = list(text)
    taken = [False] * len(text)
    for term in _terms():
        start = text.find(term)
        while start != -1:
            span = range(start, start + len(term))
            if not any(taken[i] for i in span):
                for i in span:
                    taken[i] = True
                positions = list(span)
                rng.shuffle(positions)
                for i in positions:
                    sound = lazy_pinyin(text[i], style=Style.NORMAL)[0]
                    options = [c for c in _same_sound().get(sound, []) if c != text[i]][:8]
                    if options:
                        out[i] = rng.choice(options)
                        break
            start = text.find(term, start + 1)
    return "".join(out)


def stress_set(rows: List[dict], seed: int = 20261127) -> List[dict]:
    """Perturbed copies of the held-out rows that contain a domain term (and changed)."""
    rng = random.Random(seed)
    out = []
    for row in rows:
        if row["style"] not in STYLES:
            continue
        text = perturb(row["text"], rng)
        if text != row["text"]:
            out.append({**row, "text": text, "original": row["text"]})
    return out


if __name__ == "__main__":  # print the set
    import yaml

    rows = yaml.safe_load((ROOT / "tests/nlu/heldout.yml").read_text(encoding="utf-8"))["examples"]
    for r in stress_set(rows):
        print(f"{r['intent']:35s} {r['original']}  ->  {r['text']}")
