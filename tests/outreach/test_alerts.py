"""Stall alerts, milestones, escalation reminders, the weekly digest, templates outside the 24 h window,
and the bandit's bookkeeping, through the real jobs and a real RQ worker."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlmodel import col, select

from sitecoach.jobs import tasks as jobs
from sitecoach.models import (
    BanditRecord,
    Consent,
    Escalation,
    EventKind,
    Learner,
    Mentor,
    Message,
    VariantAssignment,
)
from sitecoach.records.audit import append_event
from tests.conftest import log_in_as_simulator_admin, post_signed, run_worker, twilio_form

NOW = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)  # a Monday, 10:00 in London
MENTOR_PHONE = "+447700900999"
BACKUP_PHONE = "+447700900998"


def _setup(services, *, active_days_ago=(9, 10, 11, 12, 13, 14, 15), last_inbound=None):
    """A mentor and a learner who practised on the given days (so, by default, stalled: silent 9 days)."""
    with services.db.session() as session:
        mentor = Mentor(name="Sam", phone=MENTOR_PHONE, backup_phone=BACKUP_PHONE)
        session.add(mentor)
        session.flush()
        learner = Learner(
            phone="+447700900801",
            name="Callum",
            mentor_id=mentor.id,
            consent=Consent.OPTED_IN,
            created_at=NOW - timedelta(days=40),
            last_inbound_at=last_inbound or NOW - timedelta(hours=2),
        )
        session.add(learner)
        session.flush()
        for days in active_days_ago:
            for item in ("Q-L03-01", "Q-L03-02", "Q-L07-01"):
                append_event(
                    session,
                    learner.id,
                    EventKind.QUIZ_ANSWERED,
                    NOW - timedelta(days=days),
                    {"item": item, "correct": True},
                )
        return learner.id, mentor.id


def _out(services, **where):
    with services.db.session() as session:
        query = select(Message).where(Message.direction == "out")
        for key, value in where.items():
            query = query.where(getattr(Message, key) == value)
        return list(session.exec(query.order_by(col(Message.id))).all())


def test_stalled_learner_gets_one_kind_message_and_the_mentor_the_numbers_once_per_cooldown(services):
    learner_id, _ = _setup(services)
    jobs.scan_stalls(NOW.isoformat())
    jobs.scan_stalls(NOW.isoformat())  # a second clock
    run_worker(services)
    [to_learner] = _out(services, kind="stall")
    [to_mentor] = _out(services, kind="stall_mentor")
    assert to_learner.phone == "+447700900801" and "9 days" in to_learner.body and "QUIZ" in to_learner.body
    assert (
        to_mentor.phone == MENTOR_PHONE
        and "no activity 9 days" in to_mentor.body
        and "Overall mastery" in to_mentor.body
    )
    with services.db.session() as session:
        [escalation] = session.exec(select(Escalation)).all()
    assert escalation.kind == "stall" and escalation.reference in to_mentor.body
    for days in (1, 3, 6):  # still stalled, but inside the 7-day cooldown
        jobs.check_stall(learner_id, (NOW + timedelta(days=days)).isoformat())
    assert len(_out(services, kind="stall")) == 1
    jobs.check_stall(learner_id, (NOW + timedelta(days=7, hours=1)).isoformat())
    assert len(_out(services, kind="stall")) == 2


def test_no_stall_alert_in_quiet_hours_or_after_stop(services):
    learner_id, _ = _setup(services)
    jobs.check_stall(learner_id, datetime(2026, 11, 23, 22, 30, tzinfo=UTC).isoformat())  # 22:30 in London
    assert _out(services, kind="stall") == []
    with services.db.session() as session:
        learner = session.get(Learner, learner_id)
        learner.consent = Consent.OPTED_OUT
        session.add(learner)
    jobs.check_stall(learner_id, NOW.isoformat())
    assert _out(services) == []


def test_an_active_learner_is_not_alerted(services):
    learner_id, _ = _setup(services, active_days_ago=())
    # the lessons' own items, in lesson order, spread over every area (the cards' items sort by area)
    items = [i.code for i in services.catalogue().items_for_lessons(None) if i.code.startswith("Q-L")]
    with services.db.session() as session:  # ten new questions a day for a fortnight: climbing steadily
        for day in range(14):
            for item in items[day * 10 : day * 10 + 10]:
                append_event(
                    session,
                    learner_id,
                    EventKind.QUIZ_ANSWERED,
                    NOW - timedelta(days=13 - day, hours=1),
                    {"item": item, "correct": True},
                )
    jobs.check_stall(learner_id, NOW.isoformat())
    assert _out(services, kind="stall") == []


def _answer_iso_right(services, learner_id, times, lessons_at=None, area="ISO"):
    """Answer every item of an area (isolation by default) right at each of `times` (and open its lessons)."""
    catalogue = services.catalogue()
    iso = {c.code for c in catalogue.competencies.values() if c.area_code == area}
    with services.db.session() as session:
        for lesson in catalogue.lessons.values():
            if lessons_at and set(lesson.competencies) & iso:
                append_event(
                    session, learner_id, EventKind.LESSON_WATCHED, lessons_at, {"lesson": lesson.code}
                )
        for when in times:
            for item in catalogue.items.values():
                if set(item.competencies) & iso:
                    data = {"item": item.code, "correct": True}
                    append_event(session, learner_id, EventKind.QUIZ_ANSWERED, when, data)


def test_milestones_are_celebrated_once_and_mentors_hear_of_the_big_ones(services):
    learner_id, _ = _setup(services, active_days_ago=(0, 1, 2, 3))
    # shown on two days
    _answer_iso_right(
        services, learner_id, (NOW - timedelta(days=1), NOW - timedelta(minutes=30)), NOW - timedelta(days=1)
    )
    jobs.check_milestones(learner_id, NOW.isoformat())
    jobs.check_milestones(learner_id, NOW.isoformat())
    bodies = [m.body for m in _out(services, kind="milestone")]
    badge_bodies = [b for b in bodies if "🏅" in b]
    assert len(badge_bodies) == 1  # celebrated once
    # Adept (60) was reached today only: one day is not enough to show it
    assert "Novice · Isolation and proving dead" in badge_bodies[0] and "Adept" not in badge_bodies[0]
    assert any("New personal best" in b and "4 days" in b for b in bodies)
    mentor_bodies = [m.body for m in _out(services, kind="milestone_mentor")]
    assert all("Master" in b or "Polymath" in b or "gateway" in b for b in mentor_bodies)


def test_badges_earned_together_are_celebrated_in_one_message(services):
    learner_id, _ = _setup(services, active_days_ago=(0, 1, 2))
    _answer_iso_right(
        services, learner_id, (NOW - timedelta(days=2), NOW - timedelta(days=1), NOW - timedelta(minutes=30))
    )
    jobs.check_milestones(learner_id, NOW.isoformat())
    badge_bodies = [m.body for m in _out(services, kind="milestone") if "🏅" in m.body]
    assert len(badge_bodies) == 1
    assert "Novice · Isolation and proving dead and Adept · Isolation and proving dead" in badge_bodies[0]


def _escalation(services, learner_id, kind="mentor", created=NOW):
    with services.db.session() as session:
        learner = session.get(Learner, learner_id)
        esc = Escalation(
            learner_id=learner_id,
            mentor_id=learner.mentor_id,
            kind=kind,
            reason="help with the 11kV job",
            created_at=created,
            priority="urgent" if kind == "emergency" else "normal",
        )
        session.add(esc)
        session.flush()
        return esc.id


def test_unanswered_escalations_remind_the_mentor_then_go_to_the_backup(services):
    learner_id, _ = _setup(services)
    esc_id = _escalation(services, learner_id)
    for minutes in (119, 120, 121, 239, 240, 300):
        jobs.remind_escalations((NOW + timedelta(minutes=minutes)).isoformat())
    [reminder] = _out(services, kind="escalation_reminder")
    [backup] = _out(services, kind="escalation_backup")
    assert (
        reminder.phone == MENTOR_PHONE and f"#E{esc_id}" in reminder.body and "120 min ago" in reminder.body
    )
    assert backup.phone == BACKUP_PHONE and "+447700900801" in backup.body and "240 min" in backup.body


def test_emergencies_escalate_after_ten_minutes_and_a_mentor_reply_stops_reminders(client, services):
    learner_id, _ = _setup(services)
    emergency = _escalation(services, learner_id, kind="emergency")
    answered = _escalation(services, learner_id)
    form = twilio_form(MENTOR_PHONE, f"#E{answered} on my way")
    assert post_signed(client, "/whatsapp/inbound", form).status_code == 200
    run_worker(services)
    for minutes in (9, 10, 20, 200, 400):
        jobs.remind_escalations((NOW + timedelta(minutes=minutes)).isoformat())
    reminders = _out(services, kind="escalation_reminder")
    assert [f"#E{emergency}" in r.body and r.body.startswith("🚨 STILL OPEN") for r in reminders] == [True]
    assert len(_out(services, kind="escalation_backup")) == 1  # the emergency only


def test_monday_digest_goes_once_in_the_mentors_morning(services):
    _setup(services)
    sunday = NOW - timedelta(days=1)
    jobs.dispatch_digests(sunday.isoformat())
    run_worker(services)
    assert _out(services, kind="digest") == []
    jobs.dispatch_digests(NOW.isoformat())
    jobs.dispatch_digests((NOW + timedelta(minutes=15)).isoformat())
    run_worker(services)
    [digest] = _out(services, kind="digest")
    assert digest.phone == MENTOR_PHONE and "Callum" in digest.body and "/mentor" in digest.body


def test_outside_the_24_hour_window_a_nudge_is_a_template_the_simulator_shows(client, services):
    services.settings = services.settings.with_overrides(
        whatsapp_templates={
            "nudge_due_reviews": {"content_sid": "HX123", "variables": ["name", "count", "topic"]}
        }
    )
    learner_id, _ = _setup(services, active_days_ago=(3,), last_inbound=NOW - timedelta(days=3))
    with services.db.session() as session:
        learner = session.get(Learner, learner_id)
        learner.nudge_time = "09:45"
        session.add(learner)
        from sitecoach.models import ReviewState

        session.add(
            ReviewState(
                learner_id=learner_id,
                quiz_item_id=services.catalogue().items["Q-L03-01"].id,
                card={},
                due=NOW - timedelta(hours=1),
            )
        )
    jobs.dispatch_nudges(NOW.isoformat())
    run_worker(services)
    [nudge] = _out(services, kind="nudge_due_reviews")
    assert nudge.template == "nudge_due_reviews"
    assert nudge.raw["template"]["variables"] == {"1": "Callum", "2": "1", "3": "isolation and proving dead"}
    log_in_as_simulator_admin(client, services)
    convo = client.get("/simulator/api/conversation", query_string={"phone": "+447700900801"}).json
    assert convo[-1]["template"] == {
        "kind": "nudge_due_reviews",
        "variables": nudge.raw["template"]["variables"],
    }


def test_bandit_counts_a_reply_within_two_hours_as_a_reward(coach, services):
    learner_id, _ = _setup(services, active_days_ago=(1, 2))
    with services.db.session() as session:
        learner = session.get(Learner, learner_id)
        learner.nudge_time = "09:45"
        session.add(learner)
    jobs.dispatch_nudges(NOW.isoformat())
    run_worker(services)
    with services.db.session() as session:
        [assignment] = session.exec(select(VariantAssignment)).all()
        assignment.assigned_at = datetime.now(UTC) - timedelta(
            minutes=30
        )  # the nudge went out half an hour ago
        assignment.settle_after = datetime.now(UTC) + timedelta(minutes=90)
        session.add(assignment)
    coach.send("quiz me", "+447700900801")  # the learner replies
    jobs.settle_bandits((datetime.now(UTC) + timedelta(hours=2)).isoformat())
    with services.db.session() as session:
        assignment = session.exec(select(VariantAssignment)).one()
        record = session.exec(select(BanditRecord).where(BanditRecord.kind == assignment.kind)).one()
    assert assignment.rewarded_at is not None and assignment.settled
    variant = next(v for v in record.state["variants"] if v["name"] == assignment.variant)
    assert (variant["lifetime_samples"], variant["lifetime_rewards"]) == (1, 1)
