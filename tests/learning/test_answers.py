"""Tests for reading a learner's reply to a multiple-choice question."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sitecoach.learning.answers import parse_choice

# A real-style question: what to do before cutting into a cable.
OPTIONS = [
    "Cut it straight away",
    "Lock it off and prove dead",
    "Ask the excavator driver",
    "Call the office for a permit",
]

# A real item from the pack (Q-L01-01).
EAWR_OPTIONS = [
    "The job will be finished faster live",
    "It is unreasonable in the circumstances for the conductor to be dead",
    "It is reasonable for the person to work on it live",
    "Suitable precautions, including protective equipment, are taken",
]


@pytest.mark.parametrize(
    ("reply", "expected"),
    [
        ("b", 1),
        ("B", 1),
        ("B)", 1),
        ("(b)", 1),
        ("b.", 1),
        ("b:", 1),
        ("B!", 1),
        ("  B  ", 1),
        ("b\n", 1),
        ("2", 1),
        ("2)", 1),
        ("(2)", 1),
        ("a?", 0),
        ("(c).", 2),
        ("its b", 1),
        ("it's d", 3),
        ("it\u2019s d", 3),  # curly apostrophe from a phone keyboard
        ("answer is c", 2),
        ("the answer is a", 0),
        ("option 4", 3),
        ("option b", 1),
        ("i think a", 0),
        ("I reckon B", 1),
        ("go with c", 2),
        ("b maybe", 1),
        ("b i think", 1),
        ("B mate", 1),
        ("d please", 3),
        ("\uff22", 1),  # full-width B
        ("B) lock it off", 1),
        ("B - lock it off", 1),
        ("b. lock it off and prove dead", 1),
    ],
)
def test_letters_and_numbers_as_people_type_them(reply, expected):
    assert parse_choice(reply, OPTIONS) == expected


@pytest.mark.parametrize(
    ("reply", "expected"),
    [
        ("lock it off", 1),
        ("Lock it off and prove dead", 1),
        ("lock it off and prove dead", 1),
        ("prove dead", 1),
        ("excavator driver", 2),
        ("ask the driver", 2),
        ("ask the excavator driver", 2),
        ("call the office", 3),
        ("office permit", 3),
        ("call office for permit", 3),
        ("cut it straight away", 0),
    ],
)
def test_option_words_typed_in_full_or_in_part(reply, expected):
    assert parse_choice(reply, OPTIONS) == expected


@pytest.mark.parametrize(
    ("reply", "expected"),
    [
        ("finished faster", 0),
        ("faster live", 0),
        ("suitable precautions", 3),
        ("reasonable to work live", 2),
        ("B. It is unreasonable", 1),
        ("A) suitable precautions", 0),  # the letter is what they chose
    ],
)
def test_words_from_a_real_pack_item(reply, expected):
    assert parse_choice(reply, EAWR_OPTIONS) == expected


@pytest.mark.parametrize(
    "reply",
    [
        "e",
        "E)",
        "h",
        "5",
        "8",
        "9",
        "0",
        "z",
        "option 7",
        "e) something else",
    ],
)
def test_out_of_range_letters_and_numbers_are_not_answers(reply):
    assert parse_choice(reply, OPTIONS) is None


def test_letter_range_follows_the_number_of_options():
    three = OPTIONS[:3]
    assert parse_choice("c", three) == 2
    assert parse_choice("d", three) is None
    assert parse_choice("4", three) is None


@pytest.mark.parametrize(
    "reply",
    [
        "",
        "   ",
        "hows my progress",
        "quiz me",
        "help",
        "DONE",
        "yes",
        "no",
        "stop",
        "what does prove dead mean?",
        "b or c",
        "not sure",
        "\U0001f44d",
    ],
)
def test_unrelated_text_is_not_an_answer(reply):
    assert parse_choice(reply, OPTIONS) is None


@pytest.mark.parametrize(
    ("reply", "options"),
    [
        ("red blue", ["Red and blue", "Blue and red", "Green"]),
        ("lock off prove dead", ["Lock off and prove dead", "Prove dead and lock off", "Ask the driver"]),
        ("dead", ["Prove it dead", "Prove it live", "Leave it"]),
    ],
)
def test_a_reply_that_fits_two_options_equally_is_refused(reply, options):
    assert parse_choice(reply, options) is None


def test_very_long_reply_is_not_an_answer():
    assert parse_choice("b " + "x" * 400, OPTIONS) is None


@settings(max_examples=300)
@given(st.text(max_size=400))
def test_never_raises_and_gives_a_valid_index(text):
    result = parse_choice(text, OPTIONS)
    assert result is None or 0 <= result < len(OPTIONS)


@given(st.text(min_size=0, max_size=10_000))
def test_never_raises_on_long_text(text):
    result = parse_choice(text, EAWR_OPTIONS)
    assert result is None or 0 <= result < len(EAWR_OPTIONS)


@settings(max_examples=200)
@given(
    st.text(max_size=60),
    st.lists(st.text(max_size=60), min_size=1, max_size=8),
)
def test_never_raises_for_any_options(text, options):
    result = parse_choice(text, options)
    assert result is None or 0 <= result < len(options)


def test_ten_thousand_characters_is_fine():
    assert parse_choice("b" * 10_000, OPTIONS) is None
    assert parse_choice(("lock it off " * 1000)[:10_000], OPTIONS) is None
