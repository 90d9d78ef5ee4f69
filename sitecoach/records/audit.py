"""The audit trail: every learning event is appended with a hash chained to the learner's previous event.

Hash (format v1): SHA-256 over the canonical JSON of ``{"v": 1, "learner", "seq", "kind", "at", "data",
"prev"}`` (keys sorted, no spaces, UTC time in ISO format with microseconds), where ``prev`` is the
previous event's hash ("" for a learner's first event). Each learner's events are numbered 1, 2, 3...
(`seq`, unique per learner), so two writers can never fork a chain: the second insert fails and is retried.
Nothing updates or deletes an event; `verify_chain` re-walks every chain and names the first broken entry.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from sitecoach.models import LearningEvent

HASH_VERSION = 1
APPEND_ATTEMPTS = 5


def event_hash(learner_id: int, seq: int, kind: str, at: datetime, data: dict[str, Any], prev: str) -> str:
    """The v1 hash of one event."""
    if at.tzinfo is None:
        raise ValueError("naive datetime refused")
    payload = {
        "v": HASH_VERSION,
        "learner": learner_id,
        "seq": seq,
        "kind": kind,
        "at": at.astimezone(UTC).isoformat(timespec="microseconds"),
        "data": data,
        "prev": prev,
    }
    canonical = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def _normalise(data: dict[str, Any]) -> dict[str, Any]:
    """The data as it will read back from the JSON column (so the hash verifies after a round trip)."""
    return json.loads(json.dumps(data, default=str))


def _chain_end(session: Session, learner_id: int) -> LearningEvent | None:
    """The learner's newest event (None for an empty chain)."""
    return session.exec(
        select(LearningEvent)
        .where(LearningEvent.learner_id == learner_id)
        .order_by(col(LearningEvent.seq).desc())
        .limit(1)
    ).first()


APPENDED_KINDS = "sitecoach.appended_event_kinds"  # session.info key: kinds appended in this session


def appended_kinds(session: Session) -> frozenset[str]:
    """The kinds of event this session has appended so far (what a turn changed, without a query)."""
    return frozenset(session.info.get(APPENDED_KINDS, ()))


def _note_appended(session: Session, kind: str) -> None:
    session.info.setdefault(APPENDED_KINDS, set()).add(str(kind))


def append_event(
    session: Session, learner_id: int, kind: str, at: datetime, data: dict[str, Any]
) -> LearningEvent:
    """Append one event to the learner's chain (retrying if another writer appended first)."""
    _note_appended(session, kind)
    data = _normalise(data)
    at = at.astimezone(UTC)
    for attempt in range(APPEND_ATTEMPTS):
        last = _chain_end(session, learner_id)
        seq = (last.seq if last else 0) + 1
        prev = last.hash if last else ""
        event = LearningEvent(
            learner_id=learner_id,
            seq=seq,
            kind=kind,
            at=at,
            data=data,
            prev_hash=prev,
            hash=event_hash(learner_id, seq, kind, at, data, prev),
        )
        try:
            with session.begin_nested():
                session.add(event)
            return event
        except IntegrityError:
            if attempt == APPEND_ATTEMPTS - 1:
                raise
    raise AssertionError("unreachable")


def append_events(
    session: Session, learner_id: int, events: Sequence[tuple[str, datetime, dict[str, Any]]]
) -> None:
    """Append several events, in order, to a learner's chain with one read of its end and one flush, for a
    writer that owns the learner (seeding a new demo learner). A concurrent writer still cannot fork the
    chain: the (learner, seq) uniqueness fails the flush."""
    last = _chain_end(session, learner_id)
    seq = last.seq if last else 0
    prev = last.hash if last else ""
    rows = []
    for kind, at, raw in events:
        _note_appended(session, kind)
        data = _normalise(raw)
        at = at.astimezone(UTC)
        seq += 1
        digest = event_hash(learner_id, seq, kind, at, data, prev)
        rows.append(
            LearningEvent(
                learner_id=learner_id, seq=seq, kind=kind, at=at, data=data, prev_hash=prev, hash=digest
            )
        )
        prev = digest
    session.add_all(rows)
    session.flush()


@dataclass(frozen=True)
class ChainBreak:
    """The first entry of a learner's chain that does not verify, and why."""

    event_id: int
    learner_id: int
    seq: int
    reason: str

    def describe(self) -> str:
        """One line naming the entry."""
        return f"event {self.event_id} (learner {self.learner_id}, #{self.seq}): {self.reason}"


@dataclass(frozen=True)
class AuditReport:
    """What a verification walked and what it found."""

    learners: int
    events: int
    breaks: tuple[ChainBreak, ...]

    @property
    def ok(self) -> bool:
        """True when every chain verifies."""
        return not self.breaks


def _chains(session: Session, batch: int = 5000) -> Iterator[list[LearningEvent]]:
    """Every learner's events in chain order, one learner at a time."""
    current: list[LearningEvent] = []
    last_key: tuple[int, int] = (0, 0)
    while True:
        rows = session.exec(
            select(LearningEvent)
            .where(
                (col(LearningEvent.learner_id) > last_key[0])
                | ((col(LearningEvent.learner_id) == last_key[0]) & (col(LearningEvent.seq) > last_key[1]))
            )
            .order_by(col(LearningEvent.learner_id), col(LearningEvent.seq))
            .limit(batch)
        ).all()
        if not rows:
            break
        for row in rows:
            if current and current[0].learner_id != row.learner_id:
                yield current
                current = []
            current.append(row)
        last_key = (rows[-1].learner_id, rows[-1].seq)
    if current:
        yield current


def verify_events(events: Iterable[LearningEvent]) -> ChainBreak | None:
    """Re-walk one learner's chain; the first entry that does not verify, or None."""
    prev, expected_seq = "", 1
    for event in events:
        if event.seq != expected_seq:
            return ChainBreak(
                event.id or 0, event.learner_id, event.seq, f"sequence gap: expected #{expected_seq}"
            )
        if event.prev_hash != prev:
            return ChainBreak(
                event.id or 0, event.learner_id, event.seq, "does not link to the previous entry"
            )
        if (
            event_hash(event.learner_id, event.seq, event.kind, event.at, event.data, event.prev_hash)
            != event.hash
        ):
            return ChainBreak(event.id or 0, event.learner_id, event.seq, "content does not match its hash")
        prev, expected_seq = event.hash, expected_seq + 1
    return None


def verify_chain(session: Session) -> AuditReport:
    """Verify every learner's chain."""
    learners = events = 0
    breaks: list[ChainBreak] = []
    for chain in _chains(session):
        learners += 1
        events += len(chain)
        found = verify_events(chain)
        if found:
            breaks.append(found)
    return AuditReport(learners, events, tuple(breaks))
