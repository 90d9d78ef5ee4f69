"""Off-the-job hours and breaks on the mentor pages: the agreement, verifying and querying entries (the
learner hears of a query on WhatsApp), breaks recorded and ended with their messages, and the admin's
minimum OTJ hours for the standard."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlmodel import col, select
from werkzeug.security import generate_password_hash

from sitecoach.models import Cohort, Consent, EventKind, Learner, LearningEvent, Mentor, Message, utcnow
from sitecoach.records.audit import append_event
from tests.conftest import form_token, log_in, run_worker

PASSWORD = "correct horse battery"


def _people(services):
    """Sam (Jamie's mentor), Kim (another mentor), an admin; Jamie on ST1332 with three entries of hours."""
    with services.db.session() as session:
        cohort = Cohort(name="Jointers 2026", standard_code="ST1332")
        sam = Mentor(name="Sam", email="sam@example.test", password_hash=generate_password_hash(PASSWORD))
        kim = Mentor(name="Kim", email="kim@example.test", password_hash=generate_password_hash(PASSWORD))
        boss = Mentor(
            name="Admin",
            email="admin@example.test",
            is_admin=True,
            password_hash=generate_password_hash(PASSWORD),
        )
        session.add_all([cohort, sam, kim, boss])
        session.flush()
        jamie = Learner(
            phone="+447700900111",
            name="Jamie",
            mentor_id=sam.id,
            cohort_id=cohort.id,
            consent=Consent.OPTED_IN,
            last_inbound_at=utcnow(),
        )
        session.add(jamie)
        session.flush()
        for hours, activity, kind in (
            (7, "college on earthing", "classroom"),
            (3, "shadowing a pot end", "shadowing"),
        ):
            data = {"hours": hours, "activity": activity, "type": kind, "learned": activity}
            append_event(session, jamie.id, EventKind.OTJ_HOURS, utcnow() - timedelta(days=2), data)
        return int(jamie.id)


def _agreement(client, learner_id: int, **fields) -> None:
    page = f"/mentor/learners/{learner_id}"
    start = (utcnow() - timedelta(days=365)).date()
    form = {
        "start_date": start.isoformat(),
        "planned_end_date": (start + timedelta(days=900)).isoformat(),
        "weekly_hours": "37.5",
        "prior_learning_hours": "",
        "prior_learning_note": "",
        "csrf_token": form_token(client, page),
    } | fields
    assert client.post(f"/mentor/learners/{learner_id}/agreement", data=form).status_code == 302


def test_a_mentor_sees_planned_verified_logged_and_behind_then_verifies_and_queries(client, services):
    learner_id = _people(services)
    log_in(client, "sam@example.test", PASSWORD)
    page = f"/mentor/learners/{learner_id}"
    _agreement(client, learner_id)
    html = client.get(page).data.decode()
    # Started a year ago on a 900-day plan of ST1332's 720 hours: about 292 h expected, 10 h logged.
    assert "Planned <b>720h</b> · verified <b>0h</b> · logged 10h" in html
    assert "expected by now 292h" in html and ">behind</b>" in html
    summary = client.get("/mentor/").data.decode()  # flagged on the summary, before any review
    assert '<td class="otj risk-high">behind on OTJ</td>' in summary
    seqs = [int(s) for s in re.findall(r'id="otj-(\d+)"', html)]
    assert len(seqs) == 2
    college, shadowing = sorted(seqs)
    verify = {"outcome": "verified", "comment": "", "csrf_token": form_token(client, page)}
    assert client.post(f"/mentor/learners/{learner_id}/otj/{college}", data=verify).status_code == 302
    query = {"outcome": "queried", "comment": "Which joint was it?", "csrf_token": form_token(client, page)}
    assert client.post(f"/mentor/learners/{learner_id}/otj/{shadowing}", data=query).status_code == 302
    run_worker(services)
    html = client.get(page).data.decode()
    assert "verified <b>7h</b> · logged 7h · queried 3h" in html
    with services.db.session() as session:
        [told] = session.exec(select(Message).where(Message.kind == "otj_queried")).all()
        verdicts = session.exec(
            select(LearningEvent.data).where(LearningEvent.kind == EventKind.OTJ_REVIEWED)
        ).all()
    assert told.phone == "+447700900111" and "Which joint was it?" in told.body and "3h" in told.body
    assert told.status == "delivered"
    again = {"outcome": "queried", "comment": "Still waiting", "csrf_token": form_token(client, page)}
    shown = client.post(f"/mentor/learners/{learner_id}/otj/{shadowing}", data=again, follow_redirects=True)
    assert "No message sent" in shown.data.decode()  # told of this entry already: the mentor is not misled
    assert "the learner has been told" not in shown.data.decode()
    assert [v["outcome"] for v in verdicts] == ["verified", "queried"]  # both in the audit chain
    # A query needs a comment; another mentor cannot touch Jamie's hours.
    empty = {"outcome": "queried", "comment": " ", "csrf_token": form_token(client, page)}
    client.post(f"/mentor/learners/{learner_id}/otj/{college}", data=empty)
    client.get("/logout")
    log_in(client, "kim@example.test", PASSWORD)
    token = form_token(client, "/mentor/")
    refused = client.post(f"/mentor/learners/{learner_id}/otj/{college}", data=verify | {"csrf_token": token})
    assert refused.status_code == 404


def test_a_break_is_recorded_told_shown_and_ended_with_a_welcome_back(client, services):
    learner_id = _people(services)
    log_in(client, "sam@example.test", PASSWORD)
    _agreement(client, learner_id)
    page = f"/mentor/learners/{learner_id}"
    back = (utcnow() + timedelta(days=30)).date().isoformat()
    form = {
        "starts_on": "",
        "expected_return": back,
        "reason": "knee operation",
        "csrf_token": form_token(client, page),
    }
    assert client.post(f"/mentor/learners/{learner_id}/breaks", data=form).status_code == 302
    run_worker(services)
    html = client.get(page).data.decode()
    assert 'id="on-break"' in html and "knee operation" in html and ">paused</b>" in html
    second = client.post(
        f"/mentor/learners/{learner_id}/breaks", data=form | {"csrf_token": form_token(client, page)}
    )
    assert second.status_code == 302  # refused with a message: one open break at a time
    assert "already has a break" in client.get(page).data.decode()
    break_id = int(html.split("/mentor/breaks/", 1)[1].split("/", 1)[0])
    end = {"csrf_token": form_token(client, page)}
    assert client.post(f"/mentor/breaks/{break_id}/end", data=end).status_code == 302
    assert client.post(f"/mentor/breaks/{break_id}/end", data=end).status_code == 302  # twice: one welcome
    run_worker(services)
    assert 'id="on-break"' not in client.get(page).data.decode()
    with services.db.session() as session:
        sent = session.exec(
            select(Message.kind, Message.body).where(Message.direction == "out").order_by(col(Message.id))
        ).all()
        chain = session.exec(
            select(LearningEvent.kind)
            .where(col(LearningEvent.kind).in_(["break_started", "break_ended"]))
            .order_by(col(LearningEvent.seq))
        ).all()
    assert [k for k, _ in sent] == ["break_started", "break_ended"]
    assert "no reminders" in sent[0][1] and sent[1][1].startswith("Welcome back, Jamie")
    assert "knee" not in sent[0][1]  # the reason stays with the staff
    assert chain == ["break_started", "break_ended"]


def test_the_admin_sets_the_standards_minimum_otj_hours_and_the_plan_follows(client, services):
    learner_id = _people(services)
    log_in(client, "sam@example.test", PASSWORD)
    assert client.get("/admin/otj-minimum").status_code == 404  # mentors cannot
    _agreement(client, learner_id, prior_learning_hours="100", prior_learning_note="Level 2 electrical")
    assert "Planned <b>620h</b>" in client.get(f"/mentor/learners/{learner_id}").data.decode()
    client.get("/logout")
    log_in(client, "admin@example.test", PASSWORD)
    html = client.get("/admin/otj-minimum").data.decode()
    assert "ST1332" in html and "<td>720</td>" in html
    form = {"standard_code": "ST1332", "hours": "600", "csrf_token": form_token(client, "/admin/otj-minimum")}
    assert client.post("/admin/otj-minimum", data=form).status_code == 302
    html = client.get(f"/mentor/learners/{learner_id}").data.decode()
    assert "Planned <b>500h</b>" in html and "less 100h prior learning" in html
    # Back to the published figure when the value is cleared.
    form |= {"hours": "", "csrf_token": form_token(client, "/admin/otj-minimum")}
    client.post("/admin/otj-minimum", data=form)
    assert "Planned <b>620h</b>" in client.get(f"/mentor/learners/{learner_id}").data.decode()
