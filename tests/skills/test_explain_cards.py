"""explain answers from the live knowledge cards: the answer leads, safety and the source follow; the
card's yes or no only when the learner asked its own question the same way round; out-of-scope refused;
a withdrawn card is never used again (every process sees the change within a second)."""

from __future__ import annotations

from sqlmodel import select

from sitecoach.models import KnowledgeCard, ReviewStatus, utcnow

PHONE = "+447700900321"
NOT_COVERED = "I don't have a vetted lesson that answers that"


def _card(services, question: str):
    hit = services.catalogue().card_for(question)
    assert hit is not None, question
    return hit.card


def test_a_can_i_question_gets_the_cards_no_and_the_rule_first_then_safety_lesson_and_source(coach, services):
    coach.onboard(PHONE)
    question = "can I use my multimeter to prove dead?"
    card = _card(services, question)
    [answer] = coach.send(question, PHONE)
    lines = answer.splitlines()
    assert lines[0] == card.answer and lines[0].startswith("No.")
    assert any(line.startswith("✅") for line in lines)  # the must-dos
    assert "safety rules" in answer  # verify locally: the employer's rules decide
    assert "/lesson/" in answer and lines[-1].startswith("📄 Source: ")
    body = lines[: [i for i, line in enumerate(lines) if line.startswith("▶️")][0]]
    assert len(body) <= 6  # about one phone screen before the link


def test_the_cards_yes_is_never_given_to_the_question_asked_the_other_way_round(coach, services):
    coach.onboard(PHONE)
    asked_as_duty = "do I have to take my wedding ring off for live work"
    card = _card(services, asked_as_duty)
    assert card.answer.startswith("Yes")
    [duty] = coach.send(asked_as_duty, PHONE)
    assert duty.startswith("Yes")
    # "is it ok to wear it" must not be answered "Yes": the rule leads instead
    [permission] = coach.send("is it ok to wear my wedding ring for live jointing", PHONE)
    assert not permission.lower().startswith("yes") and "take it off" in permission.lower()


def test_a_what_if_question_gets_the_answer_and_the_one_line_emergency_reminder(coach, services):
    coach.onboard(PHONE)
    [answer] = coach.send("what do i do if the digger hits a cable", PHONE)
    assert "If it's happening now" in answer and "999" in answer
    assert answer.index("If it's happening now") > 0  # the answer leads, the reminder follows


def test_out_of_scope_questions_are_refused_plainly(coach):
    coach.onboard(PHONE)
    for question in ("what's the best van to buy?", "whats the offside rule"):
        [answer] = coach.send(question, PHONE)
        assert NOT_COVERED in answer, question


def test_an_emergency_question_gets_the_steps_then_the_cards_guidance(coach, services):
    coach.onboard(PHONE)
    text = "the digger hit the cable and hes still in the cab, should he jump out?"
    card = _card(services, text)
    replies = coach.send(text, PHONE)
    assert "*EMERGENCY*" in replies[0]
    assert len(replies) == 2 and card.answer.split(".")[0][:40] in replies[1]


def test_a_withdrawn_card_is_not_used_for_the_next_answer(coach, services, restore_content):
    coach.onboard(PHONE)
    question = "can I use my multimeter to prove dead?"
    card = _card(services, question)
    [before] = coach.send(question, PHONE)
    assert card.answer in before
    with services.db.session() as session:
        row = session.exec(select(KnowledgeCard).where(KnowledgeCard.code == card.code)).one()
        row.status, row.updated_at = ReviewStatus.WITHDRAWN, utcnow()
        session.add(row)
    services.reload_catalogue()  # as the saving process does; others see the stamp within a second
    [after] = coach.send(question, PHONE)
    assert card.answer not in after
    assert card.code not in services.catalogue().cards
