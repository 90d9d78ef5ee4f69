"""Does fitting FSRS to a cohort's answers predict recall better than FSRS's defaults?

Synthetic cohorts whose forgetting is known: each learner's answers come from FSRS itself run with
**true parameters** unlike the defaults (``TRUE_PARAMETERS``: first-day memories about a fifth as stable,
and a steeper forgetting curve), so the defaults are the wrong model and a fit can recover the right one.
Each learner practises on random days, a few random items a day; an answer is right with the true
recall at that moment, to the second (a first answer: even odds). The check is
`sitecoach.learning.memory_fit.check_fit`: fit on the earliest 80% of answers by time, score the rest (log
loss, RMSE as root Brier, AUC) for the constant baseline, FSRS's defaults and the fit.

    .venv/bin/python -m bench.memory_fit [--seed 7]
"""

from __future__ import annotations

import argparse
import random
import time
from datetime import UTC, datetime, timedelta

from fsrs import Card

from sitecoach.learning.memory import Memory
from sitecoach.learning.memory_fit import DEFAULTS, Review, check_fit

START = datetime(2026, 1, 5, 8, 0, tzinfo=UTC)
TRUE_PARAMETERS: tuple[float, ...] = (
    (0.05, 0.25, 0.45, 1.6)  # initial stabilities (days) after Again, Hard, Good, Easy: ~5x below default
    + DEFAULTS[4:20]
    + (0.45,)  # decay: a steeper curve than the default 0.1542
)
COHORTS = ((20, 60), (40, 90), (80, 120))  # (learners, days)


def synthetic_reviews(
    learners: int,
    days: int,
    seed: int,
    items: int = 40,
    per_day: int = 6,
    active_share: float = 0.5,
    parameters: tuple[float, ...] = TRUE_PARAMETERS,
    first_right: float = 0.5,
) -> list[Review]:
    """Answers of a cohort whose memory is FSRS with `parameters`, practising on random days; a first
    answer to an item is right with chance `first_right` (the lesson was read, or a lucky guess)."""
    truth = Memory(parameters=parameters)
    rng = random.Random(seed)
    reviews: list[Review] = []
    for learner in range(1, learners + 1):
        cards: dict[str, Card] = {}
        for day in range(days):
            if rng.random() > active_share:
                continue
            at = START + timedelta(days=day, hours=rng.uniform(0, 10))
            for k in range(per_day):
                item = f"Q{rng.randrange(items):03d}"
                when = at + timedelta(minutes=k)
                card = cards.get(item)
                recall = truth.card_retrievability(card, when) if card is not None else first_right
                correct = rng.random() < recall
                cards[item] = truth.review_card(card, correct, when)
                reviews.append(Review(learner, item, when, correct))
    return reviews


def main() -> None:
    """Print the check for a few cohort sizes."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    print("| learners | days | answers | scored | model | log loss | RMSE | AUC | seconds |")
    print("|---:|---:|---:|---:|---|---:|---:|---:|---:|")
    for learners, days in COHORTS:
        reviews = synthetic_reviews(learners, days, args.seed)
        started = time.perf_counter()
        check = check_fit(reviews)
        seconds = time.perf_counter() - started
        for s in check.scores:
            auc = f"{s.auc:.3f}" if s.auc is not None else "—"
            print(
                f"| {learners} | {days} | {len(reviews):,} | {check.scored:,} | {s.model} | {s.log_loss:.4f} | {s.rmse:.4f} | {auc} | {seconds:.1f} |"
            )


if __name__ == "__main__":
    main()
