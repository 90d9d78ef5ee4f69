"""The audit trail: a hash chain per learner that names the first altered entry."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from click.testing import CliRunner
from sqlmodel import col, select

from sitecoach.cli import main
from sitecoach.models import Learner, LearningEvent
from sitecoach.records.audit import append_event, event_hash, verify_chain

T0 = datetime(2026, 11, 1, 9, 0, tzinfo=UTC)


def _learner(services, phone="+447700900601") -> int:
    with services.db.session() as session:
        learner = Learner(phone=phone, name="Jamie")
        session.add(learner)
        session.flush()
        return int(learner.id)


def _events(services, learner_id):
    with services.db.session() as session:
        return list(
            session.exec(
                select(LearningEvent)
                .where(LearningEvent.learner_id == learner_id)
                .order_by(col(LearningEvent.seq))
            ).all()
        )


def test_events_are_numbered_and_chained(services, base_settings):
    learner_id = _learner(services)
    with services.db.session() as session:
        for i in range(4):
            append_event(
                session, learner_id, "quiz_answered", T0 + timedelta(minutes=i), {"item": f"Q{i}", "ok": True}
            )
    events = _events(services, learner_id)
    assert [e.seq for e in events] == [1, 2, 3, 4]
    assert events[0].prev_hash == ""
    assert all(later.prev_hash == earlier.hash for earlier, later in zip(events, events[1:], strict=False))
    first = events[0]
    key = base_settings.audit_key.encode()
    assert first.hash == event_hash(key, learner_id, 1, "quiz_answered", T0, {"item": "Q0", "ok": True}, "")
    with services.db.session() as session:
        report = verify_chain(session)
    assert report.ok and report.events == 4


def test_altering_deleting_or_forging_an_entry_is_named(services, base_settings):
    learner_id = _learner(services)
    with services.db.session() as session:
        for i in range(5):
            append_event(session, learner_id, "quiz_answered", T0 + timedelta(minutes=i), {"correct": False})
    third = _events(services, learner_id)[2]
    with services.db.session() as session:  # someone flips a wrong answer to right, straight in the database
        session.exec(
            sa.update(LearningEvent).where(LearningEvent.id == third.id).values(data={"correct": True})
        )
    env = {"DATABASE_URL": base_settings.database_uri, "INSTANCE_PATH": str(base_settings.instance_path)}
    result = CliRunner().invoke(main, ["audit", "verify"], env=env)
    assert result.exit_code == 1
    assert f"event {third.id} (learner {learner_id}, #3): content does not match its hash" in result.output
    with services.db.session() as session:  # put it back, then delete an entry instead
        session.exec(
            sa.update(LearningEvent).where(LearningEvent.id == third.id).values(data={"correct": False})
        )
        session.exec(sa.delete(LearningEvent).where(LearningEvent.id == third.id))
    with services.db.session() as session:
        [broken] = verify_chain(session).breaks
    assert broken.seq == 4 and "sequence gap" in broken.reason


def test_verify_passes_on_a_clean_trail_from_the_cli(services, base_settings):
    learner_id = _learner(services)
    with services.db.session() as session:
        append_event(session, learner_id, "lesson_watched", T0, {"lesson": "L03"})
    env = {"DATABASE_URL": base_settings.database_uri, "INSTANCE_PATH": str(base_settings.instance_path)}
    result = CliRunner().invoke(main, ["audit", "verify"], env=env)
    assert result.exit_code == 0 and "audit trail intact: 1 events across 1 learners" in result.output


def test_a_second_session_continues_the_chain_instead_of_forking_it(services):
    """Two sessions open at once: the later append sees the earlier one and numbers after it."""
    learner_id = _learner(services)
    with services.db.session() as first:
        append_event(first, learner_id, "quiz_answered", T0, {"n": 1})
    with services.db.session() as a, services.db.session() as b:
        # b reads the chain before a commits on PostgreSQL; on SQLite b waits for a's lock
        append_event(a, learner_id, "quiz_answered", T0 + timedelta(seconds=1), {"n": 2})
        a.commit()
        append_event(b, learner_id, "quiz_answered", T0 + timedelta(seconds=2), {"n": 3})
    events = _events(services, learner_id)
    assert [e.seq for e in events] == [1, 2, 3]
    with services.db.session() as session:
        assert verify_chain(session).ok
