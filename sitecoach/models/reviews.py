"""12-weekly progress reviews: the review (due date, status, who signed) and its versions (the text)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Column, UniqueConstraint
from sqlmodel import Field, SQLModel

from sitecoach.models.db import UTCDateTime, utcnow


class ProgressReviewStatus(StrEnum):
    """Where a review stands: the mentor edits a draft, marks it ready, and it locks once all three signed."""

    DRAFT = "draft"
    READY = "ready"
    LOCKED = "locked"


class ProgressReview(SQLModel, table=True):
    """One progress review of a learner (numbered 1, 2, ... per learner); its text is in its versions."""

    __table_args__ = (UniqueConstraint("learner_id", "number"),)

    id: int | None = Field(default=None, primary_key=True)
    learner_id: int = Field(foreign_key="learner.id", index=True)
    number: int
    period_start: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    due_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False, index=True))
    status: str = Field(default=ProgressReviewStatus.DRAFT, max_length=12, index=True)
    version: int = 0  # the newest `ProgressReviewVersion.version`
    # What the draft was made from: mastery by area then (the next review compares against it) and the
    # actions it proposed (area codes), so the next draft can say how they went.
    baseline: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    drafted_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))
    ready_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
    learner_signed_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
    employer_signed_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
    employer_signer_id: int | None = Field(default=None, foreign_key="mentor.id")
    provider_signed_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
    provider_signer_id: int | None = Field(default=None, foreign_key="mentor.id")
    locked_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
    content_hash: str | None = Field(default=None, max_length=64)  # SHA-256 of the signed text


class ProgressReviewVersion(SQLModel, table=True):
    """One saved text of a review (sections by key); version 1 is the coach's draft. Only ever appended."""

    __table_args__ = (UniqueConstraint("review_id", "version"),)

    id: int | None = Field(default=None, primary_key=True)
    review_id: int = Field(foreign_key="progressreview.id", index=True)
    learner_id: int = Field(foreign_key="learner.id", index=True)
    version: int
    sections: dict[str, str] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    note: str = Field(default="", max_length=200)
    author_id: int | None = Field(default=None, foreign_key="mentor.id")
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))
