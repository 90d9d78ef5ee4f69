"""The safeguarding cue grammar and its place in the classifier: disclosures of every kind are heard (recall
first), outrank everything but an emergency and a crisis, and banter, the weather and policy questions are
left alone."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sitecoach.nlu.safeguarding import safeguarding_cue
from sitecoach.skills import build_classifier

DISCLOSURES = [
    "the ganger keeps picking on me in front of everyone",
    "im being bullied at college",
    "the chargehand keeps touching me and told me not to tell anyone",
    "they call me a poof every day in the van",
    "my dad batters me when hes had a drink",
    "got kicked out last night, sleeping in my car",
    "supervisor said ill get the sack if i dont work it live",
    "they havent paid me in a month and keep my wages",
    "a lad keeps sending me isis videos",
    "someones blackmailing me with pics of me",
    "im not coping at home at all",
    "my mate on the course is being abused by his uncle",
    "Mi stepdad hits me 😢",
]
NOT_DISCLOSURES = [
    "the weathers abusing me today",
    "this clay is battering me",
    "had a right laugh with the lads",
    "whats the bullying policy",
    "what does prevent mean on the course",
    "the van keeps breaking down",
    "how do i strip the cable back without nicking the cores",
    "my back is killing me after that dig",
]


@pytest.fixture(scope="module")
def classifier():
    return build_classifier()


@pytest.mark.parametrize("text", DISCLOSURES)
def test_disclosures_are_safeguarding(classifier, text):
    result = classifier.classify(text)
    assert result.intent == "safeguarding" and result.confidence >= 0.9, result


@pytest.mark.parametrize("text", NOT_DISCLOSURES)
def test_banter_weather_and_policy_questions_are_not(classifier, text):
    assert classifier.classify(text).intent != "safeguarding"
    assert not safeguarding_cue(classifier.normalise(text))


def test_an_emergency_and_a_crisis_outrank_a_disclosure(classifier):
    assert classifier.classify("hes hit me with the shovel and im bleeding loads help").intent == "emergency"
    assert classifier.classify("i want to end it all").intent == "wellbeing"
    crisis = classifier.classify("i want to end it all, my supervisor keeps hitting me")
    assert crisis.intent == "safeguarding" and crisis.crisis


def test_a_disclosure_with_stop_in_it_is_still_heard_and_the_stop_kept(classifier):
    result = classifier.classify("stop texting me, the lads keep bullying me")
    assert result.intent == "safeguarding" and result.opt_out


@given(st.text(max_size=200))
def test_the_cue_grammar_takes_any_text(text):
    assert safeguarding_cue(text) in (True, False)
