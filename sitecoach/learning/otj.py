"""Off-the-job (OTJ) training hours by England's apprenticeship funding rules: the planned hours, and
whether a learner is on track for them at a date. Plain Python: dates in, numbers out.

The rules (DfE "Apprenticeship funding rules", 2025 to 2026, as summarised in TECH-NOTES section 9 from
City & Guilds "What you need to know about the 2025-26 apprenticeship funding rules" (May 2025), Aptem
"Off-the-job hours in apprenticeships" and Skills Office Network "Insights into apprenticeship funding rule
changes 2025-2026"):

* Starts on or after 1 August 2025: the plan is the standard's **published minimum OTJ hours**, reduced
  only by assessed, documented recognised prior learning; a funded apprenticeship needs at least **187 OTJ
  hours** (and 8 months), so a reduction never takes the plan below 187. Part-time and full-time apprentices
  have the same minimum.
* Starts before 1 August 2025 keep the rules in force at their start: **20% of contracted hours**, where
  contracts over 30 hours a week count as 30 (so at most 6 hours a week), over the planned duration less
  statutory leave (5.6 weeks a year), minus prior learning. The 187-hour floor does not apply to them.

On track: the hours expected by a date are the plan pro rata over the planned duration, counting only days
in learning: a break in learning stops the count, and the planned end moves back by the break's length.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum

RULES_CHANGE = date(2025, 8, 1)  # starts from this day: the standard's published minimum hours
FUNDING_FLOOR_HOURS = 187.0  # the fewest OTJ hours a funded apprenticeship plans (starts from RULES_CHANGE)
MINIMUM_DURATION_DAYS = 243  # 8 months, the shortest funded apprenticeship from RULES_CHANGE (about 243 days)
LEGACY_SHARE = 0.20  # 20% of contracted hours (starts before RULES_CHANGE)
LEGACY_WEEKLY_CAP_HOURS = 30.0  # contracts over 30 hours a week count as 30: at most 6 OTJ hours a week
STATUTORY_LEAVE_WEEKS_PER_YEAR = 5.6  # 28 days of statutory annual leave for a 5-day week
DAYS_PER_YEAR = 365.25
BEHIND_SLACK_HOURS = 7.0  # a day's training: closer than this to the expected hours still counts as on track


class ActivityType(StrEnum):
    """Kinds of off-the-job training (the activities the funding rules list as counting)."""

    CLASSROOM = "classroom"
    ELEARNING = "elearning"
    SHADOWING = "shadowing"
    PRACTICAL = "practical"
    MENTORING = "mentoring"
    VISIT = "visit"
    WRITING = "writing"
    OTHER = "other"


ACTIVITY_LABELS: dict[ActivityType, str] = {
    ActivityType.CLASSROOM: "Classroom or training course",
    ActivityType.ELEARNING: "E-learning",
    ActivityType.SHADOWING: "Shadowing",
    ActivityType.PRACTICAL: "Practical training",
    ActivityType.MENTORING: "Mentoring or review",
    ActivityType.VISIT: "Industry visit",
    ActivityType.WRITING: "Writing up evidence",
    ActivityType.OTHER: "Other training",
}
# Words that say which kind an activity is, checked in this order (the first that matches wins).
ACTIVITY_WORDS: tuple[tuple[ActivityType, re.Pattern[str]], ...] = tuple(
    (kind, re.compile(r"\b(?:" + words + r")", re.I))
    for kind, words in (
        (ActivityType.WRITING, r"writ\w*|write[- ]?up|evidence|portfolio|assignment|reflect\w*|log ?book"),
        (ActivityType.VISIT, r"visit\w*|trip|tour|open day|factory|manufacturer"),
        (ActivityType.MENTORING, r"mentor\w*|review|1-?2-?1|one[- ]to[- ]one|coaching|progress meeting"),
        (ActivityType.SHADOWING, r"shadow\w*|observ\w*|watch(?:ed|ing) (?:a |the )?(?:jointer|senior|team)"),
        (ActivityType.ELEARNING, r"e-?learning|online|module|webinar|video|app\b|lessons? on"),
        (ActivityType.PRACTICAL, r"practical|training bay|rig\b|hands[- ]on|practi[cs]e|mock joint"),
        (ActivityType.CLASSROOM, r"class\w*|course|college|lecture|workshop|training centre|theory"),
    )
)


def activity_type_of(text: str) -> ActivityType:
    """The kind of training a learner's words describe ("2h classroom on cable types": classroom)."""
    return next((kind for kind, words in ACTIVITY_WORDS if words.search(text)), ActivityType.OTHER)


class OtjRule(StrEnum):
    """Which rule the plan follows."""

    PUBLISHED_MINIMUM = "published_minimum"  # starts on or after 1 August 2025
    TWENTY_PERCENT = "twenty_percent"  # earlier starts


@dataclass(frozen=True)
class PriorLearning:
    """A documented reduction for recognised prior learning: hours and what they were for."""

    hours: float
    note: str


@dataclass(frozen=True)
class LearningBreak:
    """A break in learning from `start` to the day before `end` (None: still on it)."""

    start: date
    end: date | None = None

    def days_until(self, day: date) -> int:
        """The days of this break before `day`."""
        last = min(self.end or day, day)
        return max(0, (last - self.start).days)


@dataclass(frozen=True)
class OtjContract:
    """What the plan is worked out from: the start, the planned end, the contracted hours a week, and
    prior-learning reductions."""

    start: date
    planned_end: date
    weekly_hours: float
    prior_learning: tuple[PriorLearning, ...] = ()

    @property
    def duration_days(self) -> int:
        """Planned days from start to end (at least one)."""
        return max(1, (self.planned_end - self.start).days)


@dataclass(frozen=True)
class OtjPlan:
    """The planned OTJ hours and how they were reached."""

    hours: float
    rule: OtjRule
    base_hours: float  # before prior learning
    reduction_hours: float
    floor_applied: bool  # the 187-hour funding floor lifted the plan
    too_short: bool  # a start from 1 August 2025 planned for under 8 months


@dataclass(frozen=True)
class OtjProgress:
    """Where a learner stands against the plan on `day`."""

    day: date
    plan: OtjPlan
    expected_hours: float  # by `day`, pro rata over the days in learning
    logged_hours: float  # confirmed by the learner and not queried by the mentor
    verified_hours: float  # verified by the mentor
    end: date  # the planned end, moved back by breaks
    on_break: bool

    @property
    def behind(self) -> bool:
        """More than a day's training short of the hours expected by now (logged hours count)."""
        return self.logged_hours + BEHIND_SLACK_HOURS < self.expected_hours

    @property
    def on_track(self) -> bool:
        """Not behind."""
        return not self.behind


def legacy_working_weeks(contract: OtjContract) -> float:
    """Weeks of the planned duration less statutory leave (the 20% rule counts these)."""
    weeks = contract.duration_days / 7
    leave = contract.duration_days / DAYS_PER_YEAR * STATUTORY_LEAVE_WEEKS_PER_YEAR
    return max(0.0, weeks - leave)


def plan_hours(contract: OtjContract, published_minimum: float | None) -> OtjPlan:
    """The planned OTJ hours by the rule of the learner's start date (see the module docstring).
    `published_minimum`: the standard's published minimum (required for starts from 1 August 2025)."""
    reduction = round(sum(p.hours for p in contract.prior_learning), 2)
    if contract.start >= RULES_CHANGE:
        if published_minimum is None:
            raise ValueError("starts from 1 August 2025 need the standard's published minimum OTJ hours")
        base = float(published_minimum)
        reduced = base - reduction
        hours = max(reduced, FUNDING_FLOOR_HOURS)
        return OtjPlan(
            hours=round(hours, 1),
            rule=OtjRule.PUBLISHED_MINIMUM,
            base_hours=round(base, 1),
            reduction_hours=reduction,
            floor_applied=hours > reduced,
            too_short=contract.duration_days < MINIMUM_DURATION_DAYS,
        )
    weekly = min(contract.weekly_hours, LEGACY_WEEKLY_CAP_HOURS) * LEGACY_SHARE
    base = weekly * legacy_working_weeks(contract)
    return OtjPlan(
        hours=round(max(0.0, base - reduction), 1),
        rule=OtjRule.TWENTY_PERCENT,
        base_hours=round(base, 1),
        reduction_hours=reduction,
        floor_applied=False,
        too_short=False,
    )


def days_on_break(breaks: Iterable[LearningBreak], day: date) -> int:
    """Days spent on breaks in learning before `day`."""
    return sum(b.days_until(day) for b in breaks)


def progress(
    contract: OtjContract,
    plan: OtjPlan,
    breaks: Iterable[LearningBreak],
    day: date,
    *,
    logged_hours: float,
    verified_hours: float,
) -> OtjProgress:
    """The hours expected by `day` (the plan pro rata over the days in learning so far, breaks left out),
    against the hours logged and verified; the planned end moves back by the days on breaks."""
    breaks = tuple(breaks)
    paused = days_on_break(breaks, day)
    in_learning = max(0, (day - contract.start).days - paused)
    share = min(1.0, in_learning / contract.duration_days)
    on_break = any(b.start <= day and (b.end is None or day < b.end) for b in breaks)
    return OtjProgress(
        day=day,
        plan=plan,
        expected_hours=round(plan.hours * share, 1),
        logged_hours=round(logged_hours, 2),
        verified_hours=round(verified_hours, 2),
        end=contract.planned_end + timedelta(days=paused),
        on_break=on_break,
    )
