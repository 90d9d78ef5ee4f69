"""The restricted safeguarding log: only the designated safeguarding leads of the concern's cohort read it,
for every other role it is refused (an admin without the DSL flag sees a count); notes are appended with
who and when, and the outcome and status are recorded. The mentor's pages never show the concern."""

from __future__ import annotations

import pytest
from sqlmodel import select

from sitecoach.models import SafeguardingNote
from tests.conftest import form_token, log_in
from tests.safeguarding.world import LEARNER_PHONE, PASSWORD, World, concerns, make_world

WORDS = "the ganger keeps touching me and said to keep it a secret"


@pytest.fixture
def raised(coach, services) -> tuple[World, int]:
    world = make_world(services)
    coach.send(WORDS, LEARNER_PHONE)
    [concern] = concerns(services)
    return world, int(concern.id or 0)


def test_anonymous_is_sent_to_log_in(client, raised):
    _world, concern_id = raised
    for path in ("/safeguarding", f"/safeguarding/{concern_id}"):
        response = client.get(path)
        assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_a_learner_link_opens_nothing(client, services, raised):
    world, concern_id = raised
    url = services.links.lesson_url(world.learner, "L03")  # the learner's own signed lesson link
    assert client.get(url.replace("https://coach.example.test", "")).status_code == 200
    for path in ("/safeguarding", f"/safeguarding/{concern_id}"):
        response = client.get(path)
        assert response.status_code == 302 and "/login" in response.headers["Location"]
        assert WORDS not in response.data.decode()


@pytest.mark.parametrize(
    ("who", "log_status"),
    [
        ("mentor_email", 403),  # the learner's own mentor: the one who may be implicated
        ("other_mentor_email", 403),
        ("provider_email", 403),  # a provider user of the cohort, without the DSL flag
        ("other_dsl_email", 200),  # a DSL, but of another cohort: an empty log
        ("admin_email", 200),  # an admin without the DSL flag: a count, no concern
    ],
)
def test_every_other_role_is_refused_the_concern(client, services, raised, who, log_status):
    world, concern_id = raised
    log_in(client, getattr(world, who), PASSWORD)
    log = client.get("/safeguarding")
    assert log.status_code == log_status
    assert WORDS not in log.data.decode() and "Jamie Reid" not in log.data.decode()
    page = client.get(f"/safeguarding/{concern_id}")
    assert page.status_code == 404 and WORDS not in page.data.decode()
    token = form_token(client, "/mentor")  # a valid token, from a page they may open
    form = {"note": "x", "status": "closed", "csrf_token": token}
    assert client.post(f"/safeguarding/{concern_id}", data=form).status_code == 404
    assert concerns(services)[0].status == "open"
    with services.db.read_session() as session:
        assert session.exec(select(SafeguardingNote)).all() == []


def test_an_admin_without_the_dsl_flag_sees_only_a_count(client, raised):
    world, _concern_id = raised
    log_in(client, world.admin_email, PASSWORD)
    page = client.get("/safeguarding").data.decode()
    assert "1 open safeguarding concern" in page and "#S" not in page


def test_the_cohorts_dsl_reads_it_adds_notes_and_records_the_outcome(client, services, raised):
    world, concern_id = raised
    log_in(client, world.dsl_email, PASSWORD)
    log = client.get("/safeguarding").data.decode()
    assert "Jamie Reid" in log and f"#S{concern_id}" in log
    page = client.get(f"/safeguarding/{concern_id}").data.decode()
    assert "keeps touching me" in page and "Priya Shah" in page
    path = f"/safeguarding/{concern_id}"
    first = {"note": "Called Jamie, safe tonight.", "status": "open", "csrf_token": form_token(client, path)}
    assert client.post(path, data=first).status_code == 302
    second = {
        "note": "Referred to the local authority designated officer.",
        "outcome": "referred_local_authority",
        "status": "closed",
        "csrf_token": form_token(client, path),
    }
    client.post(path, data=second)
    page = client.get(path).data.decode()
    assert page.index("Called Jamie") < page.index("Referred to the local authority")
    assert "referred local authority" in page and "closed" in page
    [concern] = concerns(services)
    assert concern.status == "closed" and concern.outcome == "referred_local_authority"
    with services.db.read_session() as session:
        notes = session.exec(select(SafeguardingNote).order_by(SafeguardingNote.id)).all()
    assert [n.body for n in notes][0] == "Called Jamie, safe tonight." and len(notes) == 2
    assert all(n.author_id == notes[0].author_id and n.created_at for n in notes)


def test_the_mentor_pages_never_show_the_concern(client, raised):
    world, _concern_id = raised
    log_in(client, world.mentor_email, PASSWORD)
    summary = client.get("/mentor").data.decode()
    page = client.get(f"/mentor/learners/{world.learner}").data.decode()
    assert "Jamie Reid" in summary and "Jamie Reid" in page  # the mentor still sees their learner
    for shown in (summary, page):
        assert "touching" not in shown and "safeguarding" not in shown.lower()
        assert "0800 1111" not in shown and "withheld" not in shown
