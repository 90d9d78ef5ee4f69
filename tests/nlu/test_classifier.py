"""The language layer: trained model, safety and consent detectors, on messages the model never saw.

The held-out set (data/jointer_messages.tsv) was written separately from the training examples and
is never trained on; bench/nlu.py reports it with the blind development set.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sitecoach.nlu.classifier import MODEL_PATH, RULE_CONFIDENCE, Classification, IntentClassifier
from sitecoach.nlu.intents import Intent
from sitecoach.nlu.model import IntentModel, char_wb_ngrams, examples_fingerprint, word_ngrams
from sitecoach.nlu.training import char_vectorizer, fit, recall_first_threshold, word_vectorizer
from sitecoach.skills import build_classifier, build_registry

ROOT = Path(__file__).parents[2]
HELD_OUT_PATH = Path(__file__).parent / "data" / "jointer_messages.tsv"
DEV_PATH = ROOT / "bench" / "data" / "nlu_dev.tsv"
REGISTRY = build_registry()
INTENTS = REGISTRY.intent_names()


def _rows(path: Path) -> list[tuple[str, str]]:
    rows = []
    for line in path.read_text(encoding="utf-8").splitlines():
        parts = line.split("\t")
        if len(parts) >= 2:
            rows.append((parts[0], parts[-1]))
    return rows


HELD_OUT = _rows(HELD_OUT_PATH)


@pytest.fixture(scope="module")
def examples() -> dict[str, list[str]]:
    return REGISTRY.examples()


@pytest.fixture(scope="module")
def classifier() -> IntentClassifier:
    return build_classifier()


@pytest.fixture(scope="module")
def predictions(classifier: IntentClassifier) -> list[tuple[str, str, Classification]]:
    return [(gold, message, classifier.classify(message)) for gold, message in HELD_OUT]


def _misses(predictions: list[tuple[str, str, Classification]]) -> str:
    return "\n".join(
        f"MISS {g} -> {c.intent} ({c.confidence:.2f}): {m!r}" for g, m, c in predictions if c.intent != g
    )


# --- the data and the artefact -----------------------------------------------------------------------


def test_every_intent_is_trained_on_plenty_of_examples(examples: dict[str, list[str]]) -> None:
    assert set(examples) == set(INTENTS) - {"wellbeing"}  # a cue grammar (nlu/wellbeing.py), no examples
    assert sum(len(v) for v in examples.values()) >= 4000
    for intent, texts in examples.items():
        assert len(texts) >= 120, (intent, len(texts))
        assert all(t == t.strip() and t and not t.startswith("#") for t in texts)


def test_the_versioned_model_was_trained_on_todays_examples(examples: dict[str, list[str]]) -> None:
    # Editing an examples file without `sitecoach nlu train` would ship a model that ignores the edit.
    model = IntentModel.load(MODEL_PATH)
    assert model.fingerprint == examples_fingerprint(examples), (
        "run `sitecoach nlu train` and commit the model"
    )
    assert set(model.classes) == set(INTENTS) - {"wellbeing"}  # wellbeing is a cue grammar, not a class


@pytest.mark.parametrize("path", [HELD_OUT_PATH, DEV_PATH], ids=["held-out", "dev"])
def test_evaluation_sets_are_not_in_the_training_data(examples: dict[str, list[str]], path: Path) -> None:
    def norm(text: str) -> str:
        return " ".join("".join(c if c.isalnum() else " " for c in text.lower()).split()) or text

    training = {norm(t) for texts in examples.values() for t in texts}
    assert [m for _, m in _rows(path) if norm(m) in training] == []


# --- on messages written separately from the training data ---------------------------------------------


def test_held_out_accuracy_is_at_least_95_percent(predictions) -> None:
    right = sum(1 for gold, _, c in predictions if c.intent == gold)
    assert right / len(predictions) >= 0.95, _misses(predictions)


@pytest.mark.parametrize("intent", ["emergency", "stop"])
def test_every_emergency_and_every_stop_is_recognised(predictions, intent: str) -> None:
    missed = [m for gold, m, c in predictions if gold == intent and c.intent != intent]
    assert missed == []


def test_no_false_stop_on_held_out(predictions) -> None:
    wrong = [(g, m) for g, m, c in predictions if c.intent == "stop" and g != "stop"]
    assert wrong == []


def test_false_emergencies_are_rare_on_held_out(predictions) -> None:
    others = [(g, m, c) for g, m, c in predictions if g != "emergency"]
    false = [m for _, m, c in others if c.intent == "emergency"]
    assert len(false) <= 0.02 * len(others), false


# --- the messages named in the issue, and known traps ------------------------------------------------

ISSUE_CASES = [
    ("hi", "smalltalk"),
    ("anything due for me?", "quiz"),
    ("send me the video on resin", "explain"),
    ("can you send me the video on resin", "explain"),
    ("how do I stop the tape unwinding", "explain"),
    ("bin these texts off", "stop"),
    ("I've packed the course in so you can stop now", "stop"),
    ("no more msgs ta", "stop"),
    ("he's gone quiet down the pit and isn't answering", "emergency"),
    ("he's gone quiet down the pit", "emergency"),
    ("Kev's hand's burnt from the flash", "emergency"),
    ("trench wall's just slid in", "emergency"),
    ("detector's beeping like mad in the joint pit", "emergency"),
    ("a lad got a belt last week, was that ok", "explain"),
    ("he's just had a belt", "emergency"),
]

TRICKY_CASES = [
    ("STOP", "stop"),
    ("Stop.", "stop"),
    ("stop pls", "stop"),
    ("STOPALL", "stop"),
    ("Unsubscribe", "stop"),
    ("cancel", "stop"),
    ("End", "stop"),
    ("quit", "stop"),
    ("opt out", "stop"),
    ("stop texting me", "stop"),
    ("leave me alone", "stop"),
    ("stoppp!!!", "stop"),
    ("stahp", "stop"),
    ("\U0001f4f5", "stop"),  # no mobile phones, alone
    ("\U0001f515\U0001f515", "stop"),  # muted bells, alone
    ("\u26d4", "stop"),  # no entry, alone
    ("\U0001f515 till friday", "stop"),  # a pause is an opt-out here; the confirmation says how to return
    ("thanks for everything but I've left the company, please stop the messages", "stop"),
    ("start", "start"),
    ("UNSTOP", "start"),
    ("start again", "start"),
    ("help", "help"),
    ("?", "help"),
    ("menu", "help"),
    ("what can you do", "help"),
    ("help my mates been electrocuted", "emergency"),
    ("STOP hes been electrocuted", "emergency"),
    ("hit a cable in the trench", "emergency"),
    ("he's not breathing", "emergency"),
    ("i can smell gas", "emergency"),
    ("call 999", "emergency"),
    ("sos", "emergency"),
    ("\U0001f198", "emergency"),
    ("hes unconcious", "emergency"),
    ("what do you do if someone gets a shock", "explain"),
    ("first aid for electric shock", "explain"),
    ("how do I stop the resin going off", "explain"),
    ("when should I stop digging", "explain"),
    ("why do we spike a cable", "explain"),
    ("gies a quiz on earthing", "quiz"),
    ("hows ma progress", "progress"),
    ("pic of the 11k pot end i did 2day", "evidence"),
    ("can i speak to my mentor", "mentor"),
    ("2h classroom on cable types", "hours"),
    ("nudge me at 6am", "preferences"),
    ("cheers mate", "smalltalk"),
    ("hiya", "smalltalk"),
    ("good morning", "smalltalk"),
]


@pytest.mark.parametrize(("message", "intent"), ISSUE_CASES + TRICKY_CASES)
def test_messages_jointers_write(classifier: IntentClassifier, message: str, intent: str) -> None:
    assert classifier.classify(message).intent == intent


NOT_COMMANDS = [
    "trench signs say \u26d4 no entry, can i still go in?",  # the signs beside words are not opt-outs
    "how do I stop the resin going off",
    "stop sign layout for street works",
    "should i stop and ring my supervisor",
    "when do i start backfilling",
    "cancel my mentor meeting tomorrow",
    "the end of the cable is wet what do i do",
    "whats the end point assessment",
    "help with earthing",
]


@pytest.mark.parametrize("message", NOT_COMMANDS)
def test_sentences_containing_command_words_are_not_commands(classifier, message: str) -> None:
    assert classifier.classify(message).intent not in ("stop", "start", "help", "emergency")


@pytest.mark.parametrize(
    "message",
    [
        "what should i do if someone stops breathing",
        "how do you treat someone who has been electrocuted",
        "what happens if you hit a live cable",
        "test me on electric shock first aid",
    ],
)
def test_questions_about_hazards_are_not_emergencies(classifier, message: str) -> None:
    assert classifier.classify(message).intent != "emergency"


@pytest.mark.parametrize("message", ["STOP", "start", "help", "he's not breathing"])
def test_commands_and_hazard_cues_report_high_confidence(classifier, message: str) -> None:
    assert classifier.classify(message).confidence >= RULE_CONFIDENCE


@pytest.mark.parametrize("message", ["hello there", "morning all", "hiya mate", "alright coach"])
def test_a_greeting_alone_never_gets_the_safety_line(classifier, message: str) -> None:
    result = classifier.classify(message)
    assert result.intent == "smalltalk" and not result.possible_emergency


@pytest.mark.parametrize("message", ["", "   ", "...", "🙂🙂"])
def test_empty_or_emoji_only_is_low_confidence(classifier, message: str) -> None:
    result = classifier.classify(message)
    assert result.intent == "smalltalk" and result.confidence < 0.5


# --- the decision policy, on a tiny model with bars set by hand --------------------------------------

TINY = {
    "emergency": ["hes been electrocuted", "trench collapsed on him", "cable strike help", "smell of gas"],
    "stop": ["stop", "unsubscribe me", "no more messages", "leave me alone"],
    "start": ["start", "unstop", "start again", "resume messages"],
    "explain": ["why spike a cable", "what is pme", "how deep is lv cable", "what is a pot end"],
    "smalltalk": ["hi", "cheers", "thanks mate", "morning"],
}
TINY_INTENTS = [Intent(n) for n in TINY]


def _tiny(**bars: float) -> IntentClassifier:
    texts = [t for n in TINY for t in TINY[n]]
    labels = np.array([n for n in TINY for _ in TINY[n]])
    model = fit(texts, labels)
    model.thresholds = {
        "emergency": 0.9, "emergency_cue": 0.0, "emergency_possible": 0.9, "stop": 0.9, "stop_cue": 0.0,
    } | bars  # fmt: skip
    return IntentClassifier(model, TINY_INTENTS)


def test_a_hazard_cue_is_an_emergency_even_when_the_model_is_unsure() -> None:
    tiny = _tiny(emergency=0.99, emergency_cue=0.0)
    assert tiny.classify("my mate got a belt off the main").intent == "emergency"


def test_between_sure_and_sure_not_the_reply_leads_with_safety() -> None:
    tiny = _tiny(emergency=0.99, emergency_possible=0.0, emergency_cue=0.99)
    result = tiny.classify("what is pme")
    assert result.intent == "explain" and result.possible_emergency


def test_an_emergency_from_the_model_alone_says_what_it_would_otherwise_be() -> None:
    # The router answers it so when the model is far from sure, led by the emergency line.
    result = _tiny(emergency=0.0).classify("what is pme")
    assert result.intent == "emergency" and result.otherwise is not None
    assert result.otherwise.intent == "explain" and result.otherwise.possible_emergency
    cued = _tiny(emergency=0.0, emergency_cue=0.0).classify("my mate got a belt off the main")
    assert cued.intent == "emergency" and cued.otherwise is None  # a hazard cue: always the full steps


def test_an_opt_out_phrase_anywhere_needs_less_from_the_model() -> None:
    assert _tiny(stop=0.99, stop_cue=0.0).classify("good job but no more messages for me").intent == "stop"
    assert _tiny(stop=0.99, stop_cue=0.99).classify("good job but no more messages for me").intent != "stop"


def test_emergency_outranks_stop() -> None:
    assert _tiny(emergency=0.0).classify("stop").intent == "emergency"


def test_an_opt_out_in_an_emergency_report_does_not_hide_it() -> None:
    # Round 10: the opt-out draws the model's mass to STOP; with a hazard cue, the emergency's share of what
    # STOP leaves is held to the full bar, and the opt-out is still honoured (`opt_out`).
    message = "hes been electrocuted so no more messages"
    p = _tiny().classify(message).probabilities
    share = p["emergency"] / (1.0 - p["stop"])
    assert p["stop"] > 0.5  # the opt-out draws the mass: the share is well above P(emergency) itself
    bar = (p["emergency"] + share) / 2
    result = _tiny(emergency=bar, emergency_cue=0.99, emergency_possible=0.99).classify(message)
    assert result.intent == "emergency" and result.opt_out
    assert _tiny(emergency=share * 1.01, emergency_cue=0.99).classify(message).intent == "stop"


def test_the_model_applies_exactly_what_scikit_learn_fitted() -> None:
    texts = [t for n in TINY for t in TINY[n]]
    labels = np.array([n for n in TINY for _ in TINY[n]])
    from sklearn.linear_model import LogisticRegression

    from sitecoach.nlu import training

    word, char = word_vectorizer(), char_vectorizer()
    features = sp.hstack([word.fit_transform(texts), char.fit_transform(texts)]).tocsr()
    reference = LogisticRegression(C=training.C, max_iter=5000).fit(features, labels)
    model = fit(texts, labels)
    probe = ["why spike", "gas everywhere", "no more msgs", "unknown words only"]
    expected = reference.predict_proba(sp.hstack([word.transform(probe), char.transform(probe)]).tocsr())
    got = np.array([model.probabilities(t) for t in probe])
    assert np.allclose(got, expected, atol=1e-6)


def test_a_saved_model_loads_the_same(tmp_path: Path) -> None:
    tiny = _tiny()
    tiny.model.save(tmp_path / "m.npz")
    loaded = IntentModel.load(tmp_path / "m.npz")
    assert loaded.classes == tiny.model.classes and loaded.thresholds == tiny.model.thresholds
    assert np.allclose(loaded.probabilities("why spike"), tiny.model.probabilities("why spike"), atol=1e-6)


def test_recall_first_threshold_keeps_recall_then_limits_false_alarms() -> None:
    positive = np.array([True] * 10 + [False] * 90)
    scores = np.concatenate([np.linspace(0.3, 1.0, 10), np.linspace(0.0, 0.5, 90)])
    bar = recall_first_threshold(scores, positive, recall=1.0, max_false=0.5)
    assert bar == pytest.approx(0.3)
    strict = recall_first_threshold(scores, positive, recall=1.0, max_false=0.02)
    assert np.mean(scores[~positive] >= strict) <= 0.03 and strict > 0.3


def test_a_model_that_knows_an_intent_the_registry_does_not_is_refused() -> None:
    with pytest.raises(ValueError):
        IntentClassifier(_tiny().model, [Intent("explain")])


# --- robustness -------------------------------------------------------------------------------------


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.text(max_size=300))
def test_any_text_never_raises_and_is_well_formed(classifier: IntentClassifier, text: str) -> None:
    result = classifier.classify(text)
    assert result.intent in INTENTS
    assert 0.0 <= result.confidence <= 1.0


def test_deterministic_across_hash_seeds() -> None:
    messages = [m for _, m in HELD_OUT[:60]]
    script = (
        "import json, sys\n"
        "from sitecoach.skills import build_classifier\n"
        "clf = build_classifier()\n"
        "print(json.dumps([[c.intent, c.confidence] for c in map(clf.classify, json.load(sys.stdin))]))\n"
    )
    outputs = []
    for seed in ("0", "12345"):
        env = dict(os.environ, PYTHONHASHSEED=seed)
        done = subprocess.run(
            [sys.executable, "-c", script], input=json.dumps(messages), capture_output=True, text=True,
            env=env, cwd=ROOT, check=True,
        )  # fmt: skip
        outputs.append(json.loads(done.stdout))
    assert outputs[0] == outputs[1]
    assert Counter(i for i, _ in outputs[0])


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("abc xyz 11kv\t\n  ")) | st.characters(), max_size=80))
def test_the_run_time_analyzers_are_scikit_learns(text: str) -> None:
    assert word_ngrams(text) == word_vectorizer().build_analyzer()(text)
    assert char_wb_ngrams(text) == char_vectorizer().build_analyzer()(text)
