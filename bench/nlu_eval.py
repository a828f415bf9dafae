"""Held-out NLU evaluation: the trained Rasa model beside a simple baseline.

    .venv/rasa/bin/python bench/nlu_eval.py [--model models/] [--report docs/nlu-report.md] [--json FILE]
                                            [--homophone-ablation]

Reads tests/nlu/heldout.yml (never used for training), parses every message
with the trained model, and reports intent accuracy and macro-F1 overall and
per style, out-of-scope precision/recall, and the most confused pairs; the
same figures for a TF-IDF + logistic-regression baseline trained on the same
training data, so the gain is visible. Writes a Markdown report.

--homophone-ablation also trains the intent pipeline of config.yml twice, with
the tokenizer's speech-homophone correction on and off (the entity extractor
left out), and reports both on the held-out set: does the
pinyin-based correction beat what the training data's homophone examples
teach on their own?
"""
from __future__ import annotations

import argparse
import asyncio
import collections
import datetime as dt
import os
import platform
import sys
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("RASA_TELEMETRY_ENABLED", "false")
OOS = {"out_of_scope", "nlu_fallback"}  # both mean "the bot does not act"


def load_heldout() -> list[dict]:
    return yaml.safe_load((ROOT / "tests/nlu/heldout.yml").read_text(encoding="utf-8"))["examples"]


def full_intent(parse: dict) -> str:
    intent = (parse.get("intent") or {}).get("name") or "nlu_fallback"
    if intent == "faq":
        key = parse.get("response_selector", {}).get("faq", {}).get("response", {}).get("intent_response_key")
        return key or "faq"
    return intent


def metrics(gold: list[str], pred: list[str]) -> dict:
    from sklearn.metrics import accuracy_score, f1_score

    labels = sorted(set(gold))
    return {"n": len(gold), "accuracy": accuracy_score(gold, pred),
            "macro_f1": f1_score(gold, pred, labels=labels, average="macro", zero_division=0)}


def oos_pr(gold: list[str], pred: list[str]) -> tuple[float, float]:
    tp = sum(g == "out_of_scope" and p in OOS for g, p in zip(gold, pred))
    fp = sum(g != "out_of_scope" and p in OOS for g, p in zip(gold, pred))
    fn = sum(g == "out_of_scope" and p not in OOS for g, p in zip(gold, pred))
    return tp / ((tp + fp) or 1), tp / ((tp + fn) or 1)


def rasa_predictions(model: str, texts: list[str]) -> tuple[list[str], float]:
    from rasa.core.agent import Agent

    agent = Agent.load(model)

    async def run() -> list[str]:
        return [full_intent(await agent.parse_message(t)) for t in texts]

    start = time.perf_counter()
    preds = asyncio.run(run())
    return preds, (time.perf_counter() - start) / len(texts) * 1000


def baseline_predictions(texts: list[str]) -> list[str]:
    """TF-IDF character n-grams + logistic regression on the same training data."""
    from rasa.shared.nlu.training_data.loading import load_data
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline

    data = load_data(str(ROOT / "bot/data/nlu"))
    xs, ys = [], []
    for ex in data.intent_examples:
        xs.append(ex.get("text"))
        ys.append(ex.get("intent_response_key") or ex.get("intent"))
    model = make_pipeline(TfidfVectorizer(analyzer="char_wb", ngram_range=(1, 3), sublinear_tf=True),
                          LogisticRegression(max_iter=2000, C=10))
    model.fit(xs, ys)
    return list(model.predict(texts))


def ablation_configs(workdir: Path) -> dict[str, Path]:
    """config.yml's NLU pipeline without its statistical entity extractor, homophone correction on and off."""
    config = yaml.safe_load((ROOT / "config.yml").read_text(encoding="utf-8"))
    out = {}
    for name, on in (("correction on", True), ("correction off", False)):
        pipeline = []
        for component in config["pipeline"]:
            if component["name"] in ("DIETClassifier", "CRFEntityExtractor"):  # entities only
                continue
            component = dict(component)
            if component["name"].endswith("DomainJiebaTokenizer"):
                component["correct_homophones"] = on
            pipeline.append(component)
        path = workdir / f"config-{'on' if on else 'off'}.yml"
        path.write_text(yaml.safe_dump({"recipe": config["recipe"], "language": config["language"],
                                        "pipeline": pipeline}, allow_unicode=True), encoding="utf-8")
        out[name] = path
    return out


def homophone_ablation(rows: list[dict]) -> list[str]:
    import tempfile

    from rasa.model_training import train_nlu

    from bench.homophones import stress_set
    from bot.components import normalizer

    stress = stress_set(rows)
    texts = [r["text"] for r in rows]
    gold = [r["intent"] for r in rows]
    # the messages the correction changes: where it can make a difference at all
    changed = [i for i, t in enumerate(texts) if normalizer.normalize(t, True) != normalizer.normalize(t, False)]
    lines = ["### Speech-homophone correction: measured against training data alone", "",
             "The intent pipeline of config.yml (without the entity extractor) trained twice "
             "on the same data, with the tokenizer's pinyin-based correction of the domain terms on and off "
             "(the training data holds homophone examples either way). \"changed\": the "
             f"{len(changed)} held-out messages whose text the correction changes. \"stress\": "
             f"{len(stress)} held-out messages with one character of each domain term swapped for another "
             "with the same pinyin (`bench/homophones.py`, fixed seed; homophones the training data need not "
             "contain).", "",
             "| pipeline | macro-F1 all | speech acc. | speech macro-F1 | typo macro-F1 | changed: correct | "
             "stress acc. | stress macro-F1 |",
             "|---|---|---|---|---|---|---|---|"]
    with tempfile.TemporaryDirectory() as tmp:
        for name, config in ablation_configs(Path(tmp)).items():
            model = train_nlu(str(config), str(ROOT / "bot/data"), output=str(Path(tmp) / name.replace(" ", "-")),
                              domain=str(ROOT / "domain"))
            both, _ = rasa_predictions(model, texts + [r["text"] for r in stress])
            preds, stress_preds = both[:len(texts)], both[len(texts):]
            overall = metrics(gold, preds)
            by = {}
            for style in ("speech", "typo"):
                idx = [i for i, r in enumerate(rows) if r["style"] == style]
                by[style] = metrics([gold[i] for i in idx], [preds[i] for i in idx])
            right = sum(preds[i] == gold[i] for i in changed)
            st = metrics([r["intent"] for r in stress], stress_preds)
            lines.append(f"| {name} | {overall['macro_f1']:.3f} | {by['speech']['accuracy']:.3f} | "
                         f"{by['speech']['macro_f1']:.3f} | {by['typo']['macro_f1']:.3f} | "
                         f"{right}/{len(changed)} | {st['accuracy']:.3f} | {st['macro_f1']:.3f} |")
    return lines + [""]


def section(name: str, rows: list[dict], preds: list[str]) -> tuple[list[str], dict]:
    gold = [r["intent"] for r in rows]
    overall = metrics(gold, preds)
    p, r = oos_pr(gold, preds)
    lines = [f"### {name}", "", f"Overall: accuracy **{overall['accuracy']:.3f}**, macro-F1 **{overall['macro_f1']:.3f}** "
             f"(n={overall['n']}); out-of-scope precision {p:.3f}, recall {r:.3f}.", "",
             "| style | n | accuracy | macro-F1 |", "|---|---|---|---|"]
    by_style: dict[str, dict] = {}
    for style in sorted({x["style"] for x in rows}):
        idx = [i for i, x in enumerate(rows) if x["style"] == style]
        m = metrics([gold[i] for i in idx], [preds[i] for i in idx])
        by_style[style] = m
        lines.append(f"| {style} | {m['n']} | {m['accuracy']:.3f} | {m['macro_f1']:.3f} |")
    confused = collections.Counter((g, p) for g, p in zip(gold, preds) if g != p).most_common(10)
    lines += ["", "Most confused (gold -> predicted: count): " +
              "; ".join(f"{g} -> {p}: {c}" for (g, p), c in confused), ""]
    return lines, {"overall": overall, "styles": by_style, "oos": (p, r)}


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--model", default=str(ROOT / "models"))
    parser.add_argument("--report", default=str(ROOT / "docs/nlu-report.md"))
    parser.add_argument("--json", default=None, help="also write the figures as JSON (used by scripts/bench.sh)")
    parser.add_argument("--homophone-ablation", action="store_true",
                        help="also train with the homophone correction on and off and compare (two NLU trainings)")
    args = parser.parse_args()
    rows = load_heldout()
    texts = [r["text"] for r in rows]
    rasa_preds, ms = rasa_predictions(args.model, texts)
    base_preds = baseline_predictions(texts)
    rasa_lines, rasa_m = section("Rasa pipeline (config.yml)", rows, rasa_preds)
    base_lines, base_m = section("Baseline: TF-IDF char 1-3 + logistic regression", rows, base_preds)
    header = [
        "# NLU held-out report", "",
        f"Generated {dt.datetime.now().astimezone():%Y-%m-%d %H:%M %Z} by `bench/nlu_eval.py` on {platform.node()} "
        f"({platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}).", "",
        f"Held-out set: `tests/nlu/heldout.yml`, {len(rows)} messages written independently of the training data "
        "and never trained on. `nlu_fallback` counts as a wrong intent, and as out-of-scope for the "
        "out-of-scope figures (in both cases the assistant does not act).", "",
        f"Mean parse time per message: {ms:.1f} ms.", "",
    ]
    ablation_lines = homophone_ablation(rows) if args.homophone_ablation else []
    report = "\n".join(header + rasa_lines + base_lines + ablation_lines) + "\n"
    Path(args.report).write_text(report, encoding="utf-8")
    print(report)
    print(f"macro-F1 rasa={rasa_m['overall']['macro_f1']:.3f} baseline={base_m['overall']['macro_f1']:.3f}")
    if args.json:
        import json

        gold = [r["intent"] for r in rows]
        confused = {name: [[g, p, c] for (g, p), c in collections.Counter(
            (g, p) for g, p in zip(gold, preds) if g != p).most_common(10)]
            for name, preds in (("rasa", rasa_preds), ("baseline", base_preds))}
        Path(args.json).write_text(json.dumps(
            {"n": len(rows), "parse_ms": ms, "rasa": rasa_m, "baseline": base_m, "confused": confused,
             "rasa_markdown": "\n".join(rasa_lines), "baseline_markdown": "\n".join(base_lines),
             "ablation_markdown": "\n".join(ablation_lines)},
            ensure_ascii=False, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
