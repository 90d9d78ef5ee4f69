"""Round 8 (a blind round of opt-outs and emergencies): the whole-message STOP grammar now takes a rude
dismissal ("fuck off bot") and STOP in the other languages a UK site hears ("arrête", "nie chcę tych
wiadomości"), while banter, quiz control and trade words that look like them stay what they are; and an
incident told as the past with the casualty recovered ("he's fine now") is a story, not harm now.

The messages are new wordings; none is chosen from an evaluation set.
"""

from __future__ import annotations

import pytest

from sitecoach.nlu.classifier import IntentClassifier
from sitecoach.nlu.commands import is_stop_command
from sitecoach.nlu.hazards import hazard_cue
from sitecoach.nlu.normalise import DEFAULT_NORMALISER
from sitecoach.skills import build_classifier


@pytest.fixture(scope="module")
def classifier() -> IntentClassifier:
    return build_classifier()


def _is_command(message: str) -> bool:
    norm = DEFAULT_NORMALISER.normalise(message)
    return is_stop_command(norm, len(norm.split()))


RUDE_DISMISSALS = ["fuck off", "F OFF BOT", "fuck off mate", "feck off coach", "naff off please", "do one"]
FOREIGN_STOPS = [
    "arrete",  # French, typed without the accent
    "Arrêtez les messages svp",
    "basta",
    "basta ya, no quiero más mensajes",
    "para ya por favor",
    "przestań",
    "nie chcę więcej wiadomości",
    "nu mai vreau mesaje te rog",
    "pare de enviar mensagens",
]


@pytest.mark.parametrize("message", RUDE_DISMISSALS + FOREIGN_STOPS)
def test_a_rude_or_foreign_stop_is_a_stop_command(classifier: IntentClassifier, message: str) -> None:
    assert _is_command(message)
    assert classifier.classify(message).intent == "stop"


@pytest.mark.parametrize(
    "message",
    [
        "haha fuck off, that's class",  # banter inside a longer message
        "fuck off is that true",
        "jog on with that one lol",
        "do one on earthing next",
        "para",  # a lone "para" could be anything
        "pare back the oversheath",
        "halt",  # an English word on site
        "no messages today?",  # missing the daily question, in English
        "arrete 11kv",
    ],
)
def test_words_that_only_look_like_them_are_not_a_command(message: str) -> None:
    assert not _is_command(message)


@pytest.mark.parametrize(
    ("message", "intent"),
    [
        ("haha fuck off, that's class", "smalltalk"),
        ("do one on earthing next", "quiz"),
        ("pare back the oversheath how far", "explain"),
        ("stop quiz", "quiz"),  # quiz control: the quiz skill ends the round, the learner stays opted in
        ("end the quiz now", "quiz"),
        ("stop lying 😂 no way that's 33kV", "smalltalk"),
    ],
)
def test_banter_quiz_control_and_trade_words_are_not_opt_outs(
    classifier: IntentClassifier, message: str, intent: str
) -> None:
    assert classifier.classify(message).intent == intent


@pytest.mark.parametrize(
    "message",
    [
        "one of the jointers got belted off a service last month, he's alright now, why does it happen",
        "our labourer fell in the dig a few weeks ago, he's back at work now, what should we have done",
    ],
)
def test_a_past_incident_with_the_casualty_recovered_is_not_harm_now(
    classifier: IntentClassifier, message: str
) -> None:
    assert not hazard_cue(DEFAULT_NORMALISER.normalise(message))
    assert classifier.classify(message).intent != "emergency"


@pytest.mark.parametrize(
    "message",
    [
        "he had a belt yesterday and he's fine now but the lad with him has collapsed",
        "took a shock off the pillar last week, he's ok but his hand is blistering",
        "he got a belt off the main an hour ago, he's ok now but he's still shaking",
        "the gaffer got a shock off the link box, he's ok now i think",
    ],
)
def test_recovered_words_beside_harm_now_keep_the_cue(classifier: IntentClassifier, message: str) -> None:
    assert hazard_cue(DEFAULT_NORMALISER.normalise(message))
    assert classifier.classify(message).intent == "emergency"
