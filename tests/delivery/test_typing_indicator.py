"""WhatsApp's typing indicator (Twilio's Typing Indicators resource, through the real twilio SDK against the
local stub): shown when an answer takes longer than the threshold, never a reason for an answer not to go."""

from __future__ import annotations

import pytest
from sqlmodel import select

from sitecoach.models import Consent, Learner, Message
from sitecoach.wiring import create_app
from tests.conftest import TEST_AUTH_TOKEN, post_signed, run_worker, twilio_form
from tests.delivery.conftest import twilio_installed
from tests.stubs.anthropic_stub import AnthropicStub
from tests.stubs.twilio_stub import TYPING_PATH, TwilioStub

ACCOUNT_SID = "AC" + "d" * 32
PHONE = "+447700900671"


@pytest.fixture
def stub():
    with TwilioStub(ACCOUNT_SID, TEST_AUTH_TOKEN) as server:  # Messages and the typing indicator
        yield server


@pytest.fixture
def claude():
    with AnthropicStub() as server:
        yield server


def _coach(services, stub, claude, after: float):
    """The coach on the twilio channel, with Claude configured, showing "typing..." after `after` s."""
    return twilio_installed(
        services,
        stub.base_url,
        ACCOUNT_SID,
        typing_indicator_after_seconds=after,
        anthropic_api_key="test-key",
        anthropic_base_url=claude.base_url,
        llm_timeout_seconds=5.0,
        llm_route_below=0.0,
    )


def _ask(svc, text: str) -> tuple[str, list[Message]]:
    """Post a learner's message through the signed webhook and run the worker: its SID and the replies."""
    with svc.db.session() as session:
        if session.exec(select(Learner).where(Learner.phone == PHONE)).first() is None:
            session.add(Learner(phone=PHONE, name="Jo", consent=Consent.OPTED_IN))
    form = twilio_form(PHONE, text)
    assert post_signed(create_app(services=svc).test_client(), "/whatsapp/inbound", form).status_code == 200
    run_worker(svc)
    with svc.db.session() as session:
        inbound = session.exec(select(Message).where(Message.twilio_sid == form["MessageSid"])).one()
        replies = session.exec(select(Message).where(Message.in_reply_to_id == inbound.id)).all()
    return form["MessageSid"], list(replies)


def _paths(stub) -> list[str]:
    return [r.path for r in stub.requests if r.method == "POST"]


def test_a_slow_llm_answer_shows_typing_on_the_learners_message_before_it_arrives(services, stub, claude):
    claude.reply_text("Spiking drives a spike through the cores, so you know the cable is dead.")
    claude.delay_next(0.8)  # Claude takes its time; the threshold is a tenth of that
    with _coach(services, stub, claude, after=0.1) as svc:
        sid, [answer] = _ask(svc, "why do we spike a cable")
    assert answer.body.startswith("Spiking drives a spike") and answer.status == "queued"
    assert stub.typing == [sid]  # "typing..." on the message being answered
    typing = _paths(stub).index(TYPING_PATH)
    assert typing < len(_paths(stub)) - 1 and _paths(stub)[-1].endswith("/Messages.json")  # then the answer
    [request] = [r for r in stub.requests if r.path == TYPING_PATH]
    assert request.basic_auth_ok and request.form == {"messageId": [sid], "channel": ["whatsapp"]}


def test_a_quick_answer_shows_no_typing(services, stub, claude):
    with _coach(services, stub, claude, after=30.0) as svc:
        _, replies = _ask(svc, "hi")
    assert replies and all(r.status == "queued" for r in replies)
    assert stub.typing == [] and TYPING_PATH not in _paths(stub)


def test_an_account_without_typing_indicators_still_gets_its_answer(services, stub, claude):
    stub.typing_status = 404  # the beta is not on this account
    with _coach(services, stub, claude, after=0) as svc:
        _, replies = _ask(svc, "hi")
        _, again = _ask(svc, "quiz me")
    assert replies and again and all(r.status == "queued" for r in replies + again)
    assert stub.typing == [] and _paths(stub).count(TYPING_PATH) == 2  # asked each time, refused, ignored
