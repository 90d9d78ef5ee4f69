"""Cohorts, mentors and learners."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import Column
from sqlmodel import Field, SQLModel

from sitecoach.models.db import UTCDateTime, utcnow
from sitecoach.models.identity import MAX_BSUID, MAX_USERNAME, whatsapp_label

# Off-the-job training hours planned over the apprenticeship; set per cohort from the training plan.
DEFAULT_PLANNED_OTJ_HOURS = 720.0


class Consent(StrEnum):
    """Whether a learner agreed to receive messages from the coach."""

    PENDING = "pending"
    OPTED_IN = "opted_in"
    OPTED_OUT = "opted_out"
    DECLINED = "declined"  # answers when texted, but no proactive messages


class WhatsAppContact:
    """Where and how a person is reached on WhatsApp: `phone`, `bsuid` and `username` columns."""

    phone: str | None
    bsuid: str | None
    username: str | None

    @property
    def whatsapp_address(self) -> str:
        """Where to send: the number when known, else the BSUID (Twilio takes `whatsapp:` + either)."""
        return self.phone or self.bsuid or ""

    @property
    def whatsapp_label(self) -> str:
        """The identity staff see: the masked number, else @username, else the masked BSUID."""
        return whatsapp_label(self.phone, self.username, self.bsuid)


class Cohort(SQLModel, table=True):
    """A group of apprentices on one standard who start together."""

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=120, unique=True)
    standard_code: str = Field(max_length=40)
    planned_otj_hours: float = DEFAULT_PLANNED_OTJ_HOURS
    employer_id: int | None = Field(default=None, foreign_key="employer.id", index=True)  # whose safety rules
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))


class Mentor(WhatsAppContact, SQLModel, table=True):
    """A staff user: a mentor who supports learners and signs off evidence, an admin, or a training
    provider's user (`is_provider`, linked to cohorts by `CohortProvider`). See `sitecoach.records.access`."""

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=120)
    phone: str | None = Field(default=None, max_length=20, unique=True)
    bsuid: str | None = Field(default=None, max_length=MAX_BSUID, unique=True, index=True)  # as received
    username: str | None = Field(default=None, max_length=MAX_USERNAME)
    email: str | None = Field(default=None, max_length=200, unique=True)
    password_hash: str | None = Field(default=None, max_length=300)
    is_admin: bool = False
    is_provider: bool = False  # a training provider's user: sees the learners of their cohorts
    is_dsl: bool = False  # the provider's designated safeguarding lead (issue 19)
    timezone: str = Field(default="Europe/London", max_length=60)
    backup_phone: str | None = Field(default=None, max_length=20)
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))


class Learner(WhatsAppContact, SQLModel, table=True):
    """An apprentice, identified on WhatsApp by their number (E.164), their BSUID, or both.

    A user with a WhatsApp username may reach us with a BSUID and no number; one who later shares their
    number (or arrives with both) keeps one record. See `sitecoach.models.identity`."""

    id: int | None = Field(default=None, primary_key=True)
    phone: str | None = Field(default=None, max_length=20, unique=True, index=True)
    bsuid: str | None = Field(default=None, max_length=MAX_BSUID, unique=True, index=True)  # as received
    username: str | None = Field(default=None, max_length=MAX_USERNAME)
    name: str | None = Field(default=None, max_length=120)
    cohort_id: int | None = Field(default=None, foreign_key="cohort.id", index=True)
    mentor_id: int | None = Field(default=None, foreign_key="mentor.id", index=True)
    timezone: str = Field(default="Europe/London", max_length=60)
    consent: str = Field(default=Consent.PENDING, max_length=20)
    consent_changed_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
    nudge_time: str = Field(default="07:30", max_length=5)
    nudged_on: str | None = Field(default=None, max_length=10, index=True)  # local date of last nudge
    last_inbound_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
    # The apprenticeship agreement, for the off-the-job plan (`sitecoach.learning.otj`).
    start_date: date | None = None
    planned_end_date: date | None = None
    weekly_hours: float | None = None  # contracted hours a week
    prior_learning_hours: float | None = None  # documented recognised prior learning, off the OTJ plan
    prior_learning_note: str | None = Field(default=None, max_length=500)
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))

    @property
    def staff_contact(self) -> str:
        """How a mentor reaches them outside the coach: their number, else WhatsApp by username or id."""
        return self.phone or f"WhatsApp {self.whatsapp_label}"


class CohortProvider(SQLModel, table=True):
    """A provider user's cohorts: they see (and sign reviews for) the learners of these cohorts."""

    cohort_id: int = Field(foreign_key="cohort.id", primary_key=True)
    staff_id: int = Field(foreign_key="mentor.id", primary_key=True, index=True)


class LearningBreak(SQLModel, table=True):
    """A break in learning: while it lasts nothing nudges the learner and the OTJ and forecast clocks stop.
    `ended_on` is the day they came back (None: still away); `expected_return` is when they should."""

    id: int | None = Field(default=None, primary_key=True)
    learner_id: int = Field(foreign_key="learner.id", index=True)
    starts_on: date
    expected_return: date | None = None
    ended_on: date | None = None
    reason: str = Field(default="", max_length=300)
    recorded_by: int | None = Field(default=None, foreign_key="mentor.id")
    ended_by: int | None = Field(default=None, foreign_key="mentor.id")  # None with ended_on: the clock
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))


class OtjMinimum(SQLModel, table=True):
    """The admin's value of a standard's minimum off-the-job hours, used instead of the pack's published
    figure (`standard.otj_minimum_hours` in the pack's competency map) while it is set."""

    standard_code: str = Field(primary_key=True, max_length=40)
    hours: float
    set_by: int | None = Field(default=None, foreign_key="mentor.id")
    set_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))
