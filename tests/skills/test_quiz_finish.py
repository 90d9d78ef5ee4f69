"""The quiz skill: "stop the quiz" in words ends a round in progress, and with none running it never
starts one."""

from __future__ import annotations

import pytest
from sqlmodel import select

from sitecoach.models import ConversationState
from sitecoach.skills.quiz import is_finish

PHONE = "+447700900456"


def _quiz_state(services) -> ConversationState | None:
    with services.db.session() as session:
        return session.exec(select(ConversationState)).first()


@pytest.mark.parametrize("text", ["stop the quiz", "end quiz", "no more questions"])
def test_stop_the_quiz_with_none_running_never_starts_one(coach, services, text):
    coach.onboard(PHONE)
    [reply] = coach.send(text, PHONE)
    assert "No quiz running" in reply and "*Q1/" not in reply
    assert _quiz_state(services) is None


@pytest.mark.parametrize("text", ["stop the quiz", "quit the quiz", "enough questions", "done"])
def test_stop_the_quiz_mid_round_ends_it_with_the_summary(coach, services, text):
    coach.onboard(PHONE)
    [question] = coach.send("quiz me", PHONE)
    assert question.startswith("*Q1/")
    [summary] = coach.send(text, PHONE)
    assert summary.startswith("Round done: 0/0")
    assert _quiz_state(services) is None


def test_answers_and_other_requests_are_not_a_finish():
    assert not is_finish("b")
    assert not is_finish("skip this question")
    assert not is_finish("stop the quiz messages")  # a preference about messages, not this round
    assert not is_finish("how do i stop the resin going off")
