"""The parts of one reply go out together; proactive messages and sustained bursts keep the learner's spacing.

The real pacer on the real Redis, with a fake clock that only its `sleep` moves on: what the learner would
wait shows up as the pacer's sleeps, and nothing here waits for real."""

from __future__ import annotations

import re

import pytest
from sqlmodel import col, select

from sitecoach.delivery import pacing
from sitecoach.delivery.outbox import deliver, queue_outbound
from sitecoach.delivery.pacing import Pacer
from sitecoach.models import Consent, ConversationState, Direction, Learner, Message, utcnow
from sitecoach.wiring import create_app
from tests.conftest import TEST_AUTH_TOKEN, post_signed, run_worker, twilio_form
from tests.delivery.conftest import SENDER, twilio_installed
from tests.stubs.twilio_stub import TwilioStub

ACCOUNT_SID = "AC" + "c" * 32
PHONE = "+447700900611"
SPACING = 6.0  # production's spacing: WhatsApp's pair rate
T0 = 2_000_000.0


class FakeClock:
    """Seconds that move only when the pacer sleeps; the sleeps are what a learner would have waited."""

    def __init__(self) -> None:
        self.now = T0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


# --- the pacer alone ----------------------------------------------------------------------------------


def test_parts_of_a_reply_burst_up_to_the_allowance_then_are_spaced(redis_conn):
    pacer = Pacer(redis_conn, mps=80, spacing_seconds=SPACING, learner_burst=3)
    assert [pacer.acquire(SENDER, PHONE, now=T0, part_of_reply=True) for _ in range(3)] == [0.0] * 3
    assert pacer.acquire(SENDER, PHONE, now=T0, part_of_reply=True) == pytest.approx(SPACING)
    assert pacer.acquire(SENDER, PHONE, now=T0 + SPACING, part_of_reply=True) == 0.0  # one refilled
    assert pacer.acquire(SENDER, PHONE, now=T0 + SPACING, part_of_reply=True) == pytest.approx(SPACING)


def test_a_proactive_message_waits_the_spacing_even_with_burst_left(redis_conn):
    pacer = Pacer(redis_conn, mps=80, spacing_seconds=SPACING, learner_burst=5)
    assert pacer.acquire(SENDER, PHONE, now=T0, part_of_reply=True) == 0.0  # a reply
    assert pacer.acquire(SENDER, PHONE, now=T0 + 1) == pytest.approx(SPACING - 1)  # a nudge right after it
    assert pacer.acquire(SENDER, PHONE, now=T0 + SPACING) == 0.0
    assert pacer.acquire(SENDER, PHONE, now=T0 + SPACING + 2) == pytest.approx(SPACING - 2)  # another nudge
    assert pacer.acquire(SENDER, PHONE, now=T0 + SPACING + 2, part_of_reply=True) == 0.0  # a reply still goes


def test_a_refused_part_gives_its_burst_token_back(redis_conn):
    pacer = Pacer(redis_conn, mps=80, spacing_seconds=SPACING, learner_burst=1)
    assert pacer.acquire(SENDER, PHONE, now=T0, part_of_reply=True) == 0.0
    assert pacer.release(SENDER, PHONE)
    assert pacer.acquire(SENDER, PHONE, now=T0, part_of_reply=True) == 0.0


# --- deliver() through the twilio channel (the local stub), with the production spacing ------------------


@pytest.fixture
def stub():
    with TwilioStub(ACCOUNT_SID, TEST_AUTH_TOKEN) as server:  # the Messages API, as the twilio SDK calls it
        yield server


@pytest.fixture
def twilio_services(services, stub):
    with twilio_installed(services, stub.base_url, ACCOUNT_SID, learner_spacing_seconds=SPACING) as svc:
        yield svc


@pytest.fixture
def clock(twilio_services, monkeypatch) -> FakeClock:
    """The production pacer of the twilio channel, on a fake clock."""
    fake = FakeClock()
    pacer = pacing.pacer_for(twilio_services.channel)
    assert pacer is not None and pacer.spacing == SPACING
    monkeypatch.setattr(pacer, "clock", fake)
    monkeypatch.setattr(pacer, "sleep", fake.sleep)
    return fake


def _learner(svc) -> int:
    with svc.db.session() as session:
        learner = Learner(phone=PHONE, name="Jo", consent=Consent.OPTED_IN, last_inbound_at=utcnow())
        session.add(learner)
        session.flush()
        return int(learner.id or 0)


def _say(client, svc, body: str) -> list[Message]:
    """Post a message through the signed webhook, run the worker; the rows written in reply to it."""
    form = twilio_form(PHONE, body)
    assert post_signed(client, "/whatsapp/inbound", form).status_code == 200
    run_worker(svc)
    with svc.db.session() as session:
        inbound = session.exec(select(Message).where(Message.twilio_sid == form["MessageSid"])).one()
        return list(
            session.exec(
                select(Message).where(Message.in_reply_to_id == inbound.id).order_by(col(Message.id))
            ).all()
        )


def test_a_quiz_not_quite_and_the_next_question_go_out_without_the_gap(twilio_services, stub, clock):
    learner_id = _learner(twilio_services)
    client = create_app(services=twilio_services).test_client()
    question = _say(client, twilio_services, "quiz me")
    assert re.search(r"\bA\)", question[-1].body)
    with twilio_services.db.session() as session:
        code = session.exec(select(ConversationState).where(ConversationState.learner_id == learner_id)).one()
        item = twilio_services.catalogue().items[code.data["item"]]
    wrong = "ABCD"[(item.answer_index + 1) % len(item.options)]
    clock.now += 120  # a learner takes a while to answer
    clock.slept.clear()

    feedback, nxt = _say(client, twilio_services, wrong)

    assert "Not quite" in feedback.body and re.search(r"\bA\)", nxt.body)
    assert feedback.status == nxt.status == "queued"  # both accepted by Twilio
    assert clock.slept == []  # no 6 s between the two parts of the answer
    assert [stub.shown(m) for m in stub.messages[-2:]] == [feedback.body, nxt.body]


def _inbound(svc) -> int:
    with svc.db.session() as session:
        row = Message(direction=Direction.IN, phone=PHONE, body="tell me everything", status="received")
        session.add(row)
        session.flush()
        return int(row.id or 0)


def _rows(svc, count: int, in_reply_to_id: int | None, tag: str) -> list[int]:
    with svc.db.session() as session:
        rows = [
            queue_outbound(
                session,
                phone=PHONE,
                body=f"{tag} {i}",
                dedupe_key=f"{tag}:{i}",
                learner_id=None,
                in_reply_to_id=in_reply_to_id,
            )[0]
            for i in range(count)
        ]
        session.flush()
        return [int(r.id or 0) for r in rows]


def test_two_proactive_messages_to_one_learner_are_still_spaced(twilio_services, stub, clock):
    ids = _rows(twilio_services, 2, None, "nudge")
    assert deliver(twilio_services.db, twilio_services.channel, ids, None) == 2
    assert clock.slept == [pytest.approx(SPACING)]
    assert len(stub.messages) == 2


def test_a_burst_beyond_the_allowance_is_spaced(twilio_services, stub, clock):
    allowance = twilio_services.settings.learner_burst_messages
    reply_to = _inbound(twilio_services)
    ids = _rows(twilio_services, allowance + 2, reply_to, "part")
    assert deliver(twilio_services.db, twilio_services.channel, ids, None) == allowance + 2
    assert clock.slept == [pytest.approx(SPACING)] * 2  # the first `allowance` together, then one per spacing
    assert len(stub.messages) == allowance + 2
