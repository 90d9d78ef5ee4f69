"""What each call to the language model cost, per learner (for budgets and the admin report)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column
from sqlmodel import Field, SQLModel

from sitecoach.models.db import UTCDateTime, utcnow


class LLMUsage(SQLModel, table=True):
    """One model call: purpose, tokens, cost, latency and how it ended."""

    id: int | None = Field(default=None, primary_key=True)
    learner_id: int | None = Field(default=None, foreign_key="learner.id", index=True)
    at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False, index=True))
    purpose: str = Field(max_length=20)  # explain | route
    model: str = Field(max_length=60)
    input_tokens: int = 0
    output_tokens: int = 0
    cost_usd: float = 0.0
    latency_ms: int = 0
    # ok | not_covered | timeout | overloaded | rate_limited | error | malformed
    outcome: str = Field(max_length=20)
