"""Replaying a learner's event log into mastery: now, and at the end of each recent local day.

Only events move mastery: a quiz answer (scored by `learning/knowledge.py` against what the learner was
shown to know before it, and rescheduled by FSRS) and evidence signed off. A right answer can raise it, a
wrong one only lower it. Between events mastery can only hold or fall, as recall fades. Replaying the same
events always gives the same numbers, which is what the daily series, velocity, badges and predictions
rest on.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from fsrs import Card

from sitecoach.learning.knowledge import AnswerScore, known_now, score_answer
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


def trace_item(
    memory: Memory, answers: Iterable[tuple[datetime, bool]]
) -> tuple[Card | None, float, AnswerScore | None]:
    """One item's FSRS card, belief and last answer's score after its answers (oldest first)."""
    card: Card | None = None
    belief = 0.0
    score: AnswerScore | None = None
    for at, correct in answers:
        known = known_now(belief, memory.card_retrievability(card, at))
        score = score_answer(known, card is not None, correct)
        belief = score.belief_after
        card = memory.review_card(card, correct, at)
    return card, belief, score


@dataclass(frozen=True)
class HistoryEvent:
    """One event as the replay needs it."""

    at: datetime
    kind: str
    data: Mapping[str, Any]


@dataclass
class _State:
    cards: dict[str, Card] = field(default_factory=dict)
    belief: dict[str, float] = field(default_factory=dict)  # item -> chance known at its last answer
    signed: Counter[str] = field(default_factory=Counter)
    scores: list[AnswerScore] = field(default_factory=list)  # every answer, scored before it


@dataclass(frozen=True)
class DayAreas:
    """Mastery per area at the end of one local day."""

    day: date
    by_area: Mapping[str, float]


@dataclass(frozen=True)
class Replay:
    """Mastery now, the daily series (overall and per area), and each quiz item's known-now."""

    report: MasteryReport
    series: tuple[MasteryPoint, ...]
    item_known: Mapping[str, float]
    shown_days: frozenset[date]  # local days with a right answer or signed evidence (what badges count)
    area_series: tuple[DayAreas, ...] = ()
    knowledge_series: tuple[MasteryPoint, ...] = ()  # knowledge mastery at the end of each day
    scores: tuple[AnswerScore, ...] = ()  # every answer in the log, scored against the estimate before it


class MasteryReplayer:
    """Replays events against one curriculum with one FSRS configuration."""

    def __init__(self, curriculum: Curriculum, memory: Memory) -> None:
        self.curriculum = curriculum
        self.memory = memory
        self._items_of = curriculum.items_of()

    def _apply(self, state: _State, event: HistoryEvent) -> None:
        if event.kind == QUIZ_ANSWERED:
            item = str(event.data.get("item", ""))
            if item:
                correct = bool(event.data.get("correct"))
                card = state.cards.get(item)
                known = known_now(
                    state.belief.get(item, 0.0), self.memory.card_retrievability(card, event.at)
                )
                score = score_answer(known, card is not None, correct)
                state.scores.append(score)
                state.belief[item] = score.belief_after
                state.cards[item] = self.memory.review_card(card, correct, event.at)
        elif event.kind == EVIDENCE_SIGNED:
            state.signed.update(str(c) for c in event.data.get("competencies", []))

    def known_at(self, state: _State, at: datetime) -> dict[str, float]:
        """Each answered item's known-now at `at`."""
        return {
            item: known_now(state.belief.get(item, 0.0), self.memory.card_retrievability(card, at))
            for item, card in state.cards.items()
        }

    def report_at(
        self, state: _State, at: datetime, with_ceiling: bool = True
    ) -> tuple[MasteryReport, dict[str, float]]:
        """Mastery from a replay state, with what is known measured at `at`."""
        known = self.known_at(state, at)
        evidence = [
            CompetencyEvidence(
                code=code,
                kind=kind,
                area=self.curriculum.areas[code],
                known=tuple(known.get(i, 0.0) for i in self._items_of.get(code, [])),
                signed_evidence=max(0, state.signed.get(code, 0)),
            )
            for code, kind in self.curriculum.kinds.items()
        ]
        return mastery_report(evidence, dict(self.curriculum.area_titles), with_ceiling), known

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
        empty: MasteryReport | None = None  # the report of a learner with nothing answered or signed yet
        series: list[MasteryPoint] = []
        knowledge: list[MasteryPoint] = []
        areas: list[DayAreas] = []
        index = 0
        for day, end in boundaries:
            while index < len(ordered) and ordered[index].at < end:
                self._apply(state, ordered[index])
                index += 1
            if state.cards or state.signed or empty is None:  # nothing answered or signed: nothing changes
                day_report = self.report_at(state, end, with_ceiling=False)[0]
                if not (state.cards or state.signed):
                    empty = day_report
            else:
                day_report = empty
            series.append(MasteryPoint(day, day_report.overall))
            knowledge.append(MasteryPoint(day, day_report.knowledge))
            areas.append(DayAreas(day, dict(day_report.by_area)))
        for event in ordered[index:]:
            self._apply(state, event)
        report, known = self.report_at(state, now)
        series.append(MasteryPoint(today, report.overall))
        knowledge.append(MasteryPoint(today, report.knowledge))
        areas.append(DayAreas(today, dict(report.by_area)))
        active = frozenset(
            e.at.astimezone(zone).date()
            for e in ordered
            if e.kind == EVIDENCE_SIGNED or (e.kind == QUIZ_ANSWERED and e.data.get("correct"))
        )
        # Days before the learner started do not count for velocity (area days still count for badges: an
        # answer logged then was still shown).
        if since is not None:
            series = [p for p in series if p.day >= since] or [series[-1]]
            knowledge = [p for p in knowledge if p.day >= since] or [knowledge[-1]]
        return Replay(
            report,
            tuple(series),
            known,
            active,
            area_series=tuple(areas),
            knowledge_series=tuple(knowledge),
            scores=tuple(state.scores),
        )

    def now(self, events: Iterable[HistoryEvent], now: datetime) -> tuple[MasteryReport, dict[str, float]]:
        """Mastery and each item's known-now, without the daily series (what a quiz question needs)."""
        now = require_aware(now)
        state = _State()
        for event in sorted((e for e in events if require_aware(e.at) <= now), key=lambda e: e.at):
            self._apply(state, event)
        return self.report_at(state, now)
