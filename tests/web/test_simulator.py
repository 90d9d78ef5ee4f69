"""The WhatsApp simulator drives the real webhook path; its conversation API is what tools read. Like a
browser, each test logs in as an admin and sends the page's CSRF token."""

from __future__ import annotations

import io

import pytest
from sqlmodel import select

from sitecoach.models import EvidenceItem, Message
from tests.conftest import log_in_as_simulator_admin, run_worker, simulator_token

PHONE = "+447700900123"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@pytest.fixture
def client(client, services):  # type: ignore[no-untyped-def]
    """The test client, logged in as an admin (the simulator answers nobody else)."""
    log_in_as_simulator_admin(client, services)
    return client


def _send(client, services, body="", phone=PHONE, photo=None):
    data = {"phone": phone, "body": body, "profile_name": "Jay"}
    if photo:
        data["photo"] = (io.BytesIO(photo), "joint.png", "image/png")
    response = client.post(
        "/simulator/api/send",
        data=data,
        content_type="multipart/form-data",
        headers={"X-CSRFToken": simulator_token(client)},
    )
    run_worker(services)
    return response


def _conversation(client, phone=PHONE):
    response = client.get("/simulator/api/conversation", query_string={"phone": phone})
    assert response.status_code == 200
    return response.json


def test_page_renders_with_both_phones(client):
    page = client.get("/simulator")
    assert page.status_code == 200
    assert b"Learner phone" in page.data and b"Mentor phone" in page.data


def test_simulator_posts_signed_twilio_requests_and_shows_replies(client, services):
    assert _send(client, services, "hello").status_code == 200
    convo = _conversation(client)
    assert [m["direction"] for m in convo] == ["in", "out"]
    assert convo[0]["body"] == "hello" and "Welcome to *Site Coach*" in convo[1]["body"]
    assert set(convo[0]) >= {"direction", "body", "media", "at"}
    with services.db.session() as session:
        stored = session.exec(select(Message).where(Message.direction == "in")).one()
    assert stored.twilio_sid.startswith("SM") and stored.raw["From"] == f"whatsapp:{PHONE}"


def test_quiz_round_trip_in_the_simulator(client, services):
    for text in ("hi", "yes", "Jamie", "quiz me on excavation"):
        _send(client, services, text)
    question = _conversation(client)[-1]["body"]
    assert question.startswith("*Q1/5*")
    _send(client, services, "a")
    last_two = [m["body"] for m in _conversation(client)[-2:]]
    assert last_two[0].startswith(("✅", "❌")) and last_two[1].startswith("*Q2/5*")


def test_photo_evidence_with_confirmation_in_the_simulator(client, services):
    for text in ("hi", "yes", "Jamie"):
        _send(client, services, text)
    assert _send(client, services, "", photo=PNG).status_code == 200
    assert "Add a short note" in _conversation(client)[-1]["body"]
    _send(client, services, "proved dead at the LV pillar with the voltage indicator and proving unit")
    confirm = _conversation(client)[-1]["body"]
    assert "This looks like evidence for" in confirm and "ISO-S1" in confirm
    _send(client, services, "all")
    assert "Saved ✅" in _conversation(client)[-1]["body"]
    with services.db.session() as session:
        item = session.exec(select(EvidenceItem)).one()
    assert item.status == "pending" and "ISO-S1" in item.competencies and len(item.media) == 1
    inbound_photo = [m for m in _conversation(client) if m["media"]]
    assert (
        inbound_photo
        and client.get(inbound_photo[0]["media"][0].split("coach.example.test")[1]).status_code == 200
    )


def test_bad_simulator_input_gets_clear_errors(client, services):
    token = {"X-CSRFToken": simulator_token(client)}
    for data in ({"phone": "nope", "body": "hi"}, {"phone": PHONE, "body": "  "}):
        response = client.post("/simulator/api/send", data=data, headers=token)
        assert response.status_code == 400 and response.json["error"]
    bad = {
        "phone": PHONE,
        "body": "",
        "photo": (io.BytesIO(b"MZ..."), "virus.exe", "application/x-msdownload"),
    }
    sent = client.post("/simulator/api/send", data=bad, content_type="multipart/form-data", headers=token)
    assert sent.status_code == 400 and "JPEG" in sent.json["error"]
    assert client.get("/simulator/api/conversation", query_string={"phone": "x"}).status_code == 400


def test_simulator_is_off_when_the_coach_speaks_twilio(services):
    from sitecoach.wiring import create_app

    services.settings = services.settings.with_overrides(simulator_enabled=False)
    app = create_app(services=services)
    assert app.test_client().get("/simulator").status_code == 404


def test_the_simulator_shows_choices_and_a_tap_posts_twilios_button_fields(client, services):
    _send(client, services, "hi")
    welcome = _conversation(client)[-1]
    assert [o["id"] for o in welcome["choices"]["options"]] == ["yes", "no"]
    response = client.post(
        "/simulator/api/send",
        data={"phone": PHONE, "body": "Yes, send them", "tap_style": "buttons", "tap_id": "yes"},
        content_type="multipart/form-data",
        headers={"X-CSRFToken": simulator_token(client)},
    )
    assert response.status_code == 200
    run_worker(services)
    with services.db.session() as session:
        tap = session.exec(
            select(Message).where(Message.direction == "in").order_by(Message.id.desc())
        ).first()
    assert tap.button_payload == "yes" and tap.raw["ButtonText"] == "Yes, send them"
    assert "What should I call you?" in _conversation(client)[-1]["body"]
