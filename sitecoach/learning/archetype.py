"""What kind of learner this is right now (the archetype), and how likely they are to drop out (churn).

Velocities are in mastery points per day; mastery and areas are 0 to 100.

**Archetype**: the first rule that matches wins.

1. *newcomer*: started fewer than 14 days ago (too early to judge a pattern).
2. *stalled*: any of: no activity for 4 or more days (or never active); velocity down 40% or more on the
   week before (`velocity_7` against `velocity_prev_7`), from a base of at least 0.5 points a day;
   mastery flat (`plateau_days`) for 10 or more days while below 70%.
3. *polymath*: 3 or more areas at 60% or more, and at most 20 points between the strongest and the
   weakest active area (an area above 0%).
4. *specialist*: the best area at 40% or more and at least 2 times the median of the other areas
   (with at least one other area; a median of 0 counts as infinitely far behind).
5. *sprinter*: `velocity_7` of 1.5 points a day or more.
6. *steady climber*: `velocity_7` above 0.
7. otherwise *stalled*: mastery not rising (`velocity_7` at or below 0).

**Archetype confidence** = 0.5 + 0.5 x min(1, margin / scale): 0.5 exactly at the deciding threshold,
1 when the signal is a full scale past it. Margins and scales per rule: newcomer, 14 - days since start
over 14 days; stalled by inactivity, days inactive - 4 over 7 days (never active: 1); stalled by velocity,
drop % - 40 over 40 points; stalled by plateau, plateau days - 10 over 10 days (several stalled conditions:
the highest); polymath, the smaller of (20 - spread) and (third-best area - 60), over 20 points;
specialist, the smaller of (best - 40) over 30 points and (ratio - 2) over 2; sprinter, velocity_7 - 1.5
over 1.5; steady climber, the distance of velocity_7 to the nearer of 0 and 1.5, over 0.75; not rising,
-velocity_7 over 0.5.

**Churn risk** (0 to 100) adds these points, then caps at 100:

* inactivity: 10 per day without activity beyond the first (so 2 days = 10, 6 days = 50), at most 60;
  a learner never active counts the days since starting;
* velocity drop: 0.3 per percent that `velocity_7` fell below `velocity_prev_7`, when the drop is 25% or
  more from a base of at least 0.5 points a day (a fall below zero counts as 100%), at most 30;
* plateau: 1.5 per day of `plateau_days` (below 70%), from 5 days, at most 20;
* low activity: 5 per active day short of 4 in the last 14, once the learner is 14 days in, at most 20.

**Churn levels**: below 30 "low", below 60 "medium", otherwise "high".
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from statistics import median

NEWCOMER_DAYS = 14  # days since start below which a learner is a newcomer
STALLED_INACTIVE_DAYS = 4  # days without activity
STALLED_DROP_PERCENT = 40.0  # % fall of velocity_7 on the week before
MEANINGFUL_VELOCITY = 0.5  # points per day: the smallest base a velocity drop is measured from
STALLED_PLATEAU_DAYS = 10  # days flat
PLATEAU_CEILING = 70.0  # mastery %: a plateau at or above this is a plateau of the good kind
POLYMATH_AREA_LEVEL = 60.0  # area mastery %
POLYMATH_MIN_AREAS = 3
POLYMATH_MAX_SPREAD = 20.0  # mastery points between the strongest and weakest active area
SPECIALIST_MIN_BEST = 40.0  # area mastery %
SPECIALIST_RATIO = 2.0  # best area over the median of the others
SPRINTER_VELOCITY = 1.5  # points per day

INACTIVE_SCALE_DAYS = 7.0
DROP_SCALE_PERCENT = 40.0
PLATEAU_SCALE_DAYS = 10.0
POLYMATH_SCALE_POINTS = 20.0
SPECIALIST_SCALE_POINTS = 30.0
SPECIALIST_SCALE_RATIO = 2.0
STEADY_SCALE_VELOCITY = 0.75  # points per day
NOT_RISING_SCALE_VELOCITY = 0.5  # points per day

CHURN_GRACE_DAYS = 1  # a day off costs nothing
CHURN_POINTS_PER_INACTIVE_DAY = 10.0
CHURN_MAX_INACTIVITY = 60.0
CHURN_MIN_DROP_PERCENT = 25.0
CHURN_POINTS_PER_DROP_PERCENT = 0.3
CHURN_MAX_DROP = 30.0
CHURN_MIN_PLATEAU_DAYS = 5
CHURN_POINTS_PER_PLATEAU_DAY = 1.5
CHURN_MAX_PLATEAU = 20.0
CHURN_LOW_ACTIVE_DAYS_14 = 4  # active days in the last 14 below which activity counts as low
CHURN_POINTS_PER_MISSING_ACTIVE_DAY = 5.0
CHURN_MAX_LOW_ACTIVITY = 20.0
CHURN_MEDIUM = 30.0  # score from which churn risk is "medium"
CHURN_HIGH = 60.0  # score from which churn risk is "high"


@dataclass(frozen=True)
class LearnerSignals:
    """What the archetype and churn rules see of one learner."""

    days_since_start: int
    active_days_7: int
    active_days_14: int
    days_since_active: int | None  # None: never active
    overall: float
    by_area: Mapping[str, float]
    velocity_7: float
    velocity_14: float
    velocity_prev_7: float  # velocity of the week before last week (days 8 to 14 ago)
    plateau_days: int  # consecutive recent days with overall within 2 points and below 70

    def __post_init__(self) -> None:
        if self.days_since_start < 0 or self.plateau_days < 0:
            raise ValueError("days_since_start and plateau_days cannot be negative")
        if self.days_since_active is not None and self.days_since_active < 0:
            raise ValueError("days_since_active cannot be negative")
        if not 0 <= self.active_days_7 <= min(7, self.active_days_14) or self.active_days_14 > 14:
            raise ValueError("need 0 <= active_days_7 <= 7, active_days_14 <= 14 and active_days_7 <= it")


@dataclass(frozen=True)
class Archetype:
    """The learner's archetype, how clearly it applies, and the rule that decided it."""

    name: str  # "newcomer" | "stalled" | "sprinter" | "steady climber" | "specialist" | "polymath"
    confidence: float  # 0 to 1
    rule: str


@dataclass(frozen=True)
class ChurnRisk:
    """How likely the learner is to drop out, and why."""

    score: float  # 0 to 100
    level: str  # "low" | "medium" | "high"
    reasons: tuple[str, ...]


def classify_archetype(s: LearnerSignals) -> Archetype:
    """The first matching archetype in the documented order, with its confidence and rule."""
    if s.days_since_start < NEWCOMER_DAYS:
        rule = f"newcomer: started {s.days_since_start} days ago (fewer than {NEWCOMER_DAYS})"
        return Archetype("newcomer", _confidence(NEWCOMER_DAYS - s.days_since_start, NEWCOMER_DAYS), rule)
    stalled = _stalled_conditions(s)
    if stalled:
        confidence = max(c for c, _ in stalled)
        return Archetype("stalled", confidence, "stalled: " + "; ".join(text for _, text in stalled))
    polymath = _polymath(s.by_area)
    if polymath:
        return Archetype("polymath", *polymath)
    specialist = _specialist(s.by_area)
    if specialist:
        return Archetype("specialist", *specialist)
    v7 = s.velocity_7
    if v7 >= SPRINTER_VELOCITY:
        rule = f"sprinter: {v7:.2f} points a day over the last 7 days ({SPRINTER_VELOCITY} or more)"
        return Archetype("sprinter", _confidence(v7 - SPRINTER_VELOCITY, SPRINTER_VELOCITY), rule)
    if v7 > 0:
        rule = (
            f"steady climber: {v7:.2f} points a day over the last 7 days (above 0, under {SPRINTER_VELOCITY})"
        )
        margin = min(v7, SPRINTER_VELOCITY - v7)
        return Archetype("steady climber", _confidence(margin, STEADY_SCALE_VELOCITY), rule)
    rule = f"stalled: mastery not rising ({v7:.2f} points a day over the last 7 days, 0 or less)"
    return Archetype("stalled", _confidence(-v7, NOT_RISING_SCALE_VELOCITY), rule)


def churn_risk(s: LearnerSignals) -> ChurnRisk:
    """Churn risk 0 to 100 by the documented additive weights, with the reasons in plain words."""
    score = 0.0
    reasons: list[str] = []
    inactive = s.days_since_start if s.days_since_active is None else s.days_since_active
    if inactive > CHURN_GRACE_DAYS:
        score += min(CHURN_MAX_INACTIVITY, (inactive - CHURN_GRACE_DAYS) * CHURN_POINTS_PER_INACTIVE_DAY)
        if s.days_since_active is None:
            reasons.append(f"no activity since starting {inactive} days ago")
        else:
            reasons.append(f"no activity {inactive} days")
    drop = _drop_percent(s)
    if drop is not None and drop >= CHURN_MIN_DROP_PERCENT:
        score += min(CHURN_MAX_DROP, drop * CHURN_POINTS_PER_DROP_PERCENT)
        reasons.append(f"velocity down {drop:.0f}% on last week")
    if s.plateau_days >= CHURN_MIN_PLATEAU_DAYS and s.overall < PLATEAU_CEILING:
        score += min(CHURN_MAX_PLATEAU, s.plateau_days * CHURN_POINTS_PER_PLATEAU_DAY)
        reasons.append(f"mastery flat at {s.overall:.0f}% for {s.plateau_days} days")
    if s.days_since_start >= NEWCOMER_DAYS and s.active_days_14 < CHURN_LOW_ACTIVE_DAYS_14:
        missing = CHURN_LOW_ACTIVE_DAYS_14 - s.active_days_14
        score += min(CHURN_MAX_LOW_ACTIVITY, missing * CHURN_POINTS_PER_MISSING_ACTIVE_DAY)
        reasons.append(f"only {s.active_days_14} active days in the last 14")
    score = round(min(100.0, score), 1)
    level = "high" if score >= CHURN_HIGH else "medium" if score >= CHURN_MEDIUM else "low"
    return ChurnRisk(score, level, tuple(reasons))


def _confidence(margin: float, scale: float) -> float:
    """0.5 at the threshold, rising to 1 a full scale past it."""
    return round(0.5 + 0.5 * max(0.0, min(1.0, margin / scale)), 3)


def _drop_percent(s: LearnerSignals) -> float | None:
    """How far velocity_7 fell below velocity_prev_7, in % (capped at 100); None without a meaningful base."""
    if s.velocity_prev_7 < MEANINGFUL_VELOCITY:
        return None
    return min(100.0, max(0.0, (s.velocity_prev_7 - s.velocity_7) / s.velocity_prev_7 * 100))


def _stalled_conditions(s: LearnerSignals) -> list[tuple[float, str]]:
    """Each stalled condition that holds, as (confidence, words)."""
    found: list[tuple[float, str]] = []
    if s.days_since_active is None:
        found.append((1.0, f"never active since starting {s.days_since_start} days ago"))
    elif s.days_since_active >= STALLED_INACTIVE_DAYS:
        margin = s.days_since_active - STALLED_INACTIVE_DAYS
        text = f"no activity for {s.days_since_active} days ({STALLED_INACTIVE_DAYS} or more)"
        found.append((_confidence(margin, INACTIVE_SCALE_DAYS), text))
    drop = _drop_percent(s)
    if drop is not None and drop >= STALLED_DROP_PERCENT:
        text = (
            f"velocity down {drop:.0f}% on last week ({s.velocity_prev_7:.2f} to {s.velocity_7:.2f} points "
            f"a day; {STALLED_DROP_PERCENT:.0f}% or more from at least {MEANINGFUL_VELOCITY})"
        )
        found.append((_confidence(drop - STALLED_DROP_PERCENT, DROP_SCALE_PERCENT), text))
    if s.plateau_days >= STALLED_PLATEAU_DAYS and s.overall < PLATEAU_CEILING:
        margin = s.plateau_days - STALLED_PLATEAU_DAYS
        text = (
            f"mastery flat at {s.overall:.0f}% for {s.plateau_days} days "
            f"({STALLED_PLATEAU_DAYS} or more below {PLATEAU_CEILING:.0f}%)"
        )
        found.append((_confidence(margin, PLATEAU_SCALE_DAYS), text))
    return found


def _polymath(by_area: Mapping[str, float]) -> tuple[float, str] | None:
    """(confidence, rule) when the polymath rule holds, else None."""
    strong = sorted((v for v in by_area.values() if v >= POLYMATH_AREA_LEVEL), reverse=True)
    active = [v for v in by_area.values() if v > 0]
    if len(strong) < POLYMATH_MIN_AREAS:
        return None
    spread = max(active) - min(active)
    if spread > POLYMATH_MAX_SPREAD:
        return None
    margin = min(POLYMATH_MAX_SPREAD - spread, strong[POLYMATH_MIN_AREAS - 1] - POLYMATH_AREA_LEVEL)
    rule = (
        f"polymath: {len(strong)} areas at {POLYMATH_AREA_LEVEL:.0f}% or more ({POLYMATH_MIN_AREAS} needed), "
        f"{spread:.1f} points between the strongest and weakest active area "
        f"({POLYMATH_MAX_SPREAD:.0f} at most)"
    )
    return _confidence(margin, POLYMATH_SCALE_POINTS), rule


def _specialist(by_area: Mapping[str, float]) -> tuple[float, str] | None:
    """(confidence, rule) when the specialist rule holds, else None."""
    if len(by_area) < 2:
        return None
    best_area = max(sorted(by_area), key=lambda a: by_area[a])
    best = by_area[best_area]
    others = median(v for a, v in by_area.items() if a != best_area)
    ratio = best / others if others > 0 else float("inf")
    if best < SPECIALIST_MIN_BEST or ratio < SPECIALIST_RATIO:
        return None
    margin = min(
        (best - SPECIALIST_MIN_BEST) / SPECIALIST_SCALE_POINTS,
        (ratio - SPECIALIST_RATIO) / SPECIALIST_SCALE_RATIO,
    )
    times = f"{ratio:.1f} times" if others > 0 else "far ahead of"
    rule = (
        f"specialist: best area {best_area} at {best:.0f}% is {times} the median of the others "
        f"({others:.0f}%; needs {SPECIALIST_MIN_BEST:.0f}% and {SPECIALIST_RATIO:.0f} times)"
    )
    return _confidence(margin, 1.0), rule
