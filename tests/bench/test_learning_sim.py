"""Fast checks of the learning simulation's building blocks (the grid itself is a benchmark, not a test)."""

from __future__ import annotations

import math
from datetime import UTC, timedelta

import numpy as np
import pytest

from bench.learning import load_sim_bank
from bench.learning_stats import km_median_interval, km_quantile, paired_ratio_interval
from sitecoach.learning import forgetting, simulation
from sitecoach.learning.forgetting import TrueLearner, TruthModel
from sitecoach.learning.memory import Memory, pick_next_item
from sitecoach.learning.sim_bank import SimBank, SimCompetency, SimItem
from sitecoach.learning.study_policies import Leitner, Ours, SuperMemo2

DAY = timedelta(days=1)
T0 = simulation.START


@pytest.fixture(scope="module")
def bank() -> SimBank:
    return load_sim_bank()


def tiny_bank(n: int = 6) -> SimBank:
    items = tuple(SimItem(f"Q{i}", i, ("K1",) if i % 2 == 0 else ("K2",)) for i in range(n))
    return SimBank(items, (SimCompetency("K1", "knowledge", "A"), SimCompetency("K2", "skill", "A")))


def test_bank_is_the_real_pack_in_lesson_order_and_the_paper_is_its_knowledge_items(bank: SimBank) -> None:
    assert len(bank.items) >= 500
    positions = [item.lesson_position for item in bank.items]
    assert positions == sorted(positions)
    knowledge = set(bank.knowledge)
    assert all(knowledge.intersection(bank.items[i].competencies) for i in bank.knowledge_items)
    assert 0 < len(bank.knowledge_items) < len(bank.items)


def test_tiny_bank_paper_holds_only_items_testing_knowledge() -> None:
    assert tiny_bank().knowledge_items == (0, 2, 4)


@pytest.mark.parametrize("model", [forgetting.EXPONENTIAL, forgetting.POWER])
def test_stability_is_the_time_recall_falls_to_90_percent(model: TruthModel) -> None:
    recall = model.recall(np.array([0.0, 5.0, 10.0]), np.array([5.0, 5.0, 5.0]))
    assert recall[0] == 1.0 and recall[1] == pytest.approx(0.9)
    assert model.recall_one(10.0, 5.0) == pytest.approx(recall[2])


def test_exponential_halves_its_log_recall_and_power_law_has_the_longer_tail() -> None:
    s = np.array([5.0])
    assert forgetting.EXPONENTIAL.recall(np.array([10.0]), s)[0] == pytest.approx(0.81)
    far = np.array([200.0])
    assert forgetting.POWER.recall(far, s)[0] > 10 * forgetting.EXPONENTIAL.recall(far, s)[0]


def test_a_learner_knows_nothing_before_the_first_exposure_then_forgets_on_the_curve() -> None:
    learner = TrueLearner(tiny_bank(), forgetting.EXPONENTIAL, seed=1, learner=0)
    assert learner.recall(3.0)[0] == 0.0
    assert learner.chance_right(3.0)[0] == pytest.approx(0.25)  # a pure guess among 4 options
    learner.answer(0, 1.0)
    assert learner.stability[0] == learner.s0[0]
    assert learner.recall(1.0 + learner.s0[0])[0] == pytest.approx(0.9)


def _review_gap(model: TruthModel, gap: float, recalled: bool) -> tuple[float, float]:
    """Stability after the first exposure and after one review `gap` days later with a forced outcome."""
    learner = TrueLearner(tiny_bank(), model, seed=1, learner=0)
    learner.answer(0, 0.0)
    before = float(learner.stability[0])
    learner.draws[0, 1, 0] = 0.0 if recalled else 0.999999
    learner.answer(0, gap)
    return before, float(learner.stability[0])


def test_spacing_effect_a_harder_recall_grows_stability_more() -> None:
    s, soon = _review_gap(forgetting.EXPONENTIAL, 0.005, recalled=True)
    _, later = _review_gap(forgetting.EXPONENTIAL, 3 * s, recalled=True)
    assert soon == pytest.approx(s, rel=0.05)  # a repeat minutes later barely helps
    assert later > 2 * soon


def test_a_lapse_keeps_half_but_never_less_than_the_first_exposure() -> None:
    s0, after = _review_gap(forgetting.EXPONENTIAL, 3.0, recalled=False)
    assert after == pytest.approx(max(s0, forgetting.EXPONENTIAL.lapse_keep * s0))


def test_the_mis_specified_truth_never_remembers_beyond_its_cap_and_ignores_spacing() -> None:
    capped = forgetting.CAPPED
    learner = TrueLearner(tiny_bank(), capped, seed=1, learner=0)
    for k in range(40):
        learner.draws[0, k % forgetting.DRAWS_PER_ITEM, 0] = 0.0  # always recalled
        learner.answer(0, 10.0 * k)
    assert learner.stability[0] == capped.cap_days
    s, soon = _review_gap(capped, 0.005, recalled=True)
    assert soon > 2 * s  # no spacing effect: a repeat minutes later counts as much as one days later


def test_common_random_numbers_the_same_learner_under_every_arm() -> None:
    a, b = (TrueLearner(tiny_bank(), forgetting.EXPONENTIAL, 7, 3) for _ in range(2))
    assert [a.answer(i % 6, i) for i in range(30)] == [b.answer(i % 6, i) for i in range(30)]
    assert TrueLearner(tiny_bank(), forgetting.EXPONENTIAL, 7, 4).ability != a.ability


def _answer(policy: Leitner | SuperMemo2, day: int, correct: bool) -> int:
    """Ask on `day` (one sitting), answer item 0 and return the day it is due next."""
    now = T0 + day * DAY
    policy.start_day(now)
    assert policy.pick(now) == 0
    policy.record(0, correct, now)
    due = policy.due[0] * 60 - T0.replace(hour=0, minute=0).timestamp()
    return int(due // 86400)


def test_leitner_doubles_the_gap_on_each_right_answer_and_restarts_on_a_wrong_one() -> None:
    leitner, day, gaps = Leitner(tiny_bank(1)), 0, []
    for correct in (True, True, True, True, False, True):
        due = _answer(leitner, day, correct)
        gaps.append(due - day)
        day = due
    assert gaps == [1, 2, 4, 8, 1, 2]


def test_sm2_intervals_one_six_then_times_the_ease_and_a_lapse_lowers_the_ease() -> None:
    sm2, day, gaps = SuperMemo2(tiny_bank(1)), 0, []
    for correct in (True, True, True, True, False, True):
        due = _answer(sm2, day, correct)
        gaps.append(due - day)
        day = due
    assert gaps == [1, 6, 15, 38, 1, 1]
    assert sm2.ease[0] == pytest.approx(2.5 - 0.54)


def test_due_first_then_new_in_lesson_order_and_never_the_same_item_twice_in_a_row() -> None:
    leitner = Leitner(tiny_bank())
    leitner.start_day(T0)
    asked = []
    for q in range(6):
        now = T0 + timedelta(minutes=q)
        asked.append(leitner.pick(now))
        leitner.record(asked[-1], False, now)
    assert asked == [0, 1, 2, 3, 4, 5]
    leitner.start_day(T0 + DAY)
    assert leitner.pick(T0 + DAY) == 0  # due again, most overdue first


def test_ours_keeps_the_products_retrievability_in_bulk(bank: SimBank) -> None:
    ours = Ours(bank)
    for q in range(10):
        now = T0 + timedelta(minutes=q)
        ours.record(ours.pick(now), q % 3 != 0, now)
    later = T0 + 9 * DAY + timedelta(hours=3)
    memory = Memory()
    expected = [memory.card_retrievability(card, later) for card in ours.cards]
    assert ours.bulk_retrievability(later) == pytest.approx(expected)


def test_ours_asks_what_pick_next_item_would_ask_over_the_whole_bank(bank: SimBank) -> None:
    ours = Ours(bank)
    for day in range(12):
        sitting = T0 + day * DAY
        ours.start_day(sitting)
        for q in range(12):
            now = sitting + timedelta(minutes=q)
            if len(ours.asked) >= ours.round_length:
                ours.asked, ours.last_item = [], None
            whole = pick_next_item(ours.candidates, ours.mastery, now, ours.last_item, ours.asked)
            i = ours.pick(now)
            assert whole is not None and bank.items[i].code == whole.item_code
            ours.record(i, (day + q) % 4 != 0, now)


def test_exam_ready_is_the_first_day_of_fourteen_in_a_row() -> None:
    held = simulation.HeldFor(14)
    days = {d: d >= 3 for d in range(1, 40)}
    days[10] = False  # a dip: the streak from day 3 does not count
    for d, ok in days.items():
        held.see(d, ok)
    assert held.confirmed == 11
    short = simulation.HeldFor(14)
    for d in range(1, 14):
        short.see(d, True)
    assert short.confirmed is None  # 13 days are not enough


def test_pass_chance_on_a_twenty_question_paper_at_a_65_percent_mark() -> None:
    by_hand = sum(math.comb(20, k) * 0.65**k * 0.35 ** (20 - k) for k in range(13, 21))  # 13 of 20 to pass
    assert simulation.pass_chance(0.65) == pytest.approx(by_hand)
    threshold = simulation.score_for_pass_chance(0.9)
    assert simulation.pass_chance(threshold) == pytest.approx(0.9)
    assert 0.7 < threshold < 0.8


def test_kaplan_meier_median_on_a_known_censored_sample() -> None:
    # survival 0.8 after day 1, day 2 censored, 0.8 * 2/3 after day 3, then 0.267 after day 4: median 4
    # (ignoring the censoring, the median of the events 1, 3, 4 would say 3)
    days, reached = [1, 2, 3, 4, 5], [True, False, True, True, False]
    assert km_quantile(days, reached) == 4
    assert km_quantile(days, reached, share=0.2) == 1
    assert math.isinf(km_quantile(days, reached, share=0.9))
    assert math.isinf(km_quantile([5, 6], [False, False]))


def test_bootstrap_interval_contains_the_median() -> None:
    rng = np.random.default_rng(3)
    days = rng.integers(50, 150, 60).astype(float)
    reached = rng.random(60) < 0.8
    median, low, high = km_median_interval(days, reached, seed=1)
    assert low <= median <= high and low < high


def test_paired_ratio_of_an_arm_twice_as_slow() -> None:
    days = np.arange(10, 70, 2, dtype=float)
    reached = np.ones(len(days), dtype=bool)
    ratio, low, high = paired_ratio_interval((days, reached), (2 * days, reached), seed=1)
    assert ratio == pytest.approx(0.5) and low == pytest.approx(0.5) and high == pytest.approx(0.5)


def test_answer_log_is_aware_utc_item_codes_and_a_daily_truth_score(bank: SimBank) -> None:
    log = simulation.answer_log(bank, seed=3, learner=1, questions_per_day=12, days=21)
    study_days = sum(simulation.is_study_day(d) for d in range(1, 22))
    assert len(log.answers) == 12 * study_days and len(log.expected_score) == 21
    codes = bank.index()
    assert all(at.tzinfo == UTC and code in codes and isinstance(ok, bool) for at, code, ok in log.answers)
    assert [at for at, _ in log.expected_score] == [T0 + d * DAY for d in range(21)]
    scores = [s for _, s in log.expected_score]
    assert scores[0] == pytest.approx(0.25)  # before any study: pure guessing
    assert scores[-1] > scores[0]
    assert log == simulation.answer_log(bank, seed=3, learner=1, questions_per_day=12, days=21)
    other = simulation.answer_log(bank, forgetting.POWER, "leitner", seed=3, learner=1, days=21)
    assert other.answers != log.answers
