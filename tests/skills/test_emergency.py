"""The emergency skill: the steps fit the emergency (gas, collapse, eye, burn, bleeding, fire, electrical),
always lead with 999, and come as one message with the mentor alerted."""

from __future__ import annotations

import pytest
from sqlmodel import select

from sitecoach.models import Consent, Learner
from sitecoach.nlu.hazards import hazard_kind
from sitecoach.nlu.normalise import normalise
from tests.conftest import assign_mentor

PHONE = "+447700900321"
MENTOR_PHONE = "+447700900998"

NO_TOUCH = "Do not touch a casualty until the supply is isolated"
COOL = "Cool the burn under cool running water for 20 minutes"
REPORTS = [
    ("lads got resin in his eye", "keep rinsing for at least 20 minutes", "eye"),
    ("torch blew out and i can smell gas", "0800 111 999", "gas"),
    ("detector's beeping like mad in the joint pit", "Get everyone out", "gas"),
    ("trench wall's just slid in, dean's under it", "Don't climb into the trench", "collapse"),
    ("burnt me hand on the pot lid, its blistering", COOL, "burn"),
    ("cut his arm open on the saw, loads of blood", "Press hard on the wound", "bleeding"),
    ("link box is on fire", "Never use water", "fire"),
    ("my mate just got a belt off the cable", NO_TOUCH, "electric"),
    ("Kev's hand's burnt from the flash", NO_TOUCH, "electric"),
    ("burnt his hand on the gas torch", COOL, "burn"),  # a gas torch is a tool, not a gas leak
    ("he's gone into shock, blood everywhere", "Press hard on the wound", "bleeding"),  # medical shock
    ("tool belt caught in the saw and he's bleeding", "Press hard on the wound", "bleeding"),
    ("he's bleeding bad, i'm keeping an eye on him", "Press hard on the wound", "bleeding"),
    ("gas torch set his sleeve on fire", "stop, drop and roll", "fire"),
    ("he's gone quiet down the pit", "Call 999", "electric"),
]


@pytest.mark.parametrize(("report", "step", "kind"), REPORTS)
def test_the_steps_fit_the_emergency_and_come_as_one_message(coach, services, report, step, kind):
    coach.onboard(PHONE)
    assign_mentor(services, PHONE, MENTOR_PHONE)
    [steps] = coach.send(report, PHONE)
    assert hazard_kind(normalise(report)) == kind
    assert step in steps
    assert "*Call 999*" in steps
    assert steps.startswith("🚨 *EMERGENCY") and steps.rstrip().endswith("I've alerted your mentor.")
    [alert] = [m.body for m in coach.outbound(MENTOR_PHONE)]
    assert alert.startswith("🚨 URGENT")


@pytest.mark.parametrize(
    ("report", "lines"),
    [
        ("we've hit a main, can smell gas", [NO_TOUCH, "0800 111 999"]),
        ("trench collapsed and theres a gas smell", ["0800 111 999", "Don't climb into an unsupported"]),
        ("mains cable hit, he's bleeding", [NO_TOUCH, "press hard on the wound"]),
        ("burning smell from the joint and the lad's unconscious", [NO_TOUCH, "start CPR"]),
        ("resin in his eye and he's passed out", ["keep rinsing for at least 20 minutes", "start CPR"]),
    ],
)
def test_every_hazard_a_report_names_is_covered_in_the_one_message(coach, services, report, lines):
    coach.onboard(PHONE)
    [steps] = coach.send(report, PHONE)
    for line in lines:
        assert line in steps, (line, steps)
    assert len(steps) <= 1600  # one WhatsApp message


def test_a_bare_emergency_reply_is_read_with_the_report_before_it(coach, services):
    coach.onboard(PHONE)
    [first] = coach.send("lads got resin in his eye", PHONE)
    [again] = coach.send("EMERGENCY", PHONE)
    assert "keep rinsing for at least 20 minutes" in again
    assert NO_TOUCH not in again


def test_an_electrical_cause_outranks_the_injury_it_did():
    # a burn or a fall from a shock: nobody may touch them until the supply is isolated
    assert hazard_kind(normalise("he got a belt and burnt his hand")) == "electric"
    assert hazard_kind(normalise("digger hit the 11k, theres smoke and flames")) == "electric"
    assert hazard_kind(normalise("gas alarm going off and he's collapsed in the hole")) == "gas"
    # someone down in a confined space: bad air until proved otherwise (don't go in after them)
    assert hazard_kind(normalise("he collapsed in the manhole")) == "gas"
    assert hazard_kind(normalise("lad's passed out down the chamber")) == "gas"
    assert hazard_kind(normalise("manhole cover fell on his foot")) == "electric"  # nobody down: general


def test_a_request_to_stop_messages_in_an_emergency_report_is_honoured_after_the_steps(coach, services):
    coach.onboard(PHONE)
    assign_mentor(services, PHONE, MENTOR_PHONE)
    replies = coach.send("my mate just got a belt off the cable, and stop messaging me after this", PHONE)
    assert "999" in replies[0] and NO_TOUCH in replies[0]
    assert "START" in replies[-1]
    with services.db.session() as session:
        learner = session.exec(select(Learner).where(Learner.phone == PHONE)).one()
    assert learner.consent == Consent.OPTED_OUT
    # an emergency after the opt-out is still answered
    assert "999" in coach.send("trench wall's just slid in, dean's under it", PHONE)[0]
