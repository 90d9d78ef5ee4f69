"""Finding 5: the audit chain could be rewritten. Flip a quiz answer and recompute the later hashes, or delete
the last events, and `sitecoach audit verify` still said intact (an unkeyed chain stored beside the data).
Now the chain is an HMAC keyed outside the database and signed checkpoints kept outside it catch truncation;
an install upgraded from the unkeyed chain verifies again after `sitecoach migrate`; erasure can remove what a
learner typed without breaking the chain."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import sqlalchemy as sa
from click.testing import CliRunner
from sqlmodel import Session, col

from sitecoach.cli import main
from sitecoach.jobs.clock import enqueue_entry
from sitecoach.jobs.schedule import entry
from sitecoach.models import EventKind, Learner, LearningEvent
from sitecoach.records.audit import LEGACY_CHAIN_INFO, append_event, seal_learner_events
from tests.conftest import run_worker
from tests.records.test_audit import _events as _chain

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
NIGHT = datetime(2026, 12, 7, 3, 50, tzinfo=UTC)


def _learner(services, phone: str = "+447700900701", name: str = "Jamie Carter") -> int:
    with services.db.session() as session:
        learner = Learner(phone=phone, name=name)
        session.add(learner)
        session.flush()
        return int(learner.id or 0)


def _answers(services, learner_id: int, count: int = 5) -> None:
    """A learner answers `count` quiz questions, all wrong."""
    with services.db.session() as session:
        for n in range(count):
            append_event(
                session,
                learner_id,
                EventKind.QUIZ_ANSWERED,
                T0 + timedelta(minutes=n),
                {"item": f"Q{n:03d}", "correct": False, "competencies": ["JNT-S1"]},
            )


def _unkeyed_hash(event: LearningEvent, prev: str) -> str:
    """What anyone can compute from the rows alone: SHA-256 of the canonical event (the old format)."""
    payload = {
        "v": 1,
        "learner": event.learner_id,
        "seq": event.seq,
        "kind": event.kind,
        "at": event.at.astimezone(UTC).isoformat(timespec="microseconds"),
        "data": event.data,
        "prev": prev,
    }
    canonical = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def _rewrite_from(services, learner_id: int, seq: int, data: dict) -> None:
    """An attacker with the database (not the key) changes one event and recomputes every later hash."""
    events = _chain(services, learner_id)
    prev = events[seq - 2].hash if seq > 1 else ""
    with services.db.session() as session:
        for event in events[seq - 1 :]:
            new_data = data if event.seq == seq else event.data
            event.data, event.prev_hash = new_data, prev
            event.hash = _unkeyed_hash(event, prev)
            session.exec(
                sa.update(LearningEvent)
                .where(col(LearningEvent.id) == event.id)
                .values(data=new_data, prev_hash=event.prev_hash, hash=event.hash)
            )
            prev = event.hash


def _cli(base_settings, checkpoints: Path, *args: str):  # type: ignore[no-untyped-def]
    env = {
        "DATABASE_URL": base_settings.database_uri,
        "INSTANCE_PATH": str(base_settings.instance_path),
        "AUDIT_CHECKPOINT_PATH": str(checkpoints),
    }
    return CliRunner().invoke(main, list(args), env=env)


def test_flipping_a_quiz_answer_and_recomputing_the_later_hashes_is_detected(
    services, base_settings, tmp_path
):
    learner_id = _learner(services)
    _answers(services, learner_id)
    assert _cli(base_settings, tmp_path / "cp.jsonl", "audit", "verify").exit_code == 0
    third = _chain(services, learner_id)[2]

    _rewrite_from(services, learner_id, 3, {**third.data, "correct": True})

    result = _cli(base_settings, tmp_path / "cp.jsonl", "audit", "verify")
    assert result.exit_code == 1
    assert f"event {third.id} (learner {learner_id}, #3): content does not match its hash" in result.output


def test_deleting_the_last_events_is_detected_against_the_nightly_checkpoint(
    services, base_settings, tmp_path
):
    checkpoints = tmp_path / "audit" / "checkpoints.jsonl"
    services.settings = services.settings.with_overrides(audit_checkpoint_path=checkpoints)
    learner_id, other_id = _learner(services), _learner(services, "+447700900702", "Robyn Shaw")
    _answers(services, learner_id)
    _answers(services, other_id, count=2)
    assert enqueue_entry(services.queue, entry("checkpoint-audit"), NIGHT)  # the clock's nightly entry
    run_worker(services)
    assert checkpoints.exists() and len(checkpoints.read_text().splitlines()) == 2
    assert "Jamie" not in checkpoints.read_text() and "+44" not in checkpoints.read_text()
    kept = _chain(services, learner_id)[2]

    with services.db.session() as session:  # the last two answers go, straight in the database
        session.exec(
            sa.delete(LearningEvent).where(LearningEvent.learner_id == learner_id, LearningEvent.seq > 3)
        )
        session.exec(
            sa.delete(LearningEvent).where(LearningEvent.learner_id == other_id)
        )  # and all of Robyn's

    result = _cli(base_settings, checkpoints, "audit", "verify")
    assert result.exit_code == 1
    assert f"event {kept.id} (learner {learner_id}, #3): truncated: the checkpoint of" in result.output
    assert "counted 5 events, 3 remain" in result.output
    assert (
        f"(learner {other_id}, #0): truncated" in result.output
        and "counted 2 events, 0 remain" in result.output
    )

    again = _cli(base_settings, checkpoints, "audit", "checkpoint")  # a checkpoint cannot bless the deletion
    assert again.exit_code == 1 and "REFUSED" in again.output
    assert _cli(base_settings, checkpoints, "audit", "verify").exit_code == 1


def test_the_checkpoint_file_is_signed(services, base_settings, tmp_path):
    checkpoints = tmp_path / "cp.jsonl"
    learner_id = _learner(services)
    _answers(services, learner_id)
    assert _cli(base_settings, checkpoints, "audit", "checkpoint").exit_code == 0
    with services.db.session() as session:
        session.exec(
            sa.delete(LearningEvent).where(LearningEvent.learner_id == learner_id, LearningEvent.seq == 5)
        )
    line = json.loads(checkpoints.read_text())
    checkpoints.write_text(
        json.dumps({**line, "count": 4, "head": _chain(services, learner_id)[-1].hash}) + "\n"
    )

    result = _cli(base_settings, checkpoints, "audit", "verify")
    assert result.exit_code == 1
    assert "cp.jsonl:1: signature does not match AUDIT_KEY" in result.output


def test_an_install_with_the_unkeyed_chain_verifies_after_migrate_and_a_tampered_one_is_named(
    services, base_settings, tmp_path
):
    checkpoints = tmp_path / "cp.jsonl"
    honest, tampered = _learner(services), _learner(services, "+447700900703", "Sam Lee")
    with Session(services.db.engine, info={LEGACY_CHAIN_INFO: True}) as session:  # written by the old version
        for learner_id in (honest, tampered):
            for n in range(3):
                append_event(
                    session, learner_id, "quiz_answered", T0 + timedelta(minutes=n), {"correct": False}
                )
        session.commit()
    bad = _chain(services, tampered)[1]
    with services.db.session() as session:  # altered before the upgrade, without recomputing
        session.exec(
            sa.update(LearningEvent).where(col(LearningEvent.id) == bad.id).values(data={"correct": True})
        )
    _answers(services, honest, count=1)  # new code appended before the operator ran the release step

    before = _cli(base_settings, checkpoints, "audit", "verify")
    assert before.exit_code == 1 and "run `sitecoach audit rechain`" in before.output

    migrated = _cli(base_settings, checkpoints, "migrate")  # the release step of every deploy
    assert migrated.exit_code == 0, migrated.output
    assert "keyed 1 learners' audit chains" in migrated.output
    assert f"event {bad.id} (learner {tampered}, #2): content does not match its hash" in migrated.output

    after = _cli(base_settings, checkpoints, "audit", "verify")
    assert after.exit_code == 1
    assert (
        f"learner {honest}" not in after.output and f"event {bad.id} (learner {tampered}, #2)" in after.output
    )
    with services.db.session() as session:
        session.exec(sa.delete(LearningEvent).where(LearningEvent.learner_id == tampered))
    assert _cli(base_settings, checkpoints, "audit", "verify").exit_code == 0


def test_erasure_can_remove_what_a_learner_typed_and_the_chain_still_verifies(
    services, base_settings, tmp_path
):
    checkpoints = tmp_path / "cp.jsonl"
    learner_id = _learner(services)
    typed = "jointing with Dave Morgan, call me on 07700 900123"
    with services.db.session() as session:
        append_event(session, learner_id, EventKind.OTJ_HOURS, T0, {"hours": 3.5, "activity": typed})
    _answers(services, learner_id, count=2)
    assert _cli(base_settings, checkpoints, "audit", "checkpoint").exit_code == 0

    with services.db.session() as session:
        assert seal_learner_events(session, learner_id) == 1

    with services.db.engine.connect() as conn:
        stored = " ".join(str(row) for row in conn.execute(sa.text("SELECT data FROM learningevent")))
    assert "Dave" not in stored and "900123" not in stored and "3.5" in stored
    result = _cli(base_settings, checkpoints, "audit", "verify")
    assert result.exit_code == 0, result.output
