"""The scope model: a plain job question wrapped in chatter is answered, an off-topic one is still refused,
and the shipped model is the one its training data gives."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression

from sitecoach.curriculum.card_ranker_training import load_tuning
from sitecoach.curriculum.card_search import CardIndex, CardInfo
from sitecoach.curriculum.pack import load_pack
from sitecoach.curriculum.scope_model import SHIPPED, ScopeModel
from sitecoach.curriculum.scope_training import _fit, fingerprint, off_topic_sections, training_data
from sitecoach.skills.contract import EXAMPLES_DIR

PACK = Path(__file__).resolve().parents[2] / "content" / "st1332"
CHATTY = [
    "morning coach, first day with the new gang and the ganger says we need an SFT before the testing, whats "
    "one of them then, go easy im new",
    "sorry if this is daft but the old boys keep saying the pilc is a nightmare to joint and i dont get why, "
    "what makes it worse",
]
OFF_TOPIC = ["best tyres for a transit van", "who do you reckon wins the darts this year", "best van to buy"]


@pytest.fixture(scope="module")
def cards() -> list[CardInfo]:
    return [CardInfo.from_content(c.model_dump(mode="json")) for c in load_pack(PACK).cards]


@pytest.fixture(scope="module")
def index(cards: list[CardInfo]) -> CardIndex:
    return CardIndex(cards)


@pytest.mark.parametrize("question", CHATTY)
def test_a_job_question_wrapped_in_chatter_is_answered_though_the_bars_alone_refuse_it(
    cards: list[CardInfo], index: CardIndex, question: str
) -> None:
    bars = CardIndex(cards, learned=False)
    assert not bars.answers(bars.search(question, k=1)[0])  # the chatter costs it the coverage bar
    assert index.answering(question) is not None


@pytest.mark.parametrize("question", OFF_TOPIC)
def test_an_off_topic_question_is_still_refused(index: CardIndex, question: str) -> None:
    assert index.answering(question) is None


def test_the_shipped_model_was_trained_on_todays_cards_and_tuning_data(cards: list[CardInfo]) -> None:
    off = off_topic_sections((EXAMPLES_DIR / "explain.txt").read_text(encoding="utf-8"))
    job, off_topic = training_data(cards, load_tuning(PACK / "tuning"), off)
    assert ScopeModel.load(SHIPPED).model.fingerprint == fingerprint(job, off_topic), (
        "run `sitecoach cards train-scope` and commit the model"
    )
    assert len(off) >= 400  # the off-topic examples were found


def test_the_two_column_model_gives_scikit_learns_probabilities() -> None:
    texts = ["how do i joint pilc", "permit to work on 11kv", "best van to buy", "who won the darts",
             "sft before testing", "cheap flights to spain"]  # fmt: skip
    labels = np.array(["job", "job", "off_topic", "off_topic", "job", "off_topic"])
    model = _fit(texts, labels)
    import scipy.sparse as sp

    from sitecoach.nlu.training import char_vectorizer, word_vectorizer

    word, char = word_vectorizer(), char_vectorizer()
    features = sp.hstack([word.fit_transform(texts), char.fit_transform(texts)]).tocsr()
    fitted = LogisticRegression(C=4.0, class_weight="balanced", max_iter=5000).fit(features, labels)
    expected = fitted.predict_proba(features)[:, 0]
    got = [model.scores(t)[0][model.index("job")] for t in texts]
    assert np.allclose(got, expected, atol=1e-6)


def test_off_topic_sections_are_read_from_their_headers_only() -> None:
    text = "\n".join([
        "# round 1: job questions", "how do i megger a cable",
        "# round 2 (x): 3 off-topic questions about life", "# a continuation line", "best pub in leeds",
        "# session 5: hard negatives", "what goes in my portfolio",
    ])  # fmt: skip
    assert off_topic_sections(text) == ["best pub in leeds"]


def test_the_scope_model_vouches_for_the_best_card_only(index: CardIndex) -> None:
    hits = index.search(CHATTY[0], k=3)
    assert hits[0].about_job and index.answers(hits[0])
    assert not any(h.about_job for h in hits[1:])  # a runner-up clears the bar on its own or not at all


def test_a_question_off_the_job_is_refused_though_a_card_clears_the_bars(
    cards: list[CardInfo], index: CardIndex
) -> None:
    question = "my car battery keeps going flat overnight"  # "battery" and "flat" are on an isolation card
    bars = CardIndex(cards, learned=False)
    assert bars.answers(bars.search(question, k=1)[0])  # the bars alone would answer with that card
    assert index.scope is not None and index.scope.veto > 0
    assert index.answering(question) is None


def test_a_cards_own_phrasing_is_answered_whatever_the_scope_model_says(
    cards: list[CardInfo], index: CardIndex
) -> None:
    assert index.scope is not None
    for card in cards:
        for phrasing in card.questions:
            hit = index.search(phrasing, k=1)[0]
            assert hit.exact and index.answers(hit), phrasing
