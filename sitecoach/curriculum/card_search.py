"""Finding the knowledge card that answers a question: BM25 (bm25s) over each live card.

Cards and questions go through the coach's own analyser (`retrieval.analyze`: stems, voltages, jointer slang
such as "genny", "belt", "11k", stop words out), so "got a belt off the pot end" and "electric shock from a
cable end" meet on the same terms. A card's index text is its phrasings (twice: they are what a jointer
asks), its title, its answer and its key facts. A query word the cards never use is corrected to the
closest word they do use (typos: "megar", "exavation"; a dropped g: "pullin", "diggin").

A card answers only when it clearly does: its BM25 score reaches `min_score`, it covers enough of the
question's content words, each weighted by its rarity among the cards (`min_coverage`), and enough of
the question's words are ones the cards use at all (`min_known`: "how do I bleed a radiator" shares one
word with the cards), so "best van to buy" or "what's the offside rule" is refused rather than answered
from whichever card shares a word. One exception to the bars: a question that says exactly what one of
a card's phrasings says (the same content words, after stemming, slang and typo correction: "whats PME",
"wot is EAWR") is that card's own question, and the card answers it however short it is (a one-word
question scores low in BM25 whichever card it names). A long message (eight content words or more, a voice
note with chatter no card has) needs a higher score but less coverage (`LONG_*`).

The bars are chosen on tuning data only, never on the evaluation questions in `bench/data/`: each card
phrasing asked of an index built without it, and 320 questions a helper wrote blind for the purpose
(`content/st1332/tuning/`); `bench/explain.py --tune` prints the table and the choice (the lowest in-scope
refusals plus out-of-scope answers). A hit the bars refuse still answers when the learned re-ranker
(`card_ranker.py`) gives it at least its threshold's chance of being the right card.
"""

from __future__ import annotations

import difflib
import logging
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from functools import lru_cache

import bm25s
import numpy as np

from sitecoach.curriculum.card_features import (
    QuestionView,
    card_profile,
    feature_rows,
    question_kind,
)
from sitecoach.curriculum.card_ranker import SHIPPED, CardRanker, shipped_ranker
from sitecoach.curriculum.retrieval import analyze, stem
from sitecoach.curriculum.scope_model import SHIPPED as SCOPE_SHIPPED
from sitecoach.curriculum.scope_model import ScopeModel, shipped_scope
from sitecoach.nlu.embeddings import sentence_vectors

logging.getLogger("bm25s").setLevel(logging.WARNING)  # it logs every index build at DEBUG

MIN_SCORE = 1.0
MIN_COVERAGE = 0.4
MIN_KNOWN = 0.8
MIN_MATCHED = 1  # content words the card must share (tried 2: no better on the tuning data)
# A long message (a voice note: "been up all night on a fault, two hours' kip, now they want us ...") carries
# chatter no card has, so its coverage is low even when one card plainly answers it: with this many content
# words, a strong BM25 score and a lower coverage suffice.
LONG_QUESTION_WORDS = 8
LONG_MIN_SCORE = 9.0
LONG_MIN_COVERAGE = 0.2
PHRASING_REPEATS = 2
# BM25's best cards are re-ordered by meaning as well as words: each hit's score relative to the best one,
# plus DENSE_WEIGHT times how close the question's sentence vector is to the card's nearest phrasing (or its
# title, or its title and answer). Chosen on held-out card phrasings (`bench/explain.py --tune`: top-1 right
# 67.2% with BM25 alone, 69.2% with 0.5; 1.0 gave 69.1%, 2.0 67.4%), never on the evaluation questions.
DENSE_WEIGHT = 0.5
RERANK_DEPTH = 10
FUZZY_CUTOFF = 0.85
FUZZY_MIN_LENGTH = 6


@dataclass(frozen=True)
class CardInfo:
    """A live knowledge card as the coach uses it."""

    code: str
    title: str
    area: str
    lesson_code: str | None
    questions: tuple[str, ...]
    answer: str
    key_facts: tuple[str, ...]
    must_do: tuple[str, ...]
    mandatory_phrases: tuple[str, ...]
    sources: tuple[str, ...]
    verify_locally: bool
    varies_by_operator: str | None
    competencies: tuple[str, ...]
    version: int = 1

    @classmethod
    def from_content(cls, content: dict[str, object], version: int = 1) -> CardInfo:
        """A card from its stored content (the pack's card fields, as `CardSpec.model_dump` writes them)."""

        def strings(key: str) -> tuple[str, ...]:
            value = content.get(key) or []
            return tuple(str(v) for v in value) if isinstance(value, list) else ()

        varies = content.get("varies_by_operator")
        lesson = content.get("lesson")
        return cls(
            code=str(content["id"]),
            title=str(content["title"]),
            area=str(content.get("area", "")),
            lesson_code=str(lesson) if lesson else None,
            questions=strings("questions"),
            answer=str(content["answer"]),
            key_facts=strings("key_facts"),
            must_do=strings("must_do"),
            mandatory_phrases=strings("mandatory_phrases"),
            sources=strings("sources"),
            verify_locally=bool(content.get("verify_locally")),
            varies_by_operator=str(varies) if varies else None,
            competencies=strings("competencies"),
            version=version,
        )

    def index_text(self, questions: Iterable[str] | None = None) -> str:
        """What the index reads for this card (optionally with some phrasings left out, for tuning)."""
        asked = list(self.questions if questions is None else questions)
        return " ".join([self.title, *(asked * PHRASING_REPEATS), self.answer, *self.key_facts])


@dataclass(frozen=True)
class CardHit:
    """A card found for a question: its BM25 score, the share of the question's words it covers (each
    word weighted by its rarity among the cards, a word no card uses weighing most, so a missing "good"
    costs little and a missing "mortgage" a lot), and the share of the question's words that any card
    uses at all (low for "how do I bleed a radiator")."""

    card: CardInfo
    score: float
    coverage: float
    known: float = 1.0
    matched: int = 1  # how many of the question's content words the card has
    asked: int = 1  # how many content words the question has
    exact: bool = False  # the question has the same content words as one of the card's phrasings
    probability: float | None = None  # the learned re-ranker's chance that this card answers (if used)
    about_job: bool = False  # the best card, and the scope model is sure the question is about the job
    off_the_job: bool = False  # the scope model is sure the question is not about the job at all


@dataclass(frozen=True)
class Candidates:
    """BM25's best cards for a question, in BM25 order, with the re-ranker's feature rows."""

    docs: tuple[int, ...]
    scores: tuple[float, ...]
    features: np.ndarray
    groups: tuple[tuple[str, ...], ...]
    weights: tuple[float, ...]
    known: float
    own: frozenset[int]  # cards whose own phrasing the question is


def terms(text: str) -> list[str]:
    """The canonical index terms of a text (each content word's stems and slang expansions)."""
    return list(_terms(text))


@lru_cache(maxsize=16384)
def _terms(text: str) -> tuple[str, ...]:
    return tuple(t for group in analyze(text) for t in group)


class CardIndex:
    """BM25 over cards, with typo correction against the cards' vocabulary and a coverage check."""

    def __init__(
        self,
        cards: Sequence[CardInfo],
        min_score: float = MIN_SCORE,
        min_coverage: float = MIN_COVERAGE,
        min_known: float = MIN_KNOWN,
        texts: Sequence[str] | None = None,
        phrasings: Sequence[Sequence[str]] | None = None,
        dense_weight: float = DENSE_WEIGHT,
        ranker: CardRanker | None = None,
        learned: bool = True,
        scope: ScopeModel | None = None,
    ) -> None:
        self.cards = tuple(cards)
        self.dense_weight = dense_weight
        # The learned re-ranker orders BM25's best cards and decides whether the best one answers; without
        # it (`learned=False`, or no model shipped) the dense re-rank and the BM25 bars do.
        self.ranker = (
            ranker if ranker is not None else (shipped_ranker() if learned and SHIPPED.exists() else None)
        )
        # The scope model lets a question the bars refuse be answered when it is sure the question is about
        # the job (chatter around a plain job question lowers its coverage); `learned=False`: the bars alone.
        self.scope = (
            scope if scope is not None else (shipped_scope() if learned and SCOPE_SHIPPED.exists() else None)
        )
        self.min_score = min_score
        self.min_coverage = min_coverage
        self.min_known = min_known
        corpus = [terms(t) for t in (texts if texts is not None else [c.index_text() for c in self.cards])]
        self._vocabulary = sorted({t for doc in corpus for t in doc})
        self._known = frozenset(self._vocabulary)
        self._card_terms = [frozenset(doc) for doc in corpus]
        df: dict[str, int] = {}
        for doc in self._card_terms:
            for t in doc:
                df[t] = df.get(t, 0) + 1
        n = max(1, len(corpus))
        self._idf = {t: math.log((n + 1) / (d + 0.5)) for t, d in df.items()}
        self._unknown_idf = math.log((n + 1) / 0.5)  # a word no card uses weighs most
        # A card's own phrasings by their content words (not when tuning passes texts that leave some out).
        self._phrasings: dict[frozenset[str], set[int]] = {}
        if texts is None:
            for i, card in enumerate(self.cards):
                for phrasing in card.questions:
                    words = frozenset(terms(phrasing))
                    if words:
                        self._phrasings.setdefault(words, set()).add(i)
        # Sentence vectors of each card's phrasings (`phrasings` leaves some out, for tuning), title, and
        # title with answer; card i owns rows `_rows[i]:_rows[i + 1]`.
        asked = phrasings if phrasings is not None else [c.questions for c in self.cards]
        rows: list[str] = []
        self._rows = [0]
        for i, card in enumerate(self.cards):
            rows.extend([*asked[i], card.title, f"{card.title}. {card.answer}"])
            self._rows.append(len(rows))
        wanted = (dense_weight or self.ranker is not None) and rows
        self._vectors = sentence_vectors(rows) if wanted else np.zeros((0, 1), np.float32)
        self._profiles = [
            card_profile(
                frozenset(terms(card.title)), [frozenset(terms(q)) for q in asked[i]], asked[i], card.answer,
                bool(card.mandatory_phrases),
            )
            for i, card in enumerate(self.cards)
        ]  # fmt: skip
        self._retriever: bm25s.BM25 | None = None
        if self.cards:
            self._retriever = bm25s.BM25()
            self._retriever.index(corpus, show_progress=False)
        self._correct = lru_cache(maxsize=4096)(self._correct_uncached)
        # The router and then explain (or emergency) may ask about the same message: search it once.
        self._search = lru_cache(maxsize=2048)(self._search_uncached)

    def __len__(self) -> int:
        return len(self.cards)

    def knows(self, word: str) -> bool:
        """Whether the cards use this word (every index term of it): "mark", "earl" or "apprentice" is a
        word of the job as well as a name."""
        found = terms(word)
        return bool(found) and all(t in self._known for t in found)

    def search(self, question: str, k: int = 3) -> list[CardHit]:
        """The `k` best cards for a question, strongest first (empty when nothing shares a word)."""
        return list(self._search(question, k))

    def candidates(self, question: str) -> Candidates | None:
        """BM25's best cards for a question (the re-rank depth), with their feature rows; None when
        nothing shares a word."""
        groups = self._groups(question)
        query = [t for group in groups for t in group]
        if self._retriever is None or not query:
            return None
        depth = min(RERANK_DEPTH, len(self.cards))
        docs, scores = self._retriever.retrieve([query], k=depth, show_progress=False)
        known = sum(1 for group in groups if any(t in self._known for t in group)) / len(groups)
        weights = [max((self._idf.get(t, self._unknown_idf) for t in group), default=0.0) for group in groups]
        own = frozenset(self._phrasings.get(frozenset(query), set()))
        found = [int(d) for d in np.asarray(docs[0]).tolist()]
        points = [float(v) for v in np.asarray(scores[0]).tolist()]
        features = np.zeros((0, 0))
        if self.ranker is not None:
            view = QuestionView(groups, weights, question_kind(question), known)
            features = feature_rows(
                view, points, [self._card_terms[d] for d in found], [self._profiles[d] for d in found],
                self._cosines(question, found), [d in own for d in found],
            )  # fmt: skip
        return Candidates(tuple(found), tuple(points), features, tuple(groups), tuple(weights), known, own)

    def _cosines(self, question: str, docs: Sequence[int]) -> np.ndarray:
        """Per card: the question's cosine to its closest phrasing, to its title, to its title and answer."""
        asked = sentence_vectors([question])[0]
        out = np.zeros((len(docs), 3))
        for i, doc in enumerate(docs):
            near = self._vectors[self._rows[doc] : self._rows[doc + 1]] @ asked
            out[i] = (float(np.max(near[:-2])) if len(near) > 2 else float(near[-2]), near[-2], near[-1])
        return out

    def _search_uncached(self, question: str, k: int) -> tuple[CardHit, ...]:
        found = self.candidates(question)
        if found is None:
            return ()
        k = min(k, len(self.cards))
        # The order is BM25's and meaning's (`_by_meaning`): the learned ranker did not order better on
        # held-out tuning questions (`bench/explain.py --tune`); its calibrated chance decides answering.
        chances = self.ranker.probabilities(found.features) if self.ranker is not None else None
        chance_of = {d: float(chances[i]) if chances is not None else None for i, d in enumerate(found.docs)}
        pairs = list(zip(found.docs, found.scores, strict=True))
        ranked = [
            (d, s, chance_of[d])
            for d, s in (self._by_meaning(question, pairs) if self.dense_weight else pairs)
        ]
        ranked = ranked[:k]
        own = found.own
        if own and not own & {d for d, _, _ in ranked[:1]}:
            # The card whose own phrasing this is goes first (the best scoring of them, if several).
            every = (
                self._retriever.get_scores(list(t for g in found.groups for t in g))
                if self._retriever
                else []
            )
            best = max(own, key=lambda d: float(every[d]))
            ranked = [(best, float(every[best]), chance_of.get(best))] + [r for r in ranked if r[0] != best][
                : k - 1
            ]
        hits = []
        about_job = off_the_job = False
        if self.scope is not None:
            chance = self.scope.job_probability(question)
            about_job, off_the_job = chance >= self.scope.threshold, chance < self.scope.veto
        total = sum(found.weights) or 1.0
        for doc, score, probability in ranked:
            if score <= 0:
                continue
            card_terms = self._card_terms[doc]
            pairs_ = zip(found.groups, found.weights, strict=True)
            covered = [w for group, w in pairs_ if not card_terms.isdisjoint(group)]
            share = sum(covered) / total
            hit = CardHit(self.cards[doc], score, share, found.known, len(covered), len(found.groups))
            # the scope model vouches for the question, so only for the best card: never a runner-up's pass
            first = about_job and not hits
            hits.append(
                replace(
                    hit,
                    exact=doc in own,
                    probability=probability,
                    about_job=first,
                    off_the_job=off_the_job,
                )
            )
        return tuple(hits)

    def _by_meaning(self, question: str, ranked: list[tuple[int, float]]) -> list[tuple[int, float]]:
        """BM25's hits re-ordered by relative score plus closeness in meaning (see `DENSE_WEIGHT`)."""
        top = ranked[0][1] if ranked else 0.0
        if not self.dense_weight or len(ranked) < 2 or top <= 0:
            return ranked
        asked = sentence_vectors([question])[0]

        def combined(hit: tuple[int, float]) -> float:
            nearest = float(np.max(self._vectors[self._rows[hit[0]] : self._rows[hit[0] + 1]] @ asked))
            return hit[1] / top + self.dense_weight * nearest

        return sorted(ranked, key=combined, reverse=True)

    def answering(self, question: str) -> CardHit | None:
        """The card that answers the question, or None when no card clearly does."""
        hits = self.search(question, k=1)
        if hits and self.answers(hits[0]):
            return hits[0]
        return None

    def answers(self, hit: CardHit) -> bool:
        """Whether a hit is strong enough to answer from (a card's own phrasing always is)."""
        if hit.exact:
            return True
        if hit.off_the_job:
            return False  # the scope model is sure it is not about the job: refused, whatever the bars say
        if (
            self.ranker is not None
            and hit.probability is not None
            and hit.probability >= self.ranker.threshold
        ):
            return True  # the learned ranker is sure enough that this card is right, whatever the bars say
        if hit.about_job and hit.matched >= 1:
            return True  # surely about the job, and the best card shares a content word with it
        if hit.known < self.min_known or hit.matched < min(MIN_MATCHED, hit.asked):
            return False
        if hit.asked >= LONG_QUESTION_WORDS and hit.score >= max(self.min_score, LONG_MIN_SCORE):
            return hit.coverage >= min(self.min_coverage, LONG_MIN_COVERAGE)
        return hit.score >= self.min_score and hit.coverage >= self.min_coverage

    def _groups(self, question: str) -> list[tuple[str, ...]]:
        """The question's content-word groups, unknown words corrected to the closest card word."""
        groups: list[tuple[str, ...]] = []
        for group in analyze(question):
            if len(group) == 1 and group[0] not in self._known:
                corrected = self._correct(group[0])
                if corrected is not None:
                    group = (corrected,)
            if group not in groups:
                groups.append(group)
        return groups

    def _correct_uncached(self, term: str) -> str | None:
        if len(term) >= 5 and term.endswith("in") and term.isalpha():
            dropped_g = stem(term + "g")  # "pullin", "diggin", "jointin": the g dropped as it's said
            if dropped_g in self._known:
                return dropped_g
        if len(term) < FUZZY_MIN_LENGTH or not term.isalpha():
            return None
        close = difflib.get_close_matches(term, self._vocabulary, n=3, cutoff=FUZZY_CUTOFF)
        same_start = [word for word in close if word[0] == term[0]]  # typos rarely hit the first letter
        return same_start[0] if same_start else None
