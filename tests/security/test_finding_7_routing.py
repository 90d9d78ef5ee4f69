"""Finding 7 (issue 16), the routing parts: an opted-out learner's messages still went to the LLM for
routing, and a learner's previous mentor kept relay rights (#E1) after the learner was reassigned.

Real parts: the signed webhook, a real RQ worker, Claude through the real anthropic client against the
local stub, the admin page's own reassignment form."""

from __future__ import annotations

from typing import Any

from sqlmodel import col, select

from sitecoach.models import Consent, Escalation, Learner, LLMUsage, Mentor, Message
from sitecoach.wiring import create_app
from tests.conftest import post_signed, run_worker, twilio_form
from tests.faults.test_faults import _admin_client, _token
from tests.infra import test_llm as llm_tests

PATH = "/whatsapp/inbound"
LEARNER = llm_tests.PHONE
SAM = "+447700900981"  # the mentor before
KIM = "+447700900982"  # the mentor now
UNSURE = "sort us out wi summat on earthing like"  # the offline classifier is unsure of it


stub, claude = llm_tests.stub, llm_tests.claude  # Claude through the stub; Jamie, opted in, has a mentor


def _send(svc: Any, phone: str, text: str) -> list[str]:
    """`phone` sends `text` through the webhook; a worker answers. Returns what went out, to anyone."""
    with svc.db.session() as session:
        before = session.exec(select(Message.id).order_by(col(Message.id).desc())).first() or 0
    client = create_app(services=svc).test_client()
    assert post_signed(client, PATH, twilio_form(phone, text)).status_code == 200
    run_worker(svc)
    with svc.db.session() as session:
        rows = session.exec(
            select(Message)
            .where(Message.direction == "out", col(Message.id) > before)
            .order_by(col(Message.id))
        ).all()
    return [f"{m.phone}: {m.body}" for m in rows]


def _llm_calls(svc: Any) -> int:
    with svc.db.session() as session:
        return len(session.exec(select(LLMUsage)).all())


def test_an_opted_out_learners_messages_never_reach_the_llm(claude, stub):
    claude.settings = claude.settings.with_overrides(llm_route_below=0.99)  # route whatever it is unsure of
    with claude.db.session() as session:
        jamie = session.exec(select(Learner).where(Learner.phone == LEARNER)).one()
        jamie.consent = Consent.OPTED_OUT
        session.add(jamie)
    stub.reply_tool("RoutedIntent", {"intent": "quiz", "topic": "earthing"})

    assert _send(claude, LEARNER, UNSURE) == []  # suppressed, as before
    assert stub.requests == [] and _llm_calls(claude) == 0, "an opted-out learner's message went to Claude"

    # What an opted-out learner may still say is read offline: an emergency, then START.
    sent = _send(claude, LEARNER, "my mate's been electrocuted he's not breathing")
    [steps] = [line for line in sent if line.startswith(LEARNER)]
    assert "999" in steps and len(sent) == 2  # the steps, and the mentor alerted
    assert _send(claude, LEARNER, "START")
    assert stub.requests == [] and _llm_calls(claude) == 0

    # Opted in again, the same unsure message is routed by the model: the setup does reach Claude.
    _send(claude, LEARNER, UNSURE)
    assert len(stub.requests) == 1 and _llm_calls(claude) == 1


def _reassigned_learner(services: Any) -> tuple[int, int]:
    """Jamie asked Sam for help (#E); then the admin moved Jamie to Kim. Returns (learner, escalation)."""
    with services.db.session() as session:
        sam = Mentor(name="Sam Okafor", phone=SAM)
        kim = Mentor(name="Kim Lee", phone=KIM)
        session.add_all([sam, kim])
        session.flush()
        jamie = Learner(phone=LEARNER, name="Jamie", mentor_id=sam.id, consent=Consent.OPTED_IN)
        session.add(jamie)
        session.flush()
        escalation = Escalation(learner_id=jamie.id, mentor_id=sam.id, kind="mentor", reason="joint help")
        session.add(escalation)
        session.flush()
        ids = (int(jamie.id or 0), int(escalation.id or 0), int(kim.id or 0))
    admin = _admin_client(services)
    response = admin.post(
        f"/admin/learners/{ids[0]}/mentor", data={"mentor_id": ids[2], "csrf_token": _token(admin, "/admin")}
    )
    assert response.status_code == 302
    return ids[0], ids[1]


def test_a_previous_mentor_cannot_relay_to_a_reassigned_learner(services):
    learner_id, escalation_id = _reassigned_learner(services)

    sent = _send(services, SAM, f"#E{escalation_id} ring me when you can, Sam")
    assert not any(line.startswith(LEARNER) for line in sent), "the previous mentor reached the learner"
    refused = services.prompts.render("mentor_inbox/unknown_ref", reference=f"#E{escalation_id}")
    assert sent == [f"{SAM}: {refused}"]
    listing = _send(services, SAM, "which ones are open?")
    assert "Jamie" not in listing[0]  # nor is the learner listed to them

    sent = _send(services, KIM, f"#E{escalation_id} I'll come by at 2")
    assert any(line.startswith(LEARNER) and "I'll come by at 2" in line for line in sent)
    with services.db.session() as session:
        escalation = session.get(Escalation, escalation_id)
        learner = session.get(Learner, learner_id)
        assert escalation.mentor_id == learner.mentor_id  # reminders and digests follow the learner too
