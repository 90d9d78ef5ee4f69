"""The nightly FSRS fits: what each run decided, with the parameters the coach schedules by."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column
from sqlmodel import Field, SQLModel

from sitecoach.models.db import UTCDateTime, utcnow


class FsrsParameters(SQLModel, table=True):
    """One fit run. `parameters` is None when the run kept FSRS's defaults (`reason` says why); the
    newest row with parameters is what `Memory` is built with."""

    id: int | None = Field(default=None, primary_key=True)
    fitted_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))
    # One nightly run per slot ("nightly-2026-12-06"); None for runs by hand (`sitecoach memory fit`).
    run_key: str | None = Field(default=None, max_length=40, unique=True)
    reviews: int = 0
    learners: int = 0
    parameters: list[float] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    reason: str = Field(default="", max_length=400)
    # The time-ordered check: split sizes and each model's log loss, RMSE and AUC (see memory_fit.py).
    evaluation: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
