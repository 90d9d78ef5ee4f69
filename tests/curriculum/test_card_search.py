"""Card search: BM25's best cards re-ordered by meaning as well as words."""

from __future__ import annotations

from pathlib import Path

from sitecoach.curriculum.card_search import DENSE_WEIGHT, CardIndex, CardInfo
from sitecoach.curriculum.pack import load_pack

PACK = Path(__file__).resolve().parents[2] / "content" / "st1332"


def test_meaning_beside_words_finds_more_cards_for_phrasings_the_index_has_never_seen():
    """Each card's every fifth phrasing is left out of the index and asked: ranking BM25's best cards by
    meaning as well puts the right card first more often than BM25's word matching alone."""
    cards = [CardInfo.from_content(c.model_dump(mode="json")) for c in load_pack(PACK).cards]
    kept = [[q for i, q in enumerate(c.questions) if i % 5] for c in cards]
    asked = [(card, q) for card in cards for i, q in enumerate(card.questions) if i % 5 == 0]
    texts = [c.index_text(k) for c, k in zip(cards, kept, strict=True)]

    def right(weight: float) -> int:
        index = CardIndex(cards, texts=texts, phrasings=kept, dense_weight=weight)
        return sum(1 for card, q in asked if (hits := index.search(q, k=1)) and hits[0].card is card)

    words_only, with_meaning = right(0.0), right(DENSE_WEIGHT)
    assert with_meaning > words_only * 1.01, (words_only, with_meaning, len(asked))
