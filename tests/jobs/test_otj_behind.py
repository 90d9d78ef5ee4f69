"""A learner who falls behind the off-the-job hours their plan expects hears about it once, kindly, from the
clock's daily check (two clocks and later days never send it again); on track or on a break: nothing."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from sqlmodel import select

from sitecoach.jobs.clock import enqueue_entry
from sitecoach.jobs.schedule import entry
from sitecoach.models import Cohort, Consent, EventKind, Learner, LearningBreak, Message
from sitecoach.records.audit import append_event
from tests.conftest import run_worker

NOW = datetime(2026, 11, 23, 10, 35, tzinfo=UTC)  # a Monday, the check's time (10:35 in London)
START = date(2025, 11, 23)  # a year ago, on a 900-day plan: ST1332's 720 h, about 292 h expected by now


def _learner(session, cohort_id: int, phone: str, name: str, hours: float) -> int:
    learner = Learner(
        phone=phone,
        name=name,
        cohort_id=cohort_id,
        consent=Consent.OPTED_IN,
        start_date=START,
        planned_end_date=START + timedelta(days=900),
        weekly_hours=37.5,
        created_at=NOW - timedelta(days=365),
        last_inbound_at=NOW - timedelta(hours=1),
    )
    session.add(learner)
    session.flush()
    data = {"hours": hours, "activity": "college", "type": "classroom", "learned": "earthing"}
    append_event(session, learner.id, EventKind.OTJ_HOURS, NOW - timedelta(days=3), data)
    return int(learner.id)


def test_a_learner_behind_on_otj_hears_once_and_kindly(services):
    with services.db.session() as session:
        cohort = Cohort(name="Jointers", standard_code="ST1332")
        session.add(cohort)
        session.flush()
        behind = _learner(session, cohort.id, "+447700900601", "Behind", 40)
        on_track = _learner(session, cohort.id, "+447700900602", "Steady", 300)
        away = _learner(session, cohort.id, "+447700900603", "Away", 40)
        session.add(LearningBreak(learner_id=away, starts_on=NOW.date() - timedelta(days=10)))
    check = entry("check-otj")
    for day in range(3):
        at = NOW + timedelta(days=day)
        enqueue_entry(services.queue, check, at)
        enqueue_entry(services.queue, check, at + timedelta(seconds=1))  # a second clock, a moment later
        run_worker(services)
    with services.db.session() as session:
        sent = session.exec(select(Message).where(Message.kind == "otj_behind")).all()
    [told] = sent
    assert told.learner_id == behind and told.status == "delivered"
    assert told.body.startswith("Hi Behind 👋 A quick word on your off-the-job hours: 40h logged so far")
    assert "about 292h by now" in told.body and "No stress" in told.body
    assert on_track not in {m.learner_id for m in sent} and away not in {m.learner_id for m in sent}
