"""Self-improving nudges: which variant each learner got, and each kind's bandit state."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column
from sqlmodel import Field, SQLModel

from sitecoach.models.db import UTCDateTime, utcnow


class VariantAssignment(SQLModel, table=True):
    """One nudge (or onboarding sequence) shown to one learner, and whether it earned its reward."""

    id: int | None = Field(default=None, primary_key=True)
    learner_id: int = Field(foreign_key="learner.id", index=True)
    kind: str = Field(max_length=40, index=True)
    variant: str = Field(max_length=40)
    message_id: int | None = Field(default=None, foreign_key="message.id")
    assigned_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))
    settle_after: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False, index=True))
    rewarded_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
    settled: bool = Field(default=False, index=True)


class BanditRecord(SQLModel, table=True):
    """The bandit state of one kind (champion, challengers, counts), as JSON."""

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=40, unique=True)
    state: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    updated_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))
