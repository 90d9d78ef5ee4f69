"""Typed conversation state: each skill's state survives the row's JSON, and rows written in the old
format still read."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sitecoach.conversation import state as conversation_state
from sitecoach.models import ConversationState, utcnow
from sitecoach.skills import build_registry
from sitecoach.skills.contract import ConversationData, MediaItem, conversational
from sitecoach.skills.evidence_state import EvidenceDraft, EvidenceStep, SiteLocation
from sitecoach.skills.onboarding import OnboardingState, OnboardingStep
from sitecoach.skills.quiz_state import MockPaper, QuizRound

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
STATES = {"quiz": quiz_rounds | mock_papers, "evidence": evidence_drafts, "onboarding": onboarding_states}


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
