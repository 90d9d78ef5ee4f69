"""Choices fitted to WhatsApp's limits: what a learner can tap is never refused by WhatsApp."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from sitecoach.models.choices import (
    BUTTON_TITLE_MAX_CHARS,
    LIST_BUTTON_MAX_CHARS,
    MAX_ROWS,
    ROW_DESCRIPTION_MAX_CHARS,
    ROW_TITLE_MAX_CHARS,
    Choice,
    Choices,
    ChoiceStyle,
    numbered_text,
    offer,
    shorten,
)


def test_three_options_are_buttons_with_the_typed_answer_as_payload():
    fitted = offer([("yes", "Yes, send them"), ("no", "No thanks")])
    assert fitted.style == ChoiceStyle.BUTTONS
    assert [(o.id, o.title) for o in fitted.options] == [("yes", "Yes, send them"), ("no", "No thanks")]


def test_a_button_title_too_long_is_cut_at_a_word_with_an_ellipsis():
    [button] = offer([("B", "B) Lock off and prove dead at the point of work")]).options
    assert len(button.title) <= BUTTON_TITLE_MAX_CHARS
    assert button.title == "B) Lock off and…"  # whole words, never "B) Lock off and pro"
    assert button.id == "B"  # the payload is never shortened


def test_a_long_word_is_cut_inside_it_when_there_is_no_word_end_near():
    assert shorten("Supercalifragilisticexpialidocious", 20) == "Supercalifragilisti…"


def test_more_than_three_options_become_a_list_with_shortened_rows():
    long = "Test before touch with an approved voltage indicator and proving unit, every time"
    fitted = offer(
        [(letter, f"{letter}) {long}", long) for letter in "ABCD"], button="Choose your answer now"
    )
    assert fitted.style == ChoiceStyle.LIST
    assert len(fitted.options) == 4
    assert all(len(o.title) <= ROW_TITLE_MAX_CHARS for o in fitted.options)
    assert all(len(o.description) <= ROW_DESCRIPTION_MAX_CHARS for o in fitted.options)
    assert fitted.options[0].description.startswith("Test before touch")
    short = offer([(c, f"{c}) Fuses blow", "Fuses blow") for c in "ABCD"])
    assert short.options[0].description == ""  # the title already says it all
    assert len(fitted.button) <= LIST_BUTTON_MAX_CHARS


def test_more_than_ten_rows_are_cut_to_nine_and_a_more_row():
    options = [(f"L{i:02}", f"Lesson {i}") for i in range(1, 15)]
    fitted = offer(options, more=Choice("more lessons", "More…"))
    assert fitted.style == ChoiceStyle.LIST
    assert len(fitted.options) == MAX_ROWS
    assert [o.id for o in fitted.options[-2:]] == ["L09", "more lessons"]


def test_more_than_ten_rows_without_a_more_row_fall_back_to_numbered_text():
    options = [(f"L{i:02}", f"Lesson {i}") for i in range(1, 13)]
    fitted = offer(options)
    assert fitted.style == ChoiceStyle.TEXT and not fitted.interactive
    text = numbered_text("Which lesson?", fitted)
    assert text.startswith("Which lesson?\n\n1. Lesson 1 (reply *L01*)\n")
    assert "12. Lesson 12 (reply *L12*)" in text


def test_same_titles_are_made_unique_for_whatsapp():
    fitted = offer([("a", "Same title here"), ("b", "Same title here")])
    assert len({o.title for o in fitted.options}) == 2


def test_numbered_text_adds_nothing_when_the_body_already_lists_the_options():
    fitted = offer([("yes", "Yes"), ("no", "No")], listed=True)
    assert numbered_text("Reply *YES* or *NO*.", fitted) == "Reply *YES* or *NO*."
    plain = offer([("yes", "Yes"), ("no", "No thanks")])
    assert numbered_text("Send reminders?", plain) == "Send reminders?\n\n1. Yes\n2. No thanks (reply *NO*)"


def test_choices_survive_the_message_row():
    fitted = offer([(c, f"Option {c}", "why") for c in "ABCDE"], button="Answer", listed=True)
    assert Choices.from_data(fitted.to_data()) == fitted


@given(
    st.lists(
        st.tuples(
            st.text(st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=250),
            st.text(st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=120),
            st.text(st.characters(blacklist_categories=("Cs",)), max_size=200),
        ),
        min_size=1,
        max_size=14,
    ),
    st.text(min_size=1, max_size=40),
)
def test_whatever_a_skill_offers_fits_whatsapps_limits(options, button):
    fitted = offer(options, button=button, more=Choice("more", "More"))
    assert len(fitted.button) <= LIST_BUTTON_MAX_CHARS
    if fitted.style == ChoiceStyle.BUTTONS:
        assert len(fitted.options) <= 3
        assert all(len(o.title) <= BUTTON_TITLE_MAX_CHARS for o in fitted.options)
    elif fitted.style == ChoiceStyle.LIST:
        assert len(fitted.options) <= MAX_ROWS
        assert all(len(o.title) <= ROW_TITLE_MAX_CHARS for o in fitted.options)
        assert all(len(o.description) <= ROW_DESCRIPTION_MAX_CHARS for o in fitted.options)
    assert all(0 < len(o.id) <= 200 and o.title.strip() for o in fitted.options)
