"""Per-learner memory state and the append-only learning-event log."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Column, UniqueConstraint
from sqlmodel import Field, SQLModel

from sitecoach.models.db import UTCDateTime, utcnow


class EventKind(StrEnum):
    """What a learning event records."""

    QUIZ_ANSWERED = "quiz_answered"
    LESSON_SENT = "lesson_sent"
    CARD_SENT = "card_sent"  # an answer from a knowledge card that has no lesson to link
    LESSON_WATCHED = "lesson_watched"
    EVIDENCE_LOGGED = "evidence_logged"
    EVIDENCE_SIGNED = "evidence_signed"
    EVIDENCE_RETURNED = "evidence_returned_for_changes"
    ESCALATION_OPENED = "escalation_opened"
    CONSENT_CHANGED = "consent_changed"
    ONBOARDED = "onboarded"
    BADGE_AWARDED = "badge_awarded"
    BADGE_WITHDRAWN = "badge_withdrawn"  # a badge the pre-2026-12 mastery formula gave without evidence
    OTJ_HOURS = "otj_hours"
    OTJ_REVIEWED = "otj_reviewed"  # a mentor verified or queried an OTJ entry (`entry`: its event seq)
    BREAK_STARTED = "break_started"
    BREAK_ENDED = "break_ended"
    MOCK_TEST = "mock_test"
    PROGRESS_VIEWED = "progress_viewed"
    PROGRESS_REVIEW_SIGNED = "progress_review_signed"  # a 12-weekly review signed by all three, locked
    SAFEGUARDING_RAISED = "safeguarding_raised"  # a concern for the DSL: its id and kind, never its text
    AUTHORISATION_GRANTED = "authorisation_granted"
    AUTHORISATION_REVOKED = "authorisation_revoked"
    ASSESSMENT_RECORDED = "assessment_recorded"


class ReviewState(SQLModel, table=True):
    """The FSRS card of one learner for one quiz item."""

    __table_args__ = (UniqueConstraint("learner_id", "quiz_item_id"),)

    id: int | None = Field(default=None, primary_key=True)
    learner_id: int = Field(foreign_key="learner.id", index=True)
    quiz_item_id: int = Field(foreign_key="quizitem.id", index=True)
    card: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    due: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False, index=True))
    reps: int = 0
    lapses: int = 0
    known: float | None = None  # chance the item is known at the last answer (learning/knowledge.py)
    last_correct: bool | None = None
    last_reviewed_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))


class LearningEvent(SQLModel, table=True):
    """One thing a learner did. Rows are only ever appended, through `sitecoach.records.audit.append_event`,
    each chained to the learner's previous one by a SHA-256 hash (`sitecoach audit verify` checks it)."""

    __table_args__ = (UniqueConstraint("learner_id", "seq"),)

    id: int | None = Field(default=None, primary_key=True)
    learner_id: int = Field(foreign_key="learner.id", index=True)
    seq: int = 0
    kind: str = Field(max_length=40, index=True)
    at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False, index=True))
    data: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    prev_hash: str = Field(default="", max_length=64)
    hash: str = Field(default="", max_length=64)
