"""bench/explain.py: would the knowledge cards answer what jointers ask? (a baseline before wiring them in)

Runs the blind question set (bench/data/explain_questions.yaml: written by someone who never saw the
cards, each question with must-mention fact groups and must-not-mention dangerous advice, 10% out of
scope) against the pack's knowledge cards, retrieved by BM25 (bm25s) over each card's title, phrasings,
answer and key facts, analysed with the coach's jointer vocabulary (`curriculum.retrieval.analyze`).

A question counts as **grounded** when the top card's answer text (answer, must-dos, key facts) matches
every must-mention group, and **dangerous** when it matches a must-not pattern; recall@k is whether any
of the top k cards is grounded. Out-of-scope questions should score below the refusal bar. The cards are
not yet what learners hear (they await the safety lead's review workflow), so this measures the content
and the ranking, not the reply.

    python bench/explain.py [--refuse-below 4.0]
"""

from __future__ import annotations

import argparse
import re
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import bm25s  # noqa: E402
import numpy as np  # noqa: E402
import yaml  # noqa: E402

from sitecoach.curriculum.cards import CardSpec  # noqa: E402
from sitecoach.curriculum.pack import load_pack  # noqa: E402
from sitecoach.curriculum.retrieval import analyze  # noqa: E402

QUESTIONS = ROOT / "bench" / "data" / "explain_questions.yaml"
PACK = ROOT / "content" / "st1332"


def terms(text: str) -> list[str]:
    """The coach's canonical index terms for a text (stems, jointer synonyms, no stop words)."""
    return [t for group in analyze(text) for t in group]


def card_text(card: CardSpec) -> str:
    """What a learner would read from a card."""
    return " ".join([card.answer, *card.must_do, *card.key_facts])


def matches(text: str, pattern: str) -> bool:
    return re.search(pattern, text, re.IGNORECASE) is not None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--refuse-below", type=float, default=4.0, help="BM25 score under which we refuse")
    args = parser.parse_args()
    cards = list(load_pack(PACK).cards)
    corpus = [
        terms(" ".join([c.title, *c.questions, *c.questions, c.answer, *c.key_facts])) for c in cards
    ]  # the phrasings twice: they are what a jointer asks
    retriever = bm25s.BM25()
    retriever.index(corpus, show_progress=False)
    questions = yaml.safe_load(QUESTIONS.read_text(encoding="utf-8"))
    in_scope = [q for q in questions if q["in_scope"]]
    out_scope = [q for q in questions if not q["in_scope"]]
    grounded = at3 = dangerous = refused_in = 0
    times = []
    for q in in_scope:
        started = time.perf_counter()
        docs, scores = retriever.retrieve([terms(q["question"])], k=3, show_progress=False)
        times.append(time.perf_counter() - started)
        top = [(cards[int(i)], float(s)) for i, s in zip(docs[0], scores[0], strict=True)]
        if top[0][1] < args.refuse_below:
            refused_in += 1
            continue
        ok = [
            all(any(matches(card_text(c), p) for p in group) for group in q["must_mention"]) for c, _ in top
        ]
        grounded += ok[0]
        at3 += any(ok)
        dangerous += any(matches(card_text(top[0][0]), p) for p in q.get("must_not_mention") or [])
    refused_out = 0
    for q in out_scope:
        _, scores = retriever.retrieve([terms(q["question"])], k=1, show_progress=False)
        refused_out += float(scores[0][0]) < args.refuse_below
    n = len(in_scope)
    print(f"# explain baseline: {len(cards)} cards, {n} in-scope and {len(out_scope)} out-of-scope questions")
    print(f"{'measure':34s} {'value':>8s}")
    print(f"{'grounded (top card, all facts)':34s} {grounded / n:8.1%}")
    print(f"{'recall@3 (a grounded card in top 3)':34s} {at3 / n:8.1%}")
    print(f"{'dangerous advice (top card)':34s} {dangerous:8d}")
    print(f"{'in-scope refused':34s} {refused_in / n:8.1%}")
    print(f"{'out-of-scope refused':34s} {refused_out / max(1, len(out_scope)):8.1%}")
    print(f"{'p95 retrieval time':34s} {np.percentile(times, 95) * 1000:6.2f} ms")


if __name__ == "__main__":
    main()
