"""Fitting FSRS to the cohort's own quiz answers, and checking the fit on later answers.

The rules, in words:

* A review is one quiz answer: learner, item, time (UTC), right or wrong. Right is Good (3) and wrong is
  Again (1), as `Memory.review` rates them. A card is one learner and one item; its reviews in time order.
* For the optimiser, days between two reviews are whole 24-hour periods (its data are in whole days).
* **Enough data** (`enough_data`): a fit needs at least `min_reviews` reviews from at least `min_learners`
  learners (the settings' `memory_fit_min_reviews`, 1,000, and `memory_fit_min_learners`, 20). 1,000 is
  the FSRS authors' long-standing advice to Anki users ("less than 1000 reviews: use the default
  parameters"); 20 learners keeps pooled parameters from being one or two heavy users' forgetting
  curves. Below either, the coach keeps FSRS's default parameters (the check below still runs, for
  information).
* **Fitting** (`fit_parameters`): fsrs-rs's optimiser (`fsrs_rs_python`, Rust, no torch) on the optimiser's
  own data shape: for each card, one training item per review that comes at least a day after the card's
  previous review, holding the card's history up to it. Same-day repeats stay in the histories but are not
  targets. The result is clamped into py-fsrs's parameter bounds.
* **Checking** (`check_fit`): all reviews in time order; the earliest `train_share` (80%) train, the rest
  test. The optimiser sees only the training reviews. Each card's whole history is replayed through
  `Memory` (py-fsrs's scheduler, as the coach uses it) under each set of parameters, and a test review's
  prediction is the card's recall just before it, to the second, as the coach reads it. A test review is
  scored only when it comes at least a whole day after the card's previous review: a first review has no
  prediction, and same-day repeats are not what the optimiser fits (FSRS's benchmarks likewise score
  long-term reviews only).
* **Metrics**: log loss and AUC by scikit-learn (`log_loss`, `roc_auc_score`; AUC is None when the test
  outcomes are all right or all wrong); RMSE is the root of the Brier score, sqrt(mean((p - y)^2)), not
  the FSRS benchmark's binned RMSE. The constant baseline predicts the mean recall of the training reviews
  that are scored the same way (a day or more after the card's previous review).
* **Adoption** (`decide`): fitted parameters replace the defaults only when, on the check, the fit on the
  earlier reviews beats the defaults' log loss on the later ones; the stored parameters are then fitted
  again on every review.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

import fsrs_rs_python as fsrs_rs
from fsrs import Card, Rating
from fsrs.scheduler import DEFAULT_PARAMETERS, LOWER_BOUNDS_PARAMETERS, UPPER_BOUNDS_PARAMETERS

from sitecoach.learning.memory import Memory, require_aware

TRAIN_SHARE = 0.8  # the earliest share of reviews the check fits on
GOOD, AGAIN = int(Rating.Good), int(Rating.Again)
DEFAULTS: tuple[float, ...] = tuple(DEFAULT_PARAMETERS)


@dataclass(frozen=True)
class Review:
    """One quiz answer."""

    learner_id: int
    item: str
    at: datetime
    correct: bool


@dataclass(frozen=True)
class ModelScore:
    """How well one model predicted the test reviews."""

    model: str
    log_loss: float
    rmse: float
    auc: float | None


@dataclass(frozen=True)
class FitCheck:
    """The time-ordered check: split sizes, reviews scored, and each model's score."""

    train_reviews: int
    test_reviews: int
    scored: int  # test reviews a day or more after the card's previous review
    split_at: datetime | None
    scores: tuple[ModelScore, ...] = field(default=())

    def score(self, model: str) -> ModelScore | None:
        """One model's score by name ("constant", "defaults", "fitted")."""
        return next((s for s in self.scores if s.model == model), None)


@dataclass(frozen=True)
class FitDecision:
    """What the nightly fit decided: the parameters to use (None: defaults) and why."""

    reviews: int
    learners: int
    parameters: tuple[float, ...] | None
    reason: str
    check: FitCheck | None


def in_time_order(reviews: Iterable[Review]) -> list[Review]:
    """Reviews sorted by time (then learner and item, so ties always fall the same way)."""
    for r in reviews:
        require_aware(r.at)
    return sorted(reviews, key=lambda r: (r.at, r.learner_id, r.item))


def _cards(reviews: Sequence[Review]) -> dict[tuple[int, str], list[Review]]:
    cards: dict[tuple[int, str], list[Review]] = {}
    for r in reviews:
        cards.setdefault((r.learner_id, r.item), []).append(r)
    return cards


def _days(before: datetime, after: datetime) -> int:
    return max(0, (after - before).days)


def training_items(reviews: Sequence[Review]) -> list[fsrs_rs.FSRSItem]:
    """The optimiser's items: per card, one per review a day or more after the previous, with its history."""
    items = []
    for history in _cards(in_time_order(reviews)).values():
        steps: list[fsrs_rs.FSRSReview] = []
        for n, r in enumerate(history):
            delta = _days(history[n - 1].at, r.at) if n else 0
            steps.append(fsrs_rs.FSRSReview(GOOD if r.correct else AGAIN, delta))
            if n and delta > 0:
                items.append(fsrs_rs.FSRSItem(list(steps)))
    return [item for item in items if item.long_term_review_cnt() > 0]


def clamp(parameters: Sequence[float]) -> tuple[float, ...]:
    """Parameters moved into py-fsrs's bounds (fsrs-rs's bounds differ slightly)."""
    return tuple(
        min(max(float(p), low), high)
        for p, low, high in zip(parameters, LOWER_BOUNDS_PARAMETERS, UPPER_BOUNDS_PARAMETERS, strict=True)
    )


def fit_parameters(reviews: Sequence[Review]) -> tuple[float, ...]:
    """FSRS parameters fitted to these reviews by fsrs-rs (the defaults when there is nothing to fit)."""
    items = training_items(reviews)
    if not items:
        return DEFAULTS
    fitted = fsrs_rs.FSRS(list(DEFAULTS)).compute_parameters(items)
    return clamp(fitted) if len(fitted) == len(DEFAULTS) else DEFAULTS


def predictions(
    reviews: Sequence[Review], parameters: Sequence[float], score_from: int = 0
) -> tuple[list[float], list[int]]:
    """Replay every card through py-fsrs; return (predicted recall, outcome) for each review at index
    `score_from` or later (in time order) that comes a day or more after its card's previous review."""
    memory = Memory(parameters=parameters)
    ordered = in_time_order(reviews)
    cards: dict[tuple[int, str], Card] = {}
    predicted: list[float] = []
    outcomes: list[int] = []
    for n, r in enumerate(ordered):
        key = (r.learner_id, r.item)
        card = cards.get(key)
        if card is not None and n >= score_from and card.last_review and _days(card.last_review, r.at) >= 1:
            predicted.append(memory.card_retrievability(card, r.at))
            outcomes.append(int(r.correct))
        cards[key] = memory.review_card(card, r.correct, r.at)
    return predicted, outcomes


def score(model: str, predicted: Sequence[float], outcomes: Sequence[int]) -> ModelScore:
    """Log loss, RMSE (root Brier) and AUC of predictions against outcomes."""
    from sklearn.metrics import log_loss, roc_auc_score  # only when checking: costs a worker ~0.9 s to load

    p = [min(max(x, 1e-6), 1 - 1e-6) for x in predicted]
    rmse = math.sqrt(sum((x - y) ** 2 for x, y in zip(p, outcomes, strict=True)) / len(p))
    auc = float(roc_auc_score(outcomes, p)) if len(set(outcomes)) == 2 else None
    return ModelScore(model, float(log_loss(outcomes, p, labels=[0, 1])), rmse, auc)


def check_fit(reviews: Sequence[Review], train_share: float = TRAIN_SHARE) -> FitCheck:
    """Fit on the earliest `train_share` of reviews; score constant, default and fitted FSRS on the rest."""
    ordered = in_time_order(reviews)
    cut = int(len(ordered) * train_share)
    train = ordered[:cut]
    split_at = ordered[cut].at if cut < len(ordered) else None
    check = FitCheck(len(train), len(ordered) - cut, 0, split_at)
    _p, train_outcomes = predictions(train, DEFAULTS)
    default_p, outcomes = predictions(ordered, DEFAULTS, score_from=cut)
    if not outcomes or not train_outcomes:
        return check
    mean_recall = sum(train_outcomes) / len(train_outcomes)
    fitted_p, _o = predictions(ordered, fit_parameters(train), score_from=cut)
    scores = (
        score("constant", [mean_recall] * len(outcomes), outcomes),
        score("defaults", default_p, outcomes),
        score("fitted", fitted_p, outcomes),
    )
    return FitCheck(len(train), len(ordered) - cut, len(outcomes), split_at, scores)


def enough_data(reviews: Sequence[Review], min_reviews: int, min_learners: int) -> str | None:
    """None when a fit may run; else why not, in words an admin reads."""
    learners = len({r.learner_id for r in reviews})
    if len(reviews) < min_reviews or learners < min_learners:
        return (
            f"Not enough practice to fit yet: {len(reviews):,} quiz answers from {learners} learner"
            f"{'' if learners == 1 else 's'}; a fit needs at least {min_reviews:,} answers and at least "
            f"{min_learners} learners. The coach uses FSRS's default parameters until then."
        )
    return None


def decide(reviews: Sequence[Review], min_reviews: int, min_learners: int) -> FitDecision:
    """Check the fit and, when there is enough data and it beats the defaults, fit on every review."""
    learners = len({r.learner_id for r in reviews})
    short = enough_data(reviews, min_reviews, min_learners)
    check = check_fit(reviews)  # shown even when too little to adopt: what a fit would do so far
    if short:
        return FitDecision(len(reviews), learners, None, short, check)
    fitted, defaults = check.score("fitted"), check.score("defaults")
    if fitted is None or defaults is None:
        reason = "No later reviews to check a fit against: the coach keeps FSRS's default parameters."
        return FitDecision(len(reviews), learners, None, reason, check)
    if fitted.log_loss >= defaults.log_loss:
        reason = (
            f"The fit did not beat the defaults on later answers (log loss {fitted.log_loss:.4f} against "
            f"{defaults.log_loss:.4f}): the coach keeps FSRS's default parameters."
        )
        return FitDecision(len(reviews), learners, None, reason, check)
    reason = (
        f"Fitted on {len(reviews):,} answers from {learners} learners: on later answers, log loss "
        f"{fitted.log_loss:.4f} against {defaults.log_loss:.4f} with the defaults."
    )
    return FitDecision(len(reviews), learners, fit_parameters(reviews), reason, check)
