"""When the worker re-checks a learner's milestones (badges, streak, readiness, the mentor's snapshot):
after a turn that can change them, never after one that can't, so a background check does not hold up
the next reply."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlmodel import select
from werkzeug.security import generate_password_hash

from sitecoach.models import Consent, EvidenceItem, Learner, LearnerSnapshot, Mentor, utcnow
from sitecoach.records.snapshots import refresh_all
from tests.conftest import run_worker

PHONE = "+447700900731"
PASSWORD = "correct horse battery"


def _learner(services) -> Learner:
    with services.db.session() as session:
        return session.exec(select(Learner).where(Learner.phone == PHONE)).one()


def _snapshot(services, learner_id: int) -> LearnerSnapshot | None:
    with services.db.session() as session:
        return session.get(LearnerSnapshot, learner_id)


def _last_inbound(services, learner_id: int, at) -> None:  # type: ignore[no-untyped-def]
    with services.db.session() as session:
        learner = session.get(Learner, learner_id)
        learner.last_inbound_at = at
        session.add(learner)


def test_small_talk_later_the_same_day_queues_no_check_but_the_first_message_of_a_day_does(coach, services):
    coach.onboard(PHONE)
    learner_id = _learner(services).id
    checked = _snapshot(services, learner_id)
    assert checked is not None  # onboarding is learning that counts: the mentor's summary has the learner

    coach.send("cheers mate", PHONE)
    assert _snapshot(services, learner_id).updated_at == checked.updated_at  # nothing could have changed

    coach.send("what does PPE stand for", PHONE)  # an answer from a card: no badge or streak moves
    assert _snapshot(services, learner_id).updated_at == checked.updated_at

    _last_inbound(services, learner_id, utcnow() - timedelta(days=1))  # last spoke yesterday
    coach.send("morning", PHONE)
    fresh = _snapshot(services, learner_id)
    assert fresh.updated_at > checked.updated_at  # a new day: the streak and "last active" move
    assert fresh.last_active_at is not None and fresh.last_active_at.date() == utcnow().date()


def test_a_quiz_answer_queues_a_check(coach, services):
    coach.onboard(PHONE)
    learner_id = _learner(services).id
    before = _snapshot(services, learner_id).updated_at
    question = coach.send("quiz me", PHONE)[-1]
    assert _snapshot(services, learner_id).updated_at == before  # a question asked is not an answer
    letter = re.search(r"\b([A-D])\)", question)
    coach.send(letter.group(1) if letter else "A", PHONE)
    assert _snapshot(services, learner_id).updated_at > before


def test_a_mentor_signing_off_evidence_on_the_web_updates_the_learner_at_once(client, services):
    with services.db.session() as session:
        mentor = Mentor(name="Sam", email="sam@example.test", password_hash=generate_password_hash(PASSWORD))
        session.add(mentor)
        session.flush()
        learner = Learner(
            phone=PHONE, name="Jamie", mentor_id=mentor.id, consent=Consent.OPTED_IN, last_inbound_at=utcnow()
        )
        session.add(learner)
        session.flush()
        item = EvidenceItem(learner_id=learner.id, note="LV resin joint", competencies=["JNT-S1"])
        session.add(item)
        session.flush()
        refresh_all(session, services.catalogue(), services.memory, utcnow(), 0.65)
        learner_id, item_id = learner.id, item.id
    assert _snapshot(services, learner_id).evidence_pending == 1

    page = client.get("/login").data.decode()
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    client.post("/login", data={"email": "sam@example.test", "password": PASSWORD, "csrf_token": token})
    page = client.get(f"/mentor/learners/{learner_id}").data.decode()
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    response = client.post(f"/mentor/evidence/{item_id}", data={"decision": "approve", "csrf_token": token})
    assert response.status_code == 302
    run_worker(services)
    assert _snapshot(services, learner_id).evidence_pending == 0  # not left until the nightly refresh
