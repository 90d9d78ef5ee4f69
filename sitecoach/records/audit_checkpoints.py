"""Signed checkpoints of the audit chains, kept outside the database, so deleting a learner's newest events is
caught: each line says how many events a learner's chain had and the newest one's hash, HMAC-signed with the
audit key. The file (AUDIT_CHECKPOINT_PATH) is only ever appended to, one line per learner whose chain grew,
by the nightly job and `sitecoach audit checkpoint`; verification reads the latest line per learner.

A checkpoint is written only for a chain that verifies and still holds what the previous checkpoint saw, so
the nightly job can never bless a rewrite or a truncation.
"""

from __future__ import annotations

import fcntl
import hashlib
import hmac
import json
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from sqlmodel import col, select

from sitecoach.models import Database, LearningEvent
from sitecoach.records.audit import (
    AuditReport,
    ChainBreak,
    Checkpoint,
    audit_key,
    has_legacy_entries,
    learner_chains,
    rechain_learner,
    verify_chain,
    verify_events,
)


@dataclass(frozen=True)
class CheckpointFile:
    """The latest checkpoint per learner in the file, and the lines that could not be trusted."""

    latest: dict[int, Checkpoint]
    problems: tuple[str, ...]


@dataclass(frozen=True)
class CheckpointRun:
    """What writing checkpoints (or rechaining) did: learners written, and chains refused with why."""

    written: int
    refused: tuple[ChainBreak, ...]
    problems: tuple[str, ...]


def _signature(key: bytes, body: dict[str, object]) -> str:
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":")).encode()
    return hmac.new(key, b"checkpoint:" + canonical, hashlib.sha256).hexdigest()


def read_checkpoints(path: Path, key: bytes) -> CheckpointFile:
    """The latest signed checkpoint of each learner in the file (none if there is no file yet)."""
    latest: dict[int, Checkpoint] = {}
    problems: list[str] = []
    if not path.exists():
        return CheckpointFile(latest, ())
    with open(path, encoding="utf-8") as fh:
        for number, line in enumerate(fh, start=1):
            try:
                body = json.loads(line)
                sig = body.pop("sig")
                checkpoint = Checkpoint(
                    int(body["learner"]), int(body["count"]), str(body["head"]), body["at"]
                )
            except (ValueError, KeyError, TypeError):
                problems.append(f"{path}:{number}: not a checkpoint line")
                continue
            if not hmac.compare_digest(str(sig), _signature(key, body)):
                problems.append(
                    f"{path}:{number}: signature does not match AUDIT_KEY (altered, or another key)"
                )
                continue
            latest[checkpoint.learner_id] = checkpoint
    return CheckpointFile(latest, tuple(problems))


def append_checkpoints(path: Path, key: bytes, checkpoints: Sequence[Checkpoint]) -> None:
    """Append signed lines (owner-only file, one write under a lock, synced)."""
    if not checkpoints:
        return
    lines = []
    for cp in checkpoints:
        body: dict[str, object] = {"learner": cp.learner_id, "count": cp.count, "head": cp.head, "at": cp.at}
        lines.append(json.dumps({**body, "sig": _signature(key, body)}, sort_keys=True) + "\n")
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        os.write(fd, "".join(lines).encode("utf-8"))
        os.fsync(fd)
    finally:
        os.close(fd)


def verify_with_checkpoints(db: Database, path: Path) -> tuple[AuditReport, tuple[str, ...]]:
    """Verify every chain, and each against its latest checkpoint; with the checkpoint file's problems."""
    with db.read_session() as session:
        found = read_checkpoints(path, audit_key(session))
        return verify_chain(session, found.latest), found.problems


@dataclass
class _Run:
    """Checkpoints to append and chains refused, while a run walks the chains."""

    at: str
    fresh: list[Checkpoint] = field(default_factory=list)
    refused: list[ChainBreak] = field(default_factory=list)

    def keep(self, chain: Sequence[LearningEvent]) -> None:
        """Checkpoint this (verified) chain as it stands."""
        self.fresh.append(Checkpoint(chain[0].learner_id, len(chain), chain[-1].hash, self.at))

    def finish(self, path: Path, key: bytes, found: CheckpointFile) -> CheckpointRun:
        """Append the checkpoints (after the caller's commit) and say what was done."""
        append_checkpoints(path, key, self.fresh)
        return CheckpointRun(len(self.fresh), tuple(self.refused), found.problems)


def write_checkpoints(db: Database, path: Path, now: datetime) -> CheckpointRun:
    """Checkpoint every chain that grew since its last checkpoint; refuse (and report) any that does not
    verify or no longer holds what its last checkpoint saw."""
    run = _Run(now.isoformat(timespec="seconds"))
    with db.read_session() as session:
        key = audit_key(session)
        found = read_checkpoints(path, key)
        report = verify_chain(session, found.latest)
        broken = {b.learner_id for b in report.breaks}
        run.refused.extend(report.breaks)
        for chain in learner_chains(session):
            previous = found.latest.get(chain[0].learner_id)
            if chain[0].learner_id not in broken and (previous is None or previous.count != len(chain)):
                run.keep(chain)
    return run.finish(path, key, found)


def rechain(db: Database, path: Path, now: datetime) -> CheckpointRun:
    """Key every chain still holding v1 entries (written before the chain was keyed): each is checked first
    (v1 entries, then v2) and left alone if broken, as is any chain with a checkpoint (it was keyed then); the
    rewritten ones are checkpointed at once, which closes them to rechaining. Chains already keyed are not
    touched. Meant for the upgrade (`sitecoach migrate` runs it): an unkeyed entry is trusted here."""
    run = _Run(now.isoformat(timespec="seconds"))
    with db.session() as session:
        key = audit_key(session)
        found = read_checkpoints(path, key)
        firsts = session.exec(select(LearningEvent).where(LearningEvent.seq == 1)).all()
        for learner_id in sorted(e.learner_id for e in firsts if has_legacy_entries(key, e)):
            chain = list(
                session.exec(
                    select(LearningEvent)
                    .where(LearningEvent.learner_id == learner_id)
                    .order_by(col(LearningEvent.seq))
                ).all()
            )
            # A checkpointed chain was keyed already: an unkeyed entry in it was recomputed without the key.
            previous = found.latest.get(learner_id)
            broken = verify_events(key, chain, name_legacy=False) if previous else rechain_learner(key, chain)
            if broken:
                run.refused.append(broken)
            else:
                session.add_all(chain)
                run.keep(chain)
    return run.finish(path, key, found)  # after the commit: a checkpoint never names an uncommitted head
