"""Tests for the learning core: FSRS scheduling, what to ask next, mastery, streaks and progress bars."""

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sitecoach.learning.mastery import (
    CompetencyEvidence,
    bar,
    competency_mastery,
    mastery_report,
    missing_for,
    streak_days,
)
from sitecoach.learning.memory import Candidate, Memory, pick_next_item
from sitecoach.settings import DEFAULT_DESIRED_RETENTION

START = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
NAIVE = datetime(2026, 1, 5, 9, 0)
LONDON = "Europe/London"


@pytest.fixture
def memory():
    return Memory()


def _reviewed(memory, answers, start=START):
    """A card after a run of answers, each given at the moment the card fell due."""
    card, now, outcome = None, start, None
    for correct in answers:
        outcome = memory.review(card, correct, now)
        card, now = outcome.card, outcome.due
    return outcome


# --- Memory -----------------------------------------------------------------------------------------


def test_new_card_refuses_naive_datetime(memory):
    with pytest.raises(ValueError, match="naive"):
        memory.new_card(NAIVE)


def test_review_refuses_naive_datetime(memory):
    with pytest.raises(ValueError, match="naive"):
        memory.review(None, True, NAIVE)
    card = memory.new_card(START)
    with pytest.raises(ValueError, match="naive"):
        memory.review(card, False, NAIVE)


def test_retrievability_refuses_naive_datetime(memory):
    card = memory.review(None, True, START).card
    with pytest.raises(ValueError, match="naive"):
        memory.retrievability(card, NAIVE)
    with pytest.raises(ValueError, match="naive"):
        memory.retrievability(None, NAIVE)


def test_new_card_is_due_immediately(memory):
    card = memory.new_card(START)
    outcome = memory.review(card, True, START)
    assert outcome.retrievability_before == 0.0
    assert outcome.due > START


def test_correct_answer_schedules_later_than_wrong_on_a_fresh_card(memory):
    right = memory.review(None, True, START)
    wrong = memory.review(None, False, START)
    assert right.due > wrong.due > START


def test_correct_answer_schedules_later_than_wrong_on_a_learnt_card(memory):
    learnt = _reviewed(memory, [True, True])
    now = learnt.due
    right = memory.review(learnt.card, True, now)
    wrong = memory.review(learnt.card, False, now)
    assert right.due > wrong.due
    # A lapse on a learnt card brings it back sooner than the gap it just failed; a success pushes it further.
    assert timedelta(days=1) <= wrong.due - now < learnt.due - START
    assert right.due - now > learnt.due - START


def test_a_missed_item_comes_back_on_a_later_day_not_the_same_sitting(memory):
    # No same-sitting learning steps: a repeat minutes later costs a question and teaches little
    # (bench/learning.py). py-fsrs's steps stay available for anyone who wants them.
    for card in (None, _reviewed(memory, [True, True]).card):
        wrong = memory.review(card, False, START)
        assert wrong.due - START >= timedelta(days=1)
    with_steps = Memory(learning_steps=True).review(None, False, START)
    assert with_steps.due - START == timedelta(minutes=1)


def test_no_review_is_put_off_more_than_six_months(memory):
    outcome = _reviewed(memory, [True] * 8)
    assert max(outcome.due - START, timedelta(0)) > timedelta(days=180)  # the history itself ran long
    now = outcome.card["last_review"]
    assert outcome.due - datetime.fromisoformat(now) == timedelta(days=180)


def test_default_retention_is_the_settings_default_of_80_percent(memory):
    assert memory.scheduler.desired_retention == DEFAULT_DESIRED_RETENTION == 0.8
    # FSRS schedules the next review for when it predicts recall has fallen to the target
    first = memory.review(None, True, START)
    assert memory.retrievability(first.card, first.due) == pytest.approx(0.8, abs=0.03)


def test_reviewing_from_nothing_matches_reviewing_a_new_card(memory):
    from_nothing = memory.review(None, True, START)
    from_new = memory.review(memory.new_card(START), True, START)
    assert from_nothing.due == from_new.due


def test_golden_due_dates_after_two_correct_reviews(memory):
    # Golden values: computed once from the scheduler (FSRS 6, retention 0.8, no learning steps, no
    # fuzzing). A change here changes every learner's review calendar.
    first = memory.review(None, True, START)
    assert first.due == datetime(2026, 1, 13, 9, 0, tzinfo=UTC)
    second = memory.review(first.card, True, first.due)
    assert second.due == datetime(2026, 3, 29, 9, 0, tzinfo=UTC)


def test_same_history_gives_same_schedule(memory):
    answers = [True, False, True, True, True]
    assert _reviewed(memory, answers).due == _reviewed(Memory(), answers).due


def test_retrievability_of_never_reviewed_card_is_zero(memory):
    assert memory.retrievability(None, START) == 0.0
    assert memory.retrievability({}, START) == 0.0
    assert memory.retrievability(memory.new_card(START), START + timedelta(days=3)) == 0.0


def test_retrievability_decays_day_by_day_and_stays_in_range(memory):
    card = memory.review(None, True, START).card
    values = [memory.retrievability(card, START + timedelta(days=d)) for d in range(0, 120)]
    assert all(0.0 <= v <= 1.0 for v in values)
    assert values[0] == pytest.approx(1.0)
    assert all(later < earlier for earlier, later in zip(values, values[1:], strict=False))
    assert values[-1] < 0.6


def test_retrievability_never_rises_hour_by_hour(memory):
    card = _reviewed(memory, [True, True]).card
    reviewed_at = datetime(2026, 1, 5, 9, 10, tzinfo=UTC)
    values = [memory.retrievability(card, reviewed_at + timedelta(hours=h)) for h in range(0, 24 * 10)]
    assert all(later <= earlier for earlier, later in zip(values, values[1:], strict=False))
    assert all(0.0 <= v <= 1.0 for v in values)


def test_recall_fades_within_the_first_day_instead_of_reading_1_all_day(memory):
    # py-fsrs counts whole days; a wrong answer at 9:00 must not read as perfect recall that evening
    card = memory.review(None, False, START).card
    evening = memory.retrievability(card, START + timedelta(hours=10))
    assert evening < 0.9
    assert memory.retrievability(card, START + timedelta(hours=1)) > evening


def test_retrievability_before_is_reported_on_later_reviews(memory):
    first = memory.review(None, True, START)
    later = memory.review(first.card, True, START + timedelta(days=30))
    assert first.retrievability_before == 0.0
    assert 0.0 < later.retrievability_before < 1.0
    assert later.retrievability_before == pytest.approx(
        memory.retrievability(first.card, START + timedelta(days=30))
    )


# --- pick_next_item ---------------------------------------------------------------------------------

NOW = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)


def _c(code, position=1, comps=("ISO-K1",), due=None):
    return Candidate(item_code=code, lesson_position=position, competencies=tuple(comps), due=due)


def test_due_review_beats_a_new_item_on_a_weak_competency():
    due = _c("Q-L09-01", position=9, comps=("JNT-K1",), due=NOW - timedelta(hours=1))
    new = _c("Q-L01-01", position=1, comps=("LAW-K1",))
    picked = pick_next_item([new, due], {"JNT-K1": 95.0, "LAW-K1": 0.0}, NOW)
    assert picked == due


def test_most_overdue_review_comes_first():
    a_bit = _c("Q-L01-01", due=NOW - timedelta(hours=2))
    very = _c("Q-L05-02", position=5, due=NOW - timedelta(days=4))
    just = _c("Q-L02-01", position=2, due=NOW)
    assert pick_next_item([a_bit, just, very], {}, NOW) == very


def test_item_not_yet_due_waits_behind_new_items():
    later = _c("Q-L01-01", due=NOW + timedelta(days=2))
    new = _c("Q-L03-01", position=3)
    assert pick_next_item([later, new], {}, NOW) == new


def test_new_items_go_to_the_weakest_competency_first():
    strong = _c("Q-L01-01", position=1, comps=("LAW-K1",))
    weak = _c("Q-L07-01", position=7, comps=("ERT-K1",))
    mastery = {"LAW-K1": 80.0, "ERT-K1": 12.0}
    assert pick_next_item([strong, weak], mastery, NOW) == weak


def test_item_weakness_is_its_weakest_competency():
    # One strong and one untouched competency: the item counts as weak.
    mixed = _c("Q-L06-01", position=6, comps=("ISO-K1", "ISO-S1"))
    middling = _c("Q-L02-01", position=2, comps=("SDR-K1",))
    mastery = {"ISO-K1": 90.0, "SDR-K1": 40.0}
    assert pick_next_item([middling, mixed], mastery, NOW) == mixed


def test_equally_weak_new_items_follow_lesson_order():
    items = [_c("Q-L04-01", position=4), _c("Q-L02-03", position=2), _c("Q-L03-01", position=3)]
    assert pick_next_item(items, {}, NOW).item_code == "Q-L02-03"


def test_walking_through_new_items_follows_lesson_order():
    items = [_c(f"Q-L0{p}-01", position=p) for p in (3, 1, 2)]
    asked = []
    last = None
    for _ in range(3):
        picked = pick_next_item(items, {}, NOW, last_item=last, exclude=asked)
        asked.append(picked.item_code)
        last = picked.item_code
    assert asked == ["Q-L01-01", "Q-L02-01", "Q-L03-01"]


def test_never_the_same_item_twice_in_a_row():
    overdue = _c("Q-L01-01", due=NOW - timedelta(days=3))
    other = _c("Q-L01-02", due=NOW - timedelta(hours=1))
    assert pick_next_item([overdue, other], {}, NOW, last_item="Q-L01-01") == other


def test_last_item_is_not_repeated_even_when_it_is_the_only_due_one():
    overdue = _c("Q-L01-01", due=NOW - timedelta(days=3))
    new = _c("Q-L02-01", position=2)
    assert pick_next_item([overdue, new], {}, NOW, last_item="Q-L01-01") == new


def test_excluded_items_are_skipped():
    overdue = _c("Q-L01-01", due=NOW - timedelta(days=3))
    new_weak = _c("Q-L02-01", position=2, comps=("SDR-K1",))
    new_strong = _c("Q-L03-01", position=3, comps=("ISO-K1",))
    mastery = {"SDR-K1": 5.0, "ISO-K1": 70.0}
    picked = pick_next_item([overdue, new_weak, new_strong], mastery, NOW, exclude=["Q-L01-01", "Q-L02-01"])
    assert picked == new_strong


def test_nothing_to_ask_gives_none():
    assert pick_next_item([], {}, NOW) is None
    only = _c("Q-L01-01", due=NOW - timedelta(days=1))
    assert pick_next_item([only], {}, NOW, last_item="Q-L01-01") is None


def test_when_nothing_is_due_or_new_the_soonest_due_is_offered():
    soon = _c("Q-L01-01", due=NOW + timedelta(hours=3))
    far = _c("Q-L02-01", position=2, due=NOW + timedelta(days=9))
    assert pick_next_item([far, soon], {}, NOW) == soon


def test_pick_next_item_refuses_naive_now():
    with pytest.raises(ValueError, match="naive"):
        pick_next_item([_c("Q-L01-01")], {}, NAIVE)


# --- competency_mastery and mastery_report ----------------------------------------------------------


def _ev(kind="knowledge", known=(1.0, 1.0, 1.0), signed=0, code="X-1", area="ISO"):
    return CompetencyEvidence(code=code, kind=kind, area=area, known=tuple(known), signed_evidence=signed)


@pytest.mark.parametrize(
    ("ev", "expected"),
    [
        # knowledge: 100 x the known share of its items; evidence only when no item tests it
        (_ev("knowledge", signed=1), 100.0),
        (_ev("knowledge", signed=0), 100.0),
        (_ev("knowledge", known=(1.0, 0.0)), 50.0),
        (_ev("knowledge", known=(0.9, 0.8, 0.7), signed=3), 80.0),
        (_ev("knowledge", known=()), 0.0),
        (_ev("knowledge", known=(), signed=1), 100.0),
        # skill: evidence 60 (30 a piece, up to two) + 40 x the known share
        (_ev("skill", signed=0), 40.0),
        (_ev("skill", signed=1), 70.0),
        (_ev("skill", signed=2), 100.0),
        (_ev("skill", known=(0.5,), signed=1), 50.0),
        (_ev("skill", known=(), signed=1), 50.0),
        (_ev("skill", known=(), signed=5), 100.0),
        # behaviour: a mentor observation or nothing
        (_ev("behaviour", signed=0), 0.0),
        (_ev("behaviour", signed=1), 100.0),
        (_ev("behaviour", known=(), signed=2), 100.0),
    ],
)
def test_competency_mastery_golden_values(ev, expected):
    assert competency_mastery(ev) == expected


def test_quizzes_alone_take_knowledge_to_100_but_a_skill_only_to_40_and_a_behaviour_nowhere():
    assert competency_mastery(_ev("knowledge", known=(1.0,) * 20)) == 100.0
    assert competency_mastery(_ev("skill", known=(1.0,) * 20)) == 40.0
    assert competency_mastery(_ev("behaviour", known=(1.0,) * 20)) == 0.0


def test_gateway_and_badge_thresholds_are_reachable_by_each_kinds_path():
    # knowledge 85 from quizzes; skill 60 (gateway) from two signed pieces; behaviour from one observation
    assert competency_mastery(_ev("knowledge", known=(0.85,) * 4)) >= 85
    assert competency_mastery(_ev("skill", known=(0.0,) * 4, signed=2)) >= 60
    assert competency_mastery(_ev("skill", known=(0.7,) * 4, signed=2)) >= 85
    assert competency_mastery(_ev("behaviour", known=(), signed=1)) >= 85


def test_mastery_is_rounded_to_one_decimal():
    assert competency_mastery(_ev("knowledge", known=(1 / 3,))) == 33.3
    assert competency_mastery(_ev("knowledge", known=(0.123456,))) == 12.3


def test_mastery_report_rolls_up_areas_and_overall():
    evidence = [
        _ev("knowledge", code="ISO-K1", area="ISO"),  # 100
        _ev("skill", signed=0, code="ISO-S1", area="ISO"),  # 40
        _ev("behaviour", signed=0, code="ISO-B1", area="ISO"),  # 0
        _ev("knowledge", known=(0.5,), code="LAW-K1", area="LAW"),  # 50
    ]
    report = mastery_report(evidence, {"ISO": "Isolation and proving dead", "LAW": "Law"})
    assert report.by_competency == {"ISO-K1": 100.0, "ISO-S1": 40.0, "ISO-B1": 0.0, "LAW-K1": 50.0}
    assert report.by_area == {"ISO": 46.7, "LAW": 50.0}
    assert report.overall == 48.4  # mean of areas, not of the four competencies (47.5)
    assert report.knowledge == 75.0  # the knowledge competencies only
    assert report.area_titles["ISO"] == "Isolation and proving dead"


def test_report_says_what_quizzes_cannot_reach_and_what_is_missing():
    evidence = [
        _ev("knowledge", known=(0.2,), code="ISO-K1", area="ISO"),
        _ev("skill", known=(0.2,), signed=0, code="ISO-S1", area="ISO"),
        _ev("behaviour", signed=0, code="ISO-B1", area="ISO"),
    ]
    report = mastery_report(evidence)
    assert report.quiz_ceiling == pytest.approx(round((100 + 40 + 0) / 3, 1))
    assert report.needs_evidence == ("ISO-S1",)
    assert report.needs_observation == ("ISO-B1",)
    why = missing_for(report, 85)
    assert "signed-off evidence for 1 competency" in why and "mentor observation for 1 behaviour" in why
    signed = [
        _ev("knowledge", known=(0.2,), code="ISO-K1", area="ISO"),
        _ev("skill", known=(0.2,), signed=2, code="ISO-S1", area="ISO"),
        _ev("behaviour", signed=1, code="ISO-B1", area="ISO"),
    ]
    assert missing_for(mastery_report(signed), 85) == ""


def test_mastery_report_of_nothing_is_zero():
    report = mastery_report([])
    assert report.by_competency == {}
    assert report.by_area == {}
    assert report.overall == 0.0
    assert report.area_titles == {}


KINDS = st.sampled_from(["knowledge", "skill", "behaviour"])
KNOWN = st.lists(st.floats(min_value=0.0, max_value=1.0), max_size=30)
COUNTS = st.integers(min_value=0, max_value=50)


@st.composite
def evidence(draw):
    return CompetencyEvidence(
        code="C-1",
        kind=draw(KINDS),
        area="A",
        known=tuple(draw(KNOWN)),
        signed_evidence=draw(COUNTS),
    )


@given(evidence())
def test_mastery_is_always_between_0_and_100(ev):
    assert 0.0 <= competency_mastery(ev) <= 100.0


@given(evidence())
def test_signed_evidence_never_lowers_mastery(ev):
    more = CompetencyEvidence(**{**ev.__dict__, "signed_evidence": ev.signed_evidence + 1})
    assert competency_mastery(more) >= competency_mastery(ev)


@given(evidence(), st.data())
def test_knowing_an_item_better_never_lowers_mastery(ev, data):
    if not ev.known:
        return
    i = data.draw(st.integers(min_value=0, max_value=len(ev.known) - 1))
    new_value = data.draw(st.floats(min_value=ev.known[i], max_value=1.0))
    known = ev.known[:i] + (new_value,) + ev.known[i + 1 :]
    raised = CompetencyEvidence(**{**ev.__dict__, "known": known})
    assert competency_mastery(raised) >= competency_mastery(ev)


@given(st.lists(evidence(), max_size=10))
def test_report_overall_is_between_0_and_100(evs):
    evs = [
        CompetencyEvidence(**{**e.__dict__, "code": f"C-{i}", "area": f"A{i % 3}"}) for i, e in enumerate(evs)
    ]
    report = mastery_report(evs)
    assert 0.0 <= report.overall <= 100.0
    assert 0.0 <= report.quiz_ceiling <= 100.0
    assert report.overall <= report.quiz_ceiling
    assert all(0.0 <= v <= 100.0 for v in report.by_area.values())


# --- streak_days -------------------------------------------------------------------------------------


def _utc(*args):
    return datetime(*args, tzinfo=UTC)


def test_streak_counts_consecutive_days_ending_today():
    now = _utc(2026, 3, 10, 18, 0)
    activity = [
        _utc(2026, 3, 10, 8, 0),
        _utc(2026, 3, 9, 12, 0),
        _utc(2026, 3, 9, 13, 0),
        _utc(2026, 3, 8, 7, 0),
    ]
    assert streak_days(activity, now, LONDON) == 3


def test_streak_still_counts_when_today_is_not_done_yet():
    now = _utc(2026, 3, 10, 7, 0)
    activity = [_utc(2026, 3, 9, 20, 0), _utc(2026, 3, 8, 20, 0)]
    assert streak_days(activity, now, LONDON) == 2


def test_streak_stops_at_a_gap():
    now = _utc(2026, 3, 10, 18, 0)
    activity = [
        _utc(2026, 3, 10, 8, 0),
        _utc(2026, 3, 9, 8, 0),
        _utc(2026, 3, 7, 8, 0),
        _utc(2026, 3, 6, 8, 0),
    ]
    assert streak_days(activity, now, LONDON) == 2


def test_streak_is_zero_when_last_activity_was_two_days_ago():
    now = _utc(2026, 3, 10, 18, 0)
    activity = [_utc(2026, 3, 8, 8, 0), _utc(2026, 3, 7, 8, 0)]
    assert streak_days(activity, now, LONDON) == 0


def test_streak_is_zero_with_no_activity():
    assert streak_days([], _utc(2026, 3, 10, 18, 0), LONDON) == 0


def test_late_night_utc_in_summer_time_counts_as_the_next_local_day():
    # 23:30 UTC on 1 July is 00:30 on 2 July in London (BST, UTC+1).
    activity = [_utc(2026, 7, 1, 23, 30), _utc(2026, 7, 1, 10, 0), _utc(2026, 6, 30, 12, 0)]
    now = _utc(2026, 7, 2, 8, 0)
    assert streak_days(activity, now, LONDON) == 3  # 30 Jun, 1 Jul, 2 Jul local
    assert streak_days(activity, now, "UTC") == 2  # in UTC the late one is still 1 July


def test_late_night_activity_is_today_when_now_is_the_same_local_day():
    activity = [_utc(2026, 7, 1, 23, 30)]  # 2 July 00:30 BST
    assert streak_days(activity, _utc(2026, 7, 2, 22, 30), LONDON) == 1  # 2 July 23:30 BST
    # 3 July 23:30 UTC is already 4 July 00:30 BST: the last activity was two local days ago.
    assert streak_days(activity, _utc(2026, 7, 3, 23, 30), LONDON) == 0


def test_midnight_utc_in_winter_is_midnight_in_london():
    # In GMT London is on UTC, so 23:30 UTC stays on the same day.
    activity = [_utc(2026, 1, 14, 23, 30), _utc(2026, 1, 13, 9, 0)]
    assert streak_days(activity, _utc(2026, 1, 15, 9, 0), LONDON) == 2


def test_streak_refuses_naive_datetimes():
    with pytest.raises(ValueError, match="naive"):
        streak_days([], NAIVE, LONDON)
    with pytest.raises(ValueError, match="naive"):
        streak_days([NAIVE], _utc(2026, 1, 5, 12, 0), LONDON)


# --- bar ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("score", "expected"),
    [
        (0, "░░░░░"),
        (19, "▓░░░░"),
        (40, "▓▓░░░"),
        (60, "▓▓▓░░"),
        (80, "▓▓▓▓░"),
        (100, "▓▓▓▓▓"),
        (150, "▓▓▓▓▓"),
        (-20, "░░░░░"),
    ],
)
def test_bar_fills_in_proportion(score, expected):
    assert bar(score) == expected


def test_bar_with_custom_width():
    assert bar(73, width=10) == "▓" * 7 + "░" * 3
    assert bar(0, width=10) == "░" * 10


@given(st.floats(min_value=-1000, max_value=1000), st.integers(min_value=1, max_value=20))
def test_bar_is_always_exactly_width_characters(score, width):
    drawn = bar(score, width)
    assert len(drawn) == width
    assert set(drawn) <= {"▓", "░"}
