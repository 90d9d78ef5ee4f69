"""Learning-outcome simulation: our FSRS scheduler against two baselines (not a test: nothing here asserts).

Run from the repository root:
    .venv/bin/python bench/learning.py [--seed 7] [--learners 60] [--days 365] [--jobs 2] [--ladder 2,3,5,7]

A cohort of simulated apprentices works through the real ST1332 quiz bank (content/st1332) under three
schedulers, with the same learners and the same random draws under each (common random numbers):

* **ours**: ``Memory(desired_retention=0.9)`` and ``pick_next_item`` exactly as ``skills/quiz.py`` uses
  them: rounds of ``DEFAULT_QUIZ_ROUND_LENGTH`` questions, ``exclude`` = the round's items so far,
  ``last_item`` = the previous question, and a mastery map computed like ``Repository.mastery``: the
  product's ``competency_mastery`` over the FSRS retrievability of each competency's items (0 for an item
  never answered). Simulated learners open no lessons and log no evidence, so those parts are 0 for every
  competency and only the recall part orders anything.
* **fixed 2-3-5-7**: a seen item is due 2, then 3, then 5, then 7 days after its last review, then every
  7 days (whatever the answer; ``--ladder`` changes the gaps); due items first (most overdue first), new
  items in lesson order next, and if neither is left the items due soonest are taken early. With the
  whole bank on a weekly cycle this needs ~20 reviews a day, far over the budget, so the backlog of due
  reviews stops new items after about (weekly budget) items: this baseline plateaus.
* **no spaced review**: new items in lesson order; once the whole bank is seen, uniformly random items
  (never the same item twice in a day).

The truth is a forgetting model that is NOT FSRS (exponential, not FSRS's power curve; its own growth
rule). Learner l has an ability a_l and item i a difficulty d_i (both log-normal). The true chance of
recalling a seen item t days after its last review is exp(-t / S). The first exposure (the learner
answers, sees the right answer and the explanation) sets S = S0_li = S0_BASE * a_l / d_i * noise. A
recalled review multiplies S by 1 + GAIN * a_l / d_i * (1 - p), p the recall chance at that moment, so a
review when recall was low helps most and a repeat minutes later helps almost nothing (spacing effect); a
failed one keeps LAPSE_KEEP of S, never below S0_li. An answer is right when recalled, else a guess right
with 1 in (number of options); FSRS sees only right or wrong. Before the first exposure the learner
knows nothing (recall 0). The sizes are in the range FSRS's default weights (fitted to real review logs)
imply, e.g. about x3 per review at 90% recall, so FSRS is not mis-calibrated by construction; the curve
and the growth rule are not FSRS's. Each learner's draws come from one stream per (learner, item), so the
k-th answer to an item uses the same random numbers whichever scheduler asked it.

Every study day (5 days of 7, from Monday) each learner answers the same budget of questions in one
sitting, one a minute. Measured per scheduler, over knowledge competencies that have quiz items:

* the day a learner first ends a day with every such competency at TARGET true recall (a competency's
  true recall is the mean true recall of its items at midnight); "reached" counts learners who got there
  within the horizon, and the medians count the others as not there yet (shown as ">N" when more than
  half never got there);
* questions answered up to and including that day (same censoring);
* the mean true recall of every item in the bank at the end of day 90 (or of the last day if shorter);
* for diagnosis: items seen by then, the share of answers that were right, and the share that repeated an
  item already answered that day (FSRS's learning steps bring a missed new item back minutes later).

The default horizon is a year: with 138 items and 40 questions a week, FSRS at 90% needs some 9 to 10
answers per item (learning steps, then intervals growing from a day), so nobody gets every competency to
85% in 120 days under any of the three; ``--days 120`` still gives the day-90 recall.
"""

from __future__ import annotations

import argparse
import math
import random
import statistics
import sys
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.harness import PACK, progress  # noqa: E402
from sitecoach.curriculum.pack import load_pack  # noqa: E402
from sitecoach.learning.mastery import CompetencyEvidence, competency_mastery  # noqa: E402
from sitecoach.learning.memory import Candidate, Memory, pick_next_item  # noqa: E402
from sitecoach.settings import DEFAULT_QUIZ_ROUND_LENGTH  # noqa: E402

START = datetime(2025, 1, 6, tzinfo=UTC)  # a Monday; every simulated instant is aware UTC
SITTING = timedelta(hours=12, minutes=30)  # lunch break, one question a minute
STUDY_WEEKDAYS = 5
PER_DAY = 8
TARGET = 0.85
RECALL_DAY = 90
DEFAULT_DAYS = 365
DESIRED_RETENTION = 0.9
FIXED_LADDER = (2, 3, 5, 7)  # then every FIXED_LADDER[-1] days

# The true forgetting model (see the module docstring).
ABILITY_SD = 0.3  # log-normal spread of learner ability
DIFFICULTY_SD = 0.4  # log-normal spread of item difficulty
S0_BASE = 4.0  # days: stability after the first exposure, for a = d = 1
S0_NOISE_SD = 0.3  # log-normal learner x item noise on S0
GAIN = 20.0  # recalled review: S *= 1 + GAIN * a / d * (1 - p)
LAPSE_KEEP = 0.5  # failed review: S = max(S0, LAPSE_KEEP * S)
MAX_STABILITY = 36500.0


# --- the item bank ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Item:
    """A quiz item of the real bank, in lesson order."""

    code: str
    lesson_position: int
    competencies: tuple[str, ...]
    options: int
    difficulty: float


@dataclass(frozen=True)
class Competency:
    """A competency of the standard and the indices of the items that test it."""

    code: str
    kind: str
    area: str
    items: tuple[int, ...]


@dataclass(frozen=True)
class Bank:
    """The item bank and the competency map, with item difficulties drawn from the seed."""

    items: tuple[Item, ...]
    competencies: tuple[Competency, ...]
    knowledge: tuple[Competency, ...]  # kind == knowledge and at least one item
    untestable: tuple[str, ...]  # knowledge competencies with no item


def load_bank(seed: int, pack_root: Path = PACK) -> Bank:
    """The real ST1332 bank; difficulties are log-normal, drawn from their own seeded stream."""
    pack = load_pack(pack_root)
    order = {lesson.id: lesson.order for lesson in pack.lessons}
    bank = [*pack.quiz, *((lesson, spec) for lesson, spec, _card in pack.card_quiz())]  # as seeding loads it
    specs = sorted(bank, key=lambda pair: (order[pair[0]], pair[1].id))  # as Catalogue orders them
    rng = random.Random(f"{seed}:difficulty")
    items = tuple(
        Item(
            code=spec.id,
            lesson_position=order[lesson],
            competencies=tuple(spec.competencies),
            options=len(spec.options),
            difficulty=math.exp(rng.gauss(0.0, DIFFICULTY_SD)),
        )
        for lesson, spec in specs
    )
    comps = tuple(
        Competency(
            c.id, c.kind, c.area, tuple(i for i, item in enumerate(items) if c.id in item.competencies)
        )
        for c in pack.competency_map.competencies
    )
    knowledge = tuple(c for c in comps if c.kind == "knowledge" and c.items)
    untestable = tuple(c.code for c in comps if c.kind == "knowledge" and not c.items)
    return Bank(items, comps, knowledge, untestable)


# --- the true learner ------------------------------------------------------------------------------------
@dataclass
class TrueMemory:
    """What one simulated learner really remembers; times are in days since START."""

    ability: float
    s0: list[float]
    options: list[int]
    growth: list[float]  # GAIN * a / d per item
    streams: list[random.Random]
    stability: list[float] = field(default_factory=list)
    last: list[float | None] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.stability = [0.0] * len(self.s0)
        self.last = [None] * len(self.s0)

    def recall(self, i: int, t: float) -> float:
        """True chance of recalling item i at time t (0 before the first exposure)."""
        last = self.last[i]
        if last is None:
            return 0.0
        return math.exp(-(t - last) / self.stability[i])

    def answer(self, i: int, t: float) -> bool:
        """Answer item i at time t, learn from the feedback, and say whether the answer was right."""
        stream = self.streams[i]
        u_recall, u_guess = stream.random(), stream.random()
        p = self.recall(i, t)
        recalled = u_recall < p
        correct = recalled or u_guess < 1.0 / self.options[i]
        if self.last[i] is None:
            self.stability[i] = self.s0[i]
        elif recalled:
            self.stability[i] = min(MAX_STABILITY, self.stability[i] * (1.0 + self.growth[i] * (1.0 - p)))
        else:
            self.stability[i] = max(self.s0[i], LAPSE_KEEP * self.stability[i])
        self.last[i] = t
        return correct


def make_learner(bank: Bank, seed: int, learner: int) -> TrueMemory:
    """Learner `learner` of the cohort: the same ability, S0 and answer streams under every scheduler."""
    rng = random.Random(f"{seed}:learner:{learner}")
    ability = math.exp(rng.gauss(0.0, ABILITY_SD))
    s0 = [S0_BASE * ability / item.difficulty * math.exp(rng.gauss(0.0, S0_NOISE_SD)) for item in bank.items]
    return TrueMemory(
        ability=ability,
        s0=s0,
        options=[item.options for item in bank.items],
        growth=[GAIN * ability / item.difficulty for item in bank.items],
        streams=[random.Random(f"{seed}:answers:{learner}:{item.code}") for item in bank.items],
    )


# --- schedulers ------------------------------------------------------------------------------------------
class Ours:
    """The product's picker and FSRS memory, as skills/quiz.py drives them."""

    name = "ours (FSRS 0.9)"

    def __init__(self, bank: Bank, memory: Memory, round_length: int = DEFAULT_QUIZ_ROUND_LENGTH) -> None:
        self.bank = bank
        self.memory = memory
        self.round_length = round_length
        self.index = {item.code: i for i, item in enumerate(bank.items)}
        self.cards: list[dict | None] = [None] * len(bank.items)
        # Memory.review(None, ...) builds an fsrs Card(), which sleeps 1 ms to keep card ids unique; a fresh
        # card's dict schedules identically (tests/bench/test_learning_sim.py) and skips the sleep.
        self.fresh = memory.new_card(START)
        self.candidates = [Candidate(it.code, it.lesson_position, it.competencies, None) for it in bank.items]
        self.retrievability = [0.0] * len(bank.items)  # Memory.retrievability of each card, kept current
        self.comps_of = [
            [k for k, c in enumerate(bank.competencies) if i in c.items] for i in range(len(bank.items))
        ]
        self.mastery = {c.code: self._mastery(c) for c in bank.competencies}
        self.asked: list[str] = []
        self.last_item: str | None = None

    def _mastery(self, c: Competency) -> float:
        """Repository.mastery's score for a learner with no lessons opened and no signed evidence."""
        recalls = tuple(self.retrievability[i] for i in c.items)
        return competency_mastery(CompetencyEvidence(c.code, c.kind, c.area, recalls=recalls))

    def start_day(self, now: datetime) -> None:
        """A new sitting: refresh every retrievability and so the mastery map.

        FSRS counts whole days elapsed, so within a sitting only the item just answered changes; the map
        is then exactly what the product would recompute before each question.
        """
        self.asked, self.last_item = [], None
        self.retrievability = [self.memory.retrievability(card, now) for card in self.cards]
        self.mastery = {c.code: self._mastery(c) for c in self.bank.competencies}

    def pick(self, now: datetime) -> int:
        """The next question; a new round (nothing excluded, no last item) every round_length questions."""
        if len(self.asked) >= self.round_length:
            self.asked, self.last_item = [], None
        picked = pick_next_item(self.candidates, self.mastery, now, self.last_item, self.asked)
        assert picked is not None  # the bank is far bigger than a round
        self.asked.append(picked.item_code)
        return self.index[picked.item_code]

    def record(self, i: int, correct: bool, now: datetime) -> None:
        """Memory.review, as Repository.record_review does; then update the item's candidate and mastery."""
        outcome = self.memory.review(self.cards[i] or dict(self.fresh), correct, now)
        self.cards[i] = outcome.card
        self.candidates[i] = replace(self.candidates[i], due=outcome.due)
        self.retrievability[i] = self.memory.retrievability(outcome.card, now)
        for k in self.comps_of[i]:
            c = self.bank.competencies[k]
            self.mastery[c.code] = self._mastery(c)
        self.last_item = self.bank.items[i].code


class FixedLadder:
    """Reviews 2, 3, 5 and 7 days apart, then weekly, whatever the answer; new items fill the rest."""

    name = "fixed 2-3-5-7"

    def __init__(self, bank: Bank, ladder: tuple[int, ...] = FIXED_LADDER) -> None:
        self.n = len(bank.items)
        self.ladder = ladder
        self.reviews = [0] * self.n  # answers so far
        self.due: list[int | None] = [None] * self.n  # day number
        self.day = 0
        self.asked: set[int] = set()

    def start_day(self, day: int) -> None:
        self.day, self.asked = day, set()

    def pick(self) -> int:
        seen = [i for i in range(self.n) if self.due[i] is not None and i not in self.asked]
        due = [i for i in seen if self.due[i] <= self.day]  # type: ignore[operator]
        if due:
            return min(due, key=lambda i: (self.due[i], i))
        new = [i for i in range(self.n) if self.due[i] is None and i not in self.asked]
        if new:
            return new[0]
        return min(seen, key=lambda i: (self.due[i], i))

    def record(self, i: int) -> None:
        gap = self.ladder[min(self.reviews[i], len(self.ladder) - 1)]
        self.reviews[i] += 1
        self.due[i] = self.day + gap
        self.asked.add(i)


class NoSpacing:
    """New items in lesson order; then uniformly random items, none twice in a day."""

    name = "no spaced review"

    def __init__(self, bank: Bank, rng: random.Random) -> None:
        self.n = len(bank.items)
        self.rng = rng
        self.next_new = 0
        self.asked: set[int] = set()

    def start_day(self) -> None:
        self.asked = set()

    def pick(self) -> int:
        if self.next_new < self.n:
            return self.next_new
        return self.rng.choice([i for i in range(self.n) if i not in self.asked])

    def record(self, i: int) -> None:
        if i == self.next_new:
            self.next_new += 1
        self.asked.add(i)


# --- one learner under one scheduler --------------------------------------------------------------------
@dataclass(frozen=True)
class Outcome:
    """One learner under one scheduler."""

    reached_day: int | None  # first day (1-based) ending with every knowledge competency at TARGET
    reviews_to_reach: int | None
    recall_at: float  # mean true recall of every item at the end of day RECALL_DAY (or the last day)
    seen_at: int  # items answered at least once by the end of that day
    answered: int
    correct: int
    repeats: int  # answers to an item already answered earlier the same day


def is_study_day(day: int) -> bool:
    """Day 1 is a Monday; study on the first STUDY_WEEKDAYS days of each week."""
    return (day - 1) % 7 < STUDY_WEEKDAYS


def simulate(
    bank: Bank, seed: int, learner: int, scheduler: str, days: int, ladder: tuple[int, ...] = FIXED_LADDER
) -> Outcome:
    """Run one learner for `days` days under "ours", "fixed" or "none"."""
    truth = make_learner(bank, seed, learner)
    ours = Ours(bank, Memory(desired_retention=DESIRED_RETENTION)) if scheduler == "ours" else None
    fixed = FixedLadder(bank, ladder) if scheduler == "fixed" else None
    none = NoSpacing(bank, random.Random(f"{seed}:picks:{learner}")) if scheduler == "none" else None
    n = len(bank.items)
    recall_day = min(RECALL_DAY, days)
    answered = correct_total = repeats = seen_at = 0
    reached_day = reviews_to_reach = None
    recall_at = 0.0
    for day in range(1, days + 1):
        if is_study_day(day):
            sitting = START + timedelta(days=day - 1) + SITTING
            if ours:
                ours.start_day(sitting)
            elif fixed:
                fixed.start_day(day)
            elif none:
                none.start_day()
            for q in range(PER_DAY):
                now = sitting + timedelta(minutes=q)
                t = (now - START).total_seconds() / 86400.0
                if ours:
                    i = ours.pick(now)
                elif fixed:
                    i = fixed.pick()
                else:
                    assert none is not None
                    i = none.pick()
                last = truth.last[i]
                repeats += last is not None and last >= day - 1
                correct = truth.answer(i, t)
                if ours:
                    ours.record(i, correct, now)
                elif fixed:
                    fixed.record(i)
                else:
                    assert none is not None
                    none.record(i)
                answered += 1
                correct_total += correct
        midnight = float(day)
        recalls = [truth.recall(i, midnight) for i in range(n)]
        if day == recall_day:
            recall_at = sum(recalls) / n
            seen_at = sum(last is not None for last in truth.last)
        if reached_day is None and all(
            sum(recalls[i] for i in c.items) / len(c.items) >= TARGET for c in bank.knowledge
        ):
            reached_day, reviews_to_reach = day, answered
    return Outcome(reached_day, reviews_to_reach, recall_at, seen_at, answered, correct_total, repeats)


def _run_learner(args: tuple[Bank, int, int, int, tuple[int, ...]]) -> list[Outcome]:
    bank, seed, learner, days, ladder = args
    return [simulate(bank, seed, learner, s, days, ladder) for s in SCHEDULERS]


SCHEDULERS = ("ours", "fixed", "none")
NAMES = {"ours": Ours.name, "fixed": FixedLadder.name, "none": NoSpacing.name}


# --- summary --------------------------------------------------------------------------------------------
def censored_median(values: Sequence[int | None]) -> float | None:
    """Median, None counting as "not within the horizon" (above everything); None if the median is one."""
    ordered = sorted(values, key=lambda v: math.inf if v is None else v)
    n = len(ordered)
    mid = [ordered[(n - 1) // 2], ordered[n // 2]]
    if any(v is None for v in mid):
        return None
    return statistics.mean(mid)  # type: ignore[arg-type]


@dataclass(frozen=True)
class Summary:
    reached: int
    learners: int
    median_days: float | None
    median_reviews: float | None
    recall: float
    seen: float
    accuracy: float
    repeats: float  # share of answers that repeat an item already answered that day


def summarise(outcomes: Sequence[Outcome]) -> Summary:
    answered = sum(o.answered for o in outcomes)
    return Summary(
        reached=sum(o.reached_day is not None for o in outcomes),
        learners=len(outcomes),
        median_days=censored_median([o.reached_day for o in outcomes]),
        median_reviews=censored_median([o.reviews_to_reach for o in outcomes]),
        recall=statistics.mean(o.recall_at for o in outcomes),
        seen=statistics.mean(o.seen_at for o in outcomes),
        accuracy=sum(o.correct for o in outcomes) / answered if answered else 0.0,
        repeats=sum(o.repeats for o in outcomes) / answered if answered else 0.0,
    )


def _fmt(value: float | None, horizon: int) -> str:
    """A median, or ">horizon" when it is beyond the horizon."""
    return f">{horizon}" if value is None else f"{value:g}"


def ratio(a: float | None, b: float | None) -> str:
    """a / b as "0.78x", or "n/a" when either median is beyond the horizon."""
    return "n/a" if a is None or b is None else f"{a / b:.2f}x"


def run(
    seed: int,
    learners: int,
    days: int,
    jobs: int,
    ladder: tuple[int, ...] = FIXED_LADDER,
    show_progress: bool = False,
) -> tuple[Bank, dict[str, Summary]]:
    """Simulate the cohort; return the bank and {scheduler: Summary}."""
    bank = load_bank(seed)
    work = [(bank, seed, learner, days, ladder) for learner in range(learners)]

    def counted(rows: Iterable[list[Outcome]]) -> list[list[Outcome]]:
        label, summary = "Simulating learners", "simulated {count} learners under every scheduler"
        return list(progress(rows, label, total=learners, summary=summary, show=show_progress))

    if jobs > 1:
        from multiprocessing import get_context

        with get_context("fork" if sys.platform != "win32" else "spawn").Pool(jobs) as pool:
            # imap keeps map's order (and so the results) while the learners come back one by one
            rows = counted(pool.imap(_run_learner, work, chunksize=max(1, learners // (jobs * 4))))
    else:
        rows = counted(_run_learner(w) for w in work)
    return bank, {s: summarise([row[k] for row in rows]) for k, s in enumerate(SCHEDULERS)}


def parse_ladder(text: str) -> tuple[int, ...]:
    """Parse "2,3,5,7" into (2, 3, 5, 7): the gaps in days, the last one repeating."""
    gaps = tuple(int(x) for x in text.replace("-", ",").split(",") if x.strip())
    if not gaps or min(gaps) < 1:
        raise argparse.ArgumentTypeError("gaps must be whole days, at least 1")
    return gaps


def main() -> None:
    """Simulate, then print the settings, the table, the ratios and the summary line."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--learners", type=int, default=60)
    parser.add_argument("--days", type=int, default=DEFAULT_DAYS)
    parser.add_argument("--jobs", type=int, default=2, help="worker processes (results do not depend on it)")
    parser.add_argument(
        "--ladder", type=parse_ladder, default=FIXED_LADDER, help="fixed gaps in days, last repeats (2,3,5,7)"
    )
    args = parser.parse_args()
    t0 = time.perf_counter()
    bank, result = run(args.seed, args.learners, args.days, args.jobs, args.ladder, show_progress=True)
    wall = time.perf_counter() - t0
    day = min(RECALL_DAY, args.days)
    names = dict(NAMES, fixed="fixed " + "-".join(str(g) for g in args.ladder))

    print(
        f"seed {args.seed}  learners {args.learners}  days {args.days}  items {len(bank.items)}  "
        f"knowledge competencies with items {len(bank.knowledge)}"
        + (f" ({', '.join(bank.untestable)} has none)" if bank.untestable else "")
        + f"  budget {PER_DAY}/day on {STUDY_WEEKDAYS} days of 7"
    )
    print(
        f"{'scheduler':20s} {'reached 85%':>11s} {'median days':>12s} {'median reviews':>15s} "
        f"{f'recall @ day {day}':>16s} {f'seen @ {day}':>10s} {'correct':>8s} {'same-day':>9s}"
    )
    for s in SCHEDULERS:
        r = result[s]
        print(
            f"{names[s]:20s} {f'{r.reached}/{r.learners}':>11s} {_fmt(r.median_days, args.days):>12s} "
            f"{_fmt(r.median_reviews, args.days * PER_DAY):>15s} {r.recall:16.2f} {r.seen:10.0f} "
            f"{r.accuracy:8.0%} {r.repeats:9.0%}"
        )
    fixed = result["fixed"]
    beyond = "" if fixed.median_days is not None else f" (fixed: median beyond day {args.days})"
    for s in ("ours", "none"):
        r = result[s]
        print(
            f"{s} vs fixed: {ratio(r.median_days, fixed.median_days)} days, "
            f"{ratio(r.median_reviews, fixed.median_reviews)} reviews, "
            f"{r.recall - fixed.recall:+.2f} recall @ {day}{beyond}"
        )
    print(f"wall time: {wall:.1f} s ({args.jobs} process{'es' if args.jobs > 1 else ''})")
    ours, none = result["ours"], result["none"]
    print(
        f"learning: ours got every knowledge competency to {TARGET:.0%} for {ours.reached}/{ours.learners} "
        f"(median {_fmt(ours.median_days, args.days)} days, {_fmt(ours.median_reviews, args.days * PER_DAY)} "
        f"reviews; fixed {fixed.reached}/{fixed.learners}, none {none.reached}/{none.learners}); "
        f"recall @ day {day}: ours {ours.recall:.2f}, fixed {fixed.recall:.2f}, none {none.recall:.2f}"
    )


if __name__ == "__main__":
    main()
