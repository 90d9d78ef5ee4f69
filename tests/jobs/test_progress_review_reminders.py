"""Reminders of a progress review go to the apprentice and their mentor a week before it is due, and once
more when it is overdue; each once, however often the clock fires. A signed review is not chased."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import col, select

from sitecoach.models import Consent, Learner, LearningBreak, Message, utcnow
from sitecoach.records.breaks import end_break, start_break
from tests.conftest import form_token, log_in
from tests.web.review_world import (
    EMAILS,
    LEARNER_PHONE,
    MENTOR_PHONE,
    PASSWORD,
    drafted_review,
    make_world,
    run_clock,
)


def _reminders(services, phone: str) -> list[str]:  # type: ignore[no-untyped-def]
    with services.db.read_session() as session:
        return list(
            session.exec(
                select(Message.body)
                .where(
                    Message.phone == phone,
                    col(Message.kind).in_(["progress_review", "progress_review_mentor"]),
                    col(Message.dedupe_key).like("review-remind:%"),
                )
                .order_by(col(Message.id))
            ).all()
        )


def test_learner_and_mentor_are_reminded_once_before_and_once_when_overdue(services):
    world = make_world(services)
    now = utcnow()
    run_clock(services, "draft-progress-reviews", now)
    run_clock(services, "remind-progress-reviews", now)
    run_clock(services, "remind-progress-reviews", now + timedelta(hours=1))
    learner, mentor = _reminders(services, LEARNER_PHONE), _reminders(services, MENTOR_PHONE)
    assert len(learner) == 1 and "progress review #1 is due on" in learner[0]
    assert len(mentor) == 1 and "Jamie Review's progress review #1 is due" in mentor[0]
    assert "waiting for your edits" in mentor[0]

    later = drafted_review(services, world.learner).due_at + timedelta(days=1)
    run_clock(services, "remind-progress-reviews", later)
    run_clock(services, "remind-progress-reviews", later + timedelta(days=1))
    learner, mentor = _reminders(services, LEARNER_PHONE), _reminders(services, MENTOR_PHONE)
    assert len(learner) == 2 and "was due on" in learner[1]
    assert len(mentor) == 2 and "is overdue" in mentor[1]


def test_a_ready_review_reminder_carries_the_signing_link_and_overdue_is_red_on_the_summary(app, services):
    world = make_world(services)
    run_clock(services, "draft-progress-reviews", utcnow())
    review = drafted_review(services, world.learner)
    mentor = app.test_client()
    log_in(mentor, EMAILS["mentor"], PASSWORD)
    mentor.post(f"/mentor/reviews/{review.id}/ready", data={"csrf_token": form_token(mentor, "/mentor")})
    overdue = review.due_at + timedelta(days=2)
    run_clock(services, "remind-progress-reviews", overdue)
    assert "/review/" in _reminders(services, LEARNER_PHONE)[-1]
    with services.db.session() as session:  # the summary reads "now": move the due date into the past instead
        row = session.get(type(review), review.id)
        row.due_at = utcnow() - timedelta(days=2)
        session.add(row)
    summary = mentor.get("/mentor").data.decode()
    assert 'class="review-due risk-high overdue"' in summary and "overdue since" in summary


def test_a_review_not_yet_near_its_due_date_is_not_chased(services):
    world = make_world(services)
    now = utcnow()
    run_clock(services, "draft-progress-reviews", now)
    early = drafted_review(services, world.learner).due_at - timedelta(days=8)
    run_clock(services, "remind-progress-reviews", early)
    assert _reminders(services, LEARNER_PHONE) == [] and _reminders(services, MENTOR_PHONE) == []


def test_a_learner_on_a_break_or_taking_answers_only_is_not_chased_but_the_mentor_is(services):
    world = make_world(services)
    now = utcnow()
    run_clock(services, "draft-progress-reviews", now)
    with services.db.session() as session:
        learner = session.get(Learner, world.learner)
        away = start_break(
            session, learner, starts_on=now.date() - timedelta(days=1), expected_return=None,
            reason="injury", staff_id=None, now=now,
        )  # fmt: skip
        break_id = away.id
    run_clock(services, "remind-progress-reviews", now)
    assert _reminders(services, LEARNER_PHONE) == [] and len(_reminders(services, MENTOR_PHONE)) == 1

    with services.db.session() as session:
        end_break(session, session.get(LearningBreak, break_id), ended_on=now.date(), staff_id=None, now=now)
        session.get(Learner, world.learner).consent = Consent.DECLINED  # answers only: nothing proactive
    run_clock(services, "remind-progress-reviews", now + timedelta(hours=1))
    assert _reminders(services, LEARNER_PHONE) == []

    with services.db.session() as session:
        session.get(Learner, world.learner).consent = Consent.OPTED_IN
    run_clock(services, "remind-progress-reviews", now + timedelta(hours=2))
    [reminder] = _reminders(services, LEARNER_PHONE)  # back, and taking messages: reminded once
    assert "progress review #1 is due on" in reminder
