"""A question texted after the report ("smell gas in the trench what do i do") is still a question, so the
emergency reply adds the vetted card; a bare report gets the emergency steps alone."""

from __future__ import annotations

import pytest

from sitecoach.skills.card_reply import is_question


@pytest.mark.parametrize(
    "text",
    [
        "smell gas in the trench what do i do",
        "my mate collapsed down a manhole can i go in and get him",
        "lad got a belt off a cable but says hes fine, does he need hospital",
        "flashover at the joint bay, nobody hurt, what now",
        "lifting the pit covers any tips",
        "he fell off the ladder and cant feel his legs what do u do",  # texting: "u" is "you"
        "wot is the first thing to do if he took a belt",
        "smell gas in the hole wot shud we do",
    ],
)
def test_a_question_after_the_report_is_a_question(text: str) -> None:
    assert is_question(text)


@pytest.mark.parametrize(
    "text",
    ["trench has caved in on someone", "he has been shocked and is not breathing", "cant breathe help"],
)
def test_a_report_alone_is_not_a_question(text: str) -> None:
    assert not is_question(text)
