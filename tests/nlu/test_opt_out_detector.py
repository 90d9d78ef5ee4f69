"""Every opt-out in any words (issue 13): the opt-out detector, the widened cue grammars, and questions
about the work that only sound like opt-outs.

The messages here are the issue's own and new wordings; none is chosen from an evaluation set.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import scipy.sparse as sp

from sitecoach.nlu import training
from sitecoach.nlu.classifier import IntentClassifier
from sitecoach.nlu.commands import is_stop_command
from sitecoach.nlu.hazards import hazard_cue
from sitecoach.nlu.intents import Intent
from sitecoach.nlu.model import IntentModel
from sitecoach.nlu.normalise import DEFAULT_NORMALISER
from sitecoach.skills import build_classifier


@pytest.fixture(scope="module")
def classifier() -> IntentClassifier:
    return build_classifier()


# --- what a learner writes ---------------------------------------------------------------------------

OPT_OUTS = [
    # the issue's own examples
    "I've packed the course in so you can stop now",
    "bin these texts off",
    "no more msgs ta",
    "take me off your list",
    "I'm done with this app",
    "leave me alone now",
    "don't want these anymore",
    # regional, text-speak, polite, rude, indirect
    "gonnae stop sending me aw this",
    "divvent send us owt else like",
    "ta-ra la, no more of ya messages",
    "STOP SENDIN ME THIS",
    "pls dnt msg me nemore",
    "would you be so kind as to remove my number, I've left the scheme",
    "I've got a new job in retail so I won't be needing these texts",
    "my son has left his apprenticeship, please stop texting him",
    "this is the wrong number, I'm not an apprentice",
    "I no longer consent to these messages",
    "🛑 no more",
    # round 14 (blind): plainly said inside a message about something else, or by a parent; the off switch
    "can i ask how to do the earth bond on a 4 core wavecon, actually forget it, i left the course last "
    "week, dont send me stuff anymore",
    "weve had a chat as a family and jordan wont be carrying on with the course, please dont contact him "
    "again",
    "is there an off button for this thing",
    "HOW DO I GET THESE TO END",
    "Lose my details",
]

NOT_OPT_OUTS = [
    ("how do I stop the tape unwinding", "explain"),
    ("when do you stop the pressure test", "explain"),
    ("how do you stop the armour unravelling when you cut back", "explain"),
    ("when should the pull be stopped if the tension spikes", "explain"),
    ("can you cancel a sanction for test halfway through", "explain"),
    ("what do you do with the end of the cable before leaving site", "explain"),
    ("pause the reminders while I'm on the course", "preferences"),
    ("stop the sunday quiz but keep the weekday ones", "preferences"),
    ("cancel my review with my mentor on thursday", "mentor"),
    ("dont message me again after 8pm", "preferences"),  # a time with it: never a firm opt-out
    ("dont text me again on a sunday", "preferences"),
]
# Someone else's words, or an instruction about a colleague: never a firm opt-out.
NOT_FIRM = [
    "ganger says dont send him again into the pit without a gas monitor, is that right",
    "never send them again without a banksman, whats the rule",
    "the DNO engineer said dont contact him again, who do i ring about the outage",
    "не пиши по кабела",  # "don't write on the cable"
    "trzeba wypisać pozwolenie przed robotą?",  # "write out a permit"
]


@pytest.mark.parametrize("message", NOT_FIRM)
def test_reported_words_and_instructions_are_not_opt_outs(classifier: IntentClassifier, message: str) -> None:
    assert classifier.classify(message).intent != "stop"


@pytest.mark.parametrize("message", OPT_OUTS)
def test_an_opt_out_in_any_words_is_an_opt_out(classifier: IntentClassifier, message: str) -> None:
    assert classifier.classify(message).intent == "stop"


@pytest.mark.parametrize(("message", "intent"), NOT_OPT_OUTS)
def test_a_question_or_preference_with_stop_words_is_not_an_opt_out(
    classifier: IntentClassifier, message: str, intent: str
) -> None:
    assert classifier.classify(message).intent == intent


@pytest.mark.parametrize("message", ["stoip", "STPOALL", "cnacel", "cancek", "stopl", "unsubscrbie"])
def test_a_misspelt_keyword_is_still_stop(classifier: IntentClassifier, message: str) -> None:
    assert classifier.classify(message).intent == "stop"


@pytest.mark.parametrize("message", ["shop", "step", "quiz", "resubscribe me", "top"])
def test_a_word_near_a_keyword_is_not_one(message: str) -> None:
    norm = DEFAULT_NORMALISER.normalise(message)
    assert not is_stop_command(norm, len(norm.split()))


def test_the_explain_output_shows_the_detectors_probability() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "sitecoach.cli", "classify", "--explain"],
        input="take me off your list\nhow do I stop the tape unwinding\n", capture_output=True, text=True,
        timeout=60, check=True,
    )  # fmt: skip
    opt_out, question = (json.loads(line) for line in done.stdout.splitlines())
    assert set(opt_out) == {"text", "intent", "confidence", "possible_emergency", "probabilities",
                            "opt_out_probability", "also_opts_out"}  # fmt: skip
    assert opt_out["intent"] == "stop" and opt_out["opt_out_probability"] > 0.9
    assert question["intent"] == "explain" and question["opt_out_probability"] < 0.1


# --- the decision policy, on a tiny model with bars set by hand --------------------------------------

TINY = {
    "stop": ["stop", "unsubscribe me", "no more messages", "leave me alone", "take me off the list",
             "stop sending these", "i want out", "remove my number"],
    "explain": ["why spike a cable", "what is pme", "how do i stop the resin going off",
                "how deep is lv cable", "when do you stop digging", "what is a pot end"],
    "start": ["start", "unstop", "start again", "resume messages"],
    "smalltalk": ["hi", "cheers", "thanks mate", "morning"],
}  # fmt: skip
NO_BAR = 2.0  # above any probability: that route never fires


def _tiny(**bars: float) -> IntentClassifier:
    texts = [t for n in TINY for t in TINY[n]]
    labels = np.array([n for n in TINY for _ in TINY[n]])
    model = training.fit(texts, labels)
    model.thresholds = {
        "emergency": NO_BAR, "emergency_cue": NO_BAR, "emergency_possible": NO_BAR, "stop": NO_BAR,
        "stop_cue": NO_BAR, "opt_out": NO_BAR,
    } | bars  # fmt: skip
    return IntentClassifier(model, [Intent(n) for n in TINY])


def test_the_detector_alone_can_make_an_opt_out() -> None:
    message = "please take my number off your list"
    assert _tiny().classify(message).intent != "stop"
    result = _tiny(opt_out=0.0).classify(message)
    assert result.intent == "stop" and result.opt_out_probability > 0.0


def test_a_question_about_the_work_needs_an_opt_out_phrase_or_the_models_agreement() -> None:
    question = "how do i stop the tape unwinding"
    assert _tiny(opt_out=0.0).classify(question).intent != "stop"
    assert _tiny(opt_out=0.0, stop_cue=0.0).classify(question).intent == "stop"
    assert _tiny(opt_out=0.0).classify("how do i stop these messages").intent == "stop"


def test_a_model_without_a_detector_never_opts_anyone_out_by_it(tmp_path: Path) -> None:
    model = _tiny(opt_out=0.0).model
    model.opt_out_coef = None
    model.save(tmp_path / "old.npz")
    loaded = IntentModel.load(tmp_path / "old.npz")
    assert loaded.opt_out_coef is None and loaded.scores("take my number off")[1] == 0.0
    assert IntentClassifier(loaded, [Intent(n) for n in TINY]).classify("take my number off").intent != "stop"


def test_the_detector_applies_exactly_what_scikit_learn_fitted_and_survives_saving(tmp_path: Path) -> None:
    from sklearn.linear_model import LogisticRegression

    texts = [t for n in TINY for t in TINY[n]]
    labels = np.array([n for n in TINY for _ in TINY[n]])
    word, char = training.word_vectorizer(), training.char_vectorizer()
    features = sp.hstack([word.fit_transform(texts), char.fit_transform(texts)]).tocsr()
    reference = LogisticRegression(C=training.OPT_OUT_C, class_weight="balanced", max_iter=5000)
    reference.fit(features, labels == "stop")
    model = training.fit(texts, labels)
    model.opt_out_calibration = (1.5, -0.5)
    probe = ["no more msgs", "why spike", "take me off", "unknown words only"]
    expected = reference.decision_function(sp.hstack([word.transform(probe), char.transform(probe)]).tocsr())
    assert np.allclose([model.opt_out_margin(t) for t in probe], expected, atol=1e-6)
    model.save(tmp_path / "m.npz")
    loaded = IntentModel.load(tmp_path / "m.npz")
    for text, margin in zip(probe, expected, strict=True):
        assert loaded.scores(text)[1] == pytest.approx(1 / (1 + np.exp(-(1.5 * margin - 0.5))), abs=1e-5)


def test_the_detectors_bar_keeps_recall_within_the_false_stop_cap() -> None:
    rng = np.random.default_rng(0)
    labels = np.array(["stop"] * 400 + ["explain"] * 4000)
    scores = np.concatenate([rng.beta(8, 2, 400), rng.beta(2, 8, 4000)])
    bar = training.opt_out_threshold(scores, labels)
    assert np.mean(scores[labels != "stop"] >= bar) <= training.STOP_MAX_FALSE + 1e-9
    easy = np.concatenate([rng.uniform(0.6, 1.0, 400), rng.uniform(0.0, 0.5, 4000)])
    assert np.mean(easy[:400] >= training.opt_out_threshold(easy, labels)) >= training.OPT_OUT_RECALL


def test_the_shipped_model_carries_a_calibrated_detector_and_its_bar() -> None:
    model = build_classifier().model
    assert model.opt_out_coef is not None and 0.0 < model.thresholds["opt_out"] < 1.0
    slope, _ = model.opt_out_calibration
    assert slope > 0  # a higher margin is a likelier opt-out


# --- the widened hazard grammar (harm happening now) --------------------------------------------------


@pytest.mark.parametrize(
    "message",
    [
        "the banksman's keeled over by the pit",
        "our lad's having a fit on the footpath",
        "his lips have gone blue",
        "a car's ploughed through the barriers into the dig",
        "the lorry clipped the traffic marshal",
        "his sleeve's caught in the winch",
        "he's stuck on the tail and it's live",
        "the tent's gone up",
        "cable drum rolled over his foot",
        "he's after fallin in the hole",
        "gas hissing out the pipe we just cracked",
    ],
)
def test_harm_happening_now_is_a_hazard_cue(message: str) -> None:
    assert hazard_cue(DEFAULT_NORMALISER.normalise(message))


@pytest.mark.parametrize(
    "message",
    [
        "a lad on our gang keeled over last summer in the heat, what should we have done",
        "my uncle got thrown across a sub years ago, is it safer these days",
        "what do you do if someone's sleeve gets caught in the winch",
        "you're on fire today coach",
        "this trench is going to be the death of me",
    ],
)
def test_the_past_a_question_or_a_figure_of_speech_is_not(message: str) -> None:
    assert not hazard_cue(DEFAULT_NORMALISER.normalise(message))
