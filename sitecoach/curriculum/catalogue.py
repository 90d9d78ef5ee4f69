"""The curriculum as skills see it: lessons, competencies, quiz items and live knowledge cards, with the
passage index over the lessons and the card index (BM25) over the cards."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, col, func, select

from sitecoach.curriculum.card_search import CardHit, CardIndex, CardInfo
from sitecoach.curriculum.retrieval import LessonMatch, Passage, PassageIndex, lesson_passages
from sitecoach.models import (
    Competency,
    KnowledgeCard,
    Lesson,
    LessonCompetency,
    QuizItem,
    QuizItemCompetency,
    ReviewStatus,
    Standard,
)


@dataclass(frozen=True)
class CompetencyInfo:
    """One competency of a standard."""

    id: int
    code: str
    kind: str
    area_code: str
    area_title: str
    text: str
    standard_code: str


@dataclass(frozen=True)
class LessonInfo:
    """One lesson."""

    id: int
    code: str
    position: int
    title: str
    script: str
    key_facts: tuple[str, ...]
    safety_warnings: tuple[str, ...]
    mandatory_phrases: tuple[str, ...]
    keywords: tuple[str, ...]
    competencies: tuple[str, ...]
    verify_locally: bool
    live: bool = True  # withdrawn lessons are neither searched nor linked


@dataclass(frozen=True)
class ItemInfo:
    """One quiz item."""

    id: int
    code: str
    lesson_code: str
    lesson_position: int
    question: str
    options: tuple[str, ...]
    answer_index: int
    explanation: str
    competencies: tuple[str, ...]


class Catalogue:
    """An in-memory, read-only view of the curriculum, loaded once per process."""

    def __init__(
        self,
        lessons: list[LessonInfo],
        competencies: list[CompetencyInfo],
        items: list[ItemInfo],
        default_standard: str | None,
        cards: Sequence[CardInfo] = (),
    ) -> None:
        self.lessons = {lesson.code: lesson for lesson in sorted(lessons, key=lambda x: x.position)}
        self.lessons_by_id = {lesson.id: lesson for lesson in lessons}
        self.competencies = {c.code: c for c in competencies}
        self.items = {i.code: i for i in items}
        self.items_by_id = {i.id: i for i in items}
        self.default_standard = default_standard
        self.index = PassageIndex(self._passages())
        self.cards = {card.code: card for card in cards}
        # A card of a withdrawn lesson goes with it; a card with no lesson stands on its own.
        taught = [c for c in cards if c.lesson_code is None or self.lesson_is_live(c.lesson_code)]
        self.card_index = CardIndex(taught)

    def _passages(self) -> list[Passage]:
        return [
            p
            for lesson in self.lessons.values()
            if lesson.live
            for p in lesson_passages(
                lesson.code,
                lesson.title,
                lesson.script,
                lesson.key_facts,
                lesson.safety_warnings,
                lesson.keywords,
            )
        ]

    def find_lessons(self, query: str, k: int = 3) -> list[LessonMatch]:
        """The lessons that best answer a question, strongest first."""
        return self.index.best_lessons(query, k=k)

    def live_lessons(self) -> list[LessonInfo]:
        """The lessons that may be taught, in course order (withdrawn ones are never sent or linked)."""
        return [lesson for lesson in self.lessons.values() if lesson.live]

    def lesson_is_live(self, code: str | None) -> bool:
        """Whether a lesson exists and may be taught (not withdrawn by the safety lead)."""
        lesson = self.lessons.get(code) if code else None
        return lesson is not None and lesson.live

    def find_cards(self, question: str, k: int = 3) -> list[CardHit]:
        """The live cards that best answer a question, strongest first (whether or not they clearly do)."""
        return self.card_index.search(question, k=k)

    def card_for(self, question: str) -> CardHit | None:
        """The live card that clearly answers a question, or None."""
        return self.card_index.answering(question)

    def covered(self, query: str) -> LessonMatch | None:
        """The best lesson if the pack really covers the question, else None."""
        matches = self.index.best_lessons(query, k=1)
        if matches and self.index.covers(matches[0]):
            return matches[0]
        return None

    def competencies_of_standard(self, standard_code: str | None) -> list[CompetencyInfo]:
        """The competencies of a standard (the default one when None)."""
        code = standard_code or self.default_standard
        return [c for c in self.competencies.values() if c.standard_code == code]

    def items_for_lessons(self, lesson_codes: set[str] | None) -> list[ItemInfo]:
        """Quiz items of some lessons (all when None), in lesson order."""
        items = [i for i in self.items.values() if lesson_codes is None or i.lesson_code in lesson_codes]
        return sorted(items, key=lambda i: (i.lesson_position, i.code))

    @classmethod
    def load(cls, session: Session) -> Catalogue:
        """Read the curriculum from the database."""
        standards = {s.id: s for s in session.exec(select(Standard)).all()}
        comps = session.exec(select(Competency).where(Competency.active == True)).all()  # noqa: E712
        comp_by_id = {c.id: c for c in comps}
        competencies = [
            CompetencyInfo(
                c.id, c.code, c.kind, c.area_code, c.area_title, c.text, standards[c.standard_id].code
            )
            for c in comps
        ]
        lesson_comps: dict[int, list[str]] = defaultdict(list)
        for link in session.exec(select(LessonCompetency)).all():
            if link.competency_id in comp_by_id:
                lesson_comps[link.lesson_id].append(comp_by_id[link.competency_id].code)
        item_comps: dict[int, list[str]] = defaultdict(list)
        for link in session.exec(select(QuizItemCompetency)).all():
            if link.competency_id in comp_by_id:
                item_comps[link.quiz_item_id].append(comp_by_id[link.competency_id].code)
        lesson_rows = session.exec(select(Lesson)).all()
        lessons = [
            LessonInfo(
                l.id,
                l.code,
                l.position,
                l.title,
                l.script,
                tuple(l.key_facts),
                tuple(l.safety_warnings),
                tuple(l.mandatory_phrases),
                tuple(l.keywords),
                tuple(sorted(lesson_comps[l.id])),
                l.verify_locally,
                l.review_status == ReviewStatus.LIVE,
            )
            for l in lesson_rows  # noqa: E741
        ]
        by_lesson = {l.id: l for l in lesson_rows}  # noqa: E741
        items = [
            ItemInfo(
                q.id,
                q.code,
                by_lesson[q.lesson_id].code,
                by_lesson[q.lesson_id].position,
                q.question,
                tuple(q.options),
                q.answer_index,
                q.explanation,
                tuple(sorted(item_comps[q.id])),
            )
            for q in session.exec(select(QuizItem).where(QuizItem.active == True)).all()  # noqa: E712
        ]
        working = [s for s in standards.values() if s.working_map]
        default = working[0] if working else next(iter(standards.values()), None)
        live = select(KnowledgeCard).where(KnowledgeCard.status == ReviewStatus.LIVE)
        cards = [
            CardInfo.from_content(c.content, c.version)
            for c in session.exec(live.order_by(col(KnowledgeCard.code))).all()
        ]
        return cls(lessons, competencies, items, default.code if default else None, cards)

    @staticmethod
    def stamp(session: Session) -> tuple[datetime | None, int, datetime | None, int]:
        """Changes whenever what the catalogue would load changes (a card or lesson edited, reviewed or
        withdrawn, a pack re-synced): compared at most once a second to reload it in every process."""
        card = session.exec(
            select(func.max(KnowledgeCard.updated_at), func.count(col(KnowledgeCard.id)))
        ).one()
        lesson = session.exec(select(func.max(Lesson.updated_at), func.count(col(Lesson.id)))).one()
        return card[0], int(card[1]), lesson[0], int(lesson[1])
