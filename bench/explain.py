"""bench/explain.py: does the coach answer what jointers ask? Through the real `ask` path, offline.

Default: runs the team's blind question set (bench/data/explain_questions.yaml: written by someone who
never saw the cards, each question with must-mention fact groups and must-not-mention dangerous advice,
10% out of scope) through the same code as `sitecoach eval explain FILE` (each question from a new
learner, through the router and the explain skill, no LLM) and prints grounded answers, refusals,
dangerous advice and p95 answer time; then retrieval recall@1/@3 (is a card that carries every fact group
among the top cards?). The set is never used to write cards or choose the bars.

`--tune`: how the bars were chosen, on tuning data only: each card phrasing asked of an index built
without it (5 folds), and the out-of-scope tuning list (content/st1332/tuning/out_of_scope.txt). Prints
accuracy and refusals per bar, so the choice in `curriculum/card_search.py` can be checked.

    python bench/explain.py [--tune] [--file QUESTIONS.yaml]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sitecoach.curriculum.card_search import CardIndex, CardInfo  # noqa: E402
from sitecoach.curriculum.grading import load_questions, mentions_all  # noqa: E402
from sitecoach.curriculum.pack import load_pack  # noqa: E402

QUESTIONS = ROOT / "bench" / "data" / "explain_questions.yaml"
PACK = ROOT / "content" / "st1332"
OUT_OF_SCOPE = PACK / "tuning" / "out_of_scope.txt"
FOLDS = 5


def pack_cards() -> list[CardInfo]:
    return [CardInfo.from_content(c.model_dump(mode="json")) for c in load_pack(PACK).cards]


def card_text(card: CardInfo) -> str:
    return " ".join([card.answer, *card.must_do, *card.key_facts])


def tune() -> None:
    cards = pack_cards()
    rows = []  # (score, coverage, correct) per held-out phrasing
    for fold in range(FOLDS):
        texts = [c.index_text([q for i, q in enumerate(c.questions) if i % FOLDS != fold]) for c in cards]
        index = CardIndex(cards, texts=texts)
        for card in cards:
            for i, q in enumerate(card.questions):
                if i % FOLDS == fold:
                    hits = index.search(q, k=1)
                    top = hits[0] if hits else None
                    rows.append((top.score, top.coverage, top.known, top.card is card) if top else (0, 0, 0, False))
    full = CardIndex(cards)
    oos = [line.strip() for line in OUT_OF_SCOPE.read_text().splitlines() if line.strip() and line[0] != "#"]
    out = [(h[0].score, h[0].coverage, h[0].known) if (h := full.search(q, k=1)) else (0, 0, 0) for q in oos]
    n = len(rows)
    print(f"# card bars: {n} held-out phrasings of {len(cards)} cards ({FOLDS} folds), {len(oos)} out-of-scope")
    print(f"top-1 card right (no bar): {sum(r[3] for r in rows) / n:.1%}")
    print(f"{'score':>6s} {'cover':>6s} {'known':>6s} {'right':>7s} {'refused':>8s} {'wrong':>7s} {'oos refused':>11s}")
    for min_score in (1.0, 2.0, 3.0, 4.0):
        for min_cov in (0.34, 0.5, 0.6):
            for min_known in (0.5, 0.6, 0.75, 0.8):
                answered = [r for r in rows if r[0] >= min_score and r[1] >= min_cov and r[2] >= min_known]
                right = sum(r[3] for r in answered)
                refused_oos = sum(1 for s, c, k in out if not (s >= min_score and c >= min_cov and k >= min_known))
                print(
                    f"{min_score:6.1f} {min_cov:6.2f} {min_known:6.2f} {right / n:7.1%} "
                    f"{1 - len(answered) / n:8.1%} {(len(answered) - right) / n:7.1%} {refused_oos / len(oos):11.1%}"
                )


def evaluate(path: Path) -> None:
    os.environ.setdefault("DATABASE_URL", f"sqlite:///{tempfile.mkdtemp(prefix='explain-bench-')}/bench.db")
    from sitecoach.cli import _ensure_seeded, _print_explain_eval, _settings, explain_eval
    from sitecoach.wiring import build_services

    questions = load_questions(path)
    settings = _settings().with_overrides(coach_channel="simulator", anthropic_api_key="")
    _ensure_seeded(settings)
    services = build_services(settings, start_embedded_redis=True)
    try:
        grades, seconds = explain_eval(services, questions, show_progress=True)
        catalogue = services.catalogue()
        inside = [q for q in questions if q.in_scope]
        at1 = at3 = 0
        for q in inside:
            ok = [mentions_all(card_text(h.card), q)[0] for h in catalogue.find_cards(q.text, k=3)]
            at1 += bool(ok and ok[0])
            at3 += any(ok)
    finally:
        services.close()
    print(f"# explain: {len(catalogue.cards)} live cards, {len(questions)} questions ({path.name}), offline")
    _print_explain_eval(grades, seconds, as_json=False)
    print(f"{'retrieval recall@1':28s} {at1 / len(inside):8.1%}")
    print(f"{'retrieval recall@3':28s} {at3 / len(inside):8.1%}")


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--tune", action="store_true", help="the bar table on tuning data only")
    parser.add_argument("--file", type=Path, default=QUESTIONS, help="the question set (YAML)")
    args = parser.parse_args()
    if args.tune:
        tune()
    else:
        evaluate(args.file)


if __name__ == "__main__":
    main()
