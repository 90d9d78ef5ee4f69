"""Finding 2 (issue 16): STOP was not checked at send time. A reply waiting for a Twilio retry, a pacing
delay or stuck-send recovery went out after the learner had opted out. Now consent is checked when a send
is claimed, and STOP cancels the learner's pending sends (kept, marked with the reason, shown to the admin);
the STOP confirmation and emergency answers still go.

Real parts: the signed webhook, a real RQ worker and Redis, the real twilio SDK against the local stub."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import update
from sqlmodel import col, select

from sitecoach.jobs import tasks as jobs
from sitecoach.models import Consent, Learner, Message, utcnow
from sitecoach.wiring import build_services
from tests.conftest import post_signed, run_worker, twilio_form
from tests.faults import test_faults as faults
from tests.faults.test_faults import _admin_client, _client, _run_due_rq_work, _twilio_settings

pytestmark = pytest.mark.faults

PATH = "/whatsapp/inbound"
PHONE = "+447700900211"
LATER = timedelta(minutes=30)  # past the stuck-send threshold
OPTED_OUT_CODE = "opted_out"  # the error code a send cancelled by STOP carries
stub, twilio = faults.stub, faults.twilio  # the fault tests' fixtures: the Twilio stub, services using it


def _learner(svc, consent: Consent = Consent.OPTED_IN) -> None:
    with svc.db.session() as session:
        session.add(Learner(phone=PHONE, name="Jamie", consent=consent))


def _say(svc, client, text: str) -> int:
    """The learner sends `text`; a worker processes it. Returns the inbound row's id."""
    form = twilio_form(PHONE, text)
    assert post_signed(client, PATH, form).status_code == 200
    run_worker(svc)
    with svc.db.session() as session:
        return int(session.exec(select(Message.id).where(Message.twilio_sid == form["MessageSid"])).one())


def _replies(svc, inbound_id: int) -> list[Message]:
    with svc.db.session() as session:
        return list(
            session.exec(
                select(Message).where(Message.in_reply_to_id == inbound_id).order_by(col(Message.id))
            ).all()
        )


def _delivered(stub) -> list[str]:  # type: ignore[no-untyped-def]
    return [m.get("Body") or "" for m in stub.messages if m["To"] == f"whatsapp:{PHONE}"]


def test_a_reply_waiting_for_a_twilio_retry_is_not_sent_after_stop(twilio, stub):
    """The review's scenario: Twilio answers 500 to a reply; the learner sends STOP; RQ's retry comes."""
    _learner(twilio)
    client = _client(twilio)
    stub.fail_next(500)
    asked = _say(twilio, client, "help")
    [reply] = _replies(twilio, asked)
    assert reply.status == "pending"  # waiting for RQ's retry

    stub.fail_next(500)  # the STOP confirmation needs a retry too: it must still go
    stop = _say(twilio, client, "STOP")
    _run_due_rq_work(twilio)
    _run_due_rq_work(twilio)

    confirmation = twilio.prompts.render("stop/confirmed")
    assert _delivered(stub) == [confirmation], "a reply written before STOP reached the learner after it"
    [reply] = _replies(twilio, asked)
    assert (reply.status, reply.error_code) == ("canceled", OPTED_OUT_CODE)  # kept, with the reason
    assert "opted out" in reply.error_message
    assert [r.status for r in _replies(twilio, stop)] == ["queued"]

    page = _admin_client(twilio).get("/admin/queues").data.decode()
    assert "Not sent: the learner opted out first" in page and "opted out (STOP)" in page
    assert PHONE not in page  # masked


def test_a_send_left_claimed_by_a_dead_worker_is_not_sent_after_stop(twilio, stub):
    """A worker claimed the reply and died mid-send (the state the kill -9 test in test_faults.py leaves);
    STOP comes; stuck-send recovery finds nothing in Twilio's log and releases the send: its claim must
    see the opt-out."""
    _learner(twilio)
    client = _client(twilio)
    stub.fail_next(500)
    asked = _say(twilio, client, "help")
    [reply] = _replies(twilio, asked)
    with twilio.db.session() as session:  # claimed, then the worker was killed
        session.exec(
            update(Message)
            .where(col(Message.id) == reply.id)
            .values(status="sending", sent_at=utcnow() - timedelta(minutes=20))
        )
    _say(twilio, client, "STOP")
    assert _replies(twilio, asked)[0].status == "sending"  # a claimed send is its worker's: STOP leaves it

    recovered = jobs.reconcile_stuck_sends((utcnow() + LATER).isoformat())
    assert recovered["resent"] == 1  # Twilio never had it: released to be sent again
    _run_due_rq_work(twilio)

    assert _delivered(stub) == [twilio.prompts.render("stop/confirmed")]
    [reply] = _replies(twilio, asked)
    # Only the try Twilio refused before STOP counts: the withheld claim was never a try.
    assert (reply.status, reply.error_code, reply.attempts) == ("canceled", OPTED_OUT_CODE, 1)


def test_a_reply_held_back_by_pacing_is_not_sent_after_stop(services, stub):
    """WhatsApp's pair rate holds the second reply back (pacing leaves it pending for RQ to retry); STOP
    comes before the retry. (No burst allowance here: the learner's burst is spent.)"""
    settings = _twilio_settings(services, stub)
    svc = build_services(settings.with_overrides(learner_spacing_seconds=60, learner_burst_messages=0))
    jobs.runtime.install(svc)
    try:
        _learner(svc)
        client = _client(svc)
        _say(svc, client, "help")  # sent: the learner's spacing runs for 60 s
        held = _say(svc, client, "what's my progress")
        assert {r.status for r in _replies(svc, held)} == {"pending"}  # paced: the wait is too long
        stop = _say(svc, client, "STOP")
        svc.redis.delete(*svc.redis.keys("sitecoach:pace:*"))  # the 60 s have passed
        _run_due_rq_work(svc)
        _run_due_rq_work(svc)

        [help_menu, confirmation] = _delivered(stub)
        assert confirmation == svc.prompts.render("stop/confirmed")
        assert {(r.status, r.error_code) for r in _replies(svc, held)} == {("canceled", OPTED_OUT_CODE)}
        assert [r.status for r in _replies(svc, stop)] == ["queued"]
    finally:
        jobs.runtime.install(services)
        svc.close()


def test_an_emergency_answer_to_an_opted_out_learner_still_goes_after_a_twilio_retry(twilio, stub):
    """The exception kept on purpose: emergencies are answered even after STOP, retries included."""
    _learner(twilio, Consent.OPTED_OUT)
    client = _client(twilio)
    stub.fail_next(500)
    asked = _say(twilio, client, "my mate's been electrocuted he's not breathing")
    assert [r.status for r in _replies(twilio, asked)] == ["pending"]
    _run_due_rq_work(twilio)
    [steps] = _replies(twilio, asked)
    assert steps.status == "queued" and _delivered(stub) == [steps.body]
    assert "999" in steps.body
