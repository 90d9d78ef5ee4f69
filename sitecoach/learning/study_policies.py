"""What to ask next, for the learning simulation: our product's path and three baselines.

Every arm follows the same new-item policy, so they differ only in *when* they bring an item back:

* due reviews first, the most overdue first;
* else a new item (in lesson order; ours: the picker's order, weakest competency first), at most
  ``new_per_day`` a day when that is set;
* else the item due soonest, early; never the same item twice in a row.

The arms:

* **Leitner**: boxes 1, 2, 4, 8, 16, 32 and 64 days apart; a right answer moves the item up a box, a wrong
  one back to the first (an answer-sensitive expanding ladder).
* **SM-2**: SuperMemo 2 with a right answer graded 4 and a wrong one 1: intervals 1, 6, then the last
  times the easiness factor (from 2.5, never below 1.3); a wrong answer restarts at 1 day.
* **FSRS defaults**: py-fsrs's ``Scheduler()`` as shipped (desired retention 0.9, learning steps 1 and 10
  minutes), fuzzing off so runs repeat, picked as above.
* **ours**: the product's path exactly as ``skills/quiz.py`` drives it: ``Memory`` and ``pick_next_item``
  in rounds of ``round_length`` (``exclude`` = the round so far, ``last_item`` = the previous question),
  with the competency-mastery map of ``mastery_map``.
"""

from __future__ import annotations

import heapq
from abc import ABC, abstractmethod
from collections.abc import Iterable
from dataclasses import replace
from datetime import datetime
from typing import Protocol

import numpy as np
from fsrs import Card, Rating, Scheduler

from sitecoach.learning.knowledge import known_now, score_answer
from sitecoach.learning.mastery import CompetencyEvidence, competency_mastery
from sitecoach.learning.memory import Candidate, Memory, pick_next_item
from sitecoach.learning.sim_bank import SimBank
from sitecoach.settings import DEFAULT_DESIRED_RETENTION, DEFAULT_QUIZ_ROUND_LENGTH

DAY_MINUTES = 1440
LEITNER_DAYS = (1, 2, 4, 8, 16, 32, 64)
SM2_START_EASE = 2.5
SM2_MIN_EASE = 1.3


def minutes(now: datetime) -> int:
    """Whole minutes since the epoch (the policies' clock; `now` must be aware)."""
    return int(now.timestamp()) // 60


class StudyPolicy(Protocol):
    """An arm of the simulation: picks each question and hears each answer."""

    name: str

    def start_day(self, now: datetime) -> None:
        """A new sitting begins at `now`."""

    def pick(self, now: datetime) -> int:
        """The index in the bank of the next question."""

    def record(self, i: int, correct: bool, now: datetime) -> None:
        """The learner answered item i."""


class DueFirstPolicy(ABC):
    """The shared new-item policy over a heap of due times; subclasses say when an item is due again."""

    name = "due first"

    def __init__(self, bank: SimBank, new_per_day: int | None = None) -> None:
        self.n = len(bank.items)
        self.new_per_day = new_per_day
        self.due = np.full(self.n, np.inf)  # minutes since the epoch; inf: never seen
        self.heap: list[tuple[float, int]] = []
        self.next_new = 0
        self.new_today = 0
        self.last: int | None = None

    def start_day(self, now: datetime) -> None:
        """Reset the day's count of new items."""
        self.new_today, self.last = 0, None

    def _soonest(self) -> int | None:
        """The seen item due soonest that is not the previous question."""
        heap, skipped, found = self.heap, [], None
        while heap:
            due, i = heap[0]
            if due != self.due[i]:
                heapq.heappop(heap)  # stale: rescheduled since
            elif i == self.last:
                skipped.append(heapq.heappop(heap))
            else:
                found = i
                break
        for entry in skipped:
            heapq.heappush(heap, entry)
        return found

    def pick(self, now: datetime) -> int:
        """Due first, then new, then the soonest due early."""
        soonest = self._soonest()
        if soonest is not None and self.due[soonest] <= minutes(now):
            return soonest
        may_add = self.new_per_day is None or self.new_today < self.new_per_day
        if self.next_new < self.n and (may_add or soonest is None):
            return self.next_new
        assert soonest is not None
        return soonest

    def record(self, i: int, correct: bool, now: datetime) -> None:
        """Reschedule item i."""
        if i == self.next_new and np.isinf(self.due[i]):
            self.next_new += 1
            self.new_today += 1
        self.due[i] = float(self.next_due(i, correct, now))
        heapq.heappush(self.heap, (float(self.due[i]), i))
        self.last = i

    @abstractmethod
    def next_due(self, i: int, correct: bool, now: datetime) -> int:
        """When item i is due again, in minutes since the epoch (each ladder's own rule)."""


def _in_days(at: int, days: int) -> int:
    """The start (UTC midnight) of the day `days` after the one containing minute `at`."""
    return at - at % DAY_MINUTES + days * DAY_MINUTES


class Leitner(DueFirstPolicy):
    """Leitner boxes LEITNER_DAYS apart: up a box when right, back to the first when wrong."""

    name = "Leitner 1-2-4-…-64"

    def __init__(self, bank: SimBank, new_per_day: int | None = None) -> None:
        super().__init__(bank, new_per_day)
        self.box = np.full(self.n, -1, dtype=np.int64)

    def next_due(self, i: int, correct: bool, now: datetime) -> int:
        """The gap of the item's new box."""
        self.box[i] = min(int(self.box[i]) + 1, len(LEITNER_DAYS) - 1) if correct else 0
        return _in_days(minutes(now), LEITNER_DAYS[int(self.box[i])])


class SuperMemo2(DueFirstPolicy):
    """SuperMemo 2 (right = grade 4, wrong = grade 1)."""

    name = "SM-2"

    def __init__(self, bank: SimBank, new_per_day: int | None = None) -> None:
        super().__init__(bank, new_per_day)
        self.reps = np.zeros(self.n, dtype=np.int64)
        self.ease = np.full(self.n, SM2_START_EASE)
        self.interval = np.zeros(self.n, dtype=np.int64)

    def next_due(self, i: int, correct: bool, now: datetime) -> int:
        """Intervals 1, 6, then interval times ease; a lapse restarts the repetitions."""
        grade = 4 if correct else 1
        self.ease[i] = max(SM2_MIN_EASE, self.ease[i] + 0.1 - (5 - grade) * (0.08 + (5 - grade) * 0.02))
        if not correct:
            self.reps[i], self.interval[i] = 0, 1
        else:
            reps = int(self.reps[i])
            self.interval[i] = 1 if reps == 0 else 6 if reps == 1 else round(self.interval[i] * self.ease[i])
            self.reps[i] = reps + 1
        return _in_days(minutes(now), int(self.interval[i]))


class FsrsDefaults(DueFirstPolicy):
    """py-fsrs as shipped (fuzzing off), picked by the shared policy."""

    name = "FSRS defaults"

    def __init__(self, bank: SimBank, new_per_day: int | None = None) -> None:
        super().__init__(bank, new_per_day)
        self.scheduler = Scheduler(enable_fuzzing=False)
        self.cards: list[Card | None] = [None] * self.n

    def next_due(self, i: int, correct: bool, now: datetime) -> int:
        """FSRS's due time (Good when right, Again when wrong)."""
        card = self.cards[i] or Card(card_id=i, due=now)
        rating = Rating.Good if correct else Rating.Again
        self.cards[i] = card = self.scheduler.review_card(card, rating, review_datetime=now)[0]
        return minutes(card.due)


def mastery_map(bank: SimBank, known: np.ndarray, codes: Iterable[str] | None = None) -> dict[str, float]:
    """The product's competency mastery (of every competency, or of `codes`) for a learner who only answers
    quizzes (no signed evidence), from each item's known-now (belief x recall, `learning/knowledge.py`).
    The one place the simulation meets the mastery formula."""
    wanted = bank.competencies if codes is None else [bank.by_code[code] for code in codes]
    return {
        c.code: competency_mastery(
            CompetencyEvidence(
                c.code, c.kind, c.area, known=tuple(known[list(bank.items_of[c.code])].tolist())
            )
        )
        for c in wanted
    }


class Ours:
    """The product's picker and FSRS memory, as skills/quiz.py drives them."""

    name = "ours"

    def __init__(
        self,
        bank: SimBank,
        desired_retention: float = DEFAULT_DESIRED_RETENTION,
        round_length: int = DEFAULT_QUIZ_ROUND_LENGTH,
        learning_steps: bool = False,
    ) -> None:
        self.bank = bank
        self.memory = Memory(desired_retention=desired_retention, learning_steps=learning_steps)
        self.round_length = round_length
        self.index = bank.index()
        n = len(bank.items)
        self.cards: list[Card | None] = [None] * n
        self.candidates = [Candidate(it.code, it.lesson_position, it.competencies, None) for it in bank.items]
        # Memory.card_retrievability of every card (to the second), kept current in bulk
        self.stability = np.ones(n)
        self.reviewed_at = np.full(n, -1, dtype=np.int64)  # minutes since the epoch; -1: never
        self.retrievability = np.zeros(n)
        self.belief = np.zeros(n)  # chance each item is known at its last answer (learning/knowledge.py)
        self.comps_of = [[c for c in item.competencies if c in bank.items_of] for item in bank.items]
        self.mastery = mastery_map(bank, self.belief * self.retrievability)
        self.asked: list[str] = []
        self.last_item: str | None = None
        # For speed, pick_next_item sees only the candidates that can win (same answer as the whole bank,
        # tests/bench/test_learning_sim.py): the seen items due soonest, enough to survive the round's
        # exclusions, and the first new item of each competency set (they tie on weakness, then go by
        # lesson position).
        self.due_heap: list[tuple[datetime, str, int]] = []
        groups: dict[tuple[str, ...], list[int]] = {}
        for i in sorted(range(n), key=lambda i: (bank.items[i].lesson_position, bank.items[i].code)):
            groups.setdefault(tuple(sorted(bank.items[i].competencies)), []).append(i)
        self.new_groups = list(groups.values())
        self.group_of = {i: g for g, members in enumerate(self.new_groups) for i in members}
        self.new_heads = {g: 0 for g in range(len(self.new_groups))}  # group -> position of its first new

    def contenders(self) -> list[Candidate]:
        """The candidates pick_next_item could choose now (see __init__)."""
        heap = self.due_heap
        seen: list[tuple[datetime, str, int]] = []
        while heap and len(seen) < len(self.asked) + 2:
            due, code, i = heapq.heappop(heap)
            if self.candidates[i].due == due and all(j != i for _d, _c, j in seen):
                seen.append((due, code, i))
        for entry in seen:
            heapq.heappush(heap, entry)
        new = [self.new_groups[g][k] for g, k in self.new_heads.items()]
        return [self.candidates[i] for i in (*(i for _d, _c, i in seen), *new)]

    def _seen_new(self, i: int) -> None:
        """Item i is no longer new: move its group's head past every item already seen."""
        g = self.group_of[i]
        members, k = self.new_groups[g], self.new_heads[g]
        while k < len(members) and (members[k] == i or self.cards[members[k]] is not None):
            k += 1
        if k < len(members):
            self.new_heads[g] = k
        else:
            del self.new_heads[g]

    def start_day(self, now: datetime) -> None:
        """A new sitting: a new round, and every retrievability (so the mastery map) as of now."""
        self.asked, self.last_item = [], None
        self.retrievability = self.bulk_retrievability(now)
        self.mastery = mastery_map(self.bank, self.belief * self.retrievability)

    def bulk_retrievability(self, now: datetime) -> np.ndarray:
        """Memory.card_retrievability of every card at `now`, vectorised (0 for cards never reviewed)."""
        scheduler = self.memory.scheduler
        seen = self.reviewed_at >= 0
        elapsed = (minutes(now) - self.reviewed_at[seen]) / DAY_MINUTES
        out = np.zeros(len(self.cards))
        out[seen] = (
            1 + scheduler._FACTOR * np.maximum(elapsed, 0) / self.stability[seen]
        ) ** scheduler._DECAY
        return out

    def pick(self, now: datetime) -> int:
        """pick_next_item; a new round (nothing excluded, no last item) every round_length questions."""
        if len(self.asked) >= self.round_length:
            self.asked, self.last_item = [], None
        picked = pick_next_item(self.contenders(), self.mastery, now, self.last_item, self.asked)
        assert picked is not None  # the bank is far bigger than a round
        self.asked.append(picked.item_code)
        return self.index[picked.item_code]

    def record(self, i: int, correct: bool, now: datetime) -> None:
        """Memory.review_card, as Repository.record_review does; then the item's candidate and mastery."""
        if self.cards[i] is None:
            self._seen_new(i)
        known = known_now(float(self.belief[i]), self.memory.card_retrievability(self.cards[i], now))
        self.belief[i] = score_answer(known, self.cards[i] is not None, correct).belief_after
        card = self.cards[i] or Card(card_id=i, due=now)
        card = self.cards[i] = self.memory.review_card(card, correct, now)
        self.candidates[i] = replace(self.candidates[i], due=card.due)
        heapq.heappush(self.due_heap, (card.due, self.bank.items[i].code, i))
        self.stability[i] = float(card.stability or 1.0)
        self.reviewed_at[i] = minutes(now)
        self.retrievability[i] = 1.0  # just reviewed
        self.mastery.update(mastery_map(self.bank, self.belief * self.retrievability, self.comps_of[i]))
        self.last_item = self.bank.items[i].code
