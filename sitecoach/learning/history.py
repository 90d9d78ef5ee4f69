"""Replaying a learner's event log into mastery: now, and at the end of each recent local day.

Only events move mastery up: a quiz answer (through its FSRS card), a lesson opened, evidence signed off.
Between events mastery can only hold or fall, as recall fades (FSRS retrievability). Replaying the same
events always gives the same numbers, which is what the daily series, velocity and predictions rest on.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from fsrs import Card

from sitecoach.learning.mastery import CompetencyEvidence, MasteryReport, mastery_report
from sitecoach.learning.memory import Memory, require_aware
from sitecoach.learning.trajectory import MasteryPoint

SERIES_DAYS = 35  # local days of daily mastery kept: enough for 14-day velocity a fortnight ago and plateaus

QUIZ_ANSWERED = "quiz_answered"
LESSON_WATCHED = "lesson_watched"
EVIDENCE_SIGNED = "evidence_signed"


@dataclass(frozen=True)
class Curriculum:
    """What mastery is measured against: competencies, and which items and lessons serve each."""

    kinds: Mapping[str, str]  # competency code -> knowledge | skill | behaviour
    areas: Mapping[str, str]  # competency code -> area code
    area_titles: Mapping[str, str]
    item_competencies: Mapping[str, Sequence[str]]  # quiz item code -> competency codes
    lesson_competencies: Mapping[str, Sequence[str]]  # lesson code -> competency codes

    def items_of(self) -> dict[str, list[str]]:
        """Competency code -> its quiz item codes."""
        out: dict[str, list[str]] = {code: [] for code in self.kinds}
        for item, comps in self.item_competencies.items():
            for code in comps:
                if code in out:
                    out[code].append(item)
        return out

    def lessons_of(self) -> dict[str, list[str]]:
        """Competency code -> its lesson codes."""
        out: dict[str, list[str]] = {code: [] for code in self.kinds}
        for lesson, comps in self.lesson_competencies.items():
            for code in comps:
                if code in out:
                    out[code].append(lesson)
        return out


@dataclass(frozen=True)
class HistoryEvent:
    """One event as the replay needs it."""

    at: datetime
    kind: str
    data: Mapping[str, Any]


@dataclass
class _State:
    cards: dict[str, Card] = field(default_factory=dict)
    opened: set[str] = field(default_factory=set)
    signed: Counter[str] = field(default_factory=Counter)


@dataclass(frozen=True)
class Replay:
    """Mastery now, the daily series, and each quiz item's recall now."""

    report: MasteryReport
    series: tuple[MasteryPoint, ...]
    item_recall: Mapping[str, float]
    active_days: frozenset[date]


class MasteryReplayer:
    """Replays events against one curriculum with one FSRS configuration."""

    def __init__(self, curriculum: Curriculum, memory: Memory) -> None:
        self.curriculum = curriculum
        self.memory = memory
        self._items_of = curriculum.items_of()
        self._lessons_of = curriculum.lessons_of()

    def _apply(self, state: _State, event: HistoryEvent) -> None:
        if event.kind == QUIZ_ANSWERED:
            item = str(event.data.get("item", ""))
            if item:
                state.cards[item] = self.memory.review_card(
                    state.cards.get(item), bool(event.data.get("correct")), event.at
                )
        elif event.kind == LESSON_WATCHED:
            state.opened.add(str(event.data.get("lesson", "")))
        elif event.kind == EVIDENCE_SIGNED:
            state.signed.update(str(c) for c in event.data.get("competencies", []))

    def report_at(self, state: _State, at: datetime) -> tuple[MasteryReport, dict[str, float]]:
        """Mastery from a replay state, with recall measured at `at`."""
        recall = {item: self.memory.card_retrievability(card, at) for item, card in state.cards.items()}
        evidence = []
        for code, kind in self.curriculum.kinds.items():
            items = self._items_of.get(code, [])
            lessons = self._lessons_of.get(code, [])
            evidence.append(
                CompetencyEvidence(
                    code=code,
                    kind=kind,
                    area=self.curriculum.areas[code],
                    recalls=tuple(recall.get(i, 0.0) for i in items),
                    lessons_total=len(lessons),
                    lessons_opened=sum(1 for x in lessons if x in state.opened),
                    signed_evidence=max(0, state.signed.get(code, 0)),
                )
            )
        return mastery_report(evidence, dict(self.curriculum.area_titles)), recall

    def replay(
        self,
        events: Iterable[HistoryEvent],
        now: datetime,
        timezone: str,
        days: int = SERIES_DAYS,
        since: date | None = None,
    ) -> Replay:
        """Mastery now, and at the end of each of the last `days` local days (today counts up to now)."""
        now = require_aware(now)
        zone = ZoneInfo(timezone)
        ordered = sorted((e for e in events if require_aware(e.at) <= now), key=lambda e: e.at)
        today = now.astimezone(zone).date()
        first_day = today - timedelta(days=days - 1)
        boundaries = [
            (day, datetime.combine(day + timedelta(days=1), time.min, zone))
            for day in (first_day + timedelta(days=n) for n in range(days - 1))
        ]
        state = _State()
        series: list[MasteryPoint] = []
        index = 0
        for day, end in boundaries:
            while index < len(ordered) and ordered[index].at < end:
                self._apply(state, ordered[index])
                index += 1
            series.append(MasteryPoint(day, self.report_at(state, end)[0].overall))
        for event in ordered[index:]:
            self._apply(state, event)
        report, recall = self.report_at(state, now)
        series.append(MasteryPoint(today, report.overall))
        active = frozenset(e.at.astimezone(zone).date() for e in ordered)
        if since is not None:  # days before the learner started are not part of their history
            series = [p for p in series if p.day >= since] or [series[-1]]
        return Replay(report, tuple(series), recall, active)
