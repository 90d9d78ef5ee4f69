"""Tests for splitting long WhatsApp replies, and for phone number normalising and masking."""

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sitecoach.delivery.outbox import split_body
from sitecoach.infra.privacy import mask_phone, normalise_phone

LIMIT = 1600


def _words(text: str) -> list[str]:
    return text.split()


def _squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


# --- split_body ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("body", ["Hi", "x" * LIMIT, "Line one\n\nLine two", "a " * 799 + "b"])
def test_short_messages_are_unchanged(body):
    assert len(body) <= LIMIT
    assert split_body(body) == [body]


def test_surrounding_whitespace_is_trimmed_and_empty_gives_nothing():
    assert split_body("  Hello Jamie  \n") == ["Hello Jamie"]
    assert split_body("") == []
    assert split_body(" \n\t ") == []


def test_long_message_splits_at_a_paragraph_break():
    first = "First paragraph about isolation. " * 30
    second = "Second paragraph about proving dead. " * 30
    body = f"{first.strip()}\n\n{second.strip()}"
    assert len(body) > LIMIT
    assert split_body(body) == [first.strip(), second.strip()]


def test_long_message_splits_at_a_line_break():
    lines = [f"{i}. Check the permit and the isolation points on the drawing" for i in range(40)]
    body = "\n".join(lines)
    parts = split_body(body)
    assert len(parts) == 2
    for part in parts:
        assert len(part) <= LIMIT
        # every part is made of whole lines
        assert all(line in lines for line in part.split("\n"))
    assert "\n".join(parts) == body


def test_long_message_without_newlines_splits_after_a_sentence():
    sentence = "Prove the voltage indicator on a proving unit before and after the test. "
    body = (sentence * 40).strip()
    parts = split_body(body)
    assert len(parts) >= 2
    for part in parts:
        assert len(part) <= LIMIT
        assert part.endswith(".")
        assert part.startswith("Prove")
    assert " ".join(parts) == body


def test_long_message_without_punctuation_splits_between_words():
    words = [f"word{i}" for i in range(600)]
    body = " ".join(words)
    parts = split_body(body)
    assert len(parts) >= 3
    assert all(len(part) <= LIMIT for part in parts)
    for part in parts:
        assert all(w in words for w in part.split(" "))
    assert " ".join(parts) == body


def test_one_enormous_word_is_cut_hard_without_losing_anything():
    body = "x" * (LIMIT * 2 + 10)
    parts = split_body(body)
    assert [len(p) for p in parts] == [LIMIT, LIMIT, 10]
    assert "".join(parts) == body


def test_custom_limit():
    body = "one two three four five six seven eight nine ten"
    parts = split_body(body, limit=12)
    assert all(len(p) <= 12 for p in parts)
    assert " ".join(parts) == body


def test_emoji_and_accents_survive_the_split():
    body = ("Brilliant work Siân 👷 — you've proved it dead. " * 60).strip()
    parts = split_body(body)
    assert all(len(p) <= LIMIT for p in parts)
    assert _words(" ".join(parts)) == _words(body)


TEXT = st.text(
    alphabet=st.one_of(
        st.sampled_from(list("abcdefghij .!?,\n\t") + ["👷", "é"]),
        st.characters(blacklist_categories=("Cs",)),
    ),
    max_size=10_000,
)


@settings(max_examples=150, deadline=None)
@given(TEXT)
def test_split_parts_fit_and_lose_no_text(body):
    parts = split_body(body)
    assert all(0 < len(p) <= LIMIT for p in parts)
    assert all(p == p.strip() for p in parts)
    # Nothing lost, nothing added, nothing reordered (whitespace aside).
    assert _squash("".join(parts)) == _squash(body)
    if len(body.strip()) <= LIMIT:
        assert parts == ([body.strip()] if body.strip() else [])


@settings(max_examples=150, deadline=None)
@given(
    st.lists(st.text(alphabet="abcdefghijklmnopqrstuvwxyz.!?", min_size=1, max_size=40), max_size=1200),
    st.sampled_from([" ", "\n", "\n\n"]),
)
def test_split_text_of_words_keeps_every_word_whole(words, sep):
    body = sep.join(words)
    parts = split_body(body)
    assert all(len(p) <= LIMIT for p in parts)
    assert _words(" ".join(parts)) == _words(body)


# --- phone numbers -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw",
    [
        "whatsapp:+447700900123",
        "WhatsApp:+447700900123",
        "+44 7700 900123",
        "+44-7700-900-123",
        "00447700900123",
        "447700900123",
        " +447700900123 ",
        "+44.7700.900.123",
    ],
)
def test_normalise_phone_gives_e164(raw):
    assert normalise_phone(raw) == "+447700900123"


@pytest.mark.parametrize(
    "raw",
    [
        "",
        "   ",
        "hello",
        "+44",
        "12345",
        "+0447700900123",
        "+44770090012345678",
        "whatsapp:",
        "07700 9001x3",
        "+44 7700 900123 ext 4",
        None,
    ],
)
def test_normalise_phone_refuses_junk(raw):
    assert normalise_phone(raw) is None


def test_mask_phone_shows_only_the_last_three_digits():
    masked = mask_phone("+447700900123")
    assert masked == "+*********123"
    assert re.findall(r"\d", masked) == ["1", "2", "3"]
    assert len(masked) == len("+447700900123")


def test_mask_phone_of_nothing():
    assert mask_phone(None) == "-"
    assert mask_phone("") == "-"


@given(st.from_regex(r"\+[1-9][0-9]{6,14}", fullmatch=True))
def test_mask_phone_never_leaks_more_than_three_digits(phone):
    masked = mask_phone(phone)
    assert "".join(re.findall(r"\d", masked)) == phone[-3:]
