"""The safeguarding cue grammar and its place in the classifier: disclosures of every kind are heard (recall
first), outrank everything but an emergency and a crisis, and banter, the weather and policy questions are
left alone."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sitecoach.nlu.safeguarding import safeguarding_cue
from sitecoach.nlu.wellbeing import crisis_cue
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
# Round 11 (a blind round): coercion said another way, neglect, being mocked, a phone taken off them. The
# cue is what is tested: whether the classifier then answers safeguarding or emergency (a disclosure with
# harm in it) is the model's and the emergency rule's say.
MORE_DISCLOSURES = [
    "the chargehand forced me to go down the hole with no shoring",
    "supervisor pressured the new lad into working it live",
    "gaffer said get in there or go home",
    "he told me to sign off the test sheet or else",
    "they never let the apprentice have a break or any water all shift",
    "the jointer mocks me all day in the van",
    "foreman takes my phone off me every morning",
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


# Round 11 (a blind round): the crisis grammar (`sitecoach.nlu.wellbeing`) missed "no point in living"
# with "anymore" after it, "better off if I was dead" and a plan to jump from a bridge.
CRISES = [
    "dont see the point in living anymore",
    "no point in life any more",
    "my family would be better off if i was dead",
    "everyone would be better off if i wasnt around",
    "thinking about jumping off the bridge on the way home",
    "feel like throwing myself off the car park roof",
    "i keep thinking of stepping in front of a train",
]


@pytest.mark.parametrize("text", CRISES)
def test_more_crisis_wordings_are_heard(classifier, text):
    assert crisis_cue(classifier.normalise(text))
    assert classifier.classify(text).intent == "wellbeing"


@pytest.mark.parametrize(
    ("grammar", "text", "expected"),
    [(safeguarding_cue, text, True) for text in MORE_DISCLOSURES]
    + [
        (safeguarding_cue, "can you do me a mock exam on earthing", False),
        (safeguarding_cue, "the gaffer let me have an early finish", False),
        (safeguarding_cue, "told me to bring my gloves or else i cant go in the hole", False),
        (crisis_cue, "gonna jump off the bus at the next stop", False),  # getting off a bus is not a crisis
        (crisis_cue, "thinking of jumping off the wagon to grab the cones", False),
        (crisis_cue, "whats the point of living wire testers", False),
        (crisis_cue, "the lads would be better off if i was on nights", False),
    ],
)
def test_round_11_cue_wordings_and_look_alikes(classifier, grammar, text, expected):
    assert grammar(classifier.normalise(text)) is expected


# Rounds 13 and 14 (blind rounds, session 12): a crisis said without the words the grammar knew. Before,
# "i dont see the point anymore" and "not gonna be around much longer so theres no point texting me" were
# opt-outs (the learner silenced, no helplines), "no one would even notice if i was gone" a question.
ROUND_13_14_CRISES = [
    "i dont see the point anymore",
    "whats the point in being alive honestly",
    "no one would even notice if i was gone",
    "keep thinking about driving the van into a wall on the way home",
    "I've got the pills out on the table",
    "im in a really bad place right now, i need someone",
    "not gonna be around much longer so theres no point texting me",
    "wont need these messages where im going. tell everyone im sorry",
    "nie chcę już żyć",
    "I'm worried about my son. He told me last night that he wants to kill himself",
]


@pytest.mark.parametrize("text", ROUND_13_14_CRISES)
def test_round_13_and_14_crises_get_care_never_an_opt_out(classifier, text):
    assert crisis_cue(classifier.normalise(text))
    assert classifier.classify(text).intent == "wellbeing"


def test_a_crisis_with_an_opt_out_is_care_first_and_the_opt_out_is_honoured(classifier):
    message = "stop sending me stuff I won't need it, I'm not going to be around much longer"
    result = classifier.classify(message)
    assert result.intent == "wellbeing" and result.opt_out


ROUND_13_14_DISCLOSURES = [
    "my jointer makes me go in the trench without any shoring and says I'll lose my job if I say anything",
    "jointer threw a spanner at me today, got me in the back, its fine now but he does it all the time",
    "my mate on the course is getting proper battered by his stepdad, what do I do",
    "my jointer tells me to sign the permit as him even though I'm not authorised, what do I do",
    "Przełożony zmusza mnie do pracy bez zabezpieczenia wykopu, mówi że inaczej nie dostanę pracy",
]


@pytest.mark.parametrize(
    ("grammar", "text", "expected"),
    [(safeguarding_cue, text, True) for text in ROUND_13_14_DISCLOSURES]
    + [
        (safeguarding_cue, "threw the rope at me to tie off the drum", False),
        (safeguarding_cue, "chucked the keys at me to move the van", False),
        (safeguarding_cue, "can i sign the permit as the receiver", False),
        (crisis_cue, "hes not going to be around much longer, hes retiring in june", False),
        (crisis_cue, "the van is in a bad place, parked on the kerb", False),
        (crisis_cue, "i dont see the point of these texts anymore", False),  # an opt-out, not a crisis
        (crisis_cue, "done with it all, unsubscribe", False),
        (crisis_cue, "where im going next week theres no signal sorry", False),
    ],
)
def test_round_13_and_14_cue_wordings_and_look_alikes(classifier, grammar, text, expected):
    assert grammar(classifier.normalise(text)) is expected


# Round 15 (a blind round): a message the model cannot read (most of its words unseen: Bulgarian in Cyrillic,
# Lithuanian) gets near-prior probabilities, so a cry for help or a stop in that language is believed on its
# own. Before, all 8 missed emergencies and 17 of 22 missed opt-outs of the round were such.
@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("помощ, колегата го удари ток и не диша", "emergency"),
        ("изкопът се срути, има човек вътре", "emergency"),
        ("iese fum din cutia de distributie si miroase a ars", "emergency"),
        ("моля, спрете да ми пишете", "stop"),
        ("prasau nebesiusti zinuciu", "stop"),
        ("gata, ajunge cu mesajele", "stop"),
    ],
)
def test_a_cry_for_help_or_a_stop_in_a_language_the_model_cannot_read(classifier, text, intent):
    assert classifier.classify(text).intent == intent


def test_a_bare_foreign_stop_verb_inside_a_message_is_not_an_opt_out():
    from sitecoach.nlu.commands import foreign_opt_out

    assert not foreign_opt_out("o que fazer para proteger o cabo")  # "para" is also "for"
    assert not foreign_opt_out("basta de ruido no site")
    assert foreign_opt_out("como faco para sair disto")


# A review of rounds 13-15's grammar found look-alikes on urgent paths: each must keep its everyday reading.
@pytest.mark.parametrize(
    ("grammar", "text"),
    [
        (crisis_cue, "hes gonna hurt himself on that kango if no one shows him"),
        (crisis_cue, "im not gonna be here much longer, my contract ends friday, can i finish the quiz"),
        (crisis_cue, "i wont be around much longer today, off to the dentist at 2"),
        (crisis_cue, "im in a bad place for signal, ill send the photos later"),
        (crisis_cue, "stuck in traffic on the m6, tell everyone im sorry im late"),
        (crisis_cue, "no one would notice if i went home early lol"),
        (crisis_cue, "whats the point of being here at 7 if the digger doesnt come till 10"),
        (safeguarding_cue, "the jointer told me to sign the delivery note for him, is that ok"),
        (safeguarding_cue, "he threw a spanner at me so i could do the bolts up"),
    ],
)
def test_review_look_alikes_are_not_cues(classifier, grammar, text):
    assert not grammar(classifier.normalise(text))


@pytest.mark.parametrize(
    "text",
    [
        "i want to kill myself, i just want to make it all go away",
        "everyone keeps telling me to take the hint, i want to kill myself",
        "my ganger said he'll sack me if i report it, told me dont text him again",
        "my mates collapsed in the hole and the site manager said never contact him again",
    ],
)
def test_someone_in_crisis_or_danger_is_not_opted_out_by_words_about_others(classifier, text):
    result = classifier.classify(text)
    assert result.intent in ("wellbeing", "safeguarding", "emergency") and not result.opt_out


def test_a_trapped_worker_in_portuguese_is_an_emergency_not_an_opt_out(classifier):
    assert classifier.classify("estamos presos nao conseguimos sair daqui").intent == "emergency"
    assert classifier.classify("fiquei entalado, nao consigo sair daqui").intent != "stop"
    assert classifier.classify("Samu").intent != "emergency"  # a name at onboarding, not the French SAMU
