"""Field-value understanding measured: extract_values on resident phrasings, with
and without each library, beside the older one-field reader (parse_field).

    .venv/rasa/bin/python -m bench.values_eval [--report docs/values-report.md]   # from the repository root

Cases: bench/data/values_cases.yml (development: written while building) and
bench/data/values_heldout.yml (held out: written afterwards, never tuned on;
its first-run figure is kept in the file), each with item, text, field asked,
values known and the whole expected answer. A case is right when the returned dict is exactly the
expected one (every field the turn gives, nothing more: a reply taken as a
name is as wrong as a missed city). Field figures count each expected or
returned (field, value) pair. Variants switch one library off at a time:
OpenCC (Traditional), cn2an (numerals), JioNLP's gazetteer (cities; without it
only province names are known), JioNLP's time parser (fallback for spans).
Timing: CPU time per call over all cases (best of 3 passes, warm), and the
one-off load of the gazetteer. Pure Python, no stack; takes ~20 s.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any, Callable, Dict, List, Tuple

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ["SZ_VALUES_WARM"] = "0"  # the load is measured below, not in a background thread

SETS = {
    "development": ROOT / "bench" / "data" / "values_cases.yml",
    "held out": ROOT / "bench" / "data" / "values_heldout.yml",
}


def load_sets() -> Dict[str, Dict[str, Any]]:
    return {name: yaml.safe_load(path.read_text(encoding="utf-8")) for name, path in SETS.items()}


def catalogue() -> Dict[str, Any]:
    """The item fields as GET /catalogue lists them without a schema: choices as plain values."""
    items = yaml.safe_load((ROOT / "backend" / "data" / "catalog.yml").read_text(encoding="utf-8"))["items"]
    for item in items.values():
        for f in item.get("fields") or []:
            if f.get("choices"):
                f["choices"] = [c["value"] if isinstance(c, dict) else c for c in f["choices"]]
    return items


_DUMP = """
import json, sys
from sz_backend.catalogue import get_catalogue
from sz_backend.services.items.schema import public_field
cat = get_catalogue()
items = cat.items() if callable(cat.items) else cat.items
items = items.values() if isinstance(items, dict) else items
json.dump({e.code: {"fields": [public_field(f) for f in e.fields]} for e in items}, sys.stdout, ensure_ascii=False,
          default=str)
"""


def schema_catalogue() -> Dict[str, Any] | None:
    """The catalogue fields with the backend's `schema` (what GET /catalogue lists), produced by the
    backend's own code in its virtualenv; None when the backend has no field schema (yet)."""
    import subprocess

    python = ROOT / ".venv" / "backend" / "bin" / "python"
    if not python.exists():
        return None
    try:
        out = subprocess.run(
            [str(python), "-c", _DUMP], cwd=ROOT / "backend", capture_output=True, text=True, timeout=120, check=True
        )
        return json.loads(out.stdout)
    except (subprocess.SubprocessError, ValueError, OSError):
        return None


def _old_reader(
    specs: List[Dict[str, Any]], text: str, entities: list, asked: Any, known: Dict[str, Any]
) -> Dict[str, str]:
    """What the form did before: parse_field for the asked field, entity-only for the others (no entities here)."""
    from bot.actions.fields import parse_field

    message = {"text": text, "entities": entities}
    out = {}
    for spec in specs:
        p = parse_field(spec, message, requested=spec["name"] == asked)
        if p.value is not None:
            out[spec["name"]] = p.value
    return out


def score(run: Callable[..., Dict[str, str]], cases: List[Dict[str, Any]], items: Dict[str, Any]) -> Dict[str, Any]:
    right, tp, fp, fn, wrong = 0, 0, 0, 0, []
    times: List[float] = []
    for case in cases:
        specs = items[case["item"]]["fields"]
        args: Tuple[Any, ...] = (specs, case["text"], [], case.get("asked"), case.get("known") or {})
        got = run(*args)
        best = min(_timed(run, args) for _ in range(3))
        times.append(best)
        want = {k: str(v) for k, v in (case.get("expect") or {}).items()}
        got = {k: str(v) for k, v in got.items()}
        if got == want:
            right += 1
        else:
            wrong.append((case, got))
        for k, v in got.items():
            if want.get(k) == v:
                tp += 1
            else:
                fp += 1
        fn += sum(1 for k, v in want.items() if got.get(k) != v)
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / (tp + fn) if tp + fn else 1.0
    return {
        "cases": len(cases),
        "right": right,
        "accuracy": right / len(cases),
        "precision": precision,
        "recall": recall,
        "f1": 2 * precision * recall / (precision + recall) if precision + recall else 0.0,
        "ms_mean": statistics.mean(times) * 1000,
        "ms_p95": sorted(times)[int(0.95 * (len(times) - 1))] * 1000,
        "wrong": wrong,
    }


def _timed(run: Callable[..., Any], args: tuple) -> float:
    start = time.process_time()
    run(*args)
    return time.process_time() - start


def jionlp_alone(sets: Dict[str, Dict[str, Any]], today: dt.datetime) -> List[str]:
    """JioNLP's own parsers on the cases they could answer: parse_location (no notion of origin or
    destination) on the place cases, extract_time on the single-month cases."""
    from bot.actions.values._jio import jionlp
    from bot.actions.values.text import simplify

    jio = jionlp()
    place_right = place_n = month_right = month_n = 0
    place_t: List[float] = []
    month_t: List[float] = []
    base = {"year": today.year, "month": today.month, "day": today.day, "hour": 12, "minute": 0, "second": 0}
    for d in sets.values():
        for case in d["cases"]:
            want = {k: str(v) for k, v in (case.get("expect") or {}).items()}
            prov = next((v for k, v in want.items() if k.endswith("_province")), None)
            city = next((v for k, v in want.items() if k.endswith("_city")), None)
            if prov:
                place_n += 1
                start = time.process_time()
                try:
                    res = jio.parse_location(simplify(case["text"]))
                except Exception:  # noqa: BLE001 - a refusal counts as a miss
                    res = {}
                place_t.append(time.process_time() - start)
                got_city = str(res.get("city") or "").removesuffix("市") or None
                if res.get("province") == prov and (city is None or got_city == city):
                    place_right += 1
            if set(want) == {"month"}:
                month_n += 1
                start = time.process_time()
                try:
                    found = jio.ner.extract_time(simplify(case["text"]), time_base=base, with_parsing=True)
                except Exception:  # noqa: BLE001
                    found = []
                month_t.append(time.process_time() - start)
                got = next(
                    (
                        f["detail"]["time"][0][:7]
                        for f in found or []
                        if f.get("detail", {}).get("type") in ("time_point", "time_span")
                    ),
                    None,
                )
                if got == want["month"]:
                    month_right += 1
    ms = lambda xs: statistics.mean(xs) * 1000 if xs else 0.0  # noqa: E731
    return [
        f"- `jio.parse_location` on the {place_n} place cases: {place_right} right ({place_right / max(place_n, 1):.0%}), "
        f"{ms(place_t):.2f} ms/call. It has no origin/destination (it takes the first place: 从深圳转到杭州 -> 深圳) "
        "and fills a county for a bare city name (长沙 -> 长沙县), so only its division data is used.",
        f"- `jio.ner.extract_time` on the {month_n} single-month cases: {month_right} right "
        f"({month_right / max(month_n, 1):.0%}), {ms(month_t):.2f} ms/call. It refuses 上个月, 8月份 and "
        "3到8月, so it is only the fallback for spans (去年下半年, 一整年).",
    ]


def variants() -> List[Tuple[str, Dict[str, Tuple[str, str, bool]]]]:
    """(label, {switch: (module, attribute, value)})"""
    return [
        ("extract_values, all libraries", {}),
        ("without OpenCC (Traditional)", {"opencc": ("bot.actions.values.text", "USE_OPENCC", False)}),
        ("without cn2an (numerals by hand)", {"cn2an": ("bot.actions.values.numbers", "USE_CN2AN", False)}),
        ("without JioNLP gazetteer (province names only)", {"jio": ("bot.actions.values.places", "USE_JIONLP", False)}),
        ("without JioNLP time parser", {"time": ("bot.actions.values.dates", "USE_JIONLP_TIME", False)}),
    ]


def _switch(settings: Dict[str, Tuple[str, str, bool]], on: bool) -> None:
    import importlib

    from bot.actions.values import text as text_module

    for module, attr, value in settings.values():
        setattr(importlib.import_module(module), attr, value if on else True)
    text_module.simplify.cache_clear()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--report", default=str(ROOT / "docs" / "values-report.md"))
    args = parser.parse_args()
    sets = load_sets()
    nows = {d["now"] for d in sets.values()}
    assert len(nows) == 1, "one clock for all sets"
    os.environ["SZ_NOW"] = nows.pop()
    items = catalogue()

    start = time.process_time()
    wall = time.perf_counter()
    from bot.actions.values import warm_up
    from bot.actions.values.extract import extract_values

    warm_up()
    load_cpu, load_wall = time.process_time() - start, time.perf_counter() - wall

    rows = []
    for label, settings in variants():
        _switch(settings, True)
        rows.append((label, {name: score(extract_values, d["cases"], items) for name, d in sets.items()}))
        _switch(settings, False)
    with_schema = schema_catalogue()
    if with_schema:
        rows.append(
            (
                "extract_values, all libraries, with the backend's field schema",
                {name: score(extract_values, d["cases"], with_schema) for name, d in sets.items()},
            )
        )
    rows.append(
        (
            "parse_field (the reader before), for comparison",
            {name: score(_old_reader, d["cases"], items) for name, d in sets.items()},
        )
    )

    dev, held = sets["development"], sets["held out"]
    lines = [
        "# Field values: how well residents' phrasings are understood",
        "",
        f"Produced by `bench/values_eval.py` on {dt.date.today().isoformat()}: "
        f"{len(dev['cases'])} development cases (`bench/data/values_cases.yml`, written while building, so "
        f"expect them to look good) and {len(held['cases'])} held-out cases (`bench/data/values_heldout.yml`, "
        "written afterwards and never tuned on; first run: " + str(held.get("first_run", "n/a")) + "). "
        "They cover places with origin/destination, spoken months, ranges, years and counts, tiers and grades "
        "by words, banks by short names, choices, free-text replies that are not values, corrections; Simplified, "
        "Traditional, English, speech transcripts. A case is right when the whole answer is exactly the expected "
        "one (a reply taken as a name is as wrong as a missed city). The catalogue fields are those of "
        "backend/data/catalog.yml without the backend's `schema` (the fallback path), and, "
        + (
            "in the row that says so, with the schema the backend lists in GET /catalogue (allowed values, aliases, "
            "amounts)."
            if with_schema
            else "the backend having no field schema yet, not with it."
        ),
        "",
        "| reader | development right | held-out right | field precision (all) | field recall (all) | CPU ms/call (mean) | p95 |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for label, by_set in rows:
        d, h = by_set["development"], by_set["held out"]
        tp_p = (d["precision"] * d["cases"] + h["precision"] * h["cases"]) / (d["cases"] + h["cases"])
        tp_r = (d["recall"] * d["cases"] + h["recall"] * h["cases"]) / (d["cases"] + h["cases"])
        lines.append(
            f"| {label} | {d['right']}/{d['cases']} ({d['accuracy']:.1%}) | {h['right']}/{h['cases']} "
            f"({h['accuracy']:.1%}) | {tp_p:.1%} | {tp_r:.1%} | {(d['ms_mean'] + h['ms_mean']) / 2:.2f} | "
            f"{max(d['ms_p95'], h['ms_p95']):.2f} |"
        )
    base = rows[0][1]
    lines += ["", "What each library adds (cases right with it minus without it, both sets):", ""]
    for label, by_set in rows[1:-1]:
        if not label.startswith("without"):
            continue
        gain = sum(base[n]["right"] - by_set[n]["right"] for n in base)
        lines.append(f"- {label.replace('without ', '')}: {gain:+d} cases")
    if with_schema:
        from bot.actions.values import choices as choice_module

        city = next(f for item in with_schema.values() for f in item["fields"] if f.get("type") == "city")
        fresh = json.loads(json.dumps(city))
        start = time.process_time()
        choice_module._INDEX_BY_CONTENT.clear()
        choice_module._index(fresh)
        build = time.process_time() - start
        start = time.process_time()
        choice_module._index(json.loads(json.dumps(city)))
        again = time.process_time() - start
        lines += [
            "",
            f"With the schema, the index of the {len(city['schema']['allowed'])} allowed cities is built once "
            f"({build * 1000:.1f} ms CPU), found again by content for new catalogue objects "
            f"({again * 1000:.1f} ms) and by identity for the cached ones the form passes (the table's figures).",
        ]
    lines += [
        "",
        "JioNLP's own parsers on the same cases, for comparison:",
        "",
        *jionlp_alone(sets, dt.datetime.fromisoformat(os.environ["SZ_NOW"])),
    ]
    lines += [
        "",
        "Which medical tier is the cheapest: the words '最便宜的那档' / 'cheapest' give the tier the "
        "schema says costs least (its `monthly_fen`: tier 2 at 1.5 % of the base, tier 1 at 8 %, "
        "backend/data/policy.yml), and '顶格' / 'highest' the dearest (tier 1); pension grades rise with their "
        "number. Anyone who reads 'the lowest tier' as tier 1 disagrees with the backend's own amounts.",
    ]
    lines += [
        "",
        "Precision and recall are case-weighted averages of the two sets. CPU time is per call, warm "
        "(best of 3), on this machine while other work ran.",
        "",
        f"One-off load (JioNLP's division data read into the gazetteer, pinyin of the place names, cn2an): "
        f"{load_cpu:.2f} s CPU, {load_wall:.2f} s wall; done in a background thread when the action server "
        "imports bot.actions.values.",
        "",
        "## Cases still wrong (all libraries)",
        "",
    ]
    wrong = [(n, c, g) for n in base for c, g in base[n]["wrong"]]
    if not wrong:
        lines.append("None.")
    for n, case, got in wrong:
        lines.append(
            f"- ({n}) `{case['item']}` asked={case.get('asked')} “{case['text']}”: "
            f"expected {case.get('expect') or {}}, got {got}"
        )
    report = "\n".join(lines) + "\n"
    Path(args.report).parent.mkdir(parents=True, exist_ok=True)
    Path(args.report).write_text(report, encoding="utf-8")
    print(report)


if __name__ == "__main__":
    main()
