"""The learner's data rights: every grant and withdrawal of consent, and every erasure, as rows."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Column
from sqlmodel import Field, SQLModel

from sitecoach.models.db import UTCDateTime, utcnow


class ConsentMethod(StrEnum):
    """How a consent change was given."""

    WHATSAPP_YES = "whatsapp_yes"  # YES to the onboarding question
    WHATSAPP_NO = "whatsapp_no"  # NO to it: answers when texted, nothing proactive
    START = "start"  # START after STOP
    STOP = "stop"  # STOP (or an opt-out said alongside a crisis)
    IMPORT = "import"  # added by an admin's roster import (consent still to be asked)
    SEED = "seed"  # a demo or command-line learner, opted in by the operator
    ERASURE = "erasure"  # withdrawn when the learner's personal data was erased
    BEFORE_RECORD = "before_record"  # the consent a learner held when the record began (migration 0012)


class ConsentRecord(SQLModel, table=True):
    """One consent change, appended and never overwritten: when, to what, how, and the wording asked."""

    id: int | None = Field(default=None, primary_key=True)
    learner_id: int = Field(foreign_key="learner.id", index=True)
    at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False, index=True))
    consent: str = Field(max_length=20)  # the Consent value it changed to
    method: str = Field(max_length=20)
    # the consent question's prompt, version and content hash: "onboarding/welcome v0 sha256:1a2b3c4d5e6f"
    wording: str = Field(default="", max_length=120)
    actor_id: int | None = Field(default=None, foreign_key="mentor.id")  # the admin, for imports
    message_id: int | None = Field(default=None, foreign_key="message.id")  # the learner's message


class ErasureRecord(SQLModel, table=True):
    """That a learner's personal data was erased: when, by whom, why and what (counts only, no data)."""

    id: int | None = Field(default=None, primary_key=True)
    learner_id: int = Field(foreign_key="learner.id", unique=True)  # the pseudonymous id that remains
    at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))
    actor: str = Field(max_length=60)  # "admin 3", "cli", "retention"
    reason: str = Field(max_length=40)  # "request" or "retention"
    counts: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
