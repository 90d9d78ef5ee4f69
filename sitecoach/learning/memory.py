"""Spaced repetition with FSRS: one card per learner and quiz item, and what to ask next.

Recall is measured to the second: py-fsrs's own `get_card_retrievability` counts whole days, so it reads 1.0
for a day after any review, right or wrong. `Memory` applies the same forgetting curve (the scheduler's
decay and factor) to the exact time elapsed instead.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, cast

from fsrs import Card, Rating, Scheduler

from sitecoach.settings import DEFAULT_DESIRED_RETENTION, DEFAULT_MAXIMUM_INTERVAL_DAYS

SECONDS_PER_DAY = 86_400.0
# py-fsrs makes a card id from the clock and sleeps 1 ms per new card to keep ids unique; ours are keyed by
# learner and quiz item, so every card gets this id and a replay of thousands of answers does not sleep.
CARD_ID = 0


def require_aware(now: datetime) -> datetime:
    """Refuse naive datetimes; return the same instant in UTC (the learning core works in UTC only)."""
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("naive datetime refused: pass a timezone-aware datetime")
    return now.astimezone(UTC)


@dataclass(frozen=True)
class ReviewOutcome:
    """A card after one review."""

    card: dict[str, Any]
    due: datetime
    retrievability_before: float


class Memory:
    """FSRS scheduling at a configurable desired retention (the settings' default, 0.8), with FSRS's default
    parameters or ones fitted to the cohort's answers (`sitecoach.learning.memory_fit`).

    Without `learning_steps` (our default) a new or missed item comes back on a later day, as FSRS's memory
    model schedules it; with them (py-fsrs's default) it comes back 1 and 10 minutes later, the same
    sitting. No review is put off more than `maximum_interval_days`, in case memory does not keep growing
    as FSRS assumes. The simulation (bench/learning.py) found same-sitting repeats and a 0.9 retention cost
    apprentices weeks to exam-readiness on a 10-minute daily budget, and the cap cost nothing when memory
    does keep growing and saved a truth where it stops at a few months.
    """

    def __init__(
        self,
        desired_retention: float = DEFAULT_DESIRED_RETENTION,
        parameters: Sequence[float] | None = None,
        learning_steps: bool = False,
        maximum_interval_days: int = DEFAULT_MAXIMUM_INTERVAL_DAYS,
    ) -> None:
        self.desired_retention = desired_retention
        self.learning_steps = learning_steps
        self.maximum_interval_days = maximum_interval_days
        self.scheduler = self._scheduler(parameters)

    def _scheduler(self, parameters: Sequence[float] | None) -> Scheduler:
        # Fuzzing randomises intervals; off, so the same history always gives the same schedule.
        options: dict[str, Any] = {
            "desired_retention": self.desired_retention,
            "enable_fuzzing": False,
            "maximum_interval": self.maximum_interval_days,
        }
        if not self.learning_steps:
            options.update(learning_steps=(), relearning_steps=())
        if parameters is not None:
            options["parameters"] = tuple(parameters)
        return Scheduler(**options)

    @property
    def parameters(self) -> tuple[float, ...]:
        """The 21 FSRS parameters in use."""
        return tuple(float(p) for p in self.scheduler.parameters)

    def use_parameters(self, parameters: Sequence[float] | None) -> None:
        """Schedule with these parameters from now on (None: FSRS's defaults). One attribute swap, so a
        review running meanwhile in another thread uses the old scheduler or the new, never a mix."""
        self.scheduler = self._scheduler(parameters)

    def new_card(self, now: datetime) -> dict[str, Any]:
        """A fresh card, due now."""
        return dict(Card(card_id=CARD_ID, due=require_aware(now)).to_dict())

    def review(self, card_data: dict[str, Any] | None, correct: bool, now: datetime) -> ReviewOutcome:
        """Record one answer: right is Good, wrong is Again."""
        now = require_aware(now)
        card = Card.from_dict(cast(Any, card_data)) if card_data else Card(card_id=CARD_ID, due=now)
        before = self.card_retrievability(card, now)
        rating = Rating.Good if correct else Rating.Again
        card, _log = self.scheduler.review_card(card, rating, review_datetime=now)
        return ReviewOutcome(card=dict(card.to_dict()), due=card.due, retrievability_before=before)

    def review_card(self, card: Card | None, correct: bool, now: datetime) -> Card:
        """Like `review`, on fsrs Card objects (for replaying long histories without JSON round trips)."""
        now = require_aware(now)
        card = card or Card(card_id=CARD_ID, due=now)
        rating = Rating.Good if correct else Rating.Again
        return self.scheduler.review_card(card, rating, review_datetime=now)[0]

    def card_retrievability(self, card: Card | None, now: datetime) -> float:
        """Like `retrievability`, on an fsrs Card object."""
        if card is None or card.last_review is None or card.stability is None:
            return 0.0
        elapsed = (require_aware(now) - require_aware(card.last_review)).total_seconds() / SECONDS_PER_DAY
        factor = float(self.scheduler._FACTOR)  # the scheduler's own curve (decay is its 21st weight)
        decay = float(self.scheduler._DECAY)
        return float((1 + factor * max(0.0, elapsed) / card.stability) ** decay)

    def retrievability(self, card_data: dict[str, Any] | None, now: datetime) -> float:
        """The chance of recalling the item now (0 for an item never reviewed), to the second."""
        now = require_aware(now)
        if not card_data:
            return 0.0
        return self.card_retrievability(Card.from_dict(cast(Any, card_data)), now)


@dataclass(frozen=True)
class Candidate:
    """A quiz item as the picker sees it."""

    item_code: str
    lesson_position: int
    competencies: tuple[str, ...]
    due: datetime | None  # None: never reviewed


def pick_next_item(
    candidates: Sequence[Candidate],
    competency_mastery: dict[str, float],
    now: datetime,
    last_item: str | None = None,
    exclude: Sequence[str] = (),
    focus: frozenset[str] = frozenset(),
    focus_lean: float = 0.0,
) -> Candidate | None:
    """Due reviews first (most overdue), then the weakest competencies, then new items in lesson order.

    Never the same item twice in a row, and never one in `exclude` (already asked this round): None when
    nothing is left, so a round on a small topic ends early instead of repeating itself. An item testing a
    `focus` competency (what the learner's next authorisation needs) counts as `focus_lean` mastery points
    weaker than it is, so new items for the next step come sooner without crowding out due reviews.
    """
    now = require_aware(now)
    pool = [c for c in candidates if c.item_code != last_item and c.item_code not in exclude]
    if not pool:
        return None
    due = sorted((c for c in pool if c.due is not None and c.due <= now), key=lambda c: (c.due, c.item_code))
    if due:
        return due[0]

    def weakness(c: Candidate) -> float:
        scores = [competency_mastery.get(code, 0.0) for code in c.competencies] or [0.0]
        return min(scores) - (focus_lean if focus.intersection(c.competencies) else 0.0)

    new = [c for c in pool if c.due is None]
    if new:
        return min(new, key=lambda c: (weakness(c), c.lesson_position, c.item_code))
    return min(pool, key=lambda c: (c.due or now, c.item_code))
