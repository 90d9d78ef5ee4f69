"""The restricted safeguarding log: concerns a learner raised, and the DSL's append-only notes on them.

Only the designated safeguarding leads (DSLs) of the learner's cohort read these rows
(`sitecoach.records.safeguarding`); the learner's mentor never does.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Column
from sqlmodel import Field, SQLModel

from sitecoach.models.db import UTCDateTime, utcnow


class ConcernStatus(StrEnum):
    """Whether a DSL is still dealing with a concern."""

    OPEN = "open"
    CLOSED = "closed"


class ConcernOutcome(StrEnum):
    """What the DSL decided (recorded when the concern is closed, or along the way)."""

    REFERRED_LOCAL_AUTHORITY = "referred_local_authority"
    REFERRED_POLICE = "referred_police"
    REFERRED_PREVENT = "referred_prevent"
    SUPPORT_IN_PLACE = "support_in_place"
    NO_FURTHER_ACTION = "no_further_action"


class SafeguardingConcern(SQLModel, table=True):
    """One disclosure: the learner's words (kept here and nowhere else), who was told, and where it stands."""

    id: int | None = Field(default=None, primary_key=True)
    learner_id: int = Field(foreign_key="learner.id", index=True)
    cohort_id: int | None = Field(default=None, foreign_key="cohort.id", index=True)
    message_id: int | None = Field(default=None, foreign_key="message.id", unique=True)
    kind: str = Field(max_length=20)  # "safeguarding" or "crisis" (the wellbeing path)
    text: str = ""
    told: str = Field(default="", max_length=300)  # who was alerted, by role and name
    status: str = Field(default=ConcernStatus.OPEN, max_length=10, index=True)
    outcome: str | None = Field(default=None, max_length=40)
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))
    closed_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))

    @property
    def reference(self) -> str:
        """The short reference a DSL sees in the alert (#S<id>)."""
        return f"#S{self.id}"


class SafeguardingNote(SQLModel, table=True):
    """A DSL's note on a concern: appended, never edited (who wrote it and when)."""

    id: int | None = Field(default=None, primary_key=True)
    concern_id: int = Field(foreign_key="safeguardingconcern.id", index=True)
    author_id: int = Field(foreign_key="mentor.id")
    body: str = ""
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))
