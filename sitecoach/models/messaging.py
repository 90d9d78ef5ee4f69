"""Messages in and out, and the conversation in progress."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Column
from sqlmodel import Field, SQLModel

from sitecoach.models.db import UTCDateTime, utcnow
from sitecoach.models.identity import MAX_BSUID, MAX_USERNAME


class Direction(StrEnum):
    """Inbound from a person, or outbound from the coach."""

    IN = "in"
    OUT = "out"


class MessageStatus(StrEnum):
    """Every status a message row holds: ours before a send, then Twilio's message statuses.

    Ours: `pending` (written, not yet claimed) and `sending` (claimed by a worker; Twilio uses the same word
    for a message on its way); inbound, `dead_letter` (every try at processing it failed: the admin's Queues
    page lists it with a Retry). An outbound row withheld because the learner opted out is `canceled`, with
    `error_code` "opted_out". Twilio's (its Message resource `status` and the status callback's
    `MessageStatus`): queued, accepted, scheduled, sending, sent, delivered, read, undelivered, failed,
    canceled, and, inbound, receiving and received.
    """

    PENDING = "pending"
    SENDING = "sending"
    QUEUED = "queued"
    ACCEPTED = "accepted"
    SCHEDULED = "scheduled"
    SENT = "sent"
    DELIVERED = "delivered"
    READ = "read"
    UNDELIVERED = "undelivered"
    FAILED = "failed"
    CANCELED = "canceled"
    RECEIVING = "receiving"
    RECEIVED = "received"
    DEAD_LETTER = "dead_letter"

    @classmethod
    def parse(cls, value: str | None) -> MessageStatus | None:
        """The status a Twilio form field or API answer names (any case), or None if unknown."""
        try:
            return cls((value or "").strip().lower())
        except ValueError:
            return None

    @property
    def rank(self) -> int:
        """How far along delivery this is; callbacks arrive out of order and a status only moves forward."""
        return _DELIVERY_RANK[self]


_DELIVERY_RANK = {
    MessageStatus.PENDING: 0,
    MessageStatus.RECEIVING: 0,  # inbound statuses never rank an outbound row
    MessageStatus.RECEIVED: 0,
    MessageStatus.DEAD_LETTER: 0,
    MessageStatus.SENDING: 1,
    MessageStatus.QUEUED: 2,
    MessageStatus.ACCEPTED: 2,
    MessageStatus.SCHEDULED: 2,
    MessageStatus.SENT: 3,
    MessageStatus.DELIVERED: 4,
    MessageStatus.READ: 5,
    MessageStatus.UNDELIVERED: 6,
    MessageStatus.FAILED: 6,
    MessageStatus.CANCELED: 6,
}


class MessageKind(StrEnum):
    """Why an outbound message was sent; a proactive one falls back to the WhatsApp template of its kind."""

    REPLY = "reply"  # answers the learner's message
    ESCALATION = "escalation"  # a learner's request for help, to their mentor
    MENTOR = "mentor"  # the coach's answer to a mentor's WhatsApp message
    RELAY = "relay"  # a mentor's answer, passed on to the learner
    MENTOR_UPDATE = "mentor_update"  # a mentor's sign-off or return of evidence, from the web
    FRESH_LINK = "fresh_link"  # a new lesson link for an expired one
    STALL = "stall"
    STALL_MENTOR = "stall_mentor"
    MILESTONE = "milestone"
    MILESTONE_MENTOR = "milestone_mentor"
    ESCALATION_REMINDER = "escalation_reminder"
    ESCALATION_BACKUP = "escalation_backup"
    DIGEST = "digest"
    NUDGE_EVIDENCE_RETURNED = "nudge_evidence_returned"
    NUDGE_DUE_REVIEWS = "nudge_due_reviews"
    NUDGE_STREAK_AT_RISK = "nudge_streak_at_risk"
    NUDGE_NEXT_LESSON = "nudge_next_lesson"
    PROGRESS_REVIEW = "progress_review"  # a review to read and sign (its link), or a reminder of one
    PROGRESS_REVIEW_MENTOR = "progress_review_mentor"  # a review reminder to the mentor
    SAFEGUARDING = "safeguarding"  # a disclosure's care reply, and its alert to the safeguarding lead
    OTJ_QUERIED = "otj_queried"  # a mentor queried logged hours
    OTJ_BEHIND = "otj_behind"  # the learner is behind on off-the-job hours (once)
    BREAK_STARTED = "break_started"
    BREAK_ENDED = "break_ended"  # welcome back
    PASSPORT_EXPIRY = "passport_expiry"  # an authorisation or assessment about to lapse, to the learner
    PASSPORT_EXPIRY_MENTOR = "passport_expiry_mentor"


class Message(SQLModel, table=True):
    """A WhatsApp message: inbound as Twilio posted it, or outbound as the coach sent it."""

    id: int | None = Field(default=None, primary_key=True)
    direction: str = Field(max_length=3, index=True)
    # The other party's WhatsApp address: their E.164 number, or their BSUID when no number is known.
    phone: str = Field(max_length=MAX_BSUID, index=True)
    bsuid: str | None = Field(default=None, max_length=MAX_BSUID)  # inbound: the sender's, as received
    username: str | None = Field(default=None, max_length=MAX_USERNAME)  # inbound: the sender's username
    learner_id: int | None = Field(default=None, foreign_key="learner.id", index=True)
    twilio_sid: str | None = Field(default=None, max_length=64, unique=True)
    dedupe_key: str | None = Field(default=None, max_length=160, unique=True)
    status: str = Field(default=MessageStatus.RECEIVED, max_length=20)
    error_code: str | None = Field(default=None, max_length=20)
    error_message: str | None = Field(default=None, max_length=500)
    body: str = ""
    media: list[dict[str, Any]] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    latitude: float | None = None
    longitude: float | None = None
    address: str | None = Field(default=None, max_length=500)
    button_payload: str | None = Field(default=None, max_length=256)
    profile_name: str | None = Field(default=None, max_length=200)
    raw: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    in_reply_to_id: int | None = Field(default=None, foreign_key="message.id", index=True)
    kind: str = Field(default=MessageKind.REPLY, max_length=30)
    template: str | None = Field(default=None, max_length=60)  # template kind, outside the 24 h window
    variant: str | None = Field(default=None, max_length=40)  # which nudge variant the bandit chose
    intent: str | None = Field(default=None, max_length=30)
    skill: str | None = Field(default=None, max_length=30)
    attempts: int = 0
    processed_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime(), index=True))
    sent_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False, index=True)
    )


class ConversationState(SQLModel, table=True):
    """A multi-turn conversation in progress (a quiz awaiting its answer), with an expiry."""

    id: int | None = Field(default=None, primary_key=True)
    learner_id: int = Field(foreign_key="learner.id", unique=True)
    skill: str = Field(max_length=30)
    state: str = Field(max_length=40)
    data: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    expires_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    updated_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))
