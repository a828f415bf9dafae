"""Fast NLU loop: the intent classifier and the fallback decision of config.yml, without Rasa's
training graph (no entity extractor, no response selector: a FAQ topic is the classifier's own
best class; within about half a point of the full model on the dev sets).

    PYTHONPATH=. .venv/rasa/bin/python bench/nlu_fast.py record OUT.pkl [--config config.yml]
                                       [--new-data FILE ...] [--sets heldout.yml,...]
    PYTHONPATH=. .venv/rasa/bin/python bench/nlu_fast.py score OUT.pkl [--threshold T] [--disagree D]

``record`` runs 5-fold cross-validation on the training data (seed 0, as ``nlu_eval.py
--calibrate``) and trains once on all of it for the DEV sets, and stores per message the gold
label, both models' probability rows and the fallback's verdict without thresholds: every decision
rule can then be scored offline (``score``, or ``decision_rows`` from Python). Examples from the
``--new-data`` files are trained on in the folds but not scored, so CV compares data versions on
the same examples. Only the dev sets named with ``--sets`` are read (never a fresh test set).
"""

from __future__ import annotations

import argparse
import collections
import pickle
import sys
import tempfile
from pathlib import Path

import numpy as np
import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
# the scoring is nlu_eval.py's own (one definition of accuracy, wrong intent, fallback, out-of-scope F1)
from bench.nlu_eval import f1, merged, oos_pr  # noqa: E402
from bench.nlu_eval import metrics as scored  # noqa: E402

DEV_SETS = ("heldout.yml", "heldout2.yml", "heldout3.yml", "heldout4.yml", "heldout5.yml", "heldout6.yml")


def _components(config_path: Path) -> tuple:
    from rasa.engine.graph import ExecutionContext, GraphSchema
    from rasa.engine.storage.local_model_storage import LocalModelStorage
    from rasa.engine.storage.resource import Resource

    from bot.components.tokenizer import DomainJiebaTokenizer

    config = {
        c["name"].rsplit(".", 1)[-1]: c for c in yaml.safe_load(config_path.read_text(encoding="utf-8"))["pipeline"]
    }
    storage = LocalModelStorage(Path(tempfile.mkdtemp()))
    context = ExecutionContext(GraphSchema({}), "fast")
    tokenizer = DomainJiebaTokenizer.create(
        {**DomainJiebaTokenizer.get_default_config(), **config["DomainJiebaTokenizer"]},
        storage,
        Resource("tok"),
        context,
    )
    return config, storage, context, tokenizer


def _run(clf, gate, messages, judge, override):
    """Per message: (first-model row, second-model row or None, verdict decision)."""
    model = clf._model
    first = clf._part_proba(model, messages)
    second = clf._part_proba(model["second"], messages) if model.get("second") else None
    clf.process(messages)
    out = []
    for i, msg in enumerate(messages):
        verdict = judge(msg, gate._vocab, 0.0, override, 0.0)
        out.append(
            (first[i].astype(np.float32), None if second is None else second[i].astype(np.float32), verdict["decision"])
        )
    return list(clf._model["clf"].classes_), out


def record(out: Path, config_path: Path, new_data: list[str], sets: list[str]) -> None:
    from rasa.engine.storage.resource import Resource
    from rasa.shared.nlu.training_data.loading import load_data
    from rasa.shared.nlu.training_data.message import Message
    from rasa.shared.nlu.training_data.training_data import TrainingData
    from sklearn.model_selection import StratifiedKFold

    from bot.components.fallback import CalibratedFallbackClassifier, judge
    from bot.components.intent_classifier import TfidfIntentClassifier

    config, storage, context, tokenizer = _components(config_path)
    override = float(config["CalibratedFallbackClassifier"].get("override_confidence", 0.6))
    new = {str(Path(p).resolve()) for p in new_data}
    examples, fresh = [], []
    for path in sorted((ROOT / "bot/data/nlu").glob("*.yml")):
        data = load_data(str(path))
        tokenizer.process_training_data(data)
        for e in data.intent_examples:
            if e.get("intent"):
                examples.append(e)
                fresh.append(str(path.resolve()) in new)
    labels = [e.get("intent_response_key") or e.get("intent") for e in examples]

    def fresh_messages(texts):
        msgs = [Message(data={"text": t}) for t in texts]
        tokenizer.process(msgs)
        return msgs

    cv: dict[str, list] = {"gold": [], "text": [], "rows": []}
    splitter = StratifiedKFold(n_splits=5, shuffle=True, random_state=0)
    classes = None
    for k, (train_idx, test_idx) in enumerate(splitter.split(examples, labels)):
        train = TrainingData([examples[i] for i in train_idx])
        clf = TfidfIntentClassifier.create(config["TfidfIntentClassifier"], storage, Resource(f"c{k}"), context)
        clf.train(train)
        gate = CalibratedFallbackClassifier.create({}, storage, Resource(f"g{k}"), context)
        gate.train(train)
        scored = [i for i in test_idx if not fresh[i]]
        fold_classes, rows = _run(clf, gate, fresh_messages([examples[i].get("text") for i in scored]), judge, override)
        if classes is None:
            classes = fold_classes
        assert fold_classes == classes
        cv["gold"] += [labels[i] for i in scored]
        cv["text"] += [examples[i].get("text") for i in scored]
        cv["rows"] += rows
        print(f"fold {k}: {len(scored)} scored", file=sys.stderr)
    clf = TfidfIntentClassifier.create(config["TfidfIntentClassifier"], storage, Resource("call"), context)
    clf.train(TrainingData(examples))
    gate = CalibratedFallbackClassifier.create({}, storage, Resource("gall"), context)
    gate.train(TrainingData(examples))
    dev = {}
    for name in sets:
        rows = yaml.safe_load((ROOT / "tests/nlu" / name).read_text(encoding="utf-8"))["examples"]
        _, outs = _run(clf, gate, fresh_messages([r["text"] for r in rows]), judge, override)
        dev[name] = {
            "gold": [r["intent"] for r in rows],
            "style": [r["style"] for r in rows],
            "text": [r["text"] for r in rows],
            "rows": outs,
        }
    out.write_bytes(pickle.dumps({"classes": classes, "cv": cv, "dev": dev, "config": config["TfidfIntentClassifier"]}))


def features(classes, first, second, on_disagreement="first"):
    """(best class, its probability, margin to the second best, models agree) as the component computes them."""
    if second is None:
        row, agree = first, True
    else:
        agree = int(first.argmax()) == int(second.argmax())
        row = first if (not agree and on_disagreement == "first") else (first + second) / 2
    order = np.argsort(-row)
    return classes[order[0]], float(row[order[0]]), float(row[order[0]] - row[order[1]]), agree


def decision_rows(rec, part, name=None):
    """[(gold, top, p, margin, agree, decision, p_second_model_of_top, style)] of the CV or a dev set."""
    src = rec["cv"] if part == "cv" else rec["dev"][name]
    classes = rec["classes"]
    out = []
    for j, (first, second, decision) in enumerate(src["rows"]):
        top, p, margin, agree = features(classes, first, second)
        ps = float(second[classes.index(top)]) if second is not None else p
        pf = float(first[classes.index(top)])
        out.append(
            (src["gold"][j], top, p, margin, agree, decision, pf, ps, src.get("style", [None] * len(src["gold"]))[j])
        )
    return out


def act_default(threshold, disagree):
    def rule(top, p, margin, agree, pf, ps):
        return p >= (threshold if agree else max(threshold, disagree))

    return rule


def declared_thresholds(rec):
    """config.yml's rule (bench/nlu_eval.py: Wilson lower bound > 0.5 in pooled, monotone bins) on the CV rows:
    {(group, "probability" | "margin"): threshold}."""
    from bench.nlu_eval import CALIBRATION_EDGES, MARGIN_EDGES, rule_bins, rule_threshold

    rows = [r for r in decision_rows(rec, "cv") if r[5] == "act"]
    out = {}
    for agree in (True, False):
        for by, index, edges in (("probability", 2, CALIBRATION_EDGES), ("margin", 3, MARGIN_EDGES)):
            values = [(r[index], merged(r[0]) == merged(r[1])) for r in rows if r[4] == agree]
            out[("agree" if agree else "disagree", by)] = rule_threshold(rule_bins(values, edges))
    return out


def act_declared(t, use_margin=True):
    def rule(top, p, margin, agree, pf, ps):
        group = "agree" if agree else "disagree"
        return p >= t[(group, "probability")] and (not use_margin or margin >= t[(group, "margin")])

    return rule


def metrics(rows, rule):
    gold = [r[0] for r in rows]
    pred = [
        top if decision == "act" and rule(top, p, margin, agree, pf, ps) else "nlu_fallback"
        for _, top, p, margin, agree, decision, pf, ps, _ in rows
    ]
    m = scored(gold, pred)
    return {
        "n": m["n"],
        "acc": m["accuracy"],
        "wrong": m["wrong_intent"],
        "fallback": m["fallback"],
        "oos_f1": f1(*oos_pr(gold, pred)),
        "wrong_n": round(m["wrong_intent"] * m["n"]),
    }


def by_style(rows, rule):
    styles = collections.defaultdict(list)
    for r in rows:
        styles[r[-1]].append(r)
    return {s: metrics(v, rule)["acc"] for s, v in sorted(styles.items())}


def report(rec, rule, label=""):
    cv = metrics(decision_rows(rec, "cv"), rule)
    line = [f"{label:28s} CV acc {cv['acc']:.3f} wrong {cv['wrong'] * 100:.1f}% fb {cv['fallback'] * 100:.1f}% |"]
    total_wrong = total = 0
    for name in rec["dev"]:
        rows = decision_rows(rec, "dev", name)
        m = metrics(rows, rule)
        total_wrong += m["wrong_n"]
        total += m["n"]
        worst = min(by_style(rows, rule).items(), key=lambda kv: kv[1])
        line.append(
            f"{name[7:-4] or '1'}: {m['acc']:.3f}/{m['wrong'] * 100:.1f}%/oos{m['oos_f1']:.3f}/"
            f"{worst[0][:4]}{worst[1]:.2f}"
        )
    line.append(f"| dev wrong {total_wrong}/{total} = {total_wrong / max(total, 1) * 100:.2f}%")
    return " ".join(line)


def main() -> int:
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers(dest="cmd", required=True)
    r = sub.add_parser("record")
    r.add_argument("out")
    r.add_argument("--config", default=str(ROOT / "config.yml"))
    r.add_argument("--new-data", nargs="*", default=[])
    r.add_argument("--sets", default=",".join(DEV_SETS))
    s = sub.add_parser("score")
    s.add_argument("file")
    s.add_argument("--threshold", type=float, default=0.15)
    s.add_argument("--disagree", type=float, default=0.20)
    args = parser.parse_args()
    if args.cmd == "record":
        sets = [x for x in args.sets.split(",") if x]
        assert all(x in DEV_SETS for x in sets), "only the dev sets"
        record(Path(args.out), Path(args.config), args.new_data, sets)
        return 0
    rec = pickle.loads(Path(args.file).read_bytes())
    print(report(rec, act_default(args.threshold, args.disagree), f"{args.threshold}/{args.disagree}"))
    t = declared_thresholds(rec)
    print(report(rec, act_declared(t, False), "rule, probability only"), {k: v for k, v in t.items() if k[1][0] == "p"})
    print(report(rec, act_declared(t), "rule, probability + margin"), t)
    return 0


if __name__ == "__main__":
    sys.exit(main())
