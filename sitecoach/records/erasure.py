"""Erasing a learner's personal data (UK GDPR art. 17), keeping the learning record pseudonymous.

What goes: name, WhatsApp number (replaced by `erased:<id>` everywhere it was stored), message bodies and
Twilio's raw payloads, profile names, locations, evidence notes and photos (files deleted from disk), mentor
comments and escalation notes, the conversation in progress, and the learner's full name wherever a message
to someone else quoted it (a mentor's digest). What stays: the learner row's id, quiz answers, lessons,
badges, hours and evidence sign-off as ids and codes, the hash-chained learning events untouched (so
`sitecoach audit verify` still passes), consent records and an erasure record (when, by whom, why, counts).
Pending sends to the learner are cancelled and their open requests to a mentor closed. On SQLite the file
is vacuumed afterwards, so the erased text does not linger in free pages or the write-ahead log.
"""

from __future__ import annotations

import logging
import re
import sqlite3
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import String, cast, delete, or_, update
from sqlmodel import Session, col, select

from sitecoach.models import (
    AdminAuditLog,
    Consent,
    ConsentMethod,
    Database,
    Direction,
    ErasureRecord,
    Escalation,
    EscalationStatus,
    EvidenceItem,
    Learner,
    Message,
    MessageStatus,
)
from sitecoach.records.audit import seal_learner_events
from sitecoach.records.consent import record_consent
from sitecoach.records.data_map import LEARNER_TABLES, OnErase
from sitecoach.settings import Settings

log = logging.getLogger(__name__)
ERASED = "[erased]"
# Where other people's rows may quote the learner: (model, text columns, JSON columns).
QUOTING_COLUMNS: tuple[tuple[type, tuple[str, ...], tuple[str, ...]], ...] = (
    (Message, ("body",), ("raw",)),
    (Escalation, ("reason",), ("context",)),
    (AdminAuditLog, ("target",), ("details",)),
)


class ErasureError(LookupError):
    """No such learner."""


@dataclass(frozen=True)
class ErasureOutcome:
    """What an erasure did (counts only) and the files it removed."""

    learner_id: int
    already: bool
    counts: dict[str, int]
    files_deleted: int


def _media_paths(session: Session, learner_id: int) -> set[str]:
    """Every stored media path of the learner's messages and evidence."""
    paths: set[str] = set()
    for model in (Message, EvidenceItem):
        for media in session.exec(select(model.media).where(model.learner_id == learner_id)).all():
            paths.update(str(m["path"]) for m in media or [] if m.get("path"))
            paths.update(f"url:{m['url']}" for m in media or [] if m.get("url"))
    return paths


def _needles(learner: Learner) -> list[str]:
    """The strings that identify the learner in someone else's text: number (with and without +) and name."""
    phone = learner.phone or ""
    found = [phone, phone.lstrip("+")] if phone.startswith("+") else [phone]
    if learner.name and len(learner.name.strip()) >= 3:
        found.append(learner.name.strip())
    return [n for n in found if n]


def _redact(value: Any, pattern: re.Pattern[str]) -> Any:
    """The value (text, or JSON of dicts, lists and text) with every match replaced."""
    if isinstance(value, str):
        return pattern.sub(ERASED, value)
    if isinstance(value, list):
        return [_redact(v, pattern) for v in value]
    if isinstance(value, dict):
        return {k: _redact(v, pattern) for k, v in value.items()}
    return value


def _redact_quotes(session: Session, needles: list[str]) -> int:
    """Replace the learner's number and name in other people's rows; how many rows changed."""
    pattern = re.compile(
        "|".join(rf"(?<![\w+]){re.escape(n)}(?!\w)" for n in sorted(needles, key=len, reverse=True)),
        re.IGNORECASE,
    )
    changed = 0
    for model, texts, jsons in QUOTING_COLUMNS:
        columns = [getattr(model, c) for c in texts] + [cast(getattr(model, c), String) for c in jsons]
        hits: list[Any] = session.exec(
            select(model).where(or_(*(c.ilike(f"%{n}%") for c in columns for n in needles)))
        ).all()  # type: ignore[assignment]
        for row in hits:
            for name in texts + jsons:
                setattr(row, name, _redact(getattr(row, name), pattern))
            session.add(row)
            changed += 1
    return changed


def scrub_learner(
    session: Session, learner_id: int, actor: str, reason: str, now: datetime
) -> tuple[ErasureOutcome, set[str]]:
    """Erase in the session (committed by the caller); returns the outcome and the media to delete."""
    learner = session.get(Learner, learner_id)
    if learner is None:
        raise ErasureError(f"no learner with id {learner_id}")
    done = session.exec(select(ErasureRecord).where(ErasureRecord.learner_id == learner_id)).first()
    if done is not None:
        return ErasureOutcome(learner_id, True, dict(done.counts), 0), set()
    needles = _needles(learner)
    media = _media_paths(session, learner_id)
    counts: dict[str, int] = {}
    counts["sends_cancelled"] = session.exec(
        update(Message)
        .where(
            col(Message.learner_id) == learner_id,
            col(Message.direction) == Direction.OUT,
            col(Message.status) == MessageStatus.PENDING,
        )
        .values(status=MessageStatus.CANCELED, error_message="cancelled: learner's data erased")
    ).rowcount
    counts["requests_closed"] = session.exec(  # no reminders to a mentor about someone who is gone
        update(Escalation)
        .where(col(Escalation.learner_id) == learner_id, col(Escalation.status) == EscalationStatus.OPEN)
        .values(status=EscalationStatus.CLOSED, closed_at=now)
    ).rowcount
    for entry in LEARNER_TABLES:
        column = getattr(entry.model, entry.column)
        if entry.on_erase == OnErase.DELETE:
            result = session.exec(delete(entry.model).where(column == learner_id))
        elif entry.on_erase == OnErase.SCRUB and entry.scrub is not None:
            result = session.exec(
                update(entry.model).where(column == learner_id).values(**entry.scrub(learner_id))
            )
        else:
            continue
        counts[entry.table] = int(result.rowcount or 0)
    session.expire_all()
    counts["events_sealed"] = seal_learner_events(session, learner_id)  # typed text out, chain intact
    counts["quoted_elsewhere"] = _redact_quotes(session, needles)
    learner = session.get(Learner, learner_id)
    assert learner is not None
    record_consent(session, learner, Consent.OPTED_OUT, ConsentMethod.ERASURE, now)
    counts["media_files"] = sum(1 for p in media if not p.startswith("url:"))
    session.add(
        ErasureRecord(learner_id=learner_id, at=now, actor=actor[:60], reason=reason[:40], counts=counts)
    )
    return ErasureOutcome(learner_id, False, counts, 0), media


def _delete_media(paths: set[str], settings: Settings) -> int:
    """Delete the files (only inside the media folder, or the simulator's uploads); how many went."""
    media_root = settings.media_path.resolve()
    uploads = (settings.instance_path / "simulator_media").resolve()
    deleted = 0
    for entry in paths:
        if entry.startswith("url:"):  # a simulator upload is kept under its URL's last segment
            path = (uploads / entry.rsplit("/", 1)[-1]).resolve()
            root = uploads
        else:
            path, root = Path(entry).resolve(), media_root
        if root in path.parents and path.is_file():
            path.unlink()
            deleted += 1
    return deleted


def compact_sqlite(db: Database) -> bool:
    """On SQLite, rewrite the file and empty the write-ahead log so erased text is not left in free pages."""
    if db.dialect != "sqlite":
        return False
    connection = db.engine.raw_connection()
    try:
        cursor = connection.cursor()
        cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        cursor.execute("VACUUM")
        cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        cursor.close()
        return True
    except sqlite3.OperationalError:
        log.warning("could not vacuum the database after an erasure (busy); the next erasure retries")
        return False
    finally:
        connection.close()


def erase_learner(
    db: Database, settings: Settings, learner_id: int, *, actor: str, reason: str, now: datetime
) -> ErasureOutcome:
    """Erase one learner's personal data, delete their media files, and compact SQLite."""
    with db.session() as session:
        outcome, media = scrub_learner(session, learner_id, actor, reason, now)
    if outcome.already:
        return outcome
    deleted = _delete_media(media, settings)
    compact_sqlite(db)
    log.info("erased learner %s (%s, by %s)", learner_id, reason, actor)
    return ErasureOutcome(learner_id, False, outcome.counts, deleted)
