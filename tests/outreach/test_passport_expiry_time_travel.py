"""Passport expiry, driven through time: the clock fires the hourly entry (twice, as two clocks overlapping
during a deploy would) every hour for six weeks; real RQ workers on real Redis. The learner and their mentor
each hear of an expiring assessment exactly once per threshold (30 days, 7 days, the day), never in quiet
hours, and nothing once it has been renewed."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlmodel import col, select

from sitecoach.jobs.clock import enqueue_entry
from sitecoach.jobs.schedule import entry
from sitecoach.models import Learner, Message, MessageKind
from sitecoach.outreach.passport_expiry import check_passport_expiry
from sitecoach.records.breaks import start_break
from tests.conftest import run_worker
from tests.passport_world import LEARNER_PHONE, MENTOR_PHONE, assess, grant, make_world

LONDON = ZoneInfo("Europe/London")
START = datetime(2027, 1, 4, 0, 25, tzinfo=UTC)
EXPIRES = date(2027, 2, 10)  # 37 days after START
RENEWED = date(2027, 2, 1)  # the authorisation is renewed before its final week


def _sent(services, kind):
    with services.db.session() as session:
        return list(
            session.exec(
                select(Message).where(Message.kind == kind).order_by(col(Message.created_at), col(Message.id))
            ).all()
        )


def test_six_weeks_of_hourly_clocks_flag_each_threshold_once(services):
    world = make_world(services)
    straight_id = assess(services, world, "ASSESS-LV-STRAIGHT", date(2024, 2, 10), START, expires_on=EXPIRES)
    auth = date(2026, 2, 20)  # 12 months: expires 2027-02-20
    grant(services, world, "AUTH-SUPERVISED", auth, START)
    flag = entry("flag-passport-expiry")
    now = START
    while now < START + timedelta(days=42):
        if now.date() == RENEWED and now.hour == 9:  # the mentor renews the authorisation
            grant(services, world, "AUTH-SUPERVISED", RENEWED, now)
        enqueue_entry(services.queue, flag, now)  # clock A
        enqueue_entry(services.queue, flag, now)  # clock B
        run_worker(services)
        failed = services.queue.failed_job_registry.get_job_ids()
        assert not failed, [services.queue.fetch_job(j).exc_info for j in failed][:1]
        now += timedelta(hours=1)

    learner = _sent(services, MessageKind.PASSPORT_EXPIRY)
    mentor = _sent(services, MessageKind.PASSPORT_EXPIRY_MENTOR)
    assert {m.phone for m in learner} == {LEARNER_PHONE} and {m.phone for m in mentor} == {MENTOR_PHONE}
    keys = [m.dedupe_key for m in learner]
    assert len(keys) == len(set(keys))
    straight = [m for m in learner if ":assessment:" in m.dedupe_key]
    # 30 days before, 7 days before, on the day: one message each, on those local days, out of quiet hours
    assert [m.created_at.astimezone(LONDON).date() for m in straight] == [
        date(2027, 1, 11),
        date(2027, 2, 3),
        date(2027, 2, 10),
    ]
    assert all(7 <= m.created_at.astimezone(LONDON).hour < 21 for m in straight)
    assert "LV straight joint" in straight[0].body
    assert (
        "(30 days)" in straight[0].body
        and "(7 days)" in straight[1].body
        and "expires today" in straight[2].body
    )
    # the authorisation was flagged at 30 days (21 Jan), then renewed: no 7-day or same-day message for it
    supervised = [m for m in learner if ":authorisation:" in m.dedupe_key]
    assert [m.created_at.astimezone(LONDON).date() for m in supervised] == [date(2027, 1, 21)]
    assert len(mentor) == len(learner)
    week = next(m for m in mentor if m.dedupe_key.endswith(f":assessment:{straight_id}:7"))
    assert "Jo Jointer's assessment *LV straight joint* expires on 10 Feb 2027 (7 days)" in week.body


def test_a_learner_on_a_break_is_not_told_but_their_mentor_is(services):
    world = make_world(services)
    at = datetime(2027, 2, 3, 10, 0, tzinfo=UTC)  # 7 days before the assessment expires, mid-morning
    assess(services, world, "ASSESS-LV-STRAIGHT", date(2024, 2, 10), at, expires_on=EXPIRES)
    with services.db.session() as session:
        learner = session.exec(select(Learner).where(Learner.phone == LEARNER_PHONE)).one()
        start_break(
            session, learner, starts_on=date(2027, 1, 25), expected_return=date(2027, 3, 1),
            reason="injury", staff_id=None, now=at,
        )  # fmt: skip
    check_passport_expiry(services, learner.id, at)
    assert _sent(services, MessageKind.PASSPORT_EXPIRY) == []
    [warning] = _sent(services, MessageKind.PASSPORT_EXPIRY_MENTOR)
    assert "(7 days)" in warning.body
