"""Tests for the mastery trajectory: velocities, acceleration, the predicted day, its range and confidence."""

from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sitecoach.learning.trajectory import HORIZON_DAYS, MasteryPoint, confidence_label, trajectory

TODAY = date(2026, 3, 2)


def _series(values, end=TODAY):
    """One point a day, the last on `end`."""
    start = end - timedelta(days=len(values) - 1)
    return [MasteryPoint(start + timedelta(days=i), v) for i, v in enumerate(values)]


def _point(days_ago, value):
    return MasteryPoint(TODAY - timedelta(days=days_ago), value)


# --- Golden values ----------------------------------------------------------------------------------


def test_steady_one_point_a_day_predicts_the_exact_day():
    t = trajectory(_series([20.0 + i for i in range(31)]), TODAY, active_days_14=12)  # 20 .. 50
    assert (t.velocity_7, t.velocity_14, t.acceleration) == (1.0, 1.0, 0.0)
    assert not t.reached
    # 35 points to go at 1 a day; the two velocities agree and confidence is full, so no range.
    assert t.predicted == t.predicted_low == t.predicted_high == date(2026, 4, 6)
    assert (t.confidence, t.confidence_label) == (1.0, "high")
    assert "35.0 points still needed" in t.reason and "about 35 days" in t.reason


def test_accelerating_series():
    t = trajectory(_series([20 + 0.05 * i * i for i in range(29)]), TODAY, active_days_14=14)
    # Today 59.2, a week ago 42.05, a fortnight ago 29.8.
    assert t.velocity_7 == pytest.approx(2.45)
    assert t.velocity_14 == pytest.approx(2.1)
    assert t.acceleration == pytest.approx(0.7)  # 2.45 now against 1.75 a week ago
    assert t.confidence == pytest.approx(0.957)  # 0.4 + 0.3 + 0.3 x (1 - 0.35 / 2.45)
    assert t.confidence_label == "high"
    # Blended 2.333 a day for 25.8 points: 11.06 days, so 12; faster 2.45 -> 11, slower 2.1 -> 13.
    assert (t.predicted_low, t.predicted, t.predicted_high) == (
        date(2026, 3, 13),
        date(2026, 3, 14),
        date(2026, 3, 15),
    )


def test_flat_series_gives_no_date_and_says_why():
    t = trajectory(_series([50.0] * 30), TODAY, active_days_14=10)
    assert (t.velocity_7, t.velocity_14, t.acceleration) == (0.0, 0.0, 0.0)
    assert t.predicted is t.predicted_low is t.predicted_high is None
    assert not t.reached
    assert "not rising" in t.reason and "no date until it does" in t.reason


def test_falling_series_gives_no_date():
    t = trajectory(_series([60 - 0.5 * i for i in range(30)]), TODAY, active_days_14=5)
    assert (t.velocity_7, t.velocity_14, t.acceleration) == (-0.5, -0.5, 0.0)
    assert t.predicted is None
    assert t.confidence == pytest.approx(0.8)  # activity 0.5 x 0.4 + history 0.3 + agreement 0.3
    assert "not rising" in t.reason


def test_barely_rising_is_not_rising():
    t = trajectory(_series([40 + 0.05 * i for i in range(30)]), TODAY, active_days_14=10)
    assert t.predicted is None  # 0.05 a day is at the floor, not above it


def test_already_reached_is_today_with_full_confidence():
    t = trajectory(_series([80.0, 84.0, 86.0]), TODAY, active_days_14=3)
    assert t.reached
    assert t.predicted == t.predicted_low == t.predicted_high == TODAY
    assert (t.confidence, t.confidence_label) == (1.0, "high")
    assert t.reason == "Already at 86.0% against a target of 85%."


def test_exactly_at_target_counts_as_reached():
    assert trajectory(_series([85.0]), TODAY).reached


def test_sparse_series_carries_values_forward():
    series = [_point(20, 30.0), _point(15, 34.0), _point(9, 40.0), _point(3, 45.0)]
    t = trajectory(series, TODAY, active_days_14=4)
    # 7 days ago carries day -9 (40); 14 days ago carries day -15 (34).
    assert t.velocity_7 == pytest.approx(5 / 7, abs=1e-3)
    assert t.velocity_14 == pytest.approx(11 / 14, abs=1e-3)
    assert t.acceleration == pytest.approx(5 / 7 - 6 / 7, abs=1e-3)
    # activity 0.4 x 0.4 + history 0.3 x 21/28 + agreement 0.3 x (1 - 1/14 / 11/14)
    assert t.confidence == pytest.approx(0.658)
    assert t.confidence_label == "medium"
    assert (t.predicted_low, t.predicted, t.predicted_high) == (
        date(2026, 4, 14),
        date(2026, 4, 26),
        date(2026, 5, 7),
    )


def test_newcomer_with_three_days_has_low_confidence_and_a_wide_range():
    t = trajectory(_series([10.0, 14.0, 18.0]), TODAY, active_days_14=3)
    # Before the first point counts as the first point's value (10), so the pace is not flattered.
    assert t.velocity_7 == pytest.approx(8 / 7, abs=1e-3)
    assert t.velocity_14 == pytest.approx(8 / 14, abs=1e-3)
    assert t.confidence == pytest.approx(0.302)
    assert t.confidence_label == "low"
    assert (t.predicted_low, t.predicted, t.predicted_high) == (
        date(2026, 4, 10),
        date(2026, 5, 12),
        date(2026, 8, 8),
    )
    assert (t.predicted_high - t.predicted_low).days == 120


def test_slower_velocity_not_rising_leaves_no_latest_date():
    series = [_point(14, 50.0), _point(7, 44.0), _point(0, 50.0)]
    t = trajectory(series, TODAY, active_days_14=10)
    assert t.velocity_14 == 0.0
    assert t.predicted == date(2026, 5, 3)
    assert t.predicted_low == date(2026, 4, 3)
    assert t.predicted_high is None
    assert "no latest date" in t.reason


def test_beyond_three_years_gives_no_date():
    t = trajectory(_series([20 + 0.052 * i for i in range(30)]), TODAY, active_days_14=10)
    assert t.velocity_7 == pytest.approx(0.052)
    assert t.predicted is t.predicted_low is t.predicted_high is None
    assert "beyond the apprenticeship" in t.reason


def test_no_history_gives_no_date():
    t = trajectory([], TODAY)
    assert t.predicted is None and t.confidence == 0.0 and t.confidence_label == "low"
    assert "No mastery history" in t.reason


def test_future_points_are_ignored_and_later_duplicates_win():
    series = [_point(7, 40.0), _point(0, 10.0), _point(0, 47.0), _point(-3, 99.0)]
    t = trajectory(series, TODAY, active_days_14=7)
    assert t.velocity_7 == 1.0 and not t.reached


def test_confidence_labels():
    assert [confidence_label(c) for c in (0.0, 0.399, 0.4, 0.699, 0.7, 1.0)] == [
        "low",
        "low",
        "medium",
        "medium",
        "high",
        "high",
    ]


# --- Refusals ---------------------------------------------------------------------------------------


def test_naive_datetime_refused_as_today():
    with pytest.raises(ValueError, match="naive"):
        trajectory(_series([10.0]), datetime(2026, 3, 2, 9, 0))


def test_datetime_refused_as_a_point_day():
    with pytest.raises(ValueError, match="naive"):
        MasteryPoint(datetime(2026, 3, 2, 9, 0), 10.0)
    with pytest.raises(ValueError, match="calendar date"):
        MasteryPoint(datetime(2026, 3, 2, 9, 0, tzinfo=UTC), 10.0)


@pytest.mark.parametrize("kwargs", [{"target": 0.0}, {"target": 101.0}, {"active_days_14": 15}])
def test_out_of_range_arguments_refused(kwargs):
    with pytest.raises(ValueError):
        trajectory(_series([10.0]), TODAY, **kwargs)


# --- Properties -------------------------------------------------------------------------------------

points = st.builds(
    MasteryPoint,
    day=st.integers(-60, 5).map(lambda n: TODAY + timedelta(days=n)),
    overall=st.floats(0, 100, allow_nan=False),
)


@given(
    st.lists(points, max_size=40),
    st.floats(1, 100, allow_nan=False),
    st.integers(0, 14),
)
def test_prediction_range_is_ordered_and_confidence_bounded(series, target, active):
    t = trajectory(series, TODAY, target=target, active_days_14=active)
    assert 0.0 <= t.confidence <= 1.0
    assert t.confidence_label == confidence_label(t.confidence)
    if t.reached:
        assert t.predicted == t.predicted_low == t.predicted_high == TODAY
    if t.predicted is None:
        assert t.predicted_low is None and t.predicted_high is None
    else:
        assert t.predicted_low is not None
        assert TODAY <= t.predicted_low <= t.predicted
        assert t.predicted <= TODAY + timedelta(days=HORIZON_DAYS)
        if t.predicted_high is not None:
            assert t.predicted <= t.predicted_high
    assert t.reason.endswith(".")
