"""Tests for the offline intent classifier in ``bot.classifier``.

The accuracy tests use ``data/jointer_messages.tsv``, a held-out set written
separately from the training examples in ``skills/examples``.
"""

import dataclasses
import json
import os
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sitecoach.nlu import intents as nlu_intents
from sitecoach.nlu.classifier import RULE_CONFIDENCE, Classification
from sitecoach.nlu.classifier import IntentClassifier as _Classifier
from sitecoach.skills import build_registry

REGISTRY = build_registry()
INTENTS = REGISTRY.intent_names()


def IntentClassifier(examples):  # noqa: N802 - the registry's intents, as the coach builds it
    return _Classifier(examples, REGISTRY.intents())


def load_example_files(directory: Path) -> dict[str, list[str]]:
    return nlu_intents.load_example_files(directory, INTENTS)

ROOT = Path(__file__).parents[2]
EXAMPLES_DIR = ROOT / "sitecoach" / "skills" / "examples"
HELD_OUT_PATH = Path(__file__).parent / "data" / "jointer_messages.tsv"
MODEL_INTENTS = ("explain", "quiz", "evidence", "progress", "mentor", "smalltalk", "emergency")


def _load_held_out() -> list[tuple[str, str]]:
    """Read ``intent<TAB>message`` rows from the held-out file."""
    rows = []
    for line in HELD_OUT_PATH.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        intent, message = line.split("\t", 1)
        rows.append((intent, message))
    return rows


HELD_OUT = _load_held_out()


@pytest.fixture(scope="module")
def examples() -> dict[str, list[str]]:
    return load_example_files(EXAMPLES_DIR)


@pytest.fixture(scope="module")
def classifier() -> IntentClassifier:
    return IntentClassifier(load_example_files(EXAMPLES_DIR))


@pytest.fixture(scope="module")
def predictions(classifier: IntentClassifier) -> list[tuple[str, str, Classification]]:
    return [(gold, message, classifier.classify(message)) for gold, message in HELD_OUT]


def _report(predictions: list[tuple[str, str, Classification]]) -> str:
    """Per-intent recall and the misclassified rows, for assertion messages."""
    totals = Counter(gold for gold, _, _ in predictions)
    hits = Counter(gold for gold, _, c in predictions if c.intent == gold)
    lines = [f"{intent:10s} recall {hits[intent]}/{totals[intent]}" for intent in INTENTS]
    lines += [
        f"MISS {gold} -> {c.intent} ({c.confidence:.2f}): {message!r}"
        for gold, message, c in predictions
        if c.intent != gold
    ]
    return "\n".join(lines)


# --------------------------------------------------------------------------
# Data sanity
# --------------------------------------------------------------------------


def test_every_intent_has_30_to_60_training_examples(examples: dict[str, list[str]]) -> None:
    assert set(examples) == set(INTENTS)
    for intent, texts in examples.items():
        assert 30 <= len(texts) <= 60, (intent, len(texts))
        assert all(t == t.strip() and t and not t.startswith("#") for t in texts)


def test_held_out_set_is_large_and_covers_every_intent() -> None:
    assert len(HELD_OUT) >= 250
    counts = Counter(intent for intent, _ in HELD_OUT)
    assert set(counts) == set(INTENTS)
    assert min(counts.values()) >= 10, counts


def test_held_out_set_does_not_copy_model_training_examples(examples: dict[str, list[str]]) -> None:
    # Whole-message commands ("STOP", "help") are spelled the same everywhere; the
    # statistically learned intents must be evaluated on unseen wording.
    training = {t.lower() for texts in examples.values() for t in texts}
    copies = [m for intent, m in HELD_OUT if intent in MODEL_INTENTS and m.lower() in training]
    assert copies == []


# --------------------------------------------------------------------------
# Held-out accuracy
# --------------------------------------------------------------------------


def test_held_out_accuracy_is_at_least_95_percent(predictions) -> None:
    correct = sum(c.intent == gold for gold, _, c in predictions)
    accuracy = correct / len(predictions)
    assert accuracy >= 0.95, f"accuracy {accuracy:.3f}\n{_report(predictions)}"


@pytest.mark.parametrize("intent", ["emergency", "stop"])
def test_full_recall_for_safety_and_opt_out(predictions, intent: str) -> None:
    missed = [(m, c) for gold, m, c in predictions if gold == intent and c.intent != intent]
    assert missed == [], _report(predictions)


def test_no_false_stop_or_start_on_held_out(predictions) -> None:
    false = [
        (gold, m, c.intent)
        for gold, m, c in predictions
        if c.intent in ("stop", "start") and gold != c.intent
    ]
    assert false == []


def test_no_false_emergency_on_held_out(predictions) -> None:
    false = [(gold, m) for gold, m, c in predictions if c.intent == "emergency" and gold != "emergency"]
    assert false == []


def test_rules_do_not_depend_on_the_command_example_files(examples: dict[str, list[str]]) -> None:
    # The stop/start/emergency rules are grammars, not look-ups of the example lines.
    trimmed = {k: v for k, v in examples.items() if k not in ("stop", "start", "emergency")}
    bare = IntentClassifier(trimmed)
    for gold, message in HELD_OUT:
        if gold in ("stop", "start", "emergency"):
            assert bare.classify(message).intent == gold, message


@pytest.mark.parametrize("intent", ["emergency", "stop", "start"])
def test_rule_grammar_covers_every_rule_example(examples: dict[str, list[str]], intent: str) -> None:
    # Built without the rule intents' files, so only the grammar can match.
    bare = IntentClassifier({k: v for k, v in examples.items() if k not in ("stop", "start", "emergency")})
    missed = [t for t in examples[intent] if bare.classify(t).intent != intent]
    assert missed == []


# --------------------------------------------------------------------------
# Specific behaviour
# --------------------------------------------------------------------------

TRICKY_CASES = [
    # stop: the whole message is an opt-out
    ("STOP", "stop"),
    ("Stop.", "stop"),
    ("stop pls", "stop"),
    ("Stop all", "stop"),
    ("Unsubscribe", "stop"),
    ("cancel", "stop"),
    ("End", "stop"),
    ("quit", "stop"),
    ("opt out", "stop"),
    ("stop messages", "stop"),
    ("stop texting me", "stop"),
    ("no more messages", "stop"),
    ("leave me alone", "stop"),
    ("stoppp!!!", "stop"),
    # start
    ("start", "start"),
    ("UNSTOP", "start"),
    ("subscribe", "start"),
    ("resume", "start"),
    ("start again", "start"),
    ("opt in", "start"),
    ("yes start", "start"),
    ("resubscribe", "start"),
    # help: the whole message asks for the menu
    ("help", "help"),
    ("HELP!!", "help"),
    ("?", "help"),
    ("menu", "help"),
    ("what can you do", "help"),
    ("how does this work?", "help"),
    # emergency beats everything, including "help" and "stop"
    ("help my mates been electrocuted", "emergency"),
    ("STOP hes been electrocuted", "emergency"),
    ("help quick", "emergency"),
    ("hit a cable in the trench", "emergency"),
    ("he's not breathing", "emergency"),
    ("my mate just got a shock", "emergency"),
    ("man down", "emergency"),
    ("i can smell gas", "emergency"),
    ("the trench has collapsed", "emergency"),
    ("call 999", "emergency"),
    ("sos", "emergency"),
    ("\U0001f198", "emergency"),
    ("electricuted", "emergency"),
    ("hes unconcious", "emergency"),
    ("we dug through a cable", "emergency"),
    ("flashover at the link box", "emergency"),
    # hypothetical / learning questions about hazards are explain (or quiz)
    ("what do you do if someone gets a shock", "explain"),
    ("first aid for electric shock", "explain"),
    ("what is arc flash", "explain"),
    ("how do you treat burns", "explain"),
    ("what should I do if I hit a cable", "explain"),
    ("quiz me on what to do after a cable strike", "quiz"),
    # sentences that merely contain "stop"
    ("how do I stop the resin going off", "explain"),
    ("when should I stop digging", "explain"),
    ("stop sign layout for street works", "explain"),
    # trade questions, the other intents and smalltalk
    ("why do we spike a cable", "explain"),
    ("whats the cure time for resin in winter", "explain"),
    ("how deep should lv cable be", "explain"),
    ("gies a quiz on earthing", "quiz"),
    ("hows ma progress", "progress"),
    ("pic of the 11k pot end i did 2day", "evidence"),
    ("can i speak to my mentor", "mentor"),
    ("talk to a human", "mentor"),
    ("cheers mate", "smalltalk"),
    ("hiya", "smalltalk"),
    ("lol", "smalltalk"),
    ("good morning", "smalltalk"),
    ("\U0001f44d", "smalltalk"),
]


@pytest.mark.parametrize(("message", "intent"), TRICKY_CASES)
def test_tricky_cases(classifier: IntentClassifier, message: str, intent: str) -> None:
    assert classifier.classify(message).intent == intent


NOT_COMMANDS = [
    "how do I stop the resin going off",
    "when should I stop digging",
    "stop sign layout for street works",
    "how do i stop the heatshrink splitting",
    "should i stop and ring my supervisor",
    "can you stop the quiz",
    "start a quiz on pme",
    "when do i start backfilling",
    "how do you start a tee joint",
    "cancel my mentor meeting tomorrow",
    "the end of the cable is wet what do i do",
    "whats the end point assessment",
    "i quit smoking lol",
    "resume the quiz",
    "help with earthing",
    "help me with the pme question",
]


@pytest.mark.parametrize("message", NOT_COMMANDS)
def test_sentences_containing_command_words_are_not_commands(classifier, message: str) -> None:
    assert classifier.classify(message).intent not in ("stop", "start", "help", "emergency")


@pytest.mark.parametrize(
    "message",
    [
        "my mate just got a belt off the main what do i do",
        "what do i do hes not breathing",
        "should i call an ambulance",
        "digger went through the service",
        "air in the trench smells of gas",
    ],
)
def test_present_tense_reports_are_emergency(classifier, message: str) -> None:
    assert classifier.classify(message) == Classification("emergency", RULE_CONFIDENCE)


@pytest.mark.parametrize(
    "message",
    [
        "what should i do if someone stops breathing",
        "how do you treat someone who has been electrocuted",
        "what happens if you hit a live cable",
        "how do we prevent a trench collapse",
        "when do you ring 999 for a cable strike",
        "test me on electric shock first aid",
    ],
)
def test_hypothetical_questions_are_not_emergency(classifier, message: str) -> None:
    assert classifier.classify(message).intent != "emergency"


@pytest.mark.parametrize("message", ["STOP", "start", "help", "he's not breathing"])
def test_rules_report_high_confidence(classifier, message: str) -> None:
    assert classifier.classify(message).confidence == RULE_CONFIDENCE


@pytest.mark.parametrize(
    "message", ["", "   ", "\U0001f44d", "\U0001f602\U0001f602\U0001f602", "...", "\n\t"]
)
def test_empty_or_emoji_only_is_low_confidence_smalltalk(classifier, message: str) -> None:
    result = classifier.classify(message)
    assert result.intent == "smalltalk"
    assert result.confidence < 0.5


def test_normalisation_handles_slang_and_repeats(classifier: IntentClassifier) -> None:
    assert classifier.normalise("Pleeeease gies a QUIZ on 11k!!") == "please give me a quiz on 11kv"
    assert classifier.normalise("hows ma progress 2day") == "how is my progress today"
    assert classifier.normalise("u got a pic?") == "you got a photo"


def test_classification_is_frozen() -> None:
    result = Classification("quiz", 0.5)
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.intent = "stop"  # type: ignore[misc]


def test_unknown_intent_in_examples_is_rejected() -> None:
    with pytest.raises(ValueError):
        IntentClassifier({"banter": ["alright"]})


def test_load_example_files_skips_comments_and_blanks(tmp_path: Path) -> None:
    (tmp_path / "quiz.txt").write_text("# a comment\n\nquiz me\n  test me  \n", encoding="utf-8")
    (tmp_path / "notes.md").write_text("not an intent\n", encoding="utf-8")
    assert load_example_files(tmp_path) == {"quiz": ["quiz me", "test me"]}


def test_load_example_files_missing_directory(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        load_example_files(tmp_path / "nope")


def test_classifier_with_no_examples_still_answers() -> None:
    bare = IntentClassifier({})
    assert bare.classify("stop").intent == "stop"
    assert bare.classify("why do we spike cables").intent in INTENTS


# --------------------------------------------------------------------------
# Robustness and determinism
# --------------------------------------------------------------------------

_EMOJI = "\U0001f44d\U0001f602\U0001f525\U0001f6d1\U0001f198\u2753\U0001f64f\u26a1\U0001f3fd\u200d\ufe0f"
_WORDS = [
    "stop",
    "help",
    "quiz",
    "me",
    "ma",
    "pic",
    "11k",
    "shock",
    "fire",
    "hit",
    "cable",
    "if",
    "what",
    "hes",
    "not",
    "breathing",
    "!!!",
    "?",
    "pleeeease",
    "\u00df",
    "\u0130",
    "\ufb01",
    "\u2163",
    "",
]
_any_text = st.text(alphabet=st.characters(exclude_categories=("Cs",)), max_size=5000)
_emoji_text = st.text(alphabet=st.sampled_from(list(_EMOJI) + [" ", "a", "?"]), max_size=300)
_word_salad = st.lists(st.sampled_from(_WORDS + list(_EMOJI)), max_size=80).map(" ".join)
_huge = st.tuples(st.one_of(_word_salad, st.text(max_size=40)), st.integers(1, 5000)).map(
    lambda pair: (pair[0] * pair[1])[:5000]
)
_messages = st.one_of(_any_text, _emoji_text, _word_salad, _huge)


@settings(
    max_examples=300,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.large_base_example],
)
@given(text=_messages)
def test_any_text_never_raises_and_is_well_formed(classifier: IntentClassifier, text: str) -> None:
    result = classifier.classify(text)
    assert isinstance(result, Classification)
    assert result.intent in INTENTS
    assert 0.0 <= result.confidence <= 1.0
    assert classifier.classify(text) == result


def test_deterministic_across_instances(classifier: IntentClassifier, examples) -> None:
    other = IntentClassifier(examples)
    for _, message in HELD_OUT:
        assert other.classify(message) == classifier.classify(message) == classifier.classify(message)


def test_deterministic_across_hash_seeds(predictions) -> None:
    script = (
        "import json, sys\n"
        "from pathlib import Path\n"
        "from sitecoach.skills import build_classifier\n"
        "clf = build_classifier()\n"
        "msgs = json.load(sys.stdin)\n"
        "print(json.dumps([[c.intent, c.confidence] for c in map(clf.classify, msgs)]))\n"
    )
    messages = [m for _, m, _ in predictions]
    expected = [[c.intent, c.confidence] for _, _, c in predictions]
    for seed in ("1", "12345"):
        env = {**os.environ, "PYTHONHASHSEED": seed, "PYTHONPATH": str(ROOT)}
        out = subprocess.run(
            [sys.executable, "-c", script],
            input=json.dumps(messages),
            capture_output=True,
            text=True,
            cwd=ROOT,
            env=env,
            check=True,
        )
        assert json.loads(out.stdout) == expected
