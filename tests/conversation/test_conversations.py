"""Whole conversations through the signed webhook and a real RQ worker: what a learner sees."""

from __future__ import annotations

import re

from sqlmodel import select

from sitecoach.jobs import tasks as jobs
from sitecoach.models import (
    Consent,
    ConversationState,
    Escalation,
    Learner,
    LearningEvent,
    Message,
    ReviewState,
)
from sitecoach.skills.contract import SimpleSkill
from tests.conftest import assign_mentor, post_signed, run_worker, twilio_form

PHONE = "+447700900123"
MENTOR_PHONE = "+447700900999"


def _learner(services, phone=PHONE) -> Learner:
    with services.db.session() as session:
        return session.exec(select(Learner).where(Learner.phone == phone)).one()


def _with_mentor(services, phone=PHONE) -> None:
    assign_mentor(services, phone, MENTOR_PHONE)


def test_call_me_at_the_name_step_is_the_name_not_a_request_to_ring(coach, services):
    coach.send("hiya", PHONE)
    coach.send("yes", PHONE)
    replies = coach.send("call me Mark", PHONE)
    assert _learner(services).name == "Mark"
    assert not any("mentor" in r.lower() and "ring" in r.lower() for r in replies)


def test_first_contact_onboards_with_consent_and_remembers_the_name(coach, services):
    [welcome] = coach.send("hiya", PHONE, ProfileName="Jay")
    assert "Welcome to *Site Coach*" in welcome and "YES" in welcome and "STOP" in welcome
    [ask_name] = coach.send("yes", PHONE)
    assert "What should I call you?" in ask_name and '"Jay"' in ask_name
    [done] = coach.send("Jamie", PHONE)
    assert "Nice one, Jamie!" in done
    learner = _learner(services)
    assert (learner.name, learner.consent) == ("Jamie", Consent.OPTED_IN)
    [greeting] = coach.send("alright", PHONE)
    assert "Jamie" in greeting  # remembered


def test_first_message_that_is_a_question_is_answered_before_the_welcome(coach):
    replies = coach.send("why do we spike a cable", PHONE)
    assert len(replies) == 2
    assert "spik" in replies[0].lower() and "/lesson/" in replies[0]
    assert "Welcome to *Site Coach*" in replies[1]


def test_declining_messages_still_gets_answers(coach, services):
    coach.send("hi", PHONE)
    coach.send("no", PHONE)
    coach.send("Jamie", PHONE)
    assert _learner(services).consent == Consent.DECLINED
    [answer] = coach.send("how do i prove dead", PHONE)
    assert "prove" in answer.lower()


def test_quiz_round_trip_marks_explains_and_schedules_the_review(coach, services):
    coach.onboard(PHONE)
    [question] = coach.send("gies a quiz on earthing", PHONE)
    assert question.startswith("*Q1/5*") and "A)" in question and "D)" in question
    learner = _learner(services)
    with services.db.session() as session:
        state = session.exec(
            select(ConversationState).where(ConversationState.learner_id == learner.id)
        ).one()
    item = services.catalogue().items[state.data["item"]]
    assert "ERT" in " ".join(item.competencies)  # on topic: earthing
    right_letter = "ABCD"[item.answer_index]
    feedback, next_question = coach.send(f"{right_letter.lower()})", PHONE)
    assert feedback.startswith("✅ Correct.") and item.explanation in feedback
    assert next_question.startswith("*Q2/5*")
    with services.db.session() as session:
        review = session.exec(
            select(ReviewState).where(
                ReviewState.learner_id == learner.id, ReviewState.quiz_item_id == item.id
            )
        ).one()
        event = session.exec(
            select(LearningEvent).where(
                LearningEvent.learner_id == learner.id, LearningEvent.kind == "quiz_answered"
            )
        ).one()
    assert review.last_correct is True and review.due > review.last_reviewed_at
    assert event.data["item"] == item.code and event.data["correct"] is True


def test_wrong_answer_shows_the_right_option_and_unclear_answer_asks_again(coach, services):
    coach.onboard(PHONE)
    coach.send("quiz me", PHONE)
    learner = _learner(services)
    with services.db.session() as session:
        state = session.exec(
            select(ConversationState).where(ConversationState.learner_id == learner.id)
        ).one()
    item = services.catalogue().items[state.data["item"]]
    [unclear] = coach.send("z", PHONE)
    assert "couldn't tell which option" in unclear
    wrong = "ABCD"[(item.answer_index + 1) % 4]
    replies = coach.send(wrong, PHONE)
    assert replies[0].startswith("❌ Not quite") and item.options[item.answer_index] in replies[0]
    [summary] = coach.send("done", PHONE)
    assert "Round done: 0/1 right" in summary


def test_a_full_round_ends_with_a_summary_and_never_repeats_a_question(coach, services):
    coach.onboard(PHONE)
    asked = []
    replies = coach.send("quiz me", PHONE)
    for _ in range(5):
        question = replies[-1]
        asked.append(re.sub(r"^\*Q\d/5\*.*\n", "", question).split("\n")[0])
        replies = coach.send("a", PHONE)
    assert len(set(asked)) == 5
    assert any("Round done:" in r for r in replies)


def test_stop_mid_quiz_opts_out_then_silence_until_start(coach, services):
    coach.onboard(PHONE)
    coach.send("quiz me", PHONE)
    [confirmation] = coach.send("STOP", PHONE)
    assert "unsubscribed" in confirmation
    assert _learner(services).consent == Consent.OPTED_OUT
    assert coach.send("quiz me", PHONE) == []
    assert coach.send("hows my progress", PHONE) == []
    [back] = coach.send("START", PHONE)
    assert "Welcome back, Jamie" in back
    assert coach.send("quiz me", PHONE)[0].startswith("*Q1/5*")


def test_stop_inside_a_sentence_is_not_an_opt_out(coach, services):
    coach.onboard(PHONE)
    [answer] = coach.send("how do I stop the resin going off", PHONE)
    assert _learner(services).consent == Consent.OPTED_IN
    assert "resin" in answer.lower()


def test_an_opt_out_in_other_words_unsubscribes_but_a_work_question_with_stop_does_not(coach, services):
    coach.onboard(PHONE)
    replies = coach.send("when do you stop the pressure test on a duct", PHONE)
    assert _learner(services).consent == Consent.OPTED_IN
    assert replies and not any("unsubscribed" in r for r in replies)
    [confirmation] = coach.send(
        "right that's me, jacked the apprenticeship so yous can knock it on the head", PHONE
    )
    assert "unsubscribed" in confirmation
    assert _learner(services).consent == Consent.OPTED_OUT
    assert coach.send("quiz me", PHONE) == []


def test_progress_check_shows_mastery_trend_streak_and_next_step(coach):
    coach.onboard(PHONE)
    coach.send("quiz me on isolation", PHONE)
    coach.send("a", PHONE)
    [progress] = coach.send("hows ma progress", PHONE)
    lines = progress.splitlines()
    assert len(lines) <= 6
    assert lines[0].startswith("*Jamie* · ") and "% overall · weakest: " in lines[0]
    assert "1-day streak" in progress and "👉" in lines[-1]


def test_mentor_escalation_messages_the_mentor_with_context(coach, services):
    coach.onboard(PHONE)
    _with_mentor(services)
    [reply] = coach.send("can i speak to my mentor about the 11kv job tomorrow", PHONE)
    assert "Sam Okafor" in reply and "#E" in reply
    [to_mentor] = [m.body for m in coach.outbound(MENTOR_PHONE)]
    assert "Jamie" in to_mentor and "11kv job tomorrow" in to_mentor and PHONE in to_mentor
    with services.db.session() as session:
        escalation = session.exec(select(Escalation)).one()
    assert (escalation.kind, escalation.status) == ("mentor", "open")
    assert f"#E{escalation.id}" in reply and f"#E{escalation.id}" in to_mentor


def test_emergency_gets_vetted_instructions_and_an_urgent_mentor_alert_even_mid_quiz(coach, services):
    coach.onboard(PHONE)
    _with_mentor(services)
    coach.send("quiz me", PHONE)
    [instructions] = coach.send("my mate just got a belt off the cable hes not breathing", PHONE)
    assert (
        "Call 999" in instructions and "Do not touch a casualty until the supply is isolated" in instructions
    )
    [alert] = [m.body for m in coach.outbound(MENTOR_PHONE)]
    assert alert.startswith("🚨 URGENT") and "not breathing" in alert
    with services.db.session() as session:
        escalation = session.exec(select(Escalation)).one()
        state = session.exec(select(ConversationState)).first()
    assert (escalation.kind, escalation.priority) == ("emergency", "urgent")
    assert state is None  # the quiz is over


def test_emergency_is_answered_even_after_stop(coach):
    coach.onboard(PHONE)
    coach.send("STOP", PHONE)
    [instructions] = coach.send("hit a cable in the trench theres smoke", PHONE)
    assert "999" in instructions


def test_question_outside_the_pack_says_so_and_offers_the_mentor(coach):
    coach.onboard(PHONE)
    [reply] = coach.send("whats the best way to tune a carburettor", PHONE)
    assert "won't guess" in reply and "MENTOR" in reply


def test_processing_the_same_message_twice_sends_once(client, services, coach):
    coach.onboard(PHONE)
    form = twilio_form(PHONE, "why do we spike a cable")
    assert post_signed(client, "/whatsapp/inbound", form).status_code == 200
    with services.db.session() as session:
        message_id = session.exec(select(Message.id).where(Message.twilio_sid == form["MessageSid"])).one()
    before = len(coach.outbound(PHONE))
    first = jobs.process_inbound(message_id)
    second = jobs.process_inbound(message_id)
    run_worker(services)  # the queued job runs too: a third attempt
    assert first["replies"] == 1 and second["already_processed"] is True
    assert len(coach.outbound(PHONE)) == before + 1


def test_a_failing_skill_gets_an_apology_not_a_traceback_and_routing_survives(coach, services):
    coach.onboard(PHONE)

    def broken(ctx):
        raise RuntimeError("database exploded: SELECT * FROM secrets")

    original = services.registry._skills["progress"]
    services.registry._skills["progress"] = SimpleSkill("progress", "broken for the test", broken)
    try:
        [apology] = coach.send("hows my progress", PHONE)
    finally:
        services.registry._skills["progress"] = original
    assert apology.startswith("Sorry, something went wrong") and "SELECT" not in apology
    [answer] = coach.send("how do i prove dead", PHONE)
    assert "prove" in answer.lower()


def test_gibberish_gets_the_menu_with_an_apology(coach):
    coach.onboard(PHONE)
    [reply] = coach.send("zxqv blorp", PHONE)
    assert reply.startswith("Sorry, I didn't get that.") and "QUIZ" in reply


def test_mentor_replies_by_reference_are_relayed_and_done_closes(coach, services):
    coach.onboard(PHONE)
    _with_mentor(services)
    coach.send("get my mentor please", PHONE)
    with services.db.session() as session:
        escalation = session.exec(select(Escalation)).one()
    ref = f"#E{escalation.id}"
    [ack] = coach.send(f"{ref} I'll ring you at 10 about the 11kv job", MENTOR_PHONE)
    assert ack.startswith("Sent to Jamie ✅")
    relayed = coach.outbound(PHONE)[-1].body
    assert relayed.startswith("💬 *Sam Okafor* (your mentor") and "ring you at 10" in relayed
    [closed] = coach.send(f"{ref.lower()} done", MENTOR_PHONE)
    assert closed.startswith(f"Closed {ref}")
    with services.db.session() as session:
        assert session.get(Escalation, escalation.id).status == "closed"
        assert session.exec(select(Learner).where(Learner.phone == MENTOR_PHONE)).first() is None


def test_mentor_message_without_reference_lists_open_requests(coach, services):
    coach.onboard(PHONE)
    _with_mentor(services)
    coach.send("talk to my mentor", PHONE)
    [which] = coach.send("on my way", MENTOR_PHONE)
    assert "Start your reply with the reference" in which and "Jamie" in which
    [unknown] = coach.send("#E99999 hello", MENTOR_PHONE)
    assert "can't find an open request #E99999" in unknown


def test_onboarding_sequence_is_chosen_by_the_bandit_and_recorded(coach, services):
    from sitecoach.models import VariantAssignment

    coach.send("hi", PHONE)
    coach.send("yes", PHONE)
    [done] = coach.send("Jamie", PHONE)
    with services.db.session() as session:
        [trial] = session.exec(select(VariantAssignment)).all()
        event = session.exec(select(LearningEvent).where(LearningEvent.kind == "onboarded")).one()
    assert trial.kind == "onboarding" and trial.variant in ("quiz_first", "lesson_first")
    assert event.data["sequence"] == trial.variant
    assert ("/lesson/" in done) == (trial.variant == "lesson_first")
    assert (trial.settle_after - trial.assigned_at).days == 7
