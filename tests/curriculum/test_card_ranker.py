"""The learned card re-ranker: its calibrated chance answers job questions the BM25 bars would refuse."""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

import numpy as np
import pytest

from sitecoach.curriculum.card_ranker import SHIPPED, CardRanker, RankerMismatch
from sitecoach.curriculum.card_ranker_training import load_tuning, train
from sitecoach.curriculum.card_search import CardIndex, CardInfo
from sitecoach.curriculum.pack import load_pack

PACK = Path(__file__).resolve().parents[2] / "content" / "st1332"
# Tuning questions (content/st1332/tuning/questions.tsv), never the evaluation set.
WORDED_THEIR_OWN_WAY = [
    (
        "why do we test the voltage tester before AND after, seems pointless if it worked first time",
        "K-ISO-002",
    ),
    ("feeling really low lately, who can i talk to", "K-HLT-010"),
]
# Of those, the ones the BM25 bars alone still refuse (since issue 14's phrasings, K-HLT-010 has "feeling
# proper down lately ..." and the bars answer the second question on their own).
BARS_ALONE_REFUSE = WORDED_THEIR_OWN_WAY[:1]


@lru_cache(maxsize=1)
def _cards() -> tuple[CardInfo, ...]:
    return tuple(CardInfo.from_content(c.model_dump(mode="json")) for c in load_pack(PACK).cards)


@lru_cache(maxsize=1)
def _index() -> CardIndex:
    return CardIndex(_cards())


def test_a_job_question_in_the_jointers_own_words_gets_its_card_when_the_ranker_is_sure() -> None:
    index = _index()
    for question, code in WORDED_THEIR_OWN_WAY:
        hit = index.answering(question)
        assert hit is not None and hit.card.code == code, question
        assert hit.probability is not None and hit.probability >= index.ranker.threshold  # type: ignore[union-attr]


def test_without_the_ranker_the_bars_alone_refuse_those_questions() -> None:
    bars_only = CardIndex(_cards(), learned=False)
    for question, _ in BARS_ALONE_REFUSE:
        assert bars_only.answering(question) is None, question


def test_the_ranker_does_not_change_which_card_comes_first() -> None:
    """The learned order did not beat BM25 + meaning out of fold, so only the answering decision uses it."""
    with_ranker, without = _index(), CardIndex(_cards(), learned=False)
    for question in ("how deep do i dig for an LV cable", "what's a permit to work", "why spike a cable"):
        assert [h.card.code for h in with_ranker.search(question)] == [
            h.card.code for h in without.search(question)
        ]


def test_a_model_trained_on_other_features_is_refused_at_load(tmp_path: Path) -> None:
    stale = json.loads(SHIPPED.read_text(encoding="utf-8"))
    stale["features"] = stale["features"][:-1]
    path = tmp_path / "ranker.json"
    path.write_text(json.dumps(stale), encoding="utf-8")
    with pytest.raises(RankerMismatch):
        CardRanker.load(path)


def test_training_is_deterministic_and_what_it_saves_answers_the_same(tmp_path: Path) -> None:
    cards = _cards()[:60]  # a slice of the pack keeps the test quick; the shipped model uses every card
    tuning = load_tuning(PACK / "tuning")
    first, second = train(cards, tuning), train(cards, tuning)
    assert np.array_equal(first.ranker.weights, second.ranker.weights)
    assert first.ranker.threshold == second.ranker.threshold
    path = tmp_path / "ranker.json"
    first.ranker.save(path)
    rows = np.vstack([a.features for a in first.asked[:50]])
    assert np.allclose(CardRanker.load(path).probabilities(rows), first.ranker.probabilities(rows), atol=1e-4)


def test_the_ranker_refuses_fewer_job_questions_and_still_most_strays() -> None:
    """On the unlabelled in-scope tuning questions (which train nothing) and the out-of-scope ones."""
    tuning = load_tuning(PACK / "tuning")

    def refused(index: CardIndex, questions: tuple[str, ...]) -> float:
        return sum(1 for q in questions if index.answering(q) is None) / len(questions)

    bars_only = CardIndex(_cards(), learned=False)
    assert refused(_index(), tuning.in_scope) < refused(bars_only, tuning.in_scope)
    assert refused(_index(), tuning.out_of_scope) > 0.7
