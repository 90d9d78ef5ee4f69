"""The authorisation passport: employers with their own list of steps, and each learner's authorisations
and practical assessments (see `sitecoach.records.passport`)."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Column
from sqlmodel import Field, SQLModel

from sitecoach.models.db import UTCDateTime, utcnow


class AssessmentResult(StrEnum):
    """The outcome of a practical assessment."""

    PASS = "pass"
    REFER = "refer"  # not yet: to be re-assessed


class Employer(SQLModel, table=True):
    """A network operator or contractor whose safety rules authorise its jointers.

    `passport` is the employer's own ordered list of authorisation categories and assessment types (the
    schema of `sitecoach.curriculum.passport_spec.PassportList`); empty means the content pack's default."""

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=120, unique=True)
    passport: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))


class PassportAuthorisation(SQLModel, table=True):
    """A category a learner is authorised for under their employer's safety rules (until revoked/expired)."""

    id: int | None = Field(default=None, primary_key=True)
    learner_id: int = Field(foreign_key="learner.id", index=True)
    category: str = Field(max_length=40)  # a step code of the employer's list
    title: str = Field(max_length=120)  # the step's title when granted
    granted_by_id: int | None = Field(default=None, foreign_key="mentor.id")
    granted_by_name: str = Field(default="", max_length=120)
    granted_on: date
    expires_on: date | None = Field(default=None, index=True)
    evidence_id: int | None = Field(default=None, foreign_key="evidenceitem.id")
    notes: str = ""
    revoked_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
    revoked_by_id: int | None = Field(default=None, foreign_key="mentor.id")
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))


class PracticalAssessment(SQLModel, table=True):
    """A practical assessment of one joint type: who assessed it, when, pass or refer, and until when."""

    id: int | None = Field(default=None, primary_key=True)
    learner_id: int = Field(foreign_key="learner.id", index=True)
    assessment: str = Field(max_length=40)  # a step code of the employer's list
    title: str = Field(max_length=120)
    assessor: str = Field(max_length=120)
    assessed_on: date
    result: str = Field(max_length=10)
    expires_on: date | None = Field(default=None, index=True)
    evidence_id: int | None = Field(default=None, foreign_key="evidenceitem.id")
    notes: str = ""
    recorded_by_id: int | None = Field(default=None, foreign_key="mentor.id")
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))
