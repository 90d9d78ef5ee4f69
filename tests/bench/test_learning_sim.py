"""Small, fast checks of the building blocks of bench/learning.py (the simulation itself is not tested)."""

from __future__ import annotations

import math
import random
from datetime import timedelta

import pytest

from bench import learning as sim
from sitecoach.learning.memory import Memory


@pytest.fixture(scope="module")
def bank() -> sim.Bank:
    return sim.load_bank(7)


def test_bank_is_the_real_pack_in_lesson_order(bank: sim.Bank) -> None:
    positions = [item.lesson_position for item in bank.items]
    assert positions == sorted(positions)
    assert bank.knowledge and all(c.kind == "knowledge" and c.items for c in bank.knowledge)
    assert sim.load_bank(7) == bank  # difficulties come from the seed
    assert sim.load_bank(8) != bank


def test_true_memory_forgets_exponentially_and_starts_at_nothing(bank: sim.Bank) -> None:
    truth = sim.make_learner(bank, 7, 0)
    assert truth.recall(0, 5.0) == 0.0
    truth.answer(0, 1.0)
    assert truth.stability[0] == truth.s0[0]
    assert truth.recall(0, 1.0) == 1.0
    assert truth.recall(0, 1.0 + truth.s0[0]) == pytest.approx(math.exp(-1))


def _reviewed(bank: sim.Bank, gap: float, recalled: bool) -> tuple[float, float]:
    """Stability before and after one review `gap` days after the first exposure, forcing the outcome."""
    truth = sim.make_learner(bank, 7, 0)
    truth.answer(0, 0.0)
    before = truth.stability[0]
    truth.streams[0] = random.Random()
    truth.streams[0].random = (lambda: 0.0) if recalled else (lambda: 0.999999)  # type: ignore[method-assign]
    truth.answer(0, gap)
    return before, truth.stability[0]


def test_spacing_effect_a_harder_recall_grows_stability_more(bank: sim.Bank) -> None:
    s, soon = _reviewed(bank, 0.01, recalled=True)
    _, later = _reviewed(bank, 3.0, recalled=True)
    assert soon == pytest.approx(s, rel=0.05)  # a repeat minutes later barely helps
    assert later > 2 * soon


def test_a_lapse_keeps_part_of_stability_but_never_less_than_the_first_exposure(bank: sim.Bank) -> None:
    s0, after = _reviewed(bank, 3.0, recalled=False)
    assert after == pytest.approx(max(s0, sim.LAPSE_KEEP * s0))


def test_common_random_numbers_the_same_learner_under_every_scheduler(bank: sim.Bank) -> None:
    a, b = sim.make_learner(bank, 7, 3), sim.make_learner(bank, 7, 3)
    assert a.s0 == b.s0 and a.ability == b.ability
    assert [a.answer(i, 1.0) for i in range(20)] == [b.answer(i, 1.0) for i in range(20)]
    assert sim.make_learner(bank, 7, 4).s0 != a.s0


def test_fixed_ladder_gaps_then_weekly(bank: sim.Bank) -> None:
    fixed = sim.FixedLadder(bank)
    fixed.start_day(1)
    assert fixed.pick() == 0  # new items in lesson order
    fixed.record(0)
    days = [1]
    for _ in range(5):
        due = fixed.due[0]
        assert due is not None
        fixed.start_day(due)
        assert fixed.pick() == 0  # due before new
        fixed.record(0)
        days.append(due)
    assert [b - a for a, b in zip(days, days[1:], strict=False)] == [2, 3, 5, 7, 7]


def test_no_spacing_goes_in_lesson_order_then_never_repeats_within_a_day(bank: sim.Bank) -> None:
    none = sim.NoSpacing(bank, random.Random(1))
    none.start_day()
    order = []
    for _ in range(len(bank.items)):
        i = none.pick()
        order.append(i)
        none.record(i)
    assert order == list(range(len(bank.items)))
    none.start_day()
    picks = []
    for _ in range(sim.PER_DAY):
        i = none.pick()
        picks.append(i)
        none.record(i)
    assert len(set(picks)) == sim.PER_DAY


def test_a_fresh_card_dict_schedules_exactly_like_no_card() -> None:
    memory = Memory(desired_retention=0.9)
    now = sim.START + sim.SITTING
    fresh = memory.new_card(sim.START)
    for correct in (True, False):
        a, b = memory.review(None, correct, now), memory.review(dict(fresh), correct, now)
        assert {k: v for k, v in a.card.items() if k != "card_id"} == {
            k: v for k, v in b.card.items() if k != "card_id"
        }
        assert a.due == b.due


def test_ours_brings_a_missed_new_item_back_in_the_next_round(bank: sim.Bank) -> None:
    ours = sim.Ours(bank, Memory(desired_retention=0.9))
    sitting = sim.START + sim.SITTING
    ours.start_day(sitting)
    first = []
    for q in range(sim.DEFAULT_QUIZ_ROUND_LENGTH):
        now = sitting + timedelta(minutes=q)
        i = ours.pick(now)
        first.append(i)
        ours.record(i, q != 0, now)  # the first one missed
    assert len(set(first)) == len(first)
    now = sitting + timedelta(minutes=sim.DEFAULT_QUIZ_ROUND_LENGTH)
    assert ours.pick(now) == first[0]  # FSRS learning step: due again a minute later


def test_simulate_is_deterministic_and_plausible(bank: sim.Bank) -> None:
    runs = [sim.simulate(bank, 7, 0, s, 30) for s in sim.SCHEDULERS]
    assert runs == [sim.simulate(bank, 7, 0, s, 30) for s in sim.SCHEDULERS]
    study_days = sum(sim.is_study_day(d) for d in range(1, 31))
    for outcome in runs:
        assert outcome.answered == study_days * sim.PER_DAY
        assert 0.0 < outcome.recall_at < 1.0


def test_censored_median() -> None:
    assert sim.censored_median([3, 1, 2]) == 2
    assert sim.censored_median([1, 2, None, None]) is None
    assert sim.censored_median([1, 2, 3, None]) == 2.5
