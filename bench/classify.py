"""Throughput check for the offline intent classifier (not a test: nothing here asserts).

Run from the repository root:  .venv/bin/python bench/classify.py [seconds]

Loads the versioned intent model, then classifies the held-out set and the development set over and
over for about 3 seconds on one core, every message as if new (the classifier's cache bypassed), next
to a bare ``str.lower().split()`` baseline over the same messages; then pipes the same messages through
the real `sitecoach classify` command (its start-up included).
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


DEV = ROOT / "bench" / "data" / "nlu_dev.tsv"


def load_messages() -> list[str]:
    """The messages (last column) of the held-out and development sets."""
    lines = HELD_OUT.read_text(encoding="utf-8").splitlines() + DEV.read_text(encoding="utf-8").splitlines()
    return [line.rsplit("\t", 1)[1] for line in lines if "\t" in line]


def cli_rate(messages: list[str]) -> tuple[float, float]:
    """(messages/s, seconds) for `sitecoach classify` over the messages, start-up included."""
    import subprocess

    exe = Path(sys.executable).with_name("sitecoach")
    started = time.perf_counter()
    done = subprocess.run(
        [str(exe), "classify"], input="\n".join(messages) + "\n", capture_output=True, text=True, check=True
    )
    seconds = time.perf_counter() - started
    assert done.stdout.count("\n") == len(messages)
    return len(messages) / seconds, seconds


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
    # Every message as new: the uncached path, as for messages the coach has never seen.
    clf_n, clf_s = run(classifier._classify, messages, seconds)  # noqa: SLF001
    cli, cli_s = cli_rate(messages)
    base_rate = base_n / base_s
    clf_rate = clf_n / clf_s

    print(f"held-out messages: {len(messages)}  build: {build * 1000:.1f} ms  ({where})")
    print(f"{'run':36s} {'msgs':>9s} {'seconds':>8s} {'msgs/s':>11s}")
    print(f"{'str.lower().split() baseline':36s} {base_n:9d} {base_s:8.2f} {base_rate:11,.0f}")
    print(f"{'classify, first pass (cold caches)':36s} {len(messages):9d} {'':8s} {cold:11,.0f}")
    print(f"{'classify (every message new)':36s} {clf_n:9d} {clf_s:8.2f} {clf_rate:11,.0f}")
    print(f"{'sitecoach classify (with start-up)':36s} {len(messages):9d} {cli_s:8.2f} {cli:11,.0f}")
    print(f"ratio baseline / classify: {base_rate / clf_rate:.0f}x")
    print(f"classify: {clf_rate:.0f} msgs/s (target {TARGET})")


if __name__ == "__main__":
    main()
