"""Mastery per competency (0 to 100), rolled up per area and overall, and the activity streak.

The formula, in words (each part is capped at its weight):

* **Recall** (up to 80 points): the mean FSRS retrievability *now* of every quiz item that tests the
  competency; an item never answered counts as 0, so mastery needs the whole bank, and it decays as
  reviews lapse.
* **Lessons** (up to 10 points): the share of the competency's lessons the learner has opened.
* **Evidence** (up to 10 points, or more below): mentor-signed field evidence that claims it.

Kinds differ, because a quiz cannot prove a practical skill or a behaviour:

* *knowledge*: recall 80 + lessons 10 + evidence 10.
* *skill*: recall and lessons together cap at 59, so only signed evidence (40 points) passes 60.
* *behaviour*: only a mentor observation counts: recall and lessons cap at 30, signed evidence adds 70.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sitecoach.learning.memory import require_aware


@dataclass(frozen=True)
class CompetencyEvidence:
    """What we know of one learner against one competency."""

    code: str
    kind: str
    area: str
    recalls: tuple[float, ...] = ()  # retrievability now of each item testing it (0 if never answered)
    lessons_total: int = 0
    lessons_opened: int = 0
    signed_evidence: int = 0


@dataclass(frozen=True)
class MasteryReport:
    """Mastery per competency, per area and overall (all 0 to 100)."""

    by_competency: dict[str, float]
    by_area: dict[str, float]
    overall: float
    area_titles: dict[str, str] = field(default_factory=dict)


def competency_mastery(ev: CompetencyEvidence) -> float:
    """Mastery of one competency, 0 to 100, by the documented formula."""
    recall = sum(ev.recalls) / len(ev.recalls) if ev.recalls else 0.0
    lessons = ev.lessons_opened / ev.lessons_total if ev.lessons_total else 0.0
    evidence = min(1.0, float(ev.signed_evidence))
    if ev.kind == "skill":
        score = min(59.0, 80 * recall + 10 * lessons) + 40 * evidence
    elif ev.kind == "behaviour":
        score = min(30.0, 80 * recall + 10 * lessons) + 70 * evidence
    else:
        score = 80 * recall + 10 * lessons + 10 * evidence
    return round(max(0.0, min(100.0, score)), 1)


def mastery_report(
    evidence: Iterable[CompetencyEvidence], area_titles: dict[str, str] | None = None
) -> MasteryReport:
    """Roll competencies up: an area is the mean of its competencies, overall the mean of the areas."""
    by_comp: dict[str, float] = {}
    per_area: dict[str, list[float]] = defaultdict(list)
    for ev in evidence:
        score = competency_mastery(ev)
        by_comp[ev.code] = score
        per_area[ev.area].append(score)
    by_area = {area: round(sum(v) / len(v), 1) for area, v in per_area.items() if v}
    overall = round(sum(by_area.values()) / len(by_area), 1) if by_area else 0.0
    return MasteryReport(by_comp, by_area, overall, dict(area_titles or {}))


def streak_days(activity: Sequence[datetime], now: datetime, timezone: str) -> int:
    """Consecutive local days with activity, ending today (or yesterday, if today is still open)."""
    require_aware(now)
    zone = ZoneInfo(timezone)
    days: set[date] = {require_aware(t).astimezone(zone).date() for t in activity}
    today = now.astimezone(zone).date()
    cursor = today if today in days else today - timedelta(days=1)
    count = 0
    while cursor in days:
        count += 1
        cursor -= timedelta(days=1)
    return count


def bar(score: float, width: int = 5) -> str:
    """A WhatsApp-friendly bar for a 0 to 100 score, e.g. ▓▓▓░░."""
    filled = round(max(0.0, min(100.0, score)) / 100 * width)
    return "▓" * filled + "░" * (width - filled)
