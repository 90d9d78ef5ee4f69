"""The clock, driven through time: a week across the October 2026 clock change, two clocks firing every
tick, real RQ workers on real Redis. Each learner gets exactly the expected nudges."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlmodel import col, select

from sitecoach.jobs import tasks as jobs
from sitecoach.jobs.clock import enqueue_entry
from sitecoach.jobs.schedule import entry
from sitecoach.models import Consent, EventKind, Learner, Message
from sitecoach.records.audit import append_event
from tests.conftest import run_worker

LONDON = ZoneInfo("Europe/London")
NEW_YORK = ZoneInfo("America/New_York")
START = datetime(2026, 10, 23, 12, 0, tzinfo=UTC)  # Friday; UK clocks go back on Sunday 25 October
END = datetime(2026, 10, 27, 18, 0, tzinfo=UTC)
STEP = timedelta(minutes=15)


def _learner(session, phone, name, tz="Europe/London", nudge_time="07:30", consent=Consent.OPTED_IN):
    learner = Learner(
        phone=phone,
        name=name,
        timezone=tz,
        nudge_time=nudge_time,
        consent=consent,
        created_at=START - timedelta(days=30),
        last_inbound_at=START - timedelta(hours=1),
    )
    session.add(learner)
    session.flush()
    return learner


def test_a_week_of_nudges_across_the_clock_change_with_two_clocks(services):
    with services.db.session() as session:
        ids = {
            "steady": _learner(session, "+447700900701", "Steady").id,
            "stopper": _learner(session, "+447700900702", "Stopper").id,
            "early": _learner(session, "+447700900703", "Early", nudge_time="06:00").id,
            "yank": _learner(session, "+12025550104", "Yank", tz="America/New_York").id,
            "keen": _learner(session, "+447700900705", "Keen").id,
        }
    dispatch = entry("dispatch-nudges")
    now = START
    while now < END:
        local = now.astimezone(LONDON)
        if local.hour == 6 and local.minute == 45:  # Keen practises before their nudge every day
            with services.db.session() as session:
                append_event(
                    session, ids["keen"], EventKind.QUIZ_ANSWERED, now, {"item": "Q-L03-01", "correct": True}
                )
        if now == START + timedelta(days=2):  # Stopper texts STOP on Sunday lunchtime
            with services.db.session() as session:
                learner = session.get(Learner, ids["stopper"])
                learner.consent = Consent.OPTED_OUT
                session.add(learner)
        enqueue_entry(services.queue, dispatch, now)  # clock A
        enqueue_entry(services.queue, dispatch, now)  # clock B, overlapping during a deploy
        jobs.dispatch_nudges(now.isoformat())  # and a job that runs twice
        run_worker(services)
        failed = services.queue.failed_job_registry.get_job_ids()
        assert not failed, [services.queue.fetch_job(j).exc_info for j in failed][:1]
        now += STEP

    with services.db.session() as session:
        rows = session.exec(
            select(Message)
            .where(Message.direction == "out", col(Message.kind).startswith("nudge_"))
            .order_by(col(Message.created_at), col(Message.id))
        ).all()
    sent = defaultdict(list)
    for row in rows:
        sent[row.learner_id].append(row)
    by_name = {name: sent[i] for name, i in ids.items()}

    def local_days(name, zone):
        return [m.created_at.astimezone(zone).date().isoformat() for m in by_name[name]]

    # Steady: one a day, Sat to Tue (Friday's 07:30 had passed by 12:00 UTC), 07:30 local across the change.
    assert local_days("steady", LONDON) == ["2026-10-24", "2026-10-25", "2026-10-26", "2026-10-27"]
    assert [m.created_at.astimezone(LONDON).strftime("%H:%M") for m in by_name["steady"]] == ["07:30"] * 4
    # In UTC: 06:30 on Saturday (BST), 07:30 from Sunday (the clocks went back at 02:00 that morning).
    assert [m.created_at.strftime("%H:%M") for m in by_name["steady"]] == ["06:30", "07:30", "07:30", "07:30"]
    # Stopper: Saturday and Sunday morning only, nothing after STOP.
    assert local_days("stopper", LONDON) == ["2026-10-24", "2026-10-25"]
    # Early chose 06:00, inside quiet hours: honoured for the nudge, exactly at 06:00.
    assert [m.created_at.astimezone(LONDON).strftime("%H:%M") for m in by_name["early"]] == ["06:00"] * 4
    # New York: the clock starts at 08:00 Eastern on Friday, inside the 3-hour window, so Friday's nudge goes
    # out late; then 07:30 Eastern each day (US clocks change a week later).
    yank = [m.created_at.astimezone(NEW_YORK).strftime("%a %H:%M") for m in by_name["yank"]]
    assert yank == ["Fri 08:00", "Sat 07:30", "Sun 07:30", "Mon 07:30", "Tue 07:30"]
    # Keen practised before 07:30 every day: never nudged.
    assert by_name["keen"] == []
    # Nobody got anything in quiet hours apart from Early's own 06:00, and nothing twice.
    for name, messages in by_name.items():
        zone = NEW_YORK if name == "yank" else LONDON
        for m in messages:
            hour = m.created_at.astimezone(zone).hour
            assert 7 <= hour < 21 or (name == "early" and hour == 6), (name, m.created_at)
        assert len({m.dedupe_key for m in messages}) == len(messages)
    assert all(m.status == "delivered" for m in rows)
