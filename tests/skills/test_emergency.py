"""The emergency skill: the steps fit the emergency (gas, collapse, eye, burn, bleeding, fire, electrical),
always lead with 999, and come as one message with the mentor alerted."""

from __future__ import annotations

import pytest

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


def test_an_electrical_cause_outranks_the_injury_it_did():
    # a burn or a fall from a shock: nobody may touch them until the supply is isolated
    assert hazard_kind(normalise("he got a belt and burnt his hand")) == "electric"
    assert hazard_kind(normalise("digger hit the 11k, theres smoke and flames")) == "electric"
    assert hazard_kind(normalise("gas alarm going off and he's collapsed in the hole")) == "gas"
