"""Identity beyond phone numbers: WhatsApp users who reach us with a BSUID (business-scoped user id) and no
number, as Twilio delivers them (`From=whatsapp:<BSUID>`, `ExternalUserId=<BSUID>`, `ProfileUsername`).

The conversation runs through the real signed webhook, a real RQ worker and the real Twilio SDK against the
local stub; replies must reach the stub addressed `To=whatsapp:<BSUID>`, exactly as the BSUID arrived.
"""

from __future__ import annotations

import json
import logging
import re
from dataclasses import dataclass
from pathlib import Path

import pytest
from flask.testing import FlaskClient
from sqlmodel import select

from sitecoach.infra.observability import JsonFormatter
from sitecoach.jobs import runtime
from sitecoach.models import ConversationState, EvidenceItem, Learner, LearningEvent, Mentor
from sitecoach.services import Services
from sitecoach.wiring import build_services, create_app
from tests.conftest import TEST_AUTH_TOKEN, add_admin, post_signed, run_worker, twilio_form
from tests.stubs.twilio_stub import TwilioStub

ACCOUNT = "AC" + "b" * 32
BSUID = "GB.1502576394655843xYz"  # as Meta shapes it: country, dot, letters and digits (kept as received)
USERNAME = "@sparky_jo"
PHONE = "+447700900555"
JPEG = b"\xff\xd8\xff\xe0" + b"pot-end on a cleated cable" * 40 + b"\xff\xd9"


def bsuid_form(body: str = "", bsuid: str = BSUID, **extra: str) -> dict[str, str]:
    """What Twilio posts for a user who shares no number: the BSUID in From and in ExternalUserId."""
    form = twilio_form(PHONE, body, **extra)
    form.update(From=f"whatsapp:{bsuid}", ExternalUserId=bsuid, ProfileUsername=USERNAME)
    form.pop("WaId")
    return form


@dataclass
class TwilioCoach:
    """The coach on the shared database and Redis, speaking through the twilio channel to a local stub."""

    services: Services
    client: FlaskClient
    stub: TwilioStub


@pytest.fixture
def twilio(services):
    with TwilioStub(ACCOUNT, TEST_AUTH_TOKEN) as stub:
        overrides = {"twilio_account_sid": ACCOUNT, "twilio_api_base_url": stub.base_url}
        svc = build_services(
            services.settings.with_overrides(
                coach_channel="twilio", twilio_whatsapp_from="+14155238886", **overrides
            )
        )
        runtime.install(svc)
        app = create_app(services=svc)
        app.config.update(TESTING=True)
        try:
            yield TwilioCoach(svc, app.test_client(), stub)
        finally:
            runtime.install(services)
            svc.close()


def _say(twilio: TwilioCoach, body: str = "", **extra: str) -> list[str]:
    """One message from the BSUID-only user; the texts of the replies the stub received for it."""
    before = len(twilio.stub.messages)
    form = bsuid_form(body, **extra)
    assert post_signed(twilio.client, "/whatsapp/inbound", form).status_code == 200
    run_worker(twilio.services)
    sent = twilio.stub.messages[before:]
    assert sent and all(m["To"] == f"whatsapp:{BSUID}" for m in sent), [m["To"] for m in sent]
    return [twilio.stub.shown(m) for m in sent]  # the text, or the text of buttons or a list


def _learner(svc) -> Learner:
    with svc.db.session() as session:
        return session.exec(select(Learner).where(Learner.bsuid == BSUID)).one()


def test_a_bsuid_only_user_onboards_takes_a_quiz_and_files_evidence_end_to_end(twilio, caplog):
    svc, stub = twilio.services, twilio.stub
    caplog.set_level(logging.INFO)
    # Onboarding: welcome, consent, name.
    assert "Welcome to *Site Coach*" in _say(twilio, "hi")[0]
    _say(twilio, "yes")
    _say(twilio, "Jo")
    learner = _learner(svc)
    assert learner.phone is None and learner.bsuid == BSUID and learner.username == USERNAME
    assert learner.name == "Jo" and learner.consent == "opted_in"

    # A quiz: the question, then the right answer marked and recorded.
    [question] = _say(twilio, "quiz me")
    assert question.startswith("*Q1/5*")
    with svc.db.session() as session:
        state = session.exec(
            select(ConversationState).where(ConversationState.learner_id == learner.id)
        ).one()
    item = svc.catalogue().items[state.data["item"]]
    feedback = _say(twilio, "ABCD"[item.answer_index])[0]
    assert feedback.startswith("✅ Correct.")
    _say(twilio, "done")
    with svc.db.session() as session:
        answered = session.exec(
            select(LearningEvent).where(
                LearningEvent.learner_id == learner.id, LearningEvent.kind == "quiz_answered"
            )
        ).one()
    assert answered.data["correct"] is True

    # Evidence: a photo (fetched from the stub's media), confirmed, saved against the learner.
    media_url = stub.add_media(JPEG, "image/jpeg")
    confirm = _say(
        twilio,
        "LV resin straight joint on waveform today",
        NumMedia="1",
        MediaUrl0=media_url,
        MediaContentType0="image/jpeg",
    )[-1]
    assert "This looks like evidence for" in confirm
    assert "Saved ✅ Evidence" in _say(twilio, "1")[-1]
    with svc.db.session() as session:
        item_saved = session.exec(select(EvidenceItem).where(EvidenceItem.learner_id == learner.id)).one()
        assert session.exec(select(Learner).where(Learner.bsuid == BSUID)).one().id == learner.id
    assert Path(item_saved.media[0]["path"]).read_bytes() == JPEG

    # Logs never carry the full BSUID: neither what our code wrote nor what the JSON formatter emits.
    formatter = JsonFormatter()
    assert caplog.records
    for record in caplog.records:
        assert BSUID not in record.getMessage(), record.getMessage()
        assert BSUID not in formatter.format(record)


def test_a_bsuid_that_arrives_beside_a_known_number_is_recorded_on_that_learner(coach, services):
    coach.onboard(PHONE, "Sam")
    # WhatsApp now sends the BSUID too (Twilio: ExternalUserId beside the number).
    replies = coach.send("how do i prove dead", PHONE, ExternalUserId=BSUID, ProfileUsername=USERNAME)
    assert replies
    with services.db.session() as session:
        [learner] = session.exec(select(Learner).where(Learner.phone == PHONE)).all()
        assert learner.bsuid == BSUID and learner.username == USERNAME and learner.name == "Sam"
    # Later the number is withheld: the same learner, no second onboarding, still answered on the number.
    replies = coach.send("how do i prove dead", PHONE, From=f"whatsapp:{BSUID}", WaId="")
    assert replies and not any("Welcome to *Site Coach*" in r for r in replies)
    with services.db.session() as session:
        assert len(session.exec(select(Learner).where(Learner.bsuid == BSUID)).all()) == 1
        assert session.exec(select(Learner).where(Learner.phone == PHONE)).one().bsuid == BSUID


def test_a_mentor_writing_without_their_number_is_still_the_mentor(coach, services):
    mentor_phone = "+447700900777"
    with services.db.session() as session:
        session.add(Mentor(name="Mo Mentor", phone=mentor_phone, email="mo@example.test"))
    first = coach.send("#E999 hello", mentor_phone, ExternalUserId=BSUID)
    later = coach.send("#E999 hello", mentor_phone, From=f"whatsapp:{BSUID}", WaId="")
    assert first and later == first  # the mentor inbox's answer, not a learner's onboarding
    assert not any("Welcome to *Site Coach*" in r for r in later)
    with services.db.session() as session:
        assert session.exec(select(Mentor).where(Mentor.bsuid == BSUID)).one().phone == mentor_phone
        assert session.exec(select(Learner).where(Learner.bsuid == BSUID)).first() is None


def test_staff_see_the_username_or_a_masked_bsuid_never_the_full_id(client, services):
    from tests.web.test_admin import PASSWORD, _login

    add_admin(services, "admin@example.test", PASSWORD)
    with services.db.session() as session:
        session.add(Learner(bsuid=BSUID, username=USERNAME))
        session.add(Learner(bsuid="GB.ENT.99887766554433"))
    _login(client)
    page = client.get("/admin/").data.decode()
    assert USERNAME in page and "GB.…433" in page
    assert BSUID not in page and "99887766554433" not in page


def test_a_webhook_from_neither_a_number_nor_a_bsuid_is_refused(client):
    form = bsuid_form("hi", bsuid="not-an-id")
    assert post_signed(client, "/whatsapp/inbound", form).status_code == 400


def test_json_logs_mask_a_bsuid_written_by_mistake():
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "sent to %s", (BSUID,), None)
    line = json.loads(JsonFormatter().format(record))["msg"]
    assert BSUID not in line and re.search(r"GB\.…xYz", line)
