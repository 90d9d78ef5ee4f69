"""The key facts a reply adds after the card's answer are the ones that speak to the question, not simply
the card's first ones: "how long do I cool a burn" gets the twenty minutes even when it is the card's last
fact."""

from __future__ import annotations

from sitecoach.curriculum.card_search import CardInfo
from sitecoach.skills.card_reply import _new_facts

BURNS = CardInfo.from_content(
    {
        "id": "K-T-010",
        "title": "Burns on site",
        "answer": "Get the casualty away from the danger and call for help.",
        "key_facts": [
            "Remove rings and watches near the burn before it swells.",
            "Cover the burn loosely with cling film, lengthways, not wrapped round.",
            "Cool the burn under cool running water for at least 20 minutes.",
        ],
    }
)


def test_the_fact_about_what_was_asked_comes_first_whatever_its_place_on_the_card() -> None:
    facts = _new_facts(BURNS, 1, "how long do i cool a burn under the tap for, how many minutes")
    assert facts == ["Cool the burn under cool running water for at least 20 minutes."]


def test_with_nothing_in_the_question_to_choose_by_the_card_order_stands() -> None:
    assert _new_facts(BURNS, 2, "burns") == list(BURNS.key_facts[:2])
