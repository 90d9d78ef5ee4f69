"""Throughput check for the offline intent classifier (not a test: nothing here asserts).

Run from the repository root:  .venv/bin/python bench/classify.py [seconds]

Builds the classifier from skills/examples, then classifies the held-out set
(tests/nlu/data/jointer_messages.tsv) over and over for about 3 seconds on one
core, next to a bare ``str.lower().split()`` baseline over the same messages.
"""

import os
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from sitecoach.skills import build_classifier  # noqa: E402

HELD_OUT = ROOT / "tests" / "nlu" / "data" / "jointer_messages.tsv"
TARGET = 5000


def pin_to_one_core() -> str:
    """Restrict this process to a single CPU where the OS allows it."""
    if hasattr(os, "sched_setaffinity"):
        cpu = min(os.sched_getaffinity(0))
        os.sched_setaffinity(0, {cpu})
        return f"cpu {cpu}"
    return "unpinned"


def load_messages() -> list[str]:
    """Messages (second column) of the held-out TSV."""
    lines = HELD_OUT.read_text(encoding="utf-8").splitlines()
    return [line.split("\t", 1)[1] for line in lines if "\t" in line]


def run(fn: Callable[[str], object], messages: list[str], seconds: float) -> tuple[int, float]:
    """Apply ``fn`` to every message, repeatedly, for about ``seconds``; return (count, elapsed)."""
    count = 0
    start = time.perf_counter()
    deadline = start + seconds
    while True:
        for message in messages:
            fn(message)
        count += len(messages)
        now = time.perf_counter()
        if now >= deadline:
            return count, now - start


def main() -> None:
    """Build, time and print the table plus the summary line."""
    seconds = float(sys.argv[1]) if len(sys.argv) > 1 else 3.0
    where = pin_to_one_core()
    t0 = time.perf_counter()
    classifier = build_classifier()
    build = time.perf_counter() - t0
    messages = load_messages()

    t0 = time.perf_counter()
    for message in messages:
        classifier.classify(message)
    cold = len(messages) / (time.perf_counter() - t0)

    base_n, base_s = run(lambda m: m.lower().split(), messages, seconds / 6)
    clf_n, clf_s = run(classifier.classify, messages, seconds)
    base_rate = base_n / base_s
    clf_rate = clf_n / clf_s

    print(f"held-out messages: {len(messages)}  build: {build * 1000:.1f} ms  ({where})")
    print(f"{'run':36s} {'msgs':>9s} {'seconds':>8s} {'msgs/s':>11s}")
    print(f"{'str.lower().split() baseline':36s} {base_n:9d} {base_s:8.2f} {base_rate:11,.0f}")
    print(f"{'classify, first pass (cold caches)':36s} {len(messages):9d} {'':8s} {cold:11,.0f}")
    print(f"{'classify':36s} {clf_n:9d} {clf_s:8.2f} {clf_rate:11,.0f}")
    print(f"ratio baseline / classify: {base_rate / clf_rate:.0f}x")
    print(f"classify: {clf_rate:.0f} msgs/s (target {TARGET})")


if __name__ == "__main__":
    main()
