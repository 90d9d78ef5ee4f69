"""bench/nlu.py: how well the coach understands what jointers write.

Prints, per intent, precision and recall
  1. from stratified 5-fold cross-validation on the training data (each fold's model, thresholds
     included, trained without the fold), and
  2. on the development sets, written separately from the training data and never trained or tuned on:
     bench/data/nlu_dev.tsv (820 messages, written blind by a helper who never saw the training data)
     and tests/nlu/data/jointer_messages.tsv (the earlier held-out set),
plus the confusion matrix, the false-emergency rate on non-emergency messages, the false-STOP rate,
accuracy by kind of message, and messages/s on one core (one message at a time, no cache).

    python bench/nlu.py [--folds 5] [--skip-cv | --cv-only]

--cv-only runs the cross-validation on the training data and the speed check (timed on the training
messages) and never opens the development sets: use it while writing or tuning training data.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("OMP_NUM_THREADS", "1")  # one core, as the issue measures it
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np  # noqa: E402
from sklearn.model_selection import StratifiedKFold  # noqa: E402

from bench.harness import progress  # noqa: E402
from sitecoach.nlu.classifier import IntentClassifier  # noqa: E402
from sitecoach.nlu.training import train  # noqa: E402
from sitecoach.skills import build_classifier, build_registry  # noqa: E402

DEV_SETS = {
    "dev (blind, 820)": ROOT / "bench" / "data" / "nlu_dev.tsv",
    "held-out (earlier, 318)": ROOT / "tests" / "nlu" / "data" / "jointer_messages.tsv",
}


def read_tsv(path: Path) -> list[tuple[str, str, str]]:
    """(label, kind, text) rows; a two-column file has kind '-'."""
    rows = []
    for line in path.read_text(encoding="utf-8").splitlines():
        parts = line.split("\t")
        if len(parts) == 3:
            rows.append((parts[0], parts[1], parts[2]))
        elif len(parts) == 2:
            rows.append((parts[0], "-", parts[1]))
    return rows


def report(title: str, gold: list[str], pred: list[str], kinds: list[str] | None = None) -> dict[str, float]:
    """Print precision/recall per intent, the confusion matrix and the safety rates."""
    labels = sorted(set(gold) | set(pred))
    print(f"\n## {title}: {len(gold)} messages")
    g, p = np.array(gold), np.array(pred)
    accuracy = float(np.mean(g == p))
    print(f"{'intent':12s} {'n':>5s} {'precision':>9s} {'recall':>7s}")
    for label in labels:
        tp = int(np.sum((g == label) & (p == label)))
        n_pred, n_gold = int(np.sum(p == label)), int(np.sum(g == label))
        prec = tp / n_pred if n_pred else float("nan")
        rec = tp / n_gold if n_gold else float("nan")
        print(f"{label:12s} {n_gold:5d} {prec:9.3f} {rec:7.3f}")
    non_em, non_stop = g != "emergency", g != "stop"
    rates = {
        "accuracy": accuracy,
        "emergency_recall": float(np.mean(p[g == "emergency"] == "emergency"))
        if np.any(g == "emergency")
        else 1.0,
        "stop_recall": float(np.mean(p[g == "stop"] == "stop")) if np.any(g == "stop") else 1.0,
        "false_emergency": float(np.mean(p[non_em] == "emergency")),
        "false_stop": float(np.mean(p[non_stop] == "stop")),
    }
    print(
        f"accuracy {accuracy:.3f} | emergency recall {rates['emergency_recall']:.3f} | STOP recall "
        f"{rates['stop_recall']:.3f} | false emergencies {rates['false_emergency']:.2%} of others | "
        f"false STOP {rates['false_stop']:.2%} of others"
    )
    print("confusion (rows: truth, columns: predicted)")
    short = [label[:5] for label in labels]
    print(" " * 12 + " ".join(f"{s:>5s}" for s in short))
    for label in labels:
        row = [int(np.sum((g == label) & (p == other))) for other in labels]
        print(f"{label:12s}" + " ".join(f"{n:5d}" for n in row))
    if kinds:
        by = Counter(kinds)
        right = Counter(k for k, a, b in zip(kinds, gold, pred, strict=True) if a == b)
        worst = sorted(by, key=lambda k: right[k] / by[k])[:8]
        print("hardest kinds: " + ", ".join(f"{k} {right[k]}/{by[k]}" for k in worst))
    return rates


def cross_validate(folds: int) -> None:
    """Stratified k-fold on the training data, the whole pipeline (detectors included) per fold."""
    registry = build_registry()
    examples = registry.examples()
    rows = [(name, text) for name in sorted(examples) for text in examples[name]]
    labels = np.array([r[0] for r in rows])
    gold, pred = [], []
    splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=1)
    for train_index, test_index in progress(
        list(splitter.split(rows, labels)), "Cross-validation folds", summary="cross-validated {count} folds"
    ):
        fold_examples: dict[str, list[str]] = {}
        for i in train_index:
            fold_examples.setdefault(rows[i][0], []).append(rows[i][1])
        classifier = IntentClassifier(train(fold_examples, folds=3), registry.intents())
        for i in test_index:
            gold.append(rows[i][0])
            pred.append(classifier.classify(rows[i][1]).intent)
    report(f"training data, stratified {folds}-fold cross-validation", gold, pred)


def speed(classifier: IntentClassifier, texts: list[str]) -> float:
    """Messages/s, one at a time, cache bypassed (every message new)."""
    started = time.perf_counter()
    n = 0
    while time.perf_counter() - started < 3.0:
        for text in texts:
            classifier._classify(text)  # noqa: SLF001 - the uncached path, as for a message never seen
            n += 1
    return n / (time.perf_counter() - started)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--folds", type=int, default=5)
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--skip-cv", action="store_true", help="only the development sets and speed")
    mode.add_argument(
        "--cv-only",
        action="store_true",
        help="only cross-validation on the training data, and speed on the training messages; "
        "the development sets are never read",
    )
    args = parser.parse_args()
    classifier = build_classifier()
    print(
        f"# NLU benchmark: {len(classifier.model.classes)} intents, thresholds {classifier.model.thresholds}"
    )
    if not args.skip_cv:
        cross_validate(args.folds)
    if args.cv_only:
        examples = build_registry().examples()
        texts = [text for name in sorted(examples) for text in examples[name]]
        print(
            f"\nspeed: {speed(classifier, texts):,.0f} messages/s on one core (one at a time, uncached, "
            "training messages)"
        )
        return
    texts = []
    for title, path in DEV_SETS.items():
        rows = read_tsv(path)
        texts += [r[2] for r in rows]
        pred = [classifier.classify(r[2]).intent for r in rows]
        report(title, [r[0] for r in rows], pred, [r[1] for r in rows] if rows[0][1] != "-" else None)
    print(f"\nspeed: {speed(classifier, texts):,.0f} messages/s on one core (one at a time, uncached)")


if __name__ == "__main__":
    main()
