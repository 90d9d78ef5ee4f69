"""Retention: what is kept, for how long, and the daily pass that removes what is past it.

- Raw messages (`RETENTION_MESSAGE_DAYS`, default 365): after this the text, Twilio's payload, profile name,
  location and unneeded photos of a message are blanked; the row (who, when, status) stays for the counts.
  Photos that became evidence stay with the portfolio.
- The learning record and portfolio (`RETENTION_PORTFOLIO_YEARS`, default 6): a learner whose last
  activity (joining, a message, a learning event, a consent change) is older than this is erased as by
  `sitecoach learner erase` (`records/erasure.py`).
Both are idempotent: a pruned message and an erased learner are skipped on the next run.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import ColumnElement, String, cast, func, or_
from sqlmodel import Session, col, select

from sitecoach.models import (
    Database,
    ErasureRecord,
    EvidenceItem,
    Learner,
    LearningEvent,
    Message,
    MessageStatus,
)
from sitecoach.records.erasure import compact_sqlite, erase_learner
from sitecoach.settings import Settings

DAYS_PER_YEAR = 365.25
UNSENT = (MessageStatus.PENDING, MessageStatus.SENDING)
PRUNE_BATCH = 500


@dataclass(frozen=True)
class RetentionRun:
    """What one pass removed."""

    messages_pruned: int
    files_deleted: int
    learners_erased: tuple[int, ...]


def message_cutoff(settings: Settings, now: datetime) -> datetime:
    """Messages created before this have their content removed."""
    return now - timedelta(days=settings.retention_message_days)


def learner_cutoff(settings: Settings, now: datetime) -> datetime:
    """Learners last active before this are erased."""
    return now - timedelta(days=settings.retention_portfolio_years * DAYS_PER_YEAR)


def _not_pruned() -> ColumnElement[bool]:
    return or_(
        col(Message.body) != "",
        col(Message.profile_name).is_not(None),
        col(Message.address).is_not(None),
        col(Message.latitude).is_not(None),
        cast(col(Message.raw), String) != "{}",
        cast(col(Message.media), String) != "[]",
    )


def prune_messages(session: Session, settings: Settings, cutoff: datetime) -> tuple[int, int]:
    """Blank the content of messages older than the cutoff; returns (messages, files deleted)."""
    evidence_files = {
        str(m.get("path"))
        for media in session.exec(select(EvidenceItem.media)).all()
        for m in media or []
        if m.get("path")
    }
    root = settings.media_path.resolve()
    pruned = deleted = 0
    while True:
        rows = session.exec(
            select(Message)
            .where(col(Message.created_at) < cutoff, col(Message.status).not_in(UNSENT), _not_pruned())
            .limit(PRUNE_BATCH)
        ).all()
        if not rows:
            return pruned, deleted
        for row in rows:
            for media in row.media or []:
                path = Path(str(media.get("path") or ""))
                if media.get("path") and str(path) not in evidence_files and root in path.resolve().parents:
                    if path.is_file():
                        path.unlink()
                        deleted += 1
            row.body, row.raw, row.media, row.profile_name = "", {}, [], None
            row.latitude = row.longitude = None
            row.address = row.button_payload = None
            session.add(row)
            pruned += 1
        session.flush()


def learners_past_retention(session: Session, cutoff: datetime) -> list[int]:
    """Learners not yet erased whose last activity is before the cutoff."""
    last_event = (
        select(LearningEvent.learner_id, func.max(LearningEvent.at).label("last_at"))
        .group_by(col(LearningEvent.learner_id))
        .subquery()
    )
    rows = session.exec(
        select(Learner.id)
        .join(last_event, last_event.c.learner_id == col(Learner.id), isouter=True)
        .where(
            col(Learner.created_at) < cutoff,
            or_(col(Learner.last_inbound_at).is_(None), col(Learner.last_inbound_at) < cutoff),
            or_(col(Learner.consent_changed_at).is_(None), col(Learner.consent_changed_at) < cutoff),
            or_(last_event.c.last_at.is_(None), last_event.c.last_at < cutoff),
            col(Learner.id).not_in(select(ErasureRecord.learner_id)),
        )
        .order_by(col(Learner.id))
    ).all()
    return [int(i) for i in rows if i is not None]


def apply_retention(db: Database, settings: Settings, now: datetime) -> RetentionRun:
    """One daily pass: prune old messages, then erase learners past the portfolio retention."""
    with db.session() as session:
        pruned, deleted = prune_messages(session, settings, message_cutoff(settings, now))
    with db.read_session() as session:
        expired = learners_past_retention(session, learner_cutoff(settings, now))
    for learner_id in expired:
        outcome = erase_learner(db, settings, learner_id, actor="retention", reason="retention", now=now)
        deleted += outcome.files_deleted
    if pruned and not expired:
        compact_sqlite(db)
    return RetentionRun(pruned, deleted, tuple(expired))
