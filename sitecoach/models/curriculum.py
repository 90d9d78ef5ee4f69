"""The standard, its competencies, lessons and quiz items."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Column, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from sitecoach.models.db import UTCDateTime, utcnow


class CompetencyKind(StrEnum):
    """The K, S and B of an apprenticeship standard."""

    KNOWLEDGE = "knowledge"
    SKILL = "skill"
    BEHAVIOUR = "behaviour"


class ReviewStatus(StrEnum):
    """Where a piece of content stands in the safety lead's review: only live content reaches learners."""

    LIVE = "live"  # vetted (shipped reviewed in the pack, or marked reviewed by the safety lead)
    DRAFT = "draft"  # new or edited, awaiting the safety lead's review: not used until marked reviewed
    WITHDRAWN = "withdrawn"  # taken out of use by the safety lead


class Standard(SQLModel, table=True):
    """An apprenticeship standard (ours is a working map until the official list is imported)."""

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=40, unique=True)
    title: str = Field(max_length=200)
    level: int | None = None
    working_map: bool = True
    note: str = ""
    imported_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))


class Competency(SQLModel, table=True):
    """One knowledge, skill or behaviour statement of a standard."""

    __table_args__ = (UniqueConstraint("standard_id", "code"),)

    id: int | None = Field(default=None, primary_key=True)
    standard_id: int = Field(foreign_key="standard.id", index=True)
    code: str = Field(max_length=40)
    kind: str = Field(max_length=20)
    area_code: str = Field(max_length=40)
    area_title: str = Field(max_length=200)
    text: str
    active: bool = True


class Lesson(SQLModel, table=True):
    """A micro-lesson: a 90-second script, key facts and safety warnings."""

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=40, unique=True)
    pack: str = Field(max_length=40)
    position: int
    title: str = Field(max_length=200)
    script: str
    key_facts: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    safety_warnings: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    mandatory_phrases: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    keywords: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    verify_locally: bool = False
    video_url: str | None = Field(default=None, max_length=500)
    review_status: str = Field(default="live", max_length=20)  # ReviewStatus: only live lessons are taught
    reviewed_by: str | None = Field(default=None, max_length=120)
    reviewed_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime(), nullable=True))
    updated_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))


class LessonCompetency(SQLModel, table=True):
    """Which competencies a lesson covers."""

    lesson_id: int = Field(foreign_key="lesson.id", primary_key=True)
    competency_id: int = Field(foreign_key="competency.id", primary_key=True)


class QuizItem(SQLModel, table=True):
    """A multiple-choice question with one right answer and an explanation."""

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=40, unique=True)
    lesson_id: int = Field(foreign_key="lesson.id", index=True)
    question: str
    options: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    answer_index: int
    explanation: str
    active: bool = True
    card_code: str | None = Field(default=None, max_length=20, index=True)  # the card it tests, if any

    def option_list(self) -> list[str]:
        """The options as plain strings."""
        return [str(o) for o in self.options]

    def as_dict(self) -> dict[str, Any]:
        """A plain copy for the learning core."""
        return {"code": self.code, "question": self.question, "options": self.option_list()}


class QuizItemCompetency(SQLModel, table=True):
    """Which competencies a quiz item tests."""

    quiz_item_id: int = Field(foreign_key="quizitem.id", primary_key=True)
    competency_id: int = Field(foreign_key="competency.id", primary_key=True)


class KnowledgeCard(SQLModel, table=True):
    """A short vetted answer (see `curriculum.cards`): its current text, review state and version."""

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=20, unique=True)
    pack: str = Field(max_length=40)
    area: str = Field(max_length=10)
    title: str = Field(max_length=200)
    lesson_code: str | None = Field(default=None, max_length=40)
    content: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    status: str = Field(default=ReviewStatus.LIVE, max_length=20, index=True)
    version: int = 1
    edited: bool = False  # changed in the admin pages: a pack re-sync keeps the edit
    reviewed_by: str | None = Field(default=None, max_length=120)
    reviewed_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime(), nullable=True))
    updated_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))


class KnowledgeCardVersion(SQLModel, table=True):
    """One saved text of a card from the admin pages (the pack's text is the version before the first).
    Rows are only ever appended; review decisions without a text change are in the admin audit log."""

    __table_args__ = (UniqueConstraint("card_id", "version"),)

    id: int | None = Field(default=None, primary_key=True)
    card_id: int = Field(foreign_key="knowledgecard.id", index=True)
    version: int
    content: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    diff: str = Field(default="", sa_column=Column(Text, nullable=False))  # unified diff against the last
    status: str = Field(max_length=20)  # the card's review state once this version was saved
    actor_id: int | None = Field(default=None, foreign_key="mentor.id")
    note: str = Field(default="", max_length=200)
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))
