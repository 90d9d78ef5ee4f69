"""Mastery per competency (0 to 100), rolled up per area and overall, and the activity streak.

Mastery counts only evidence of knowing, and each kind of competency is reached by its own path, so every
threshold the product uses (badges at 25, 60 and 85; gateway at 85 for knowledge, 60 for skills) can be
reached by the path that competency has:

* **knowledge**: 100 x the mean *known now* of the quiz items that test it (`learning/knowledge.py`: the
  chance each item is known, scored against the learner's answers and faded by forgetting; an item never
  answered counts 0, so mastery needs the whole bank). Quizzes alone can take it to 100. A knowledge
  competency no quiz item tests is reached by signed evidence instead (100 with one piece).
* **skill**: 60 for mentor-signed field evidence (30 a piece, up to two) + 40 x the known share of the
  quiz items that test it (its underpinning knowledge; the whole 100 from evidence when no item tests it).
  Quizzes alone stop at 40: a skill needs a mentor to sign off what the learner did.
* **behaviour**: only a mentor observation (signed evidence) counts: 100 with one, 0 without. A quiz
  cannot show a behaviour.

Opening a lesson is not evidence of knowing and adds nothing. A wrong answer never raises mastery (it
can only lower the known share), and signed evidence never lowers it.

`knowledge` is the mean mastery of the knowledge competencies: the part quizzes alone can take to 100,
and what the coach forecasts a date for. `quiz_ceiling` is what overall mastery would be if the learner
knew every quiz item and had no more evidence than now: a target above it cannot be reached by quizzes,
and `missing_for` says what is missing instead of promising a date.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sitecoach.learning.memory import require_aware


@dataclass(frozen=True)
class CompetencyEvidence:
    """What we know of one learner against one competency."""

    code: str
    kind: str
    area: str
    known: tuple[float, ...] = ()  # known now of each item testing it (0 if never answered)
    signed_evidence: int = 0


@dataclass(frozen=True)
class MasteryReport:
    """Mastery per competency, per area and overall (all 0 to 100)."""

    by_competency: dict[str, float]
    by_area: dict[str, float]
    overall: float
    area_titles: dict[str, str] = field(default_factory=dict)
    quiz_ceiling: float = 0.0  # overall mastery if every quiz item were known, with today's evidence
    needs_evidence: tuple[str, ...] = ()  # competencies short of full marks until more evidence is signed
    needs_observation: tuple[str, ...] = ()  # behaviours with no mentor observation yet
    knowledge: float = 0.0  # mean mastery of the knowledge competencies (what quizzes alone can raise)


SKILL_EVIDENCE_POINTS = 60.0  # a skill's share from signed evidence
SKILL_EVIDENCE_PIECES = 2  # signed pieces that earn a skill all its evidence points
BEHAVIOUR_OBSERVATIONS = 1  # signed observations a behaviour needs


def competency_mastery(ev: CompetencyEvidence) -> float:
    """Mastery of one competency, 0 to 100, by the documented paths."""
    known = sum(ev.known) / len(ev.known) if ev.known else None
    signed = max(0, ev.signed_evidence)
    if ev.kind == "behaviour":
        score = 100.0 if signed >= BEHAVIOUR_OBSERVATIONS else 0.0
    elif ev.kind == "skill":
        evidence = min(1.0, signed / SKILL_EVIDENCE_PIECES)
        quiz = known if known is not None else evidence
        score = SKILL_EVIDENCE_POINTS * evidence + (100 - SKILL_EVIDENCE_POINTS) * quiz
    else:
        score = 100 * known if known is not None else (100.0 if signed else 0.0)
    return round(max(0.0, min(100.0, score)), 1)


def mastery_report(
    evidence: Iterable[CompetencyEvidence],
    area_titles: dict[str, str] | None = None,
    with_ceiling: bool = True,
) -> MasteryReport:
    """Roll competencies up: an area is the mean of its competencies, overall the mean of the areas.
    `with_ceiling=False` skips what quizzes could reach (a daily series does not need it)."""
    evidence = list(evidence)
    by_comp: dict[str, float] = {}
    per_area: dict[str, list[float]] = defaultdict(list)
    ceiling_area: dict[str, list[float]] = defaultdict(list)
    missing: dict[str, list[str]] = {"skill": [], "behaviour": [], "knowledge": []}
    knowledge: list[float] = []
    for ev in evidence:
        score = competency_mastery(ev)
        by_comp[ev.code] = score
        if ev.kind == "knowledge":
            knowledge.append(score)
        per_area[ev.area].append(score)
        if not with_ceiling:
            continue
        best = competency_mastery(replace(ev, known=(1.0,))) if ev.known else score
        ceiling_area[ev.area].append(best)
        if best < 100 and ev.kind in missing:
            missing[ev.kind].append(ev.code)
    by_area = _means(per_area)
    overall = round(sum(by_area.values()) / len(by_area), 1) if by_area else 0.0
    ceilings = _means(ceiling_area)
    ceiling = round(sum(ceilings.values()) / len(ceilings), 1) if ceilings else 0.0
    return MasteryReport(
        by_comp,
        by_area,
        overall,
        dict(area_titles or {}),
        quiz_ceiling=ceiling,
        needs_evidence=tuple(sorted(missing["skill"] + missing["knowledge"])),
        needs_observation=tuple(sorted(missing["behaviour"])),
        knowledge=round(sum(knowledge) / len(knowledge), 1) if knowledge else 0.0,
    )


def _means(values: dict[str, list[float]]) -> dict[str, float]:
    return {key: round(sum(v) / len(v), 1) for key, v in values.items() if v}


def missing_for(report: MasteryReport, target: float) -> str:
    """Why quizzes alone cannot take overall mastery to `target` ("" when they can)."""
    if report.quiz_ceiling >= target:
        return ""
    parts = []
    if report.needs_evidence:
        n = len(report.needs_evidence)
        parts.append(f"signed-off evidence for {n} competenc{'ies' if n != 1 else 'y'}")
    if report.needs_observation:
        n = len(report.needs_observation)
        parts.append(f"a mentor observation for {n} behaviour{'s' if n != 1 else ''}")
    what = " and ".join(parts) or "more evidence"
    return (
        f"Quizzes alone can take you to about {report.quiz_ceiling:.0f}% of {target:g}%: "
        f"the rest needs {what}."
    )


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
