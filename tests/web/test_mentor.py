"""Mentor and admin pages: logins, CSRF, rate limits, who sees what, sign-off and replies on WhatsApp."""

from __future__ import annotations

import re

from sqlmodel import select
from werkzeug.security import generate_password_hash

from sitecoach.models import (
    Consent,
    Escalation,
    EvidenceItem,
    Learner,
    LearningEvent,
    Mentor,
    Message,
    utcnow,
)
from sitecoach.records.snapshots import refresh_all
from tests.conftest import run_worker

PASSWORD = "correct horse battery"


def _people(services):
    """Two mentors with a learner each, evidence and a request for the first, and an admin."""
    with services.db.session() as session:
        sam = Mentor(
            name="Sam",
            email="sam@example.test",
            phone="+447700900990",
            password_hash=generate_password_hash(PASSWORD),
        )
        kim = Mentor(name="Kim", email="kim@example.test", password_hash=generate_password_hash(PASSWORD))
        boss = Mentor(
            name="Admin",
            email="admin@example.test",
            is_admin=True,
            password_hash=generate_password_hash(PASSWORD),
        )
        session.add_all([sam, kim, boss])
        session.flush()
        jamie = Learner(
            phone="+447700900111",
            name="Jamie",
            mentor_id=sam.id,
            consent=Consent.OPTED_IN,
            last_inbound_at=utcnow(),
        )
        other = Learner(phone="+447700900222", name="=2+2 Robyn", mentor_id=kim.id, consent=Consent.OPTED_IN)
        session.add_all([jamie, other])
        session.flush()
        item = EvidenceItem(learner_id=jamie.id, note="LV resin joint on Elm St", competencies=["JNT-S1"])
        esc = Escalation(
            learner_id=jamie.id, mentor_id=sam.id, kind="mentor", reason="help with 11kV tomorrow"
        )
        theirs = EvidenceItem(learner_id=other.id, note="not yours", competencies=["ISO-S1"])
        session.add_all([item, esc, theirs])
        session.flush()
        refresh_all(session, services.catalogue(), services.memory, utcnow(), 0.65)
        return {"jamie": jamie.id, "other": other.id, "item": item.id, "esc": esc.id, "theirs": theirs.id}


def _token(client, path="/login"):
    page = client.get(path).data.decode()
    return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)


def _login(client, email="sam@example.test", password=PASSWORD):
    return client.post("/login", data={"email": email, "password": password, "csrf_token": _token(client)})


def test_pages_need_a_login_and_logins_are_checked(client, services):
    _people(services)
    response = client.get("/mentor")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    assert _login(client, password="wrong").status_code == 401
    assert _login(client).status_code == 302
    assert client.get("/mentor").status_code == 200


def test_login_form_without_csrf_token_is_refused(client, services):
    _people(services)
    response = client.post("/login", data={"email": "sam@example.test", "password": PASSWORD})
    assert response.status_code == 400


def test_five_failures_lock_the_login_for_a_while(client, services):
    _people(services)
    for _ in range(5):
        assert _login(client, password="nope").status_code == 401
    assert _login(client).status_code == 429  # even the right password waits


def test_next_cannot_redirect_off_site(client, services):
    _people(services)
    response = client.post(
        "/login?next=https://evil.example.com/x",
        data={"email": "sam@example.test", "password": PASSWORD, "csrf_token": _token(client)},
    )
    assert response.headers["Location"] == "/mentor/"


def test_summary_lists_only_the_mentors_learners_most_at_risk_first(client, services):
    ids = _people(services)
    _login(client)
    page = client.get("/mentor").data.decode()
    assert "Jamie" in page and "Robyn" not in page
    assert "#E" in page and "1 evidence item to sign off" in page
    for path in (
        f"/mentor/learners/{ids['other']}",
        f"/mentor/learners/{ids['other']}/portfolio.zip",
        f"/mentor/evidence/{ids['theirs']}/media/0",
    ):
        assert client.get(path).status_code == 404, path
    response = client.post(
        f"/mentor/evidence/{ids['theirs']}",
        data={"decision": "approve", "csrf_token": _token(client, "/mentor")},
    )
    assert response.status_code == 404
    with services.db.session() as session:
        assert session.get(EvidenceItem, ids["theirs"]).status == "pending"


def test_admin_sees_everyone_and_csv_is_spreadsheet_safe(client, services):
    _people(services)
    _login(client, "admin@example.test")
    page = client.get("/mentor").data.decode()
    assert "Jamie" in page and "Robyn" in page
    import csv

    rows = list(csv.reader(client.get("/mentor/export.csv").data.decode().splitlines()))
    names = {row[0] for row in rows[1:]}
    assert names == {"Jamie", "'=2+2 Robyn"}  # a name that looks like a formula is neutralised


def test_signing_off_evidence_tells_the_learner_on_whatsapp(client, services):
    ids = _people(services)
    _login(client)
    token = _token(client, f"/mentor/learners/{ids['jamie']}")
    response = client.post(
        f"/mentor/evidence/{ids['item']}", data={"decision": "approve", "csrf_token": token}
    )
    assert response.status_code == 302
    run_worker(services)
    with services.db.session() as session:
        item = session.get(EvidenceItem, ids["item"])
        [note] = session.exec(
            select(Message).where(Message.phone == "+447700900111", Message.direction == "out")
        ).all()
        event = session.exec(select(LearningEvent).where(LearningEvent.kind == "evidence_signed")).one()
    assert item.status == "signed_off" and item.signed_at is not None
    assert note.body.startswith("✅ Sam signed off your evidence #") and note.status == "delivered"
    assert event.data["competencies"] == ["JNT-S1"]


def test_returning_evidence_needs_a_comment(client, services):
    ids = _people(services)
    _login(client)
    token = _token(client, f"/mentor/learners/{ids['jamie']}")
    client.post(
        f"/mentor/evidence/{ids['item']}", data={"decision": "return", "comment": "", "csrf_token": token}
    )
    with services.db.session() as session:
        assert session.get(EvidenceItem, ids["item"]).status == "pending"
    client.post(
        f"/mentor/evidence/{ids['item']}",
        data={"decision": "return", "comment": "Photo is blurry: show the joint shell", "csrf_token": token},
    )
    run_worker(services)
    with services.db.session() as session:
        assert session.get(EvidenceItem, ids["item"]).status == "returned"
        [note] = session.exec(select(Message).where(Message.phone == "+447700900111")).all()
    assert "blurry" in note.body


def test_replying_from_the_web_reaches_the_learner_and_done_closes(client, services):
    ids = _people(services)
    _login(client)
    token = _token(client, f"/mentor/learners/{ids['jamie']}")
    client.post(
        f"/mentor/escalations/{ids['esc']}/reply", data={"text": "I'll ring you at 10", "csrf_token": token}
    )
    client.post(f"/mentor/escalations/{ids['esc']}/reply", data={"close": "1", "csrf_token": token})
    run_worker(services)
    with services.db.session() as session:
        bodies = [
            m.body
            for m in session.exec(
                select(Message).where(Message.phone == "+447700900111").order_by(Message.id)
            ).all()
        ]
        esc = session.get(Escalation, ids["esc"])
    assert bodies[0].startswith("💬 *Sam* (your mentor") and "ring you at 10" in bodies[0]
    assert "marked" in bodies[1] and esc.status == "closed" and esc.mentor_replied_at is not None


def test_learner_page_shows_mastery_evidence_and_requests(client, services):
    ids = _people(services)
    _login(client)
    page = client.get(f"/mentor/learners/{ids['jamie']}").data.decode()
    for text in (
        "Jamie",
        "Mastery by competency",
        "LV resin joint on Elm St",
        "Sign off",
        "help with 11kV tomorrow",
    ):
        assert text in page
    portfolio = client.get(f"/mentor/learners/{ids['jamie']}/portfolio.zip")
    assert portfolio.status_code == 200 and portfolio.mimetype == "application/zip"


def test_last_active_shows_when_the_learner_was_last_active_not_today(client, services):
    from datetime import timedelta

    from sitecoach.records.audit import append_event

    ids = _people(services)
    with services.db.session() as session:
        append_event(
            session,
            ids["jamie"],
            "quiz_answered",
            utcnow() - timedelta(days=8),
            {"item": "Q-L03-01", "correct": True},
        )
        refresh_all(session, services.catalogue(), services.memory, utcnow(), 0.65)
    _login(client)
    page = client.get("/mentor").data.decode()
    eight_days_ago = (utcnow() - timedelta(days=8)).strftime("%d %b")
    assert eight_days_ago in page


def test_learner_page_places_the_learner_in_their_cohort(client, services):
    from sitecoach.curriculum.pack import load_pack
    from sitecoach.records.seeding import seed_demo

    with services.db.session() as session:
        seed_demo(session, load_pack(services.settings.content_pack_path), utcnow(), services.memory)
        refresh_all(session, services.catalogue(), services.memory, utcnow(), 0.65)
        ellie = session.exec(select(Learner).where(Learner.name == "Ellie")).one()
    client.post(
        "/login",
        data={"email": "mentor@sitecoach.demo", "password": "site-coach-demo", "csrf_token": _token(client)},
    )
    page = client.get(f"/mentor/learners/{ellie.id}").data.decode()
    assert "In the cohort (5 learners): mastery at the 90th percentile" in page
