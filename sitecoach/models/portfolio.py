"""Field evidence for the e-portfolio, and escalations to a mentor."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Column
from sqlmodel import Field, SQLModel

from sitecoach.models.db import UTCDateTime, utcnow


class EvidenceStatus(StrEnum):
    """Where an evidence item is in sign-off."""

    PENDING = "pending"
    SIGNED_OFF = "signed_off"
    RETURNED = "returned"


class EvidenceItem(SQLModel, table=True):
    """A photo and/or note from site, claimed against competencies, awaiting a mentor."""

    id: int | None = Field(default=None, primary_key=True)
    learner_id: int = Field(foreign_key="learner.id", index=True)
    note: str = ""
    media: list[dict[str, Any]] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    latitude: float | None = None
    longitude: float | None = None
    address: str | None = Field(default=None, max_length=500)
    competencies: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    status: str = Field(default=EvidenceStatus.PENDING, max_length=20, index=True)
    mentor_comment: str | None = None
    signed_by_id: int | None = Field(default=None, foreign_key="mentor.id")
    signed_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
    captured_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))


class EscalationKind(StrEnum):
    """Why a human was brought in."""

    MENTOR = "mentor"
    EMERGENCY = "emergency"
    SAFETY = "safety"
    STALL = "stall"


class EscalationStatus(StrEnum):
    """Whether an escalation still waits for a human."""

    OPEN = "open"
    CLOSED = "closed"


class Escalation(SQLModel, table=True):
    """A request for a human mentor, referenced on WhatsApp as #E<id>."""

    id: int | None = Field(default=None, primary_key=True)
    learner_id: int = Field(foreign_key="learner.id", index=True)
    mentor_id: int | None = Field(default=None, foreign_key="mentor.id", index=True)
    kind: str = Field(max_length=20)
    priority: str = Field(default="normal", max_length=10)
    status: str = Field(default=EscalationStatus.OPEN, max_length=10, index=True)
    reason: str = ""
    context: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))
    closed_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
    mentor_replied_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
    reminded_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
    backup_notified_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))

    @property
    def reference(self) -> str:
        """The short reference a mentor replies with."""
        return f"#E{self.id}"
