"""The audit trail: every learning event is appended with an HMAC chained to the learner's previous event.

Hash (format v2): HMAC-SHA256, keyed by AUDIT_KEY (held outside the database, bound to the sessions of a
`Database`), over the canonical JSON of ``{"v": 2, "learner", "seq", "kind", "at", "data", "prev"}`` (keys
sorted, no spaces, UTC time in ISO format with microseconds), where ``prev`` is the previous event's hash
("" for a learner's first event). Whoever can write the database but not read the key cannot recompute the
chain after altering an entry; deleting the newest entries is caught against the signed checkpoints kept
outside the database (`sitecoach.records.audit_checkpoints`).

Personal data: the learner is an id, and free text a learner typed (PERSONAL_FIELDS) enters the hash only
as a keyed seal of itself, so erasure can replace the text by its seal (`seal_personal_fields`) and the
chain still verifies. Nothing else in an event may change, ever.

Each learner's events are numbered 1, 2, 3... (`seq`, unique per learner), so two writers can never fork a
chain: the second insert fails and is retried. Format v1 (plain SHA-256 of ``"v": 1``, written before the
chain was keyed) is accepted only by `rechain`, which checks it and rewrites the chain as v2.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import json
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from sitecoach.models import LearningEvent
from sitecoach.models.db import AUDIT_KEY_INFO

HASH_VERSION = 2
LEGACY_HASH_VERSION = 1
APPEND_ATTEMPTS = 5
# Event data fields that hold text a learner typed: hashed only through their seal (see the module docstring).
PERSONAL_FIELDS = frozenset({"activity", "learned", "comment"})
SEAL_PREFIX = "sealed:"
# Session.info flag for a migration appending to chains written before they were keyed (no key there):
# such events are written as v1, and `sitecoach migrate` rechains them with the key.
LEGACY_CHAIN_INFO = "sitecoach_audit_legacy"


class AuditKeyMissing(RuntimeError):
    """The session has no audit key: build the `Database` with `audit_key=settings.audit_key`."""


def audit_key(session: Session) -> bytes:
    """The chain's key bound to this session."""
    key = session.info.get(AUDIT_KEY_INFO)
    if not key:
        raise AuditKeyMissing("no audit key: build the Database with audit_key=settings.audit_key")
    return str(key).encode("utf-8")


def _canonical(payload: dict[str, Any]) -> bytes:
    return json.dumps(
        payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str
    ).encode()


def _is_seal(value: object) -> bool:
    return isinstance(value, str) and value.startswith(SEAL_PREFIX) and len(value) == len(SEAL_PREFIX) + 64


def seal(key: bytes, value: object) -> str:
    """A keyed seal of one personal value: stands in for it in the hash, reveals nothing without the key."""
    if _is_seal(value):
        return str(value)
    digest = hmac.new(key, b"personal:" + _canonical({"value": value}), hashlib.sha256).hexdigest()
    return SEAL_PREFIX + digest


def seal_personal_fields(key: bytes, data: dict[str, Any]) -> dict[str, Any]:
    """The data with each personal field replaced by its seal (what erasure stores; the hash is unchanged)."""
    return {k: seal(key, v) if k in PERSONAL_FIELDS else v for k, v in data.items()}


def _payload(version: int, learner_id: int, seq: int, kind: str, at: datetime, data: Any, prev: str) -> bytes:
    if at.tzinfo is None:
        raise ValueError("naive datetime refused")
    fields = {"learner": learner_id, "seq": seq, "kind": kind, "data": data, "prev": prev}
    return _canonical({"v": version, "at": at.astimezone(UTC).isoformat(timespec="microseconds"), **fields})


def event_hash(
    key: bytes, learner_id: int, seq: int, kind: str, at: datetime, data: dict[str, Any], prev: str
) -> str:
    """The v2 (keyed) hash of one event."""
    payload = _payload(HASH_VERSION, learner_id, seq, kind, at, seal_personal_fields(key, data), prev)
    return hmac.new(key, payload, hashlib.sha256).hexdigest()


def legacy_event_hash(
    learner_id: int, seq: int, kind: str, at: datetime, data: dict[str, Any], prev: str
) -> str:
    """The v1 hash (plain SHA-256, no key) that chains written before the key used."""
    return hashlib.sha256(_payload(LEGACY_HASH_VERSION, learner_id, seq, kind, at, data, prev)).hexdigest()


EventHasher = Callable[[int, int, str, datetime, dict[str, Any], str], str]


def _hasher(session: Session) -> EventHasher:
    """The hash function appends use in this session: keyed, or v1 inside a legacy migration."""
    if session.info.get(LEGACY_CHAIN_INFO):
        return legacy_event_hash
    return functools.partial(event_hash, audit_key(session))


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
    digest = _hasher(session)
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
            hash=digest(learner_id, seq, kind, at, data, prev),
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
    hasher = _hasher(session)
    last = _chain_end(session, learner_id)
    seq = last.seq if last else 0
    prev = last.hash if last else ""
    rows = []
    for kind, at, raw in events:
        _note_appended(session, kind)
        data = _normalise(raw)
        at = at.astimezone(UTC)
        seq += 1
        digest = hasher(learner_id, seq, kind, at, data, prev)
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


@dataclass(frozen=True)
class Checkpoint:
    """A learner's chain as a signed checkpoint saw it: how many events, and the newest one's hash."""

    learner_id: int
    count: int
    head: str
    at: str

    def check(self, events: Sequence[LearningEvent]) -> ChainBreak | None:
        """Whether a (verified) chain still holds what this checkpoint saw: no entry removed or replaced."""
        if len(events) < self.count:
            last = events[-1] if events else None
            return ChainBreak(
                (last.id or 0) if last else 0,
                self.learner_id,
                last.seq if last else 0,
                f"truncated: the checkpoint of {self.at} counted {self.count} events, {len(events)} remain",
            )
        event = events[self.count - 1] if self.count else None
        if event is not None and not hmac.compare_digest(event.hash, self.head):
            return ChainBreak(
                event.id or 0, self.learner_id, event.seq, f"differs from the checkpoint of {self.at}"
            )
        return None


def learner_chains(session: Session, batch: int = 5000) -> Iterator[list[LearningEvent]]:
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


def _hash_of(key: bytes, event: LearningEvent, legacy: bool = False) -> str:
    fields = (event.learner_id, event.seq, event.kind, event.at, event.data, event.prev_hash)
    return legacy_event_hash(*fields) if legacy else event_hash(key, *fields)


def _first_break(key: bytes, events: Iterable[LearningEvent], allow_legacy: bool) -> ChainBreak | None:
    """The walk: numbering, links and hashes (a run of v1 entries may start the chain if allowed)."""
    prev, expected_seq, keyed_seen = "", 1, False
    for event in events:

        def broken(reason: str, event: LearningEvent = event) -> ChainBreak:
            return ChainBreak(event.id or 0, event.learner_id, event.seq, reason)

        if event.seq != expected_seq:
            return broken(f"sequence gap: expected #{expected_seq}")
        if event.prev_hash != prev:
            return broken("does not link to the previous entry")
        if hmac.compare_digest(_hash_of(key, event), event.hash):
            keyed_seen = True
        elif (
            keyed_seen or not allow_legacy or not hmac.compare_digest(_hash_of(key, event, True), event.hash)
        ):
            return broken("content does not match its hash")
        prev, expected_seq = event.hash, expected_seq + 1
    return None


def verify_events(
    key: bytes, events: Iterable[LearningEvent], *, allow_legacy: bool = False, name_legacy: bool = True
) -> ChainBreak | None:
    """Re-walk one learner's chain; the first entry that does not verify, or None. With `allow_legacy`
    (rechaining only) a run of v1 entries may start the chain. Otherwise a chain that would verify but for
    its v1 start is named as needing `sitecoach audit rechain` while that can be true (`name_legacy`: it was
    never checkpointed); anywhere else a v1 entry is an entry recomputed without the key."""
    events = list(events)
    found = _first_break(key, events, allow_legacy=allow_legacy or name_legacy)
    if found or allow_legacy:
        return found
    legacy = next((e for e in events if not hmac.compare_digest(_hash_of(key, e), e.hash)), None)
    if legacy is None:
        return None
    reason = (
        "unkeyed (written before the chain was keyed): run `sitecoach audit rechain`"
        if name_legacy
        else "content does not match its hash"
    )
    return ChainBreak(legacy.id or 0, legacy.learner_id, legacy.seq, reason)


def rechain_learner(key: bytes, events: list[LearningEvent]) -> ChainBreak | None:
    """Rewrite one learner's chain as v2 after checking it (v1 entries first, then v2); None when done.
    A chain that does not verify is left as it is and its first broken entry returned."""
    broken = verify_events(key, events, allow_legacy=True)
    if broken:
        return broken
    prev = ""
    for event in events:
        event.prev_hash = prev
        event.hash = _hash_of(key, event)
        prev = event.hash
    return None


def has_legacy_entries(key: bytes, first: LearningEvent) -> bool:
    """Whether a chain still starts with a v1 entry (only a prefix of a chain can be v1)."""
    return not hmac.compare_digest(_hash_of(key, first), first.hash)


def seal_learner_events(session: Session, learner_id: int) -> int:
    """Replace the personal fields of a learner's events by their seals (for erasure); the chain still
    verifies. Returns how many events changed."""
    key = audit_key(session)
    changed = 0
    for event in session.exec(select(LearningEvent).where(LearningEvent.learner_id == learner_id)).all():
        sealed = seal_personal_fields(key, event.data)
        if sealed != event.data:
            event.data = sealed
            session.add(event)
            changed += 1
    session.flush()
    return changed


def verify_chain(session: Session, checkpoints: Mapping[int, Checkpoint] | None = None) -> AuditReport:
    """Verify every learner's chain with the session's key, and against the latest checkpoints when given
    (a learner a checkpoint counted but the database has no events for is reported too)."""
    key = audit_key(session)
    checkpoints = checkpoints or {}
    learners = events = 0
    breaks: list[ChainBreak] = []
    seen: set[int] = set()
    for chain in learner_chains(session):
        learners += 1
        events += len(chain)
        learner_id = chain[0].learner_id
        seen.add(learner_id)
        found = verify_events(key, chain, name_legacy=learner_id not in checkpoints)
        if found is None and learner_id in checkpoints:
            found = checkpoints[learner_id].check(chain)
        if found:
            breaks.append(found)
    for learner_id, checkpoint in sorted(checkpoints.items()):
        if learner_id not in seen and checkpoint.count:
            breaks.append(checkpoint.check([]) or ChainBreak(0, learner_id, 0, "missing"))
    return AuditReport(learners, events, tuple(breaks))
