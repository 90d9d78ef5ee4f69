"""Admin data: edited prompt versions and the admin audit log."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from sitecoach.models.db import UTCDateTime, utcnow


class PromptVersion(SQLModel, table=True):
    """One saved wording of a prompt; the file on disk is version 0. Rows are only ever appended."""

    __table_args__ = (UniqueConstraint("name", "version"),)

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=80, index=True)
    version: int
    text: str = Field(sa_column=Column(Text, nullable=False))
    diff: str = Field(default="", sa_column=Column(Text, nullable=False))  # unified diff against the last
    note: str = Field(default="", max_length=200)  # e.g. "rollback to v2"
    author_id: int | None = Field(default=None, foreign_key="mentor.id")
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))


class AdminAuditLog(SQLModel, table=True):
    """Who did what in the admin pages, and when (details never hold a learner's phone)."""

    id: int | None = Field(default=None, primary_key=True)
    actor_id: int | None = Field(default=None, foreign_key="mentor.id", index=True)
    action: str = Field(max_length=40, index=True)
    target: str = Field(default="", max_length=120)
    details: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False, index=True)
    )
