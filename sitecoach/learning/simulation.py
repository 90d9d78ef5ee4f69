"""A simulated apprentice studying the quiz bank day by day, and what the truth says they would score.

The rules, in words:

* Day 1 is a Monday. On each of the first ``STUDY_WEEKDAYS`` days of a week the learner sits at 12:30 UTC
  and answers ``questions_per_day`` questions, one a minute, chosen by one arm (``study_policies``); the
  truth (``forgetting``) decides each answer and what is learned from its feedback.
* Every day (weekends too), **before** that day's study, the truth gives the **expected score** on a
  random EPA paper: the mean over the knowledge items of P(right) = recall + (1 - recall) / options (an
  item never seen is a pure guess). A random paper of ``PAPER_QUESTIONS`` items is then passed with
  chance P(Binomial(questions, expected score) >= pass mark), which is exact for items drawn with
  replacement and within a hair of it without.
* **Exam-ready day**: the first day the expected score is >= ``READY_SCORE`` and stays so for
  ``HOLD_DAYS`` days (that day included). The **pass day** is the same rule for P(pass) >= ``PASS_CHANCE``.
* On the exam-ready day we also note whether every knowledge competency (its items' mean P(right)) is at
  least ``COMPETENCY_FLOOR``, and the expected score ``AFTER_STOP_DAYS`` days later had the learner
  stopped studying that day (the truth's forgetting, nothing else).
* A learner not exam-ready within the horizon is censored at the last day that could still be confirmed.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache

import numpy as np
from scipy.optimize import brentq
from scipy.stats import binom

from sitecoach.learning.forgetting import EXPONENTIAL, TrueLearner, TruthModel
from sitecoach.learning.sim_bank import SimBank
from sitecoach.learning.study_policies import FsrsDefaults, Leitner, Ours, StudyPolicy, SuperMemo2
from sitecoach.settings import DEFAULT_DESIRED_RETENTION, DEFAULT_EPA_PASS_MARK, DEFAULT_MOCK_TEST_QUESTIONS

START = datetime(2025, 1, 6, 12, 30, tzinfo=UTC)  # the first sitting: a Monday lunch break
STUDY_WEEKDAYS = 5
QUESTIONS_PER_MINUTE = 1.2  # 10 minutes a day is about 12 questions
PAPER_QUESTIONS = DEFAULT_MOCK_TEST_QUESTIONS
PASS_MARK = DEFAULT_EPA_PASS_MARK
READY_SCORE = 0.85
PASS_CHANCE = 0.9
HOLD_DAYS = 14
COMPETENCY_FLOOR = 0.65
AFTER_STOP_DAYS = 30

ARMS: dict[str, Callable[..., StudyPolicy]] = {
    "leitner": Leitner,
    "sm2": SuperMemo2,
    "fsrs": FsrsDefaults,
    "ours": Ours,
}


def questions_for(minutes_a_day: float) -> int:
    """Questions answered in a daily budget of minutes."""
    return round(minutes_a_day * QUESTIONS_PER_MINUTE)


def pass_chance(
    expected_score: float, questions: int = PAPER_QUESTIONS, pass_mark: float = PASS_MARK
) -> float:
    """P(pass) of a random paper for a learner whose expected score per question is `expected_score`."""
    needed = math.ceil(pass_mark * questions - 1e-9)
    return float(binom.sf(needed - 1, questions, expected_score))


@cache
def score_for_pass_chance(chance: float = PASS_CHANCE) -> float:
    """The expected score at which P(pass) reaches `chance` (P(pass) rises with the score)."""
    return float(brentq(lambda p: pass_chance(p) - chance, 1e-6, 1 - 1e-9))


def is_study_day(day: int) -> bool:
    """Day 1 is a Monday; study on the first STUDY_WEEKDAYS days of each week."""
    return (day - 1) % 7 < STUDY_WEEKDAYS


class HeldFor:
    """The first day of a run of `days` consecutive days on which a condition held."""

    def __init__(self, days: int = HOLD_DAYS) -> None:
        self.days = days
        self.start: int | None = None
        self.confirmed: int | None = None

    def see(self, day: int, ok: bool) -> bool:
        """Feed one day in order; True on the day a new streak starts (while not yet confirmed)."""
        if self.confirmed is not None:
            return False
        if not ok:
            self.start = None
            return False
        started = self.start is None
        if started:
            self.start = day
        assert self.start is not None
        if day - self.start + 1 >= self.days:
            self.confirmed = self.start
        return started


@dataclass(frozen=True)
class LearnerOutcome:
    """One learner under one arm; days are 1-based, None when not reached within the horizon."""

    ready_day: int | None
    pass_day: int | None
    floor_at_ready: bool | None  # every knowledge competency at COMPETENCY_FLOOR on the exam-ready day
    score_after_stop: float | None  # expected score AFTER_STOP_DAYS after stopping on the exam-ready day
    observed_until: int  # the last day a streak could have started and been confirmed
    answered: int


def make_policy(
    arm: str, bank: SimBank, desired_retention: float | None = None, learning_steps: bool | None = None
) -> StudyPolicy:
    """The arm called `arm` (see ARMS); ours with another retention or learning steps when given."""
    if arm == "ours" and (desired_retention is not None or learning_steps is not None):
        return Ours(
            bank,
            desired_retention=desired_retention or DEFAULT_DESIRED_RETENTION,
            learning_steps=bool(learning_steps),
        )
    return ARMS[arm](bank)


def simulate_learner(
    bank: SimBank,
    truth: TruthModel,
    arm: str,
    seed: int,
    learner: int,
    questions_per_day: int,
    days: int,
    *,
    stop_when_settled: bool = True,
    on_answer: Callable[[datetime, int, bool], None] | None = None,
    on_day: Callable[[datetime, float], None] | None = None,
    desired_retention: float | None = None,
    learning_steps: bool | None = None,
) -> LearnerOutcome:
    """Run one learner for up to `days` days; stop early once both milestones are confirmed if asked."""
    learner_truth = TrueLearner(bank, truth, seed, learner)
    policy = make_policy(arm, bank, desired_retention, learning_steps)
    paper = np.array(bank.knowledge_items, dtype=np.int64)
    comps = [np.array(bank.items_of[c], dtype=np.int64) for c in bank.knowledge]
    pass_score = score_for_pass_chance()
    ready, passing = HeldFor(), HeldFor()
    candidate: tuple[bool, float] | None = None
    answered = 0
    for day in range(1, days + 1):
        sitting = START + timedelta(days=day - 1)
        t = day - 1.0 + (12.5 / 24)
        right = learner_truth.chance_right(t)
        score = float(right[paper].mean())
        if on_day is not None:
            on_day(sitting, score)
        if ready.see(day, score >= READY_SCORE):
            floor_ok = all(float(right[c].mean()) >= COMPETENCY_FLOOR for c in comps)
            later = float(learner_truth.chance_right(t + AFTER_STOP_DAYS, paper).mean())
            candidate = (floor_ok, later)
        passing.see(day, score >= pass_score)
        if stop_when_settled and ready.confirmed is not None and passing.confirmed is not None:
            break
        if not is_study_day(day):
            continue
        policy.start_day(sitting)
        for q in range(questions_per_day):
            now = sitting + timedelta(minutes=q)
            i = policy.pick(now)
            correct = learner_truth.answer(i, t + q / 1440)
            policy.record(i, correct, now)
            answered += 1
            if on_answer is not None:
                on_answer(now, i, correct)
    settled = ready.confirmed is not None
    return LearnerOutcome(
        ready_day=ready.confirmed,
        pass_day=passing.confirmed,
        floor_at_ready=candidate[0] if settled and candidate else None,
        score_after_stop=candidate[1] if settled and candidate else None,
        observed_until=days - HOLD_DAYS + 1,
        answered=answered,
    )


@dataclass(frozen=True)
class AnswerLog:
    """One simulated learner's answers and, per day, the truth's expected paper score before study."""

    answers: list[tuple[datetime, str, bool]]  # (aware UTC instant, item code, right?)
    expected_score: list[tuple[datetime, float]]  # (that day's sitting, expected score on a random paper)


def answer_log(
    bank: SimBank,
    truth: TruthModel = EXPONENTIAL,
    arm: str = "ours",
    *,
    seed: int = 0,
    learner: int = 0,
    questions_per_day: int = 12,
    days: int = 182,
) -> AnswerLog:
    """Simulate one learner for `days` days and return the answer log, for replaying through the product's
    mastery and forecasting code and comparing its forecasts with the truth's expected score."""
    answers: list[tuple[datetime, str, bool]] = []
    scores: list[tuple[datetime, float]] = []
    simulate_learner(
        bank,
        truth,
        arm,
        seed,
        learner,
        questions_per_day,
        days,
        stop_when_settled=False,
        on_answer=lambda now, i, ok: answers.append((now, bank.items[i].code, ok)),
        on_day=lambda at, score: scores.append((at, score)),
    )
    return AnswerLog(answers, scores)
