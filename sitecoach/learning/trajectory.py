"""Where overall mastery is heading: velocity, acceleration and the day it should reach the target.

The rules, in words:

* **The series.** One point per local calendar day: overall mastery (0 to 100) at the end of that day.
  Points dated after `today` are ignored (the future is not known); if a day appears twice, the later
  point in the sequence wins. A day with no point carries the last value before it forward (mastery
  changes only when something happens, or decays slowly). A day *before* the first point counts as the
  first point's value: the learner's history may be cut short (a series loaded for the last few weeks
  only), and assuming zero before it would invent progress. So a short history reads as flat before it
  began, which keeps a newcomer's velocity honest rather than flattering.
* **Velocity** over N days is (value today - value N days ago) / N, in mastery points per day:
  `velocity_7` and `velocity_14`. **Acceleration** is `velocity_7` today minus `velocity_7` as it was a
  week ago, in points per day per week.
* **Blended velocity** = 2/3 x `velocity_7` + 1/3 x `velocity_14`: the last week matters most, the
  fortnight steadies it.
* **Prediction.** Already at or above the target: the predicted day is today (all three dates are
  today). A blended velocity at or below 0.05 points a day means mastery is not rising: no date. Otherwise
  days left = (target - current) / blended velocity, and the predicted day is today + ceil(days left).
  A date more than 3 years (1095 days) away is beyond the apprenticeship: no date, and the reason says so.
* **Range.** The earliest plausible day uses the faster of `velocity_7` and `velocity_14`, the latest the
  slower. Both are then widened by a factor w = 0.5 x (1 - confidence): earliest days x (1 - w), latest
  days x (1 + w), each rounded up to whole days (earliest at least 1). At full confidence the range is just
  the two velocities; at zero confidence it is stretched by half each way. If the slower velocity is not
  rising (0.05 or less) or its date is beyond 3 years, there is no latest day (`predicted_high` is None
  while `predicted` is set).
* **Confidence** (0 to 1) = 0.4 x activity + 0.3 x history + 0.3 x agreement, where
  activity = min(1, active days in the last 14 / 10), history = min(1, days from the first point to today
  inclusive / 28), and agreement = 1 - |v7 - v14| / max(|v7|, |v14|), clamped to 0..1 (1 when both are 0).
  Already reached is a fact, not a forecast: confidence 1. No history at all: confidence 0.
  **Labels:** below 0.4 "low", below 0.7 "medium", otherwise "high".
"""

from __future__ import annotations

import math
from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

DEFAULT_TARGET = 85.0  # mastery points (0 to 100) counted as ready
BLEND_WEIGHT_7 = 2 / 3  # share of velocity_7 in the blended velocity; velocity_14 takes the rest
VELOCITY_FLOOR = 0.05  # mastery points per day: at or below this, mastery is "not rising"
HORIZON_DAYS = 3 * 365  # days: a prediction further out is beyond the apprenticeship
MAX_WIDENING = 0.5  # share of the range added each way at zero confidence
ACTIVE_DAYS_FOR_FULL_CONFIDENCE = 10  # active days out of the last 14
HISTORY_DAYS_FOR_FULL_CONFIDENCE = 28  # days from the first point to today, inclusive
CONFIDENCE_WEIGHT_ACTIVITY = 0.4
CONFIDENCE_WEIGHT_HISTORY = 0.3
CONFIDENCE_WEIGHT_AGREEMENT = 0.3
MEDIUM_CONFIDENCE = 0.4  # confidence from which the label is "medium"
HIGH_CONFIDENCE = 0.7  # confidence from which the label is "high"
WINDOW_DAYS = 14  # days in the activity window behind `active_days_14`


@dataclass(frozen=True)
class MasteryPoint:
    """Overall mastery (0 to 100) at the end of one local calendar day."""

    day: date
    overall: float

    def __post_init__(self) -> None:
        require_local_day(self.day)


@dataclass(frozen=True)
class Trajectory:
    """Velocity, acceleration and the predicted day overall mastery reaches the target."""

    velocity_7: float  # mastery points per day over the last 7 days
    velocity_14: float  # mastery points per day over the last 14 days
    acceleration: float  # velocity_7 now minus velocity_7 a week ago (points per day, per week)
    reached: bool
    predicted: date | None
    predicted_low: date | None
    predicted_high: date | None
    confidence: float  # 0 to 1
    confidence_label: str  # "low" | "medium" | "high"
    reason: str


def require_local_day(day: date) -> date:
    """Refuse a datetime where a local calendar day is expected (naive or not, its zone is unknown here)."""
    if isinstance(day, datetime):
        raise ValueError("pass a local calendar date, not a datetime (naive or aware)")
    return day


def confidence_label(confidence: float) -> str:
    """The documented label for a confidence: "low", "medium" or "high"."""
    if confidence >= HIGH_CONFIDENCE:
        return "high"
    if confidence >= MEDIUM_CONFIDENCE:
        return "medium"
    return "low"


def trajectory(
    series: Sequence[MasteryPoint], today: date, target: float = DEFAULT_TARGET, active_days_14: int = 0
) -> Trajectory:
    """Velocity, acceleration and the predicted day of reaching `target`, by the documented rules."""
    require_local_day(today)
    if not 0 < target <= 100:
        raise ValueError("target must be above 0 and at most 100")
    if not 0 <= active_days_14 <= WINDOW_DAYS:
        raise ValueError("active_days_14 must be between 0 and 14")
    by_day: dict[date, float] = {}
    for point in series:
        if point.day <= today:
            by_day[point.day] = float(point.overall)
    if not by_day:
        reason = "No mastery history yet; no date until there is some."
        return Trajectory(0.0, 0.0, 0.0, False, None, None, None, 0.0, "low", reason)
    days = sorted(by_day)
    values = [by_day[d] for d in days]

    def value_on(day: date) -> float:
        i = bisect_right(days, day) - 1
        return values[max(i, 0)]

    current = value_on(today)
    v7 = (current - value_on(today - timedelta(days=7))) / 7
    v14 = (current - value_on(today - timedelta(days=14))) / 14
    v7_last_week = (value_on(today - timedelta(days=7)) - value_on(today - timedelta(days=14))) / 7
    velocities = (round(v7, 3), round(v14, 3), round(v7 - v7_last_week, 3))

    if current >= target:
        reason = f"Already at {current:.1f}% against a target of {target:g}%."
        return Trajectory(*velocities, True, today, today, today, 1.0, "high", reason)

    history_days = (today - days[0]).days + 1
    confidence = _confidence(v7, v14, active_days_14, history_days)
    label = confidence_label(confidence)
    # Rounded to a millionth so float noise cannot lift a pace of exactly the floor (0.35 points / 7 days)
    # above it.
    blend = round(BLEND_WEIGHT_7 * v7 + (1 - BLEND_WEIGHT_7) * v14, 6)
    if blend <= VELOCITY_FLOOR:
        reason = (
            f"Mastery is not rising ({v7:.2f} points a day over the last 7 days, {v14:.2f} over 14); "
            "no date until it does."
        )
        return Trajectory(*velocities, False, None, None, None, confidence, label, reason)

    gap = target - current
    central = _ceil_days(gap / blend)
    if central > HORIZON_DAYS:
        reason = (
            f"At about {blend:.2f} points a day the {gap:.1f} points still needed to reach {target:g}% "
            "would take more than 3 years, beyond the apprenticeship; no date."
        )
        return Trajectory(*velocities, False, None, None, None, confidence, label, reason)

    widen = MAX_WIDENING * (1 - confidence)
    fast, slow = max(v7, v14), min(v7, v14)
    low = max(1, _ceil_days(gap / fast * (1 - widen)))
    high: int | None = _ceil_days(gap / slow * (1 + widen)) if round(slow, 6) > VELOCITY_FLOOR else None
    if high is not None and high > HORIZON_DAYS:
        high = None
    open_end = "" if high is not None else f" (at the slower {slow:.2f} a day, no latest date within 3 years)"
    reason = (
        f"Rising about {blend:.2f} points a day ({v7:.2f} over the last 7 days, {v14:.2f} over 14), "
        f"so the {gap:.1f} points still needed to reach {target:g}% take about {central} days{open_end}."
    )
    return Trajectory(
        *velocities,
        False,
        today + timedelta(days=central),
        today + timedelta(days=low),
        today + timedelta(days=high) if high is not None else None,
        confidence,
        label,
        reason,
    )


def _confidence(v7: float, v14: float, active_days_14: int, history_days: int) -> float:
    """The documented confidence formula: activity, length of history and agreement of v7 and v14."""
    activity = min(1.0, active_days_14 / ACTIVE_DAYS_FOR_FULL_CONFIDENCE)
    history = min(1.0, history_days / HISTORY_DAYS_FOR_FULL_CONFIDENCE)
    scale = max(abs(v7), abs(v14))
    agreement = 1.0 if scale == 0 else max(0.0, min(1.0, 1 - abs(v7 - v14) / scale))
    score = (
        CONFIDENCE_WEIGHT_ACTIVITY * activity
        + CONFIDENCE_WEIGHT_HISTORY * history
        + CONFIDENCE_WEIGHT_AGREEMENT * agreement
    )
    return round(max(0.0, min(1.0, score)), 3)


def _ceil_days(days: float) -> int:
    """Whole days, rounded up; rounding to a millionth first stops float noise (35.0000001) adding a day."""
    return math.ceil(round(days, 6))
