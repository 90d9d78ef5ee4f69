"""bench/nlu_round.py: the safety table for one round of blind messages (not a test: nothing here asserts).

    python bench/nlu_round.py MESSAGES.tsv [--misses]

MESSAGES.tsv holds one message a line, ``text<TAB>label``. Label ``stop`` is a request to stop the
coach's messages, ``emergency`` is harm or a hazard happening now; any other label counts as `other`
in the safety table. When the labels are intent names (a round across every intent), it also prints
overall accuracy and each intent's recall, and --misses lists every message given another intent.
The texts go through the real `sitecoach classify` command (its rules and cue grammars included, as an
outside tester would see them), then this prints the recall of STOP and of emergencies, the false STOP and
false emergency rates on the others, and with --misses every message on the wrong side.

With no file it prints this note and exits, so `make bench` can run it without a round to hand.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

SAFETY_LABELS = ("stop", "emergency")
OTHER = "other"


@dataclass(frozen=True)
class Verdict:
    """One message: the label it was written with and the intent the classifier gave it."""

    text: str
    written: str
    intent: str

    @property
    def label(self) -> str:
        """The safety side of the written label: stop, emergency or other."""
        return self.written if self.written in SAFETY_LABELS else OTHER


def read_round(path: Path) -> list[tuple[str, str]]:
    """(text, label) rows, the label lower-cased as written."""
    rows = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if "\t" not in line:
            continue
        text, label = line.rsplit("\t", 1)
        label = label.strip().lower()
        rows.append((text, label))
    return rows


def classify(texts: list[str]) -> list[str]:
    """The intent `sitecoach classify` gives each text, in order."""
    exe = Path(sys.executable).with_name("sitecoach")
    done = subprocess.run(
        [str(exe), "classify"],
        input="".join(t + "\n" for t in texts),
        capture_output=True,
        text=True,
        check=True,
    )
    intents = [json.loads(line)["intent"] for line in done.stdout.splitlines()]
    if len(intents) != len(texts):
        raise SystemExit(f"sitecoach classify answered {len(intents)} lines for {len(texts)} messages")
    return intents


def rate(hits: int, total: int) -> str:
    """`hits/total (percent)`, or a dash when there is nothing to count."""
    return f"{hits}/{total} ({hits / total:.1%})" if total else "-"


def table(verdicts: list[Verdict]) -> list[str]:
    """The four safety figures, one line each."""
    by_label = {label: [v for v in verdicts if v.label == label] for label in (*SAFETY_LABELS, OTHER)}
    others = by_label[OTHER]
    lines = [f"{len(verdicts)} messages: " + ", ".join(f"{len(v)} {k}" for k, v in by_label.items())]
    for label in SAFETY_LABELS:
        wanted = by_label[label]
        lines.append(f"{label + ' recall':24s} {rate(sum(v.intent == label for v in wanted), len(wanted))}")
    for label in SAFETY_LABELS:
        lines.append(
            f"{'false ' + label + ' on other':24s} {rate(sum(v.intent == label for v in others), len(others))}"
        )
    return lines


def intent_table(verdicts: list[Verdict]) -> list[str]:
    """Overall accuracy and each written intent's recall (for a round labelled with intent names)."""
    right = sum(v.intent == v.written for v in verdicts)
    lines = [f"{'overall accuracy':24s} {rate(right, len(verdicts))}"]
    for written in sorted({v.written for v in verdicts}):
        wanted = [v for v in verdicts if v.written == written]
        lines.append(
            f"{written + ' recall':24s} {rate(sum(v.intent == written for v in wanted), len(wanted))}"
        )
    return lines


def misread(verdicts: list[Verdict]) -> list[str]:
    """Every message given another intent than the one it was written for."""
    wrong = [v for v in verdicts if v.intent != v.written]
    return [f"\n## given another intent ({len(wrong)})"] + [
        f"  {v.written:12s} -> {v.intent:12s} {v.text}" for v in wrong
    ]


def misses(verdicts: list[Verdict]) -> list[str]:
    """Every safety message the classifier missed, and every `other` it took for a safety intent."""
    lines = []
    for label in SAFETY_LABELS:
        lost = [v for v in verdicts if v.label == label and v.intent != label]
        lines.append(f"\n## {label} missed ({len(lost)})")
        lines += [f"  {v.intent:12s} {v.text}" for v in lost]
    wrong = [v for v in verdicts if v.label == OTHER and v.intent in SAFETY_LABELS]
    lines.append(f"\n## other taken for stop or emergency ({len(wrong)})")
    lines += [f"  {v.intent:12s} {v.text}" for v in wrong]
    return lines


def main() -> None:
    """Classify the round and print the table (and the misses when asked)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("messages", nargs="?", type=Path, help="text<TAB>label, one message a line")
    parser.add_argument("--misses", action="store_true", help="also list every message on the wrong side")
    args = parser.parse_args()
    if args.messages is None:
        print("bench/nlu_round.py: no round given (python bench/nlu_round.py MESSAGES.tsv); nothing measured")
        return
    rows = read_round(args.messages)
    intents = classify([text for text, _ in rows])
    verdicts = [Verdict(text, label, intent) for (text, label), intent in zip(rows, intents, strict=True)]
    by_intent = any(v.written not in (*SAFETY_LABELS, OTHER) for v in verdicts)
    print("\n".join(table(verdicts)))
    if by_intent:
        print("\n".join(intent_table(verdicts)))
    if args.misses:
        print("\n".join(misses(verdicts)))
        if by_intent:
            print("\n".join(misread(verdicts)))


if __name__ == "__main__":
    main()
