"""Knowledge tracing and honest mastery: a wrong answer never raises mastery, readiness or badges, and the
evening after an all-wrong sitting the learner sits at the guessing floor (on the real ST1332 bank)."""

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bench.forecast import curriculum as pack_curriculum
from sitecoach.learning.badges import new_badges
from sitecoach.learning.history import QUIZ_ANSWERED, HistoryEvent, MasteryReplayer, trace_item
from sitecoach.learning.knowledge import PRIOR_LEARNED, SLIP, chance_right, known_now, score_answer
from sitecoach.learning.memory import Memory
from sitecoach.learning.readiness import epa_readiness

MORNING = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
LONDON = "Europe/London"


CURRICULUM = pack_curriculum()
REPLAYER = MasteryReplayer(CURRICULUM, Memory())
KNOWLEDGE = {c for c, kind in CURRICULUM.kinds.items() if kind == "knowledge"}
PAPER_ITEMS = {
    item: [c for c in comps if c in KNOWLEDGE]
    for item, comps in CURRICULUM.item_competencies.items()
    if any(c in KNOWLEDGE for c in comps)
}


def _answers(items, correct, start=MORNING, gap=timedelta(minutes=1)):
    return [
        HistoryEvent(start + n * gap, QUIZ_ANSWERED, {"item": item, "correct": ok})
        for n, (item, ok) in enumerate(zip(items, correct, strict=True))
    ]


def _pass_chance(known):
    return epa_readiness({i: known.get(i, 0.0) for i in PAPER_ITEMS}, PAPER_ITEMS).pass_chance


# --- the item rules ---------------------------------------------------------------------------------------


def test_first_answer_right_is_evidence_but_not_proof():
    score = score_answer(0.0, answered_before=False, correct=True)
    assert score.chance_right == pytest.approx(chance_right(PRIOR_LEARNED))
    assert 0.55 < score.belief_after < 0.7  # a guess explains some right answers


def test_first_answer_wrong_shows_nothing_known():
    assert score_answer(0.0, answered_before=False, correct=False).belief_after == 0.0


def test_four_right_answers_over_four_days_make_an_item_known():
    memory = Memory()
    answers = [(MORNING + timedelta(days=d), True) for d in range(4)]
    _card, belief, _score = trace_item(memory, answers)
    assert belief > 0.95


def test_chance_right_runs_from_the_guessing_floor_to_one_slip_short_of_certain():
    assert chance_right(0.0) == 0.25
    assert chance_right(1.0) == pytest.approx(1 - SLIP)


@given(st.floats(0, 1), st.booleans())
def test_a_wrong_answer_never_raises_what_is_known(known, answered_before):
    after = score_answer(known, answered_before, correct=False).belief_after
    assert after <= known


@given(st.floats(0, 1))
def test_a_right_answer_never_lowers_what_is_known(known):
    assert score_answer(known, True, correct=True).belief_after >= known


@given(st.floats(0, 1), st.floats(0, 1))
def test_known_now_fades_with_recall(belief, recall):
    assert 0 <= known_now(belief, recall) <= belief


# --- the all-wrong sitting, on the real bank (the review's example) --------------------------------------


def test_the_evening_after_an_all_wrong_sitting_sits_at_the_guessing_floor():
    items = sorted(CURRICULUM.item_competencies)[:60]
    events = _answers(items, [False] * len(items))
    evening = MORNING + timedelta(hours=11)
    replay = REPLAYER.replay(events, evening, LONDON)
    assert replay.report.overall == 0.0
    assert replay.report.knowledge == 0.0
    readiness = epa_readiness({i: replay.item_known.get(i, 0.0) for i in PAPER_ITEMS}, PAPER_ITEMS)
    assert readiness.expected_score == pytest.approx(0.25)
    assert readiness.pass_chance < 0.001
    days = [(d.day, d.by_area) for d in replay.area_series]
    assert new_badges(days, replay.shown_days, CURRICULUM.area_titles, (), evening) == []
    next_day = REPLAYER.replay(events, evening + timedelta(days=1), LONDON)
    assert next_day.report.overall == 0.0


def test_one_all_right_sitting_earns_no_badge_until_shown_again_on_another_day():
    items = sorted(i for i, comps in CURRICULUM.item_competencies.items() if comps[0].startswith("LAW"))
    day_one = _answers(items, [True] * len(items))
    evening = MORNING + timedelta(hours=11)
    replay = REPLAYER.replay(day_one, evening, LONDON)
    days = [(d.day, d.by_area) for d in replay.area_series]
    assert replay.report.by_area["LAW"] > 25
    assert new_badges(days, replay.shown_days, CURRICULUM.area_titles, (), evening) == []
    day_two = day_one + _answers(items, [True] * len(items), start=MORNING + timedelta(days=1))
    replay = REPLAYER.replay(day_two, evening + timedelta(days=1), LONDON)
    days = [(d.day, d.by_area) for d in replay.area_series]
    keys = [b.key for b in new_badges(days, replay.shown_days, CURRICULUM.area_titles, (), evening)]
    assert "area:LAW:Novice" in keys


# --- property: a wrong answer never raises mastery, readiness or badges ---------------------------------

ITEMS = sorted(CURRICULUM.item_competencies)[:12]
history = st.lists(
    st.tuples(st.sampled_from(ITEMS), st.booleans(), st.integers(min_value=1, max_value=60 * 48)),
    min_size=0,
    max_size=25,
)


@settings(max_examples=60, deadline=None)
@given(history, st.sampled_from(ITEMS), st.integers(min_value=1, max_value=60 * 72))
def test_a_wrong_answer_never_raises_mastery_readiness_or_badges(steps, item, minutes_later):
    events, at = [], MORNING
    for code, ok, gap in steps:
        at += timedelta(minutes=gap)
        events.append(HistoryEvent(at, QUIZ_ANSWERED, {"item": code, "correct": ok}))
    wrong_at = at + timedelta(minutes=minutes_later)
    wrong = HistoryEvent(wrong_at, QUIZ_ANSWERED, {"item": item, "correct": False})
    before = REPLAYER.replay(events, wrong_at, LONDON)
    after = REPLAYER.replay([*events, wrong], wrong_at, LONDON)
    assert after.report.overall <= before.report.overall
    assert after.report.knowledge <= before.report.knowledge
    for code, score in after.report.by_competency.items():
        assert score <= before.report.by_competency[code]
    assert _pass_chance(after.item_known) <= _pass_chance(before.item_known) + 1e-12
    badges_before = new_badges(
        [(d.day, d.by_area) for d in before.area_series], before.shown_days, {}, (), wrong_at
    )
    badges_after = new_badges(
        [(d.day, d.by_area) for d in after.area_series], after.shown_days, {}, (), wrong_at
    )
    assert {b.key for b in badges_after} <= {b.key for b in badges_before}
