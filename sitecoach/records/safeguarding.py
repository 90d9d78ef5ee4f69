"""The restricted safeguarding log: raising a concern, who is told, who may read it, notes and outcomes.

- A concern is a row in `SafeguardingConcern` holding the learner's words; the inbound message row keeps
  only a placeholder, so no other page, export or LLM call can carry the text (`PLACEHOLDER`).
- Who is told: the designated safeguarding leads (DSLs) of the learner's cohort, by WhatsApp; with none,
  the admins' escalation contact (`escalation_fallback_phone`). Never the learner's mentor.
- Who reads it: only a DSL of the learner's cohort (`can_read`). A concern of a cohort with no DSL (or a
  learner in no cohort) is read by an admin who also holds the DSL flag, the organisation's fallback DSL.
  An admin without the flag sees a count of open concerns, nothing more.
- The audit chain records that a concern was raised (its id and kind), never its text.
- Notes are appended, never edited; the outcome and status are set by a DSL.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import or_
from sqlmodel import Session, col, func, select

from sitecoach.models import (
    ConcernOutcome,
    ConcernStatus,
    EventKind,
    Learner,
    Message,
    SafeguardingConcern,
    SafeguardingNote,
)
from sitecoach.records.access import StaffLike, cohort_dsls, provider_cohort_ids
from sitecoach.records.audit import append_event

SAFEGUARDING = "safeguarding"  # the skill, and the kind of its messages
PLACEHOLDER = "[withheld: a safeguarding concern, kept in the restricted log]"
# Message rows whose words or existence only the DSL may see: the disclosure, the care reply, the alert.
PRIVATE_MESSAGE_MARK = SAFEGUARDING
# Learning events staff pages leave out (the concern's existence is for the DSL alone).
PRIVATE_EVENT_KINDS = frozenset({EventKind.SAFEGUARDING_RAISED.value})


@dataclass(frozen=True)
class ConcernTicket:
    """A raised concern, whom to alert (phones) and how the learner is told who will hear of it."""

    concern: SafeguardingConcern
    contacts: tuple[str, ...]
    told: str  # "your training provider's safeguarding lead, Priya Shah", or "" if nobody could be told


def raise_concern(
    session: Session,
    learner: Learner,
    kind: str,
    text: str,
    now: datetime,
    *,
    message_id: int | None,
    fallback_phone: str | None,
    also_fallback: bool = False,
    withhold_text: bool = True,
) -> ConcernTicket:
    """Record a concern (with its text), withhold the text from the message row, log that it was raised in
    the audit chain (no text), and say whom to alert: the cohort's DSLs, else the fallback contact
    (`also_fallback`: both, for a disclosure in crisis). `withhold_text` False leaves the message row as it
    is (a crisis the mentor is told of in words anyway)."""
    concern = SafeguardingConcern(
        learner_id=int(learner.id or 0),
        cohort_id=learner.cohort_id,
        message_id=message_id,
        kind=kind,
        text=text,
        created_at=now,
    )
    dsls = cohort_dsls(session, learner.cohort_id)
    contacts = [d.whatsapp_address for d in dsls if d.whatsapp_address]
    if fallback_phone and (also_fallback or not contacts):
        contacts.append(fallback_phone)
    if dsls:
        names = " and ".join(d.name for d in dsls)
        told = f"your training provider's safeguarding lead, {names}"
    else:
        told = "the safeguarding team" if contacts else ""
    concern.told = told[:300]
    session.add(concern)
    session.flush()
    if message_id is not None and withhold_text:
        message = session.get(Message, message_id)
        if message is not None:
            message.body, message.button_payload, message.raw = PLACEHOLDER, None, {}
            # a voice note's transcript goes too (the recording stays, for the DSL)
            message.media = [{**m, "transcript": ""} if "transcript" in m else m for m in message.media]
            session.add(message)
    append_event(
        session,
        int(learner.id or 0),
        EventKind.SAFEGUARDING_RAISED,
        now,
        {"concern": concern.id, "concern_kind": kind},
    )
    return ConcernTicket(concern, tuple(dict.fromkeys(contacts)), told)


def readable_clause(session: Session, staff: StaffLike) -> Any:
    """A WHERE clause over `SafeguardingConcern` for the concerns this staff member may read."""
    if not staff.is_dsl:
        return col(SafeguardingConcern.id).is_(None)
    clauses: list[Any] = []
    cohorts = provider_cohort_ids(session, staff)
    if cohorts:
        clauses.append(col(SafeguardingConcern.cohort_id).in_(cohorts))
    if staff.is_admin:
        covered = [c for c in _cohorts_with_concerns(session) if cohort_dsls(session, c)]
        clauses.append(
            or_(
                col(SafeguardingConcern.cohort_id).is_(None),
                col(SafeguardingConcern.cohort_id).not_in(covered),
            )
        )
    return or_(*clauses) if clauses else col(SafeguardingConcern.id).is_(None)


def _cohorts_with_concerns(session: Session) -> list[int]:
    rows = session.exec(select(SafeguardingConcern.cohort_id).distinct()).all()
    return [int(c) for c in rows if c is not None]


def can_read(session: Session, staff: StaffLike, concern: SafeguardingConcern) -> bool:
    """Whether this staff member may read this concern (see the module docstring)."""
    query = select(SafeguardingConcern.id).where(
        SafeguardingConcern.id == concern.id, readable_clause(session, staff)
    )
    return session.exec(query).first() is not None


def readable_concerns(session: Session, staff: StaffLike) -> list[SafeguardingConcern]:
    """The concerns this staff member may read, open first, newest first."""
    query = (
        select(SafeguardingConcern)
        .where(readable_clause(session, staff))
        .order_by(col(SafeguardingConcern.status).desc(), col(SafeguardingConcern.created_at).desc())
    )
    return list(session.exec(query).all())


def open_count(session: Session) -> int:
    """How many concerns are open (what an admin without the DSL flag may know)."""
    query = (
        select(func.count())
        .select_from(SafeguardingConcern)
        .where(SafeguardingConcern.status == ConcernStatus.OPEN)
    )
    return int(session.exec(query).one())


def notes_of(session: Session, concern_id: int) -> list[SafeguardingNote]:
    """A concern's notes, oldest first."""
    query = select(SafeguardingNote).where(SafeguardingNote.concern_id == concern_id)
    return list(session.exec(query.order_by(col(SafeguardingNote.id))).all())


def add_note(
    session: Session, concern: SafeguardingConcern, staff: StaffLike, body: str, now: datetime
) -> None:
    """Append a note by this staff member (never edited afterwards)."""
    session.add(
        SafeguardingNote(
            concern_id=int(concern.id or 0), author_id=staff.mentor_id, body=body, created_at=now
        )
    )


def decide(
    session: Session, concern: SafeguardingConcern, outcome: str | None, close: bool, now: datetime
) -> None:
    """Record the outcome (one of `ConcernOutcome`) and open or close the concern."""
    if outcome:
        concern.outcome = ConcernOutcome(outcome).value
    concern.status = ConcernStatus.CLOSED if close else ConcernStatus.OPEN
    concern.closed_at = now if close else None
    session.add(concern)


def shown_to_staff() -> Any:
    """A WHERE clause over `Message` leaving out safeguarding rows (for the mentor's pages)."""
    return (
        or_(col(Message.skill).is_(None), col(Message.skill) != PRIVATE_MESSAGE_MARK)
        & or_(col(Message.intent).is_(None), col(Message.intent) != PRIVATE_MESSAGE_MARK)
        & (col(Message.kind) != PRIVATE_MESSAGE_MARK)
    )
