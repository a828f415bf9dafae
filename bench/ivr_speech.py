"""How long the phone's prompts really take to say: espeak-ng beside the estimate.

tests/bot/test_ivr_spoken.py drives the phone channel over every business path
and writes every prompt it heard to var/ivr-spoken-all.txt (with the channel's
character count and its text-to-speech estimate, ``rendering.tts_seconds``,
which assumes ~4.5 Mandarin characters/s: the 90-character / 20-second budget).
This synthesises each distinct prompt with espeak-ng (``-v cmn`` for Chinese,
``-v en`` for English, default rate) and reads the WAV's length, so the
estimate can be checked against a real synthesiser:

    .venv/rasa/bin/python -m pytest tests/bot/test_ivr_spoken.py -q   # writes var/ivr-spoken-all.txt
    .venv/rasa/bin/python bench/ivr_speech.py                         # prints, writes var/ivr-speech.md

espeak-ng's Mandarin voice is slower than production voices (it spells each
syllable), so its seconds are an upper bound, not the target. Needs the
``espeak-ng`` command (Debian package espeak-ng); without it the script says so
and exits 2.
"""

from __future__ import annotations

import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import wave
from pathlib import Path
from typing import Any, Dict, List, Tuple

ROOT = Path(__file__).resolve().parents[1]
SOURCE = ROOT / "var" / "ivr-spoken-all.txt"
REPORT = ROOT / "var" / "ivr-speech.md"
LINE = re.compile(r"^\s*([\d.]+) s\s+(\d+) ch  (.*?): (.*)$")


def english(text: str) -> bool:
    return len(re.findall(r"[A-Za-z]{2,}", text)) > len(re.findall(r"[\u3400-\u9fff]", text))


def synthesise(text: str, work: Path) -> float:
    wav = work / "prompt.wav"
    subprocess.run(
        ["espeak-ng", "-v", "en" if english(text) else "cmn", "-w", str(wav), text],
        check=True,
        capture_output=True,
        timeout=60,
    )
    with wave.open(str(wav)) as w:
        return w.getnframes() / float(w.getframerate())


def percentile(values: List[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def main() -> int:
    if not shutil.which("espeak-ng"):
        print("espeak-ng is not installed (apt-get install espeak-ng)")
        return 2
    if not SOURCE.exists():
        print(f"{SOURCE} is missing: run tests/bot/test_ivr_spoken.py first")
        return 2
    prompts: Dict[str, Any] = {}
    for line in SOURCE.read_text(encoding="utf-8").splitlines():
        m = LINE.match(line)
        if m:
            prompts.setdefault(m.group(4), (float(m.group(1)), int(m.group(2)), m.group(3)))
    rows: List[Tuple[float, float, int, str, str]] = []
    with tempfile.TemporaryDirectory() as tmp:
        for text, (estimate, chars, where) in prompts.items():
            rows.append((synthesise(text, Path(tmp)), estimate, chars, where, text))
    zh = [r for r in rows if not english(r[4])]
    en = [r for r in rows if english(r[4])]
    lines = [
        f"# Phone prompts through espeak-ng ({len(rows)} distinct prompts: {len(zh)} Chinese, {len(en)} English)",
        "",
        "| | estimate (s) | espeak-ng (s) |",
        "|---|---|---|",
    ]
    for name, group in (("Chinese", zh), ("English", en)):
        if not group:
            continue
        real, est = [r[0] for r in group], [r[1] for r in group]
        lines.append(f"| {name} median | {statistics.median(est):.1f} | {statistics.median(real):.1f} |")
        lines.append(f"| {name} p95 | {percentile(est, 95):.1f} | {percentile(real, 95):.1f} |")
        lines.append(f"| {name} max | {max(est):.1f} | {max(real):.1f} |")
    chars = sum(r[2] for r in zh)
    if zh:
        rate = chars / sum(r[0] for r in zh)
        lines += [
            "",
            f"espeak-ng's Mandarin rate here: {rate:.2f} characters/s (the budget assumes ~4.5, "
            f"production voices); at that rate the 90-character limit is {90 / rate:.0f} s.",
            f"Ratio espeak-ng / estimate (Chinese): median {statistics.median(r[0] / r[1] for r in zh if r[1]):.2f}.",
        ]
    lines += ["", "Longest with espeak-ng:", ""]
    for seconds, estimate, ch, where, text in sorted(rows, reverse=True)[:8]:
        lines.append(f"- {seconds:.1f} s (estimate {estimate:.1f} s, {ch} characters) {where}: {text}")
    report = "\n".join(lines) + "\n"
    print(report)
    REPORT.parent.mkdir(exist_ok=True)
    REPORT.write_text(report, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
