"""A jointer who asks a card's own question gets that card, however short the question."""

from __future__ import annotations

from collections import Counter
from functools import lru_cache
from pathlib import Path

from sitecoach.curriculum.card_search import CardIndex, CardInfo, terms
from sitecoach.curriculum.pack import load_pack

PACK = Path(__file__).resolve().parents[2] / "content" / "st1332"


@lru_cache(maxsize=1)
def _index() -> CardIndex:
    cards = [CardInfo.from_content(c.model_dump(mode="json")) for c in load_pack(PACK).cards]
    return CardIndex(cards)


def test_every_phrasing_a_card_lists_is_answered_by_that_card() -> None:
    index = _index()
    owners = Counter(frozenset(terms(q)) for c in index.cards for q in set(c.questions))
    wrong = []
    for card in index.cards:
        for phrasing in card.questions:
            words = frozenset(terms(phrasing))
            if not words or owners[words] != 1:  # two cards list the same words: either may answer
                continue
            hit = index.answering(phrasing)
            if hit is None or hit.card.code != card.code:
                wrong.append((card.code, phrasing, hit.card.code if hit else None))
    assert wrong == []


def test_a_one_word_question_gets_the_card_that_explains_the_word() -> None:
    index = _index()
    for question, code in [
        ("whats PME", "K-ERT-001"),
        ("what is EAWR", "K-LAW-001"),
        ("wot is xlpe", "K-CAB-006"),
    ]:
        hit = index.answering(question)
        assert hit is not None and hit.card.code == code, question


def test_questions_about_something_else_are_still_refused() -> None:
    index = _index()
    for question in ("best van to buy", "what's the offside rule", "who won the match last night"):
        assert index.answering(question) is None, question
