"""wellbeing: a learner who speaks of suicide or self-harm gets care and helplines at once, a person is
told, and the message is never taken as an opt-out, even mid-quiz, before onboarding or after STOP."""

from __future__ import annotations

import pytest
from sqlmodel import select

from sitecoach.models import Consent, Escalation, Learner
from tests.conftest import assign_mentor

PHONE = "+447700900654"
MENTOR_PHONE = "+447700900999"
CRISIS = [
    "dont see the point in anything anymore, had thoughts about ending it",
    "I want to end it all",
    "been thinking of killing myself tbh",
    "everyone would be better off without me",
    "i've been self harming again",
]


def _learner(services) -> Learner:
    with services.db.session() as session:
        return session.exec(select(Learner).where(Learner.phone == PHONE)).one()


@pytest.mark.parametrize("text", CRISIS)
def test_a_crisis_gets_care_and_helplines_and_the_mentor_is_told_never_an_opt_out(coach, services, text):
    coach.onboard(PHONE)
    assign_mentor(services, PHONE, MENTOR_PHONE)
    [reply] = coach.send(text, PHONE)
    assert "116 123" in reply and "85258" in reply and "999" in reply
    assert _learner(services).consent == Consent.OPTED_IN  # not an opt-out
    [alert] = [m.body for m in coach.outbound(MENTOR_PHONE)]
    assert "may be at risk of harming themselves" in alert and PHONE in alert
    with services.db.session() as session:
        [escalation] = session.exec(select(Escalation)).all()
    assert escalation.kind == "safety"


def test_a_crisis_is_answered_mid_quiz_before_onboarding_and_after_stop(coach, services):
    [first] = coach.send("I want to end it all", PHONE)  # a stranger's first message
    assert "116 123" in first
    coach.onboard(PHONE)
    coach.send("quiz me", PHONE)
    [mid_quiz] = coach.send("honestly i cant cope anymore", PHONE)
    assert "116 123" in mid_quiz
    coach.send("STOP", PHONE)
    [after_stop] = coach.send("thinking of ending it", PHONE)
    assert "116 123" in after_stop


def test_an_accident_is_the_emergency_path_not_a_crisis(coach, services):
    coach.onboard(PHONE)
    replies = coach.send("cut myself on the cable knife, bleeding loads", PHONE)
    assert "*EMERGENCY*" in replies[0] and not any("116 123" in r for r in replies)


def test_job_questions_with_end_and_stop_words_are_not_a_crisis(coach, services):
    coach.onboard(PHONE)
    jobs = ("how do i end the cable run", "how do I stop the tape unwinding", "when does the permit end")
    for text in jobs:
        replies = coach.send(text, PHONE)
        assert not any("116 123" in r for r in replies), text


def test_a_stop_in_a_crisis_message_is_honoured_after_the_care(coach, services):
    coach.onboard(PHONE)
    replies = coach.send("stop sending me messages, I want to end it all", PHONE)
    assert "116 123" in replies[0] and "START" in replies[-1]
    assert _learner(services).consent == Consent.OPTED_OUT


def test_harm_happening_now_is_an_emergency_even_in_crisis_words(coach, services):
    coach.onboard(PHONE)
    replies = coach.send("my mate has taken an overdose and he's not breathing", PHONE)
    assert "*EMERGENCY*" in replies[0]
