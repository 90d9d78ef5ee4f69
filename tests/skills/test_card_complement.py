"""A question that asks two things: the answering card leads, and a runner-up card that clears the bar adds
its one sentence on the part the answering card never mentions (never more than the six-line body)."""

from __future__ import annotations

from sitecoach.curriculum.card_search import CardInfo
from sitecoach.skills.card_reply import complement, runner_up_line

PHONE = "+447700900654"


def _card(code: str, title: str, answer: str, questions: tuple[str, ...] = ()) -> CardInfo:
    return CardInfo.from_content({"id": code, "title": title, "answer": answer, "questions": list(questions)})


CAT = _card(
    "K-T-001",
    "Sweeping with a CAT",
    "Check the CAT works first. Sweep the whole area in a grid before you dig.",
    ("how do I use a CAT",),
)
PLANS = _card(
    "K-T-002",
    "Utility plans",
    "Always get the utility plans before you dig. Plans show roughly where services run but never exactly.",
)
DRUMS = _card("K-T-003", "Cable drums", "Chock a cable drum on both sides before you cut the binding.")


def test_the_runner_up_sentence_about_what_the_answering_card_leaves_out_is_chosen() -> None:
    question = "do we still need the plans if we CAT the trench anyway"
    assert complement(question, CAT, [DRUMS, PLANS]) == "Always get the utility plans before you dig."


def test_nothing_is_added_when_the_answering_card_covers_every_word_or_no_runner_up_speaks_to_it() -> None:
    assert complement("how do I use a CAT", CAT, [PLANS, DRUMS]) is None
    assert complement("do I need a permit for the CAT", CAT, [PLANS, DRUMS]) is None


def test_a_two_part_question_gets_a_line_from_a_second_card_within_six_lines(coach, services):
    coach.onboard(PHONE)
    question = "do we still need the plans if were gonna cat scan anyway"
    index = services.catalogue().card_index
    first, *others = index.search(question, k=3)
    runners_up = [h.card for h in others if index.answers(h)]
    extra = complement(question, first.card, runners_up)
    assert extra is not None and extra not in first.card.answer
    [answer] = coach.send(question, PHONE)
    lines = answer.splitlines()
    assert lines[0].startswith(first.card.answer[:40])
    assert f"• {extra}" in lines
    body = lines[: next(i for i, line in enumerate(lines) if line.startswith(("▶️", "📄")))]
    assert len(body) <= 6


TRENCH = _card(
    "K-T-004",
    "Trench support",
    "Support any trench deeper than 1.2 m or where the ground is loose. Keep spoil back from the edge.",
)
WATER = _card(
    "K-T-005",
    "Water in the trench",
    "Pump water out before anyone goes in. Rain makes loose ground slump, so check the trench support again "
    "after it.",
)


def test_when_no_runner_up_covers_a_missing_word_its_sentence_closest_to_the_question_is_added() -> None:
    question = "trench support in loose ground"
    assert complement(question, TRENCH, [WATER]) is None  # the trench card has every word of it
    assert runner_up_line(question, TRENCH, [WATER]) == (
        "Rain makes loose ground slump, so check the trench support again after it."
    )


def test_a_runner_up_sentence_that_adds_nothing_or_barely_touches_the_question_is_left_out() -> None:
    assert runner_up_line("spoil", TRENCH, [WATER]) is None  # one shared word is not enough
    assert runner_up_line("trench support in loose ground", TRENCH, [TRENCH]) is None  # nothing new
