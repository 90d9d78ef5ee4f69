"""Off-the-job hours by chat: read with their kind and what was learned, counted only after the learner's
tap; "how are my hours?" and the progress summary say planned vs logged vs verified and whether on track;
on a break the forecast and the hours wait."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import col, select

from sitecoach.models import Cohort, EventKind, Learner, LearningEvent, utcnow
from sitecoach.records import breaks
from tests.skills.test_tap_choices import _offered, _tap

PHONE = "+447700900777"


def _with_agreement(services, days_in: int = 365) -> int:
    """The learner on ST1332, started `days_in` days ago on a 900-day plan of 37.5 hours a week."""
    with services.db.session() as session:
        cohort = Cohort(name="Jointers", standard_code="ST1332")
        session.add(cohort)
        session.flush()
        learner = session.exec(select(Learner).where(Learner.phone == PHONE)).one()
        learner.cohort_id = cohort.id
        learner.start_date = (utcnow() - timedelta(days=days_in)).date()
        learner.planned_end_date = learner.start_date + timedelta(days=900)
        learner.weekly_hours = 37.5
        session.add(learner)
        return int(learner.id)


def _hours_events(services) -> list[dict]:
    with services.db.session() as session:
        return list(
            session.exec(
                select(LearningEvent.data)
                .where(LearningEvent.kind == EventKind.OTJ_HOURS)
                .order_by(col(LearningEvent.seq))
            ).all()
        )


def test_hours_count_only_after_the_confirming_tap_with_their_kind_and_what_was_learned(coach, services):
    coach.onboard(PHONE)
    [confirm] = coach.send("2h classroom on cable types", PHONE)
    assert confirm == "2h of classroom or training course: cable types. Log it as off-the-job training?"
    assert [o.id for o in _offered(coach).options] == ["yes", "no"]
    assert _hours_events(services) == []  # not counted before the tap
    [logged] = _tap(coach, _offered(coach), "yes")
    assert logged.startswith("Logged 2h: classroom on cable types ✅") and "total: 2h" in logged
    [event] = _hours_events(services)
    assert (event["hours"], event["type"], event["learned"]) == (2.0, "classroom", "cable types")
    coach.send("3 hours shadowing the fault crew", PHONE)
    [dropped] = _tap(coach, _offered(coach), "no")
    assert dropped.startswith("OK, not logged")
    assert len(_hours_events(services)) == 1


def test_how_are_my_hours_says_planned_logged_verified_and_whether_on_track(coach, services):
    coach.onboard(PHONE)
    _with_agreement(services)
    coach.send("7 hours college on earthing", PHONE)
    coach.send("yes", PHONE)
    [status] = coach.send("how are my hours?", PHONE)
    # A year into a 900-day plan of ST1332's 720 hours: about 292 expected, 7 logged.
    assert status.startswith("*Off-the-job hours:* 7h logged, 0h verified by your mentor, of 720h planned.")
    assert "About 292h expected by now: a little behind" in status
    [summary] = coach.send("progress", PHONE)
    assert "⏱ Off-the-job: 7h logged (0h verified) of 720h, a little behind" in summary


def test_on_a_break_the_forecast_and_the_hours_wait(coach, services):
    coach.onboard(PHONE)
    learner_id = _with_agreement(services)
    with services.db.session() as session:
        learner = session.get(Learner, learner_id)
        breaks.start_break(
            session,
            learner,
            starts_on=utcnow().date(),
            expected_return=None,
            reason="",
            staff_id=None,
            now=utcnow(),
        )
    [summary] = coach.send("progress", PHONE)
    assert "⏸ On a break in learning: no forecast until you're back" in summary
    assert "of 720h, paused for your break" in summary
    [status] = coach.send("how are my hours?", PHONE)
    assert "You're on a break in learning: your plan waits for you." in status
