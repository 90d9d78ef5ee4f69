"""A precomputed summary of each learner, refreshed after activity and hourly, so mentor pages are fast."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Column
from sqlmodel import Field, SQLModel

from sitecoach.models.db import UTCDateTime, utcnow


class LearnerSnapshot(SQLModel, table=True):
    """One learner's headline numbers as of `updated_at` (derived data: safe to rebuild at any time)."""

    learner_id: int = Field(foreign_key="learner.id", primary_key=True)
    overall: float = 0.0
    by_area: dict[str, float] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    velocity_7: float = 0.0
    predicted: str | None = Field(default=None, max_length=10)  # ISO date knowledge mastery reaches 85%
    streak: int = 0
    last_active_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
    archetype: str = Field(default="newcomer", max_length=20)
    risk_score: float = Field(default=0.0, index=True)
    risk_level: str = Field(default="low", max_length=10)
    risk_reasons: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    gateway_ready: int = 0
    gateway_total: int = 0
    evidence_pending: int = 0
    otj_hours: float = 0.0
    updated_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))
