"""Lesson pages behind signed, expiring links."""

from __future__ import annotations

import time

from sqlmodel import select

from models import Learner, LearningEvent
from sitecoach.links import LinkSigner


def _learner(services) -> int:
    with services.db.session() as session:
        learner = Learner(phone="+447700900777", name="Jamie")
        session.add(learner)
        session.flush()
        return int(learner.id)


def test_signed_link_opens_the_lesson_and_records_it(client, services):
    learner_id = _learner(services)
    url = services.links.lesson_url(learner_id, "L03")
    page = client.get(url.split("coach.example.test")[1])
    assert page.status_code == 200
    assert b"Safe isolation and proving dead" in page.data and b"Key facts" in page.data
    with services.db.session() as session:
        event = session.exec(select(LearningEvent).where(LearningEvent.learner_id == learner_id)).one()
    assert event.kind == "lesson_watched" and event.data["lesson"] == "L03"


def test_tampered_link_is_refused(client, services):
    learner_id = _learner(services)
    token = services.links.token(learner_id, "L03")
    tampered = token[:-3] + ("aaa" if not token.endswith("aaa") else "bbb")
    assert client.get(f"/lesson/{tampered}").status_code == 403
    forged = LinkSigner("someone-elses-secret", "https://x", 14).token(learner_id, "L03")
    assert client.get(f"/lesson/{forged}").status_code == 403


def test_expired_link_gets_a_friendly_page(client, services):
    learner_id = _learner(services)
    old = LinkSigner(services.settings.secret_key, "https://x", 0).token(learner_id, "L03")
    time.sleep(1.1)
    services.links = LinkSigner(services.settings.secret_key, "https://x", 0)
    response = client.get(f"/lesson/{old}")
    assert response.status_code == 410 and b"This link has expired" in response.data
