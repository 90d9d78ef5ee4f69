"""Buttons and lists through Twilio's Content API (the real SDK against the local stub), taps coming back
through the webhook as Twilio posts them, and the numbered-text fallback."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlmodel import select
from twilio.base.exceptions import TwilioRestException

from sitecoach.delivery.channels import TwilioChannel
from sitecoach.delivery.outbox import deliver, queue_outbound
from sitecoach.models import Consent, ConversationState, Learner, Message, utcnow
from sitecoach.models.choices import offer
from tests.delivery.test_twilio_channel import (  # noqa: F401 (fixtures)
    PHONE,
    _say,
    stub,
    twilio_client,
    twilio_services,
)
from tests.stubs.twilio_stub import TwilioStub

OTHER_PHONE = "+447700900654"


def _content_posts(stub) -> list:  # noqa: F811
    return [r for r in stub.requests if r.method == "POST" and r.path == "/v1/Content"]


def test_the_consent_question_goes_as_yes_no_buttons(twilio_client, twilio_services, stub):  # noqa: F811
    _say(twilio_client, twilio_services, "hi")
    [sent] = stub.messages
    assert sent["ContentSid"].startswith("HX") and "Body" not in sent
    assert "Welcome to *Site Coach*" in json.loads(sent["ContentVariables"])["1"]
    reply = stub.content_of(sent)["types"]["twilio/quick-reply"]
    assert reply["body"] == "{{1}}"
    buttons = [(a["id"], a["title"]) for a in reply["actions"]]
    assert buttons == [("yes", "Yes, send them"), ("no", "No thanks")]


def test_tapping_yes_gives_consent_like_typing_it(twilio_client, twilio_services, stub):  # noqa: F811
    _say(twilio_client, twilio_services, "hi")
    _say(
        twilio_client,
        twilio_services,
        "Yes, send them",
        ButtonText="Yes, send them",
        ButtonPayload="yes",
        MessageType="button",
    )
    assert "What should I call you?" in TwilioStub.shown(stub.messages[-1])
    with twilio_services.db.session() as session:
        learner = session.exec(select(Learner).where(Learner.phone == PHONE)).one()
        inbound = select(Message).where(Message.direction == "in").order_by(Message.id.desc())
        tap = session.exec(inbound).first()
    assert learner.consent == Consent.OPTED_IN
    assert tap.button_payload == "yes"


def test_the_same_buttons_are_created_once_and_reused(twilio_client, twilio_services, stub):  # noqa: F811
    _say(twilio_client, twilio_services, "hi")
    assert post_hi(twilio_client, twilio_services, OTHER_PHONE)
    first, second = stub.messages
    assert first["ContentSid"] == second["ContentSid"]
    assert len(_content_posts(stub)) == 1


def post_hi(client, services, phone: str) -> bool:
    from tests.conftest import post_signed, run_worker, twilio_form

    ok = post_signed(client, "/whatsapp/inbound", twilio_form(phone, "hi")).status_code == 200
    run_worker(services)
    return ok


def test_a_quiz_question_is_a_list_and_a_tapped_row_is_marked(twilio_client, twilio_services, stub):  # noqa: F811
    for text in ("hi", "yes", "Jamie", "quiz me on earthing"):
        _say(twilio_client, twilio_services, text)
    question = stub.messages[-1]
    assert "Reply with a letter" in TwilioStub.shown(question)
    with twilio_services.db.session() as session:
        state = session.exec(select(ConversationState)).one()
    item = twilio_services.catalogue().items[state.data["item"]]
    picker = stub.content_of(question)["types"]
    kind = "twilio/quick-reply" if len(item.options) <= 3 else "twilio/list-picker"
    rows = picker[kind]["actions" if kind == "twilio/quick-reply" else "items"]
    assert [r["id"] for r in rows] == ["ABCDEFGH"[i] for i in range(len(item.options))]
    right = "ABCDEFGH"[item.answer_index]
    _say(
        twilio_client,
        twilio_services,
        f"{right}) {item.options[item.answer_index]}"[:24],
        ListId=right,
        ListTitle=f"{right}) {item.options[item.answer_index]}"[:24],
        MessageType="interactive",
    )
    assert "✅ Correct." in TwilioStub.shown(stub.messages[-2])  # then the next question
    with twilio_services.db.session() as session:
        tap = session.exec(
            select(Message).where(Message.direction == "in").order_by(Message.id.desc())
        ).first()
    assert tap.button_payload == right  # the row's id is stored and routed, as a typed letter would be


def test_when_the_content_api_fails_the_message_goes_as_text(twilio_client, twilio_services, stub):  # noqa: F811
    stub.fail_content_next(500)
    _say(twilio_client, twilio_services, "hi")
    [sent] = stub.messages
    assert "ContentSid" not in sent
    assert "Welcome to *Site Coach*" in sent["Body"] and "Reply *YES* or *NO*" in sent["Body"]
    _say(twilio_client, twilio_services, "yes")  # typing still answers it
    assert "What should I call you?" in stub.messages[-1]["Body"]


def test_outside_the_24_hour_window_choices_go_as_numbered_text(twilio_services, stub):  # noqa: F811
    with twilio_services.db.session() as session:
        learner = Learner(phone=PHONE, name="Jamie", last_inbound_at=utcnow() - timedelta(days=2))
        session.add(learner)
        session.flush()
        [row] = queue_outbound(
            session,
            phone=PHONE,
            body="Send you a question each morning?",
            dedupe_key="test:window",
            learner_id=learner.id,
            choices=offer([("yes", "Yes"), ("no", "No thanks")]),
        )
        session.flush()
        row_id = row.id
    assert deliver(twilio_services.db, twilio_services.channel, [row_id], None) == 1
    [sent] = stub.messages
    assert "ContentSid" not in sent and not _content_posts(stub)
    assert sent["Body"] == "Send you a question each morning?\n\n1. Yes\n2. No thanks (reply *NO*)"


def test_another_worker_reuses_the_content_created_by_the_first(twilio_client, twilio_services, stub):  # noqa: F811
    _say(twilio_client, twilio_services, "hi")  # creates the YES/NO buttons
    fresh = TwilioChannel(twilio_services.settings)  # a new process: nothing in memory
    from sitecoach.skills.onboarding import CONSENT_CHOICES

    result = fresh.send(OTHER_PHONE, "Still want reminders?", [], None, choices=CONSENT_CHOICES)
    assert result.sid == stub.messages[-1]["_sid"]
    assert stub.messages[-1]["ContentSid"] == stub.messages[0]["ContentSid"]
    assert len(_content_posts(stub)) == 1


def test_the_stub_refuses_content_whatsapp_would_refuse(twilio_services, stub):  # noqa: F811
    from twilio.rest.content.v1.content import ContentList

    four = [{"id": c, "title": c} for c in "ABCD"]
    types = {"twilio/quick-reply": {"body": "?", "actions": four}}
    request = {"friendly_name": "x", "language": "en", "types": types}
    with pytest.raises(TwilioRestException) as refused:
        twilio_services.channel.client.content.v1.contents.create(ContentList.ContentCreateRequest(request))
    assert refused.value.status == 400 and not stub.contents
