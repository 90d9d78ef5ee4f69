"""Tests for learner archetypes and churn risk: one golden case per rule, and properties of the score."""

from dataclasses import replace

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sitecoach.learning.archetype import Archetype, ChurnRisk, LearnerSignals, churn_risk, classify_archetype

# A learner two months in, active most days, climbing 0.8 points a day in three even areas.
STEADY = LearnerSignals(
    days_since_start=60,
    active_days_7=5,
    active_days_14=10,
    days_since_active=0,
    overall=50.0,
    by_area={"ISO": 50.0, "CAB": 48.0, "JNT": 52.0},
    velocity_7=0.8,
    velocity_14=0.8,
    velocity_prev_7=0.8,
    plateau_days=0,
)


# --- Archetypes: one golden case per rule -------------------------------------------------------------


def test_newcomer():
    a = classify_archetype(replace(STEADY, days_since_start=5))
    assert a == Archetype("newcomer", 0.821, "newcomer: started 5 days ago (fewer than 14)")


def test_newcomer_wins_over_stalled():
    a = classify_archetype(replace(STEADY, days_since_start=13, days_since_active=None))
    assert a.name == "newcomer"
    assert a.confidence == pytest.approx(0.536)  # 1 day inside the threshold of 14


def test_stalled_by_inactivity():
    a = classify_archetype(replace(STEADY, days_since_active=6, active_days_7=1))
    assert a == Archetype("stalled", 0.643, "stalled: no activity for 6 days (4 or more)")


def test_stalled_at_exactly_four_days_is_half_confident():
    a = classify_archetype(replace(STEADY, days_since_active=4))
    assert (a.name, a.confidence) == ("stalled", 0.5)
    assert classify_archetype(replace(STEADY, days_since_active=3)).name == "steady climber"


def test_stalled_never_active():
    a = classify_archetype(replace(STEADY, days_since_active=None, active_days_7=0, active_days_14=0))
    assert a == Archetype("stalled", 1.0, "stalled: never active since starting 60 days ago")


def test_stalled_by_velocity_drop():
    a = classify_archetype(replace(STEADY, velocity_7=0.3, velocity_prev_7=1.0))
    assert a.name == "stalled"
    assert a.confidence == 0.875  # 30 points past 40%, over a scale of 40
    assert "velocity down 70% on last week" in a.rule
    assert "1.00 to 0.30 points a day" in a.rule and "40% or more from at least 0.5" in a.rule


def test_velocity_drop_from_a_small_base_is_not_stalled():
    a = classify_archetype(replace(STEADY, velocity_7=0.1, velocity_prev_7=0.4))
    assert a.name == "steady climber"


def test_stalled_by_plateau():
    a = classify_archetype(
        replace(STEADY, plateau_days=12, overall=54.0, velocity_7=0.0, velocity_prev_7=0.1)
    )
    assert a == Archetype("stalled", 0.6, "stalled: mastery flat at 54% for 12 days (10 or more below 70%)")


def test_several_stalled_conditions_are_all_named():
    s = replace(STEADY, days_since_active=5, velocity_7=0.0, velocity_prev_7=1.0, plateau_days=10)
    a = classify_archetype(s)
    assert a.confidence == 1.0  # the strongest: a 100% drop
    assert a.rule.count(";") >= 2
    assert "no activity for 5 days" in a.rule and "velocity down 100%" in a.rule and "for 10 days" in a.rule


def test_polymath():
    s = replace(STEADY, by_area={"ISO": 72.0, "CAB": 65.0, "JNT": 80.0, "SAF": 61.0}, overall=69.5)
    a = classify_archetype(s)
    assert a == Archetype(
        "polymath",
        0.525,
        "polymath: 4 areas at 60% or more (3 needed), 19.0 points between the strongest and weakest "
        "active area (20 at most)",
    )


def test_polymath_needs_a_small_spread_among_active_areas():
    wide = replace(STEADY, by_area={"ISO": 95.0, "CAB": 65.0, "JNT": 62.0, "SAF": 30.0})
    assert classify_archetype(wide).name != "polymath"
    untouched = replace(STEADY, by_area={"ISO": 75.0, "CAB": 65.0, "JNT": 62.0, "SAF": 0.0})
    assert classify_archetype(untouched).name == "polymath"  # an area not started does not count


def test_specialist():
    a = classify_archetype(replace(STEADY, by_area={"ISO": 72.0, "CAB": 30.0, "JNT": 20.0, "SAF": 10.0}))
    assert a == Archetype(
        "specialist",
        0.9,
        "specialist: best area ISO at 72% is 3.6 times the median of the others (20%; needs 40% and 2 times)",
    )


def test_specialist_needs_twice_the_median_and_40_percent():
    assert classify_archetype(replace(STEADY, by_area={"ISO": 59.0, "CAB": 30.0})).name != "specialist"
    assert classify_archetype(replace(STEADY, by_area={"ISO": 60.0, "CAB": 30.0})).name == "specialist"
    assert classify_archetype(replace(STEADY, by_area={"ISO": 39.0, "CAB": 0.0})).name != "specialist"
    assert classify_archetype(replace(STEADY, by_area={"ISO": 45.0})).name != "specialist"


def test_sprinter():
    a = classify_archetype(replace(STEADY, velocity_7=2.1))
    assert a == Archetype("sprinter", 0.7, "sprinter: 2.10 points a day over the last 7 days (1.5 or more)")


def test_steady_climber():
    a = classify_archetype(STEADY)
    assert a == Archetype(
        "steady climber", 0.967, "steady climber: 0.80 points a day over the last 7 days (above 0, under 1.5)"
    )


def test_not_rising_falls_back_to_stalled():
    a = classify_archetype(replace(STEADY, velocity_7=-0.2, velocity_prev_7=0.1))
    assert a == Archetype(
        "stalled", 0.7, "stalled: mastery not rising (-0.20 points a day over the last 7 days, 0 or less)"
    )


# --- Churn: golden cases ------------------------------------------------------------------------------


def test_churn_none_for_an_active_climber():
    assert churn_risk(STEADY) == ChurnRisk(0.0, "low", ())


def test_churn_inactive_six_days_and_velocity_down_seventy_percent_is_high():
    s = replace(STEADY, days_since_active=6, active_days_7=1, velocity_7=0.3, velocity_prev_7=1.0)
    assert churn_risk(s) == ChurnRisk(71.0, "high", ("no activity 6 days", "velocity down 70% on last week"))


def test_churn_every_reason_caps_at_100():
    s = replace(
        STEADY,
        days_since_active=9,
        active_days_7=0,
        active_days_14=2,
        velocity_7=0.0,
        velocity_prev_7=1.0,
        plateau_days=14,
        overall=54.0,
    )
    risk = churn_risk(s)
    assert (risk.score, risk.level) == (100.0, "high")  # 60 + 30 + 20 + 10 = 120, capped
    assert risk.reasons == (
        "no activity 9 days",
        "velocity down 100% on last week",
        "mastery flat at 54% for 14 days",
        "only 2 active days in the last 14",
    )


def test_churn_plateau_alone():
    s = replace(STEADY, plateau_days=12, overall=54.0, velocity_7=0.0, velocity_prev_7=0.1)
    assert churn_risk(s) == ChurnRisk(18.0, "low", ("mastery flat at 54% for 12 days",))


def test_churn_levels_at_the_cut_offs():
    assert churn_risk(replace(STEADY, days_since_active=3)) == ChurnRisk(20.0, "low", ("no activity 3 days",))
    assert churn_risk(replace(STEADY, days_since_active=4)).level == "medium"  # 30
    assert churn_risk(replace(STEADY, days_since_active=7)).level == "high"  # 60


def test_churn_never_active():
    s = replace(STEADY, days_since_start=20, days_since_active=None, active_days_7=0, active_days_14=0)
    assert churn_risk(s) == ChurnRisk(
        80.0, "high", ("no activity since starting 20 days ago", "only 0 active days in the last 14")
    )


def test_churn_a_day_off_and_a_newcomer_window_cost_nothing():
    assert churn_risk(replace(STEADY, days_since_active=1)).score == 0.0
    newcomer = replace(STEADY, days_since_start=3, active_days_7=2, active_days_14=2)
    assert churn_risk(newcomer).score == 0.0


def test_plateau_at_70_or_above_is_not_a_risk():
    assert churn_risk(replace(STEADY, plateau_days=20, overall=75.0)).score == 0.0
    assert classify_archetype(replace(STEADY, plateau_days=20, overall=75.0)).name == "steady climber"


@pytest.mark.parametrize(
    "changes",
    [
        {"days_since_start": -1},
        {"active_days_7": 8},
        {"active_days_14": 15},
        {"active_days_7": 6, "active_days_14": 5},
        {"days_since_active": -2},
        {"plateau_days": -1},
    ],
)
def test_impossible_signals_refused(changes):
    with pytest.raises(ValueError):
        replace(STEADY, **changes)


# --- Properties ---------------------------------------------------------------------------------------


@st.composite
def signals(draw):
    active_14 = draw(st.integers(0, 14))
    velocity = st.floats(-5, 5, allow_nan=False)
    return LearnerSignals(
        days_since_start=draw(st.integers(0, 400)),
        active_days_7=draw(st.integers(0, min(7, active_14))),
        active_days_14=active_14,
        days_since_active=draw(st.none() | st.integers(0, 400)),
        overall=draw(st.floats(0, 100, allow_nan=False)),
        by_area=draw(st.dictionaries(st.sampled_from("ABCDEF"), st.floats(0, 100, allow_nan=False))),
        velocity_7=draw(velocity),
        velocity_14=draw(velocity),
        velocity_prev_7=draw(velocity),
        plateau_days=draw(st.integers(0, 60)),
    )


NAMES = {"newcomer", "stalled", "sprinter", "steady climber", "specialist", "polymath"}


@given(signals())
def test_churn_score_and_level_are_in_range(s):
    risk = churn_risk(s)
    assert 0.0 <= risk.score <= 100.0
    assert risk.level == ("high" if risk.score >= 60 else "medium" if risk.score >= 30 else "low")
    assert (risk.score > 0) == bool(risk.reasons)


@given(signals(), st.integers(0, 400), st.integers(1, 30))
def test_more_inactivity_never_lowers_churn(s, days, more):
    before = churn_risk(replace(s, days_since_active=days))
    after = churn_risk(replace(s, days_since_active=days + more))
    assert after.score >= before.score


@given(signals())
def test_every_learner_gets_a_known_archetype_with_a_rule(s):
    a = classify_archetype(s)
    assert a.name in NAMES
    assert 0.5 <= a.confidence <= 1.0
    assert a.rule.startswith(a.name + ":")
