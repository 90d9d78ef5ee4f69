"""The people around one apprentice's progress review, for the review tests (web, jobs and browser): their
mentor (the employer's representative), a provider user of their cohort, another mentor, a provider user of
another cohort, and an admin; the apprentice started 80 days ago, so their first review is due in 4 days."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta

from sqlmodel import select
from werkzeug.security import generate_password_hash

from sitecoach.jobs.clock import enqueue_entry
from sitecoach.jobs.schedule import entry
from sitecoach.models import (
    Cohort,
    CohortProvider,
    Consent,
    EventKind,
    Learner,
    Mentor,
    Message,
    ProgressReview,
    utcnow,
)
from sitecoach.records.audit import append_event
from tests.conftest import run_worker

PASSWORD = "review password 1"
LEARNER_PHONE = "+447700900551"
MENTOR_PHONE = "+447700900990"
STARTED_DAYS_AGO = 80
EMAILS = {
    "mentor": "sam.r@example.test",
    "other_mentor": "kim.r@example.test",
    "provider": "dana.r@example.test",
    "other_provider": "pat.r@example.test",
    "admin": "ada.r@example.test",
}


@dataclass(frozen=True)
class ReviewWorld:
    """Ids of the people made."""

    learner: int
    mentor: int
    provider: int


def make_world(services) -> ReviewWorld:  # type: ignore[no-untyped-def]
    """The cohort, the staff and the apprentice (with some logged hours), none of them reviewed yet."""
    now = utcnow()
    hashed = generate_password_hash(PASSWORD)
    with services.db.session() as session:
        north = Cohort(name="Review North", standard_code="ST1332", planned_otj_hours=400)
        south = Cohort(name="Review South", standard_code="ST1332")
        staff = {
            "mentor": Mentor(
                name="Sam Okafor", email=EMAILS["mentor"], phone=MENTOR_PHONE, password_hash=hashed
            ),
            "other_mentor": Mentor(name="Kim Other", email=EMAILS["other_mentor"], password_hash=hashed),
            "provider": Mentor(
                name="Dana Provider", email=EMAILS["provider"], is_provider=True, password_hash=hashed
            ),
            "other_provider": Mentor(
                name="Pat Elsewhere", email=EMAILS["other_provider"], is_provider=True, password_hash=hashed
            ),
            "admin": Mentor(name="Ada Admin", email=EMAILS["admin"], is_admin=True, password_hash=hashed),
        }
        session.add_all([north, south, *staff.values()])
        session.flush()
        session.add(CohortProvider(cohort_id=int(north.id or 0), staff_id=int(staff["provider"].id or 0)))
        session.add(
            CohortProvider(cohort_id=int(south.id or 0), staff_id=int(staff["other_provider"].id or 0))
        )
        learner = Learner(
            phone=LEARNER_PHONE,
            name="Jamie Review",
            cohort_id=north.id,
            mentor_id=staff["mentor"].id,
            consent=Consent.OPTED_IN,
            last_inbound_at=now,
            created_at=now - timedelta(days=STARTED_DAYS_AGO),
        )
        session.add(learner)
        session.flush()
        append_event(
            session, int(learner.id or 0), EventKind.OTJ_HOURS, now - timedelta(days=3), {"hours": 30}
        )
        return ReviewWorld(int(learner.id or 0), int(staff["mentor"].id or 0), int(staff["provider"].id or 0))


def run_clock(services, entry_id: str, at) -> None:  # type: ignore[no-untyped-def]
    """What the clock process does at `at` for one schedule entry, then a worker runs the jobs."""
    assert enqueue_entry(services.queue, entry(entry_id), at)
    run_worker(services)


def drafted_review(services, learner_id: int) -> ProgressReview:  # type: ignore[no-untyped-def]
    """The learner's newest review."""
    with services.db.read_session() as session:
        return session.exec(
            select(ProgressReview)
            .where(ProgressReview.learner_id == learner_id)
            .order_by(ProgressReview.number.desc())  # type: ignore[attr-defined]
        ).first()


def review_link_in_whatsapp(services, phone: str = LEARNER_PHONE) -> str:  # type: ignore[no-untyped-def]
    """The path of the newest review link the learner was sent on WhatsApp."""
    with services.db.read_session() as session:
        bodies = session.exec(
            select(Message.body)
            .where(Message.phone == phone, Message.direction == "out")
            .order_by(Message.id.desc())  # type: ignore[attr-defined]
        ).all()
    for body in bodies:
        found = re.search(r"https?://[^/\s]+(/review/[\w.\-]+)", body)
        if found:
            return found.group(1)
    raise AssertionError(f"no review link in the learner's messages: {bodies[:3]}")
