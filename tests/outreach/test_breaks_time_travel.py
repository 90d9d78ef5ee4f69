"""A break in learning, driven through four weeks of clock ticks with real RQ workers on real Redis: the
learner on a break gets one message when it starts, no nudges and no stall alerts while it lasts, a welcome
back when the clock ends it on the expected return date, and nudges and stall alerts again afterwards. A
learner in the same state who is not on a break gets them all along."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from sqlmodel import col, select

from sitecoach.jobs.clock import enqueue_entry
from sitecoach.jobs.schedule import entry
from sitecoach.models import (
    Consent,
    Escalation,
    EventKind,
    Learner,
    LearningBreak,
    LearningEvent,
    Mentor,
    Message,
)
from sitecoach.outreach import off_the_job
from sitecoach.records import breaks
from sitecoach.records.audit import append_event
from tests.conftest import run_worker

START = datetime(2026, 11, 30, 0, 15, tzinfo=UTC)  # a Monday; London is on UTC in winter
BACK = date(2026, 12, 28)  # four weeks later
END = datetime(2027, 1, 1, 0, 15, tzinfo=UTC)
STEP = timedelta(hours=3)  # each tick lands on :15, when the hourly stall scan runs
CLOCK = ("tend-breaks", "dispatch-nudges", "scan-stalls")


def _learner(session, phone: str, name: str, mentor_id: int) -> int:
    """An opted-in learner who practised 9 to 15 days ago and then went quiet (a stall)."""
    learner = Learner(
        phone=phone,
        name=name,
        mentor_id=mentor_id,
        consent=Consent.OPTED_IN,
        created_at=START - timedelta(days=40),
        last_inbound_at=START - timedelta(hours=2),
    )
    session.add(learner)
    session.flush()
    for days in range(9, 16):
        for item in ("Q-L03-01", "Q-L03-02"):
            data = {"item": item, "correct": True}
            append_event(session, learner.id, EventKind.QUIZ_ANSWERED, START - timedelta(days=days), data)
    return int(learner.id)


def _sent(services, learner_id: int) -> list[Message]:
    with services.db.session() as session:
        return list(
            session.exec(
                select(Message)
                .where(Message.learner_id == learner_id, Message.direction == "out")
                .order_by(col(Message.created_at), col(Message.id))
            ).all()
        )


def test_no_nudges_or_stall_alerts_during_a_four_week_break_and_both_again_after_it(services):
    with services.db.session() as session:
        mentor = Mentor(name="Sam", phone="+447700900990")
        session.add(mentor)
        session.flush()
        away = _learner(session, "+447700900781", "Away", int(mentor.id))
        present = _learner(session, "+447700900782", "Present", int(mentor.id))
        learner = session.get(Learner, away)
        brk = breaks.start_break(
            session,
            learner,
            starts_on=START.date(),
            expected_return=BACK,
            reason="medical",
            staff_id=mentor.id,
            now=START,
        )
        assert off_the_job.announce_break(services, session, brk, START) is not None
    now = START
    while now < END:
        for entry_id in CLOCK:
            if entry_id == "tend-breaks" and now.hour != 9:
                continue  # a daily entry (09:05): the 09:15 tick stands for it
            enqueue_entry(services.queue, entry(entry_id), now)
            enqueue_entry(services.queue, entry(entry_id), now)  # a second clock: nothing doubles
        run_worker(services)
        failed = services.queue.failed_job_registry.get_job_ids()
        assert not failed, [services.queue.fetch_job(j).exc_info for j in failed][:1]
        now += STEP

    returned = datetime(2026, 12, 28, 9, 15, tzinfo=UTC)  # the first tick of tend-breaks on the return day
    away_sent = _sent(services, away)
    during = [m.kind for m in away_sent if m.created_at < returned]
    after = [m.kind for m in away_sent if m.created_at >= returned]
    assert during == ["break_started"]  # four weeks: nothing else at all
    assert after[0] == "break_ended"
    assert any(k.startswith("nudge_") for k in after) and "stall" in after
    assert after.count("break_ended") == 1
    # The learner who was not away was nudged and alerted all along.
    present_kinds = [m.kind for m in _sent(services, present) if m.created_at < returned]
    assert sum(k.startswith("nudge_") for k in present_kinds) >= 20 and "stall" in present_kinds
    with services.db.session() as session:
        ended = session.exec(select(LearningBreak)).one()
        assert (ended.ended_on, ended.ended_by) == (BACK, None)  # ended by the clock
        stalls = session.exec(select(Escalation.learner_id, Escalation.created_at)).all()
        chain = session.exec(
            select(LearningEvent.kind)
            .where(
                LearningEvent.learner_id == away,
                col(LearningEvent.kind).in_([EventKind.BREAK_STARTED, EventKind.BREAK_ENDED]),
            )
            .order_by(col(LearningEvent.seq))
        ).all()
    assert chain == ["break_started", "break_ended"]  # both in the learner's audit chain
    assert all(at >= returned for learner_id, at in stalls if learner_id == away)
