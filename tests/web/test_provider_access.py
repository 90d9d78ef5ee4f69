"""A training provider's user sees the learners of their cohorts, and only those; they read but do not act
as the learner's mentor (evidence sign-off and escalation replies stay with the mentor)."""

from __future__ import annotations

from werkzeug.security import generate_password_hash

from sitecoach.models import (
    Cohort,
    CohortProvider,
    Consent,
    Escalation,
    EvidenceItem,
    Learner,
    Mentor,
    utcnow,
)
from sitecoach.records.snapshots import refresh_all
from tests.conftest import form_token, log_in

PASSWORD = "provider password 1"


def _world(services):
    """Two cohorts, a mentor, a provider user linked to the first cohort only."""
    with services.db.session() as session:
        north = Cohort(name="Provider North", standard_code="ST1332")
        south = Cohort(name="Provider South", standard_code="ST1332")
        sam = Mentor(name="Sam", email="sam.p@example.test", password_hash=generate_password_hash(PASSWORD))
        dana = Mentor(
            name="Dana",
            email="dana.p@example.test",
            is_provider=True,
            password_hash=generate_password_hash(PASSWORD),
        )
        session.add_all([north, south, sam, dana])
        session.flush()
        session.add(CohortProvider(cohort_id=int(north.id or 0), staff_id=int(dana.id or 0)))
        mine = Learner(
            phone="+447700900311",
            name="Nia North",
            cohort_id=north.id,
            mentor_id=sam.id,
            consent=Consent.OPTED_IN,
        )
        theirs = Learner(
            phone="+447700900312",
            name="Sol South",
            cohort_id=south.id,
            mentor_id=sam.id,
            consent=Consent.OPTED_IN,
        )
        session.add_all([mine, theirs])
        session.flush()
        item = EvidenceItem(learner_id=mine.id, note="LV straight joint", competencies=["JNT-S1"])
        esc = Escalation(learner_id=mine.id, mentor_id=sam.id, kind="mentor", reason="help tomorrow")
        session.add_all([item, esc])
        session.flush()
        refresh_all(session, services.catalogue(), services.memory, utcnow(), 0.65)
        return {"mine": mine.id, "theirs": theirs.id, "item": item.id, "esc": esc.id}


def test_provider_sees_their_cohorts_learners_only(client, services):
    ids = _world(services)
    log_in(client, "dana.p@example.test", PASSWORD)
    summary = client.get("/mentor").data.decode()
    assert "Nia North" in summary and "Sol South" not in summary
    assert client.get(f"/mentor/learners/{ids['mine']}").status_code == 200
    assert client.get(f"/mentor/learners/{ids['theirs']}").status_code == 404
    assert client.get(f"/mentor/learners/{ids['mine']}/portfolio.zip").status_code == 200
    assert client.get(f"/mentor/learners/{ids['theirs']}/portfolio.zip").status_code == 404


def test_provider_cannot_sign_off_evidence_or_answer_for_the_mentor(client, services):
    ids = _world(services)
    log_in(client, "dana.p@example.test", PASSWORD)
    token = form_token(client, f"/mentor/learners/{ids['mine']}")
    decided = client.post(
        f"/mentor/evidence/{ids['item']}", data={"decision": "approve", "csrf_token": token}
    )
    assert decided.status_code == 403
    replied = client.post(
        f"/mentor/escalations/{ids['esc']}/reply", data={"text": "on my way", "csrf_token": token}
    )
    assert replied.status_code == 403
    with services.db.read_session() as session:
        assert session.get(EvidenceItem, ids["item"]).status == "pending"
        assert session.get(Escalation, ids["esc"]).status == "open"


def test_provider_is_not_an_admin(client, services):
    _world(services)
    log_in(client, "dana.p@example.test", PASSWORD)
    assert client.get("/admin").status_code == 404
    assert client.get("/admin/queues").status_code == 404
    assert client.get("/admin/prompts").status_code == 404
