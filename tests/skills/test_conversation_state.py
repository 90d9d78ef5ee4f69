"""Typed conversation state: each skill's state survives the row's JSON, rows written in the old format
still read, and an expired conversation ends through its skill's `on_timeout` (an abandoned mock paper
is recorded with its score so far, once)."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlmodel import col, select

from sitecoach.conversation import state as conversation_state
from sitecoach.jobs import tasks as jobs
from sitecoach.models import ConversationState, EventKind, Learner, LearningEvent, utcnow
from sitecoach.skills import build_registry
from sitecoach.skills.contract import ConversationData, MediaItem, SkillRegistry, conversational
from sitecoach.skills.evidence_state import EvidenceDraft, EvidenceStep, SiteLocation
from sitecoach.skills.hours import ActivityType, HoursDraft, HoursStep
from sitecoach.skills.onboarding import OnboardingState, OnboardingStep
from sitecoach.skills.quiz_state import MockPaper, QuizRound

PHONE = "+447700900123"
REGISTRY = build_registry()

codes = st.text(alphabet="QL0123456789-", min_size=1, max_size=10)
words = st.text(max_size=40)
moments = st.datetimes(min_value=datetime(2024, 1, 1), max_value=datetime(2030, 1, 1), timezones=st.just(UTC))
quiz_rounds = st.builds(
    QuizRound,
    item=codes,
    asked=st.lists(codes, min_size=1, max_size=5).map(tuple),
    correct=st.integers(0, 5),
    lessons=st.none() | st.lists(codes, min_size=1, max_size=3).map(tuple),
    topic=words,
)
mock_papers = st.lists(codes, min_size=1, max_size=20).flatmap(
    lambda paper: st.builds(
        MockPaper,
        paper=st.just(tuple(paper)),
        index=st.integers(0, len(paper) - 1),
        correct=st.integers(0, len(paper)),
        started=moments,
        predicted=st.floats(0, 1, allow_nan=False),
    )
)
locations = st.none() | st.builds(
    SiteLocation,
    latitude=st.none() | st.floats(-90, 90, allow_nan=False),
    longitude=st.none() | st.floats(-180, 180, allow_nan=False),
    address=st.none() | words,
)
evidence_drafts = st.builds(
    EvidenceDraft,
    step=st.sampled_from(EvidenceStep),
    media=st.lists(
        st.builds(
            MediaItem, url=words, content_type=st.sampled_from(["image/jpeg", ""]), path=st.none() | words
        ),
        max_size=3,
    ).map(tuple),
    note=words,
    location=locations,
    suggestions=st.lists(codes, max_size=4).map(tuple),
)
onboarding_states = st.builds(OnboardingState, step=st.sampled_from(OnboardingStep), profile=words)
hours_drafts = st.builds(
    HoursDraft,
    hours=st.floats(0.25, 12, allow_nan=False),
    activity=words,
    kind=st.sampled_from(ActivityType),
    learned=words,
    step=st.just(HoursStep.CONFIRMING),
)
STATES = {
    "quiz": quiz_rounds | mock_papers,
    "evidence": evidence_drafts,
    "onboarding": onboarding_states,
    "hours": hours_drafts,
}


def _through_the_row(skill: str, state: ConversationData) -> ConversationData:
    """Store as the engine does (step and JSON data) and read back through the skill's own loader."""
    owner = conversational(REGISTRY.get(skill))
    assert owner is not None
    return owner.load_state(str(state.step), json.loads(json.dumps(state.to_data())))


def test_every_skill_that_keeps_a_conversation_has_a_round_trip_test():
    keeping = {s.name for s in REGISTRY if getattr(s, "state_loader", None) is not None}
    assert keeping == set(STATES)


@pytest.mark.parametrize("skill", sorted(STATES))
def test_each_skills_state_round_trips_through_the_row(skill):
    @given(STATES[skill])
    def round_trip(state):
        assert _through_the_row(skill, state) == state

    round_trip()


def test_rows_written_in_the_old_dict_format_still_read():
    """Conversations in flight when this version is deployed: the JSON keys are the ones always written."""
    started = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    old_mock = {
        "mode": "mock",
        "paper": ["Q-L03-01", "Q-L07-01"],
        "index": 1,
        "correct": 1,
        "started": started.isoformat(),
        "predicted": 0.1234,
        "item": "Q-L07-01",
    }
    old_round = {
        "item": "Q-L03-02",
        "asked": ["Q-L03-01", "Q-L03-02"],
        "correct": 1,
        "lessons": None,
        "topic": "",
    }
    old_evidence = {"media": [], "note": "jointing an LV cable", "location": {}}  # no suggestions yet
    quiz, evidence = REGISTRY.get("quiz"), REGISTRY.get("evidence")
    assert quiz.load_state("mock_answer", old_mock) == MockPaper(
        ("Q-L03-01", "Q-L07-01"), 1, 1, started, 0.1234
    )
    assert quiz.load_state("mock_answer", old_mock).to_data() == old_mock
    assert quiz.load_state("awaiting_answer", old_round) == QuizRound("Q-L03-02", ("Q-L03-01", "Q-L03-02"), 1)
    assert evidence.load_state("awaiting_note", old_evidence) == EvidenceDraft(
        EvidenceStep.AWAITING_NOTE, note="jointing an LV cable"
    )
    assert REGISTRY.get("onboarding").load_state("ask_name", {"profile": "Jay"}) == OnboardingState(
        OnboardingStep.ASK_NAME, "Jay"
    )


def test_an_unreadable_row_is_no_conversation_rather_than_an_error():
    row = ConversationState(
        learner_id=1, skill="quiz", state="no_such_step", data={}, expires_at=utcnow() + timedelta(minutes=5)
    )
    assert conversation_state.load(REGISTRY, row) is None
    row.skill, row.state = "help", "anything"  # a skill that keeps no conversation
    assert conversation_state.load(REGISTRY, row) is None


# --- expiry, through the real paths -----------------------------------------------------------------


def _row(services) -> ConversationState | None:
    with services.db.session() as session:
        return session.exec(select(ConversationState)).first()


def _expire_now(services) -> ConversationState:
    """Make the learner's conversation expired, as if its TTL had run out."""
    with services.db.session() as session:
        row = session.exec(select(ConversationState)).one()
        row.expires_at = utcnow() - timedelta(seconds=1)
        session.add(row)
    return row


def _events(services, kind):
    with services.db.session() as session:
        return list(
            session.exec(
                select(LearningEvent).where(LearningEvent.kind == kind).order_by(col(LearningEvent.seq))
            ).all()
        )


def _start_mock_and_answer(coach, services, answers):
    services.settings = services.settings.with_overrides(mock_test_questions=5)
    coach.onboard(PHONE)
    coach.send("mock test", PHONE)
    for letter in answers:
        question, *_ = coach.send(letter, PHONE)  # a badge earned may be celebrated after it
        assert question.startswith("*Q")  # marked silently, next question


def test_an_abandoned_mock_test_is_recorded_with_its_score_so_far_by_the_expiry_job(coach, services):
    _start_mock_and_answer(coach, services, ["a", "b"])
    row = _expire_now(services)
    assert jobs.expire_conversations() == 1
    assert _row(services) is None
    [event] = _events(services, EventKind.MOCK_TEST)
    answered = _events(services, EventKind.QUIZ_ANSWERED)
    assert len(answered) == 2
    assert event.data["abandoned"] is True and event.data["answered"] == 2
    assert event.data["questions"] == 5
    assert event.data["correct"] == sum(e.data["correct"] for e in answered)
    assert event.data["passed"] is False  # at most 2 of 5: under the 65% pass mark
    assert event.data["timed_out"] is False and event.data["minutes"] == 1
    assert event.at == row.updated_at  # when the learner stopped, not when the expiry was noticed
    assert jobs.expire_conversations() == 0  # recorded once
    assert len(_events(services, EventKind.MOCK_TEST)) == 1


def test_an_abandoned_mock_test_found_by_the_next_message_is_recorded_once(coach, services):
    _start_mock_and_answer(coach, services, ["c"])
    _expire_now(services)
    reply, *_ = coach.send("alright", PHONE)  # no longer a mock answer: classified afresh
    assert "Jamie" in reply and "Mock test result" not in reply
    [event] = _events(services, EventKind.MOCK_TEST)
    assert (event.data["abandoned"], event.data["answered"], event.data["questions"]) == (True, 1, 5)
    assert _row(services) is None
    assert jobs.expire_conversations() == 0
    assert len(_events(services, EventKind.MOCK_TEST)) == 1


def test_a_renewed_conversation_is_not_expired_by_a_stale_read(coach, services):
    """The expiry deletes a row only while it is still expired: an answer that renewed it wins."""
    _start_mock_and_answer(coach, services, [])
    seen = _expire_now(services)  # a reader sees it expired...
    with services.db.session() as session:
        renewed = session.get(ConversationState, seen.id)
        renewed.expires_at = utcnow() + timedelta(minutes=30)  # ...then the learner answers
        session.add(renewed)
    with services.db.session() as session:
        learner = session.exec(select(Learner).where(Learner.phone == PHONE)).one()
        ended = conversation_state.expire(services, session, seen, learner, utcnow(), services.catalogue())
    assert ended is None
    assert _row(services) is not None
    assert _events(services, EventKind.MOCK_TEST) == []


def test_an_expired_practice_round_ends_without_a_mock_record(coach, services):
    coach.onboard(PHONE)
    coach.send("quiz me", PHONE)
    _expire_now(services)
    assert jobs.expire_conversations() == 1
    assert _row(services) is None
    assert _events(services, EventKind.MOCK_TEST) == []


def test_a_finished_mock_test_is_not_marked_abandoned(coach, services):
    services.settings = services.settings.with_overrides(mock_test_questions=2)
    coach.onboard(PHONE)
    coach.send("mock test", PHONE)
    coach.send("a", PHONE)
    coach.send("b", PHONE)
    [event] = _events(services, EventKind.MOCK_TEST)
    assert "abandoned" not in event.data and "answered" not in event.data
    assert _row(services) is None


def test_a_failing_on_timeout_still_ends_the_conversation(coach, services, caplog):
    _start_mock_and_answer(coach, services, ["a"])
    _expire_now(services)

    def broken(ctx, state):
        raise RuntimeError("hook broke")

    skills = [replace(s, timeout_fn=broken) if s.name == "quiz" else s for s in services.registry]
    services.registry = SkillRegistry(skills)
    assert jobs.expire_conversations() == 1
    assert _row(services) is None  # never kept alive by a broken hook
    assert _events(services, EventKind.MOCK_TEST) == []  # its savepoint rolled back
    assert "on_timeout of quiz failed" in caplog.text
