"""safeguarding: a disclosure gets care and helplines at once, reaches the cohort's designated safeguarding
lead (never the mentor), is kept in the restricted log, and its words leave every other record."""

from __future__ import annotations

from sqlmodel import col, select

from sitecoach.models import (
    Consent,
    Escalation,
    EventKind,
    EvidenceItem,
    Learner,
    LearningEvent,
    Message,
    utcnow,
)
from sitecoach.records.audit import append_event, verify_chain
from sitecoach.records.portfolio import build_portfolio
from sitecoach.records.repository import CoachRepository
from sitecoach.records.safeguarding import PLACEHOLDER
from tests.safeguarding.world import (
    DSL_PHONE,
    FALLBACK_PHONE,
    LEARNER_PHONE,
    MENTOR_PHONE,
    OTHER_DSL_PHONE,
    concerns,
    make_world,
)

DISCLOSURE = "the lads on site keep having a go at me and the ganger shoved me in the trench"


def test_a_disclosure_gets_care_and_reaches_the_dsl_not_the_mentor(coach, services):
    make_world(services)
    *_, reply = coach.send(DISCLOSURE, LEARNER_PHONE)
    for helpline in ("999", "0800 1111", "116 123", "85258"):
        assert helpline in reply
    assert "safeguarding lead, Priya Shah" in reply and "Sam Okafor" not in reply
    assert "quiz" not in reply.lower()
    [alert] = [m.body for m in coach.outbound(DSL_PHONE)]
    assert "Jamie Reid" in alert and "/safeguarding/" in alert
    assert "shoved" not in alert and "ganger" not in alert  # the learner's words stay in the log
    assert coach.outbound(MENTOR_PHONE) == [] and coach.outbound(OTHER_DSL_PHONE) == []
    [concern] = concerns(services)
    assert concern.text == DISCLOSURE and concern.kind == "safeguarding" and concern.status == "open"
    with services.db.read_session() as session:
        assert session.exec(select(Escalation)).all() == []  # nothing in the mentor's request lists
        inbound = session.exec(select(Message).where(Message.direction == "in")).one()
        assert inbound.body == PLACEHOLDER and DISCLOSURE not in str(inbound.raw)


def test_the_audit_chain_records_the_concern_without_its_text(coach, services):
    world = make_world(services)
    coach.send(DISCLOSURE, LEARNER_PHONE)
    [concern] = concerns(services)
    with services.db.read_session() as session:
        [event] = session.exec(
            select(LearningEvent).where(
                LearningEvent.learner_id == world.learner, LearningEvent.kind == EventKind.SAFEGUARDING_RAISED
            )
        ).all()
        assert verify_chain(session).ok
    assert event.data == {"concern": concern.id, "concern_kind": "safeguarding"}
    assert "trench" not in str(event.data)


def test_the_words_never_travel_as_conversation_context(coach, services):
    world = make_world(services)
    coach.send(DISCLOSURE, LEARNER_PHONE)
    coach.send("thanks", LEARNER_PHONE)
    with services.db.session() as session:
        repo = CoachRepository(session, services.catalogue(), services.memory)
        turns = repo.recent_turns(session.get(Learner, world.learner), None, limit=20)
    said = " ".join(text for _who, text in turns)
    assert "thanks" in said
    assert "trench" not in said and "116 123" not in said and "withheld" not in said


def test_before_onboarding_and_after_stop_the_dsl_still_hears(coach, services):
    make_world(services, learner_consent=Consent.OPTED_OUT)
    *_, reply = coach.send("my stepdad hits me when he's been drinking", LEARNER_PHONE)
    assert "0800 1111" in reply
    assert len(coach.outbound(DSL_PHONE)) == 1
    stranger = "+447700900799"  # never onboarded, no cohort: nobody to tell, helplines still given
    first = coach.send("im being bullied at work and i dont know who to tell", stranger)
    assert "0800 1111" in first[0] and "Please tell someone you trust" in first[0]
    assert [c.text for c in concerns(services)][-1].startswith("im being bullied")


def test_with_no_dsl_the_admins_escalation_contact_is_told(coach, services):
    make_world(services, with_dsl=False)
    services.settings = services.settings.with_overrides(escalation_fallback_phone=FALLBACK_PHONE)
    *_, reply = coach.send("one of the jointers keeps touching me in the van", LEARNER_PHONE)
    assert "the safeguarding team" in reply
    [alert] = [m.body for m in coach.outbound(FALLBACK_PHONE)]
    assert "touching" not in alert and coach.outbound(MENTOR_PHONE) == []


def test_a_stop_in_the_same_message_is_honoured_after_the_care(coach, services):
    world = make_world(services)
    replies = coach.send(
        "stop messaging me, the lads wont leave me alone, they keep picking on me", LEARNER_PHONE
    )
    assert "0800 1111" in replies[0] and "START" in replies[-1]
    with services.db.read_session() as session:
        assert session.get(Learner, world.learner).consent == Consent.OPTED_OUT
    assert len(coach.outbound(DSL_PHONE)) == 1


def test_self_harm_reaches_the_mentor_and_the_dsl(coach, services):
    make_world(services)
    *_, reply = coach.send("been thinking of killing myself tbh", LEARNER_PHONE)
    assert "116 123" in reply and "Sam Okafor" in reply
    [to_mentor] = [m.body for m in coach.outbound(MENTOR_PHONE)]
    [to_dsl] = [m.body for m in coach.outbound(DSL_PHONE)]
    assert "killing myself" in to_mentor  # the existing urgent path, unchanged
    assert "URGENT" in to_dsl and "killing myself" not in to_dsl
    [concern] = concerns(services)
    assert concern.kind == "crisis"


def test_a_crisis_caused_by_abuse_goes_to_the_dsl_and_the_fallback_not_the_mentor(coach, services):
    make_world(services)
    services.settings = services.settings.with_overrides(escalation_fallback_phone=FALLBACK_PHONE)
    *_, reply = coach.send("i want to end it all, my supervisor keeps hitting me", LEARNER_PHONE)
    assert "116 123" in reply and "999" in reply
    assert coach.outbound(MENTOR_PHONE) == []
    assert len(coach.outbound(DSL_PHONE)) == 1 and len(coach.outbound(FALLBACK_PHONE)) == 1


def test_banter_and_policy_questions_are_not_concerns(coach, services):
    make_world(services)
    for text in ("the weathers abusing me today", "had a right laugh with the lads today",
                 "whats the bullying policy"):  # fmt: skip
        coach.send(text, LEARNER_PHONE)
    assert concerns(services) == [] and coach.outbound(DSL_PHONE) == []
    with services.db.read_session() as session:
        kinds = session.exec(select(Message.kind).where(col(Message.direction) == "out")).all()
    assert "safeguarding" not in kinds


def test_a_half_placed_disclosure_mid_conversation_is_heard_not_filed_as_evidence(coach, services):
    """No cue word, the model only fairly sure: the evidence conversation waiting for a note must not take
    it (it would become a note for the very mentor it may be about)."""
    make_world(services)
    coach.send("log some evidence", LEARNER_PHONE)
    *_, reply = coach.send("they locked me in the van for a laugh again", LEARNER_PHONE)
    assert "116 123" in reply and "safeguarding lead" in reply
    [concern] = concerns(services)
    assert concern.text == "they locked me in the van for a laugh again"
    assert len(coach.outbound(DSL_PHONE)) == 1 and coach.outbound(MENTOR_PHONE) == []
    with services.db.read_session() as session:
        assert session.exec(select(EvidenceItem)).all() == []


def test_the_portfolio_export_does_not_show_that_a_concern_was_raised(coach, services):
    world = make_world(services)
    with services.db.session() as session:
        hours = {"hours": 2, "activity": "college"}
        append_event(session, world.learner, EventKind.OTJ_HOURS, utcnow(), hours)
    coach.send(DISCLOSURE, LEARNER_PHONE)
    with services.db.read_session() as session:
        learner = session.get(Learner, world.learner)
        portfolio = build_portfolio(
            session, services.catalogue(), services.memory, learner, utcnow(), services.settings
        )
    assert [e["kind"] for e in portfolio.events] == [EventKind.OTJ_HOURS]  # the chain, less the concern
