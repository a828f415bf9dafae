"""Entity extraction compared: config.yml's extractor beside DIET, on splits of the training data.

    .venv/rasa/bin/python -m bench.entity_eval [--seeds 13,29] [--report docs/entity-report.md]   # from the repository root

tests/nlu/heldout.yml has no entity annotations, so entities are measured on
the training data itself: for each seed, bot/data/nlu is split 80/20 (Rasa's
own `train_test_split`, stratified by intent), the NLU pipeline of config.yml
is trained on the 80 % twice (as it is, and with DIET for the entities in
place of the CRF; the response selector is left out, it extracts nothing),
and every annotated entity of the 20 % is looked for in the parse: an entity
counts as found when its type, start and end match (the value is then the
synonym mapper's business). Also: training time and the CPU time of a parse
(process time, best of three passes). Writes a Markdown report and
var/bench/entities.json. Takes ~10 minutes on the 2-core benchmark machine.
"""

from __future__ import annotations

import argparse
import asyncio
import copy
import datetime as dt
import json
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Dict, List

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("RASA_TELEMETRY_ENABLED", "false")

# DIET as it extracted the entities before the CRF (docs/benchmarks.md, session 3)
DIET = {
    "name": "DIETClassifier",
    "intent_classification": False,
    "epochs": 40,
    "random_seed": 42,
    "number_of_transformer_layers": 2,
    "transformer_size": 128,
    "BILOU_flag": False,
    "constrain_similarities": True,
}
STATISTICAL = {"CRFEntityExtractor", "DIETClassifier"}


def _ungated(component: Dict[str, Any]) -> Dict[str, Any]:
    """Rasa's own featurizer for one that serves only the response selector: DIET reads them all."""
    prefix = "bot.components.response_selector.RetrievalIntent"
    if not component["name"].startswith(prefix):
        return component
    return {**{k: v for k, v in component.items() if k != "retrieval_intent"}, "name": component["name"][len(prefix) :]}


def variants() -> Dict[str, Dict[str, Any]]:
    base = yaml.safe_load((ROOT / "config.yml").read_text(encoding="utf-8"))
    base.pop("policies", None)
    base["pipeline"] = [c for c in base["pipeline"] if "ResponseSelector" not in c["name"]]
    for c in base["pipeline"]:
        if "dictionary_path" in c:
            c["dictionary_path"] = str(ROOT / c["dictionary_path"])
    extractor = next(c["name"] for c in base["pipeline"] if c["name"] in STATISTICAL)
    diet = copy.deepcopy(base)
    diet["pipeline"] = [DIET if c["name"] in STATISTICAL else _ungated(c) for c in diet["pipeline"]]
    return {f"config.yml ({extractor})": base, "DIET 2 x 128 (before)": diet}


def evaluate(config: Dict[str, Any], train_file: Path, test: List[Any], workdir: Path) -> Dict[str, Any]:
    from rasa.core.agent import Agent
    from rasa.model_training import train_nlu

    config_file = workdir / "config.yml"
    config_file.write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")
    os.environ["RASA_CACHE_DIRECTORY"] = str(workdir / "cache")  # a full training, nothing reused
    t0 = time.perf_counter()
    model = train_nlu(str(config_file), str(train_file), str(workdir / "models"))
    train_s = time.perf_counter() - t0
    agent = Agent.load(model)
    found = predicted = gold_total = 0
    per_type: Dict[str, List[int]] = {}

    async def run() -> float:
        nonlocal found, predicted, gold_total
        for message in test:
            parse = await agent.parse_message(message.get("text"))
            gold = {(e["entity"], e["start"], e["end"]) for e in message.get("entities")}
            pred = {(e["entity"], e["start"], e["end"]) for e in parse["entities"] if e["entity"] != "language"}
            found += len(gold & pred)
            predicted += len(pred)
            gold_total += len(gold)
            for entity in gold:
                counts = per_type.setdefault(entity[0], [0, 0])
                counts[0] += 1
                counts[1] += entity in pred
        best = float("inf")
        for _ in range(3):
            t = time.process_time()
            for message in test:
                await agent.parse_message(message.get("text"))
            best = min(best, (time.process_time() - t) / len(test) * 1000)
        return best

    parse_ms = asyncio.run(run())
    precision = found / predicted if predicted else 0.0
    recall = found / gold_total if gold_total else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {
        "train_s": train_s,
        "precision": precision,
        "recall": recall,
        "f1": f1,
        "parse_cpu_ms": parse_ms,
        "per_type": per_type,
    }


def main() -> int:
    import logging

    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--seeds", default="13,29")
    p.add_argument("--report", default=str(ROOT / "docs/entity-report.md"))
    args = p.parse_args()
    logging.disable(logging.INFO)
    from rasa.shared.nlu.training_data.formats.rasa_yaml import RasaYAMLWriter
    from rasa.shared.nlu.training_data.loading import load_data

    import bot.components  # noqa: F401 - the custom components and speed fixes, as the server runs them

    data = load_data(str(ROOT / "bot/data/nlu"))
    results: Dict[str, Any] = {"date": dt.datetime.now().isoformat(timespec="seconds"), "runs": []}
    for seed in [int(s) for s in args.seeds.split(",")]:
        train, test = data.train_test_split(train_frac=0.8, random_seed=seed)
        test_msgs = [m for m in test.nlu_examples if m.get("entities")]
        for name, config in variants().items():
            with tempfile.TemporaryDirectory() as tmp:
                train_file = Path(tmp) / "train.yml"
                RasaYAMLWriter().dump(str(train_file), train)
                res = evaluate(config, train_file, test_msgs, Path(tmp))
            res.update(
                variant=name,
                seed=seed,
                messages=len(test_msgs),
                entities=sum(len(m.get("entities")) for m in test_msgs),
            )
            print(json.dumps({k: v for k, v in res.items() if k != "per_type"}), flush=True)
            results["runs"].append(res)
    out = ROOT / "var/bench/entities.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=1, ensure_ascii=False), encoding="utf-8")
    Path(args.report).write_text(render(results), encoding="utf-8")
    return 0


def render(results: Dict[str, Any]) -> str:
    lines = [
        "# Entity extraction: CRF beside DIET",
        "",
        f"Written by `bench/entity_eval.py` on {results['date']} (see its docstring for the method). "
        "Each row: one 80/20 split of `bot/data/nlu` (seed), the pipeline of `config.yml` trained on the 80 % "
        "with the named entity extractor, every annotated entity of the 20 % looked for by type and span. "
        "Regex/lookup entities (RegexEntityExtractor) are part of both pipelines.",
        "",
        "| extractor | seed | test messages (entities) | precision | recall | F1 | training | parse CPU |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in results["runs"]:
        lines.append(
            f"| {r['variant']} | {r['seed']} | {r['messages']} ({r['entities']}) | {r['precision']:.3f} | "
            f"{r['recall']:.3f} | {r['f1']:.3f} | {r['train_s']:.0f} s | {r['parse_cpu_ms']:.1f} ms |"
        )
    types = sorted({t for r in results["runs"] for t in r["per_type"]})
    variant_names = sorted({r["variant"] for r in results["runs"]})
    lines += [
        "",
        "Recall per entity type (found / annotated, all seeds together):",
        "",
        "| entity | " + " | ".join(variant_names) + " |",
        "|---|" + "---|" * len(variant_names),
    ]
    for t in types:
        cells = []
        for v in variant_names:
            n = sum(r["per_type"].get(t, [0, 0])[0] for r in results["runs"] if r["variant"] == v)
            k = sum(r["per_type"].get(t, [0, 0])[1] for r in results["runs"] if r["variant"] == v)
            cells.append(f"{k}/{n}")
        lines.append(f"| {t} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    sys.exit(main())
