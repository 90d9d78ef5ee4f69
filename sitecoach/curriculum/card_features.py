"""What the learned re-ranker reads about a (question, candidate card) pair: one row of numbers each.

BM25 finds a question's candidate cards by shared words; whether a candidate is the card that answers is
told by more than its score: how close in meaning the question is to one of the card's phrasings, its title
or its answer (sentence vectors), how much of the question's rarer words it covers, whether the question
asks the way the card's phrasings ask (why / how / can I / what do I do if), whether it names the card's
title, and whether the card is a safety-critical one. `card_ranker.py` weighs these rows; the weights are
learned from the cards' own phrasings and the tuning questions (`card_ranker_training.py`).

A few columns are the same for every candidate of a question (how many of its words the cards know, how
long it is, the best BM25 score): they do not change the order, they tell the model how sure to be.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

FEATURES = (
    "relative_score",  # BM25 score / the best candidate's
    "log_score",
    "reciprocal_rank",  # 1 / (1 + BM25 rank)
    "cosine_phrasing",  # closest of the card's phrasings
    "cosine_title",
    "cosine_answer",  # the title with the answer
    "cosine_gap",  # the card's closest row less the best candidate's closest row
    "coverage",  # rarity-weighted share of the question's words the card has
    "matched_share",  # plain share of the question's words the card has
    "phrasing_overlap",  # best word overlap (Jaccard) with one of the card's phrasings
    "title_share",  # share of the question's words in the card's title
    "kind_share",  # share of the card's phrasings that ask the same kind of question
    "yes_no_asked",  # a can-I question and a card whose answer starts "Yes" or "No"
    "yes_no_unasked",  # another kind of question and a yes/no card
    "slang_share",  # share of the question's jointer-slang concepts the card has
    "safety_card",  # the card has a mandatory safety phrase
    "own_phrasing",  # the question has the content words of one of the card's phrasings
    "known",  # question: share of its words the cards use at all
    "log_words",  # question: log(1 + content words)
    "log_top_score",  # question: log(1 + the best BM25 score)
)

# The kinds of question a jointer asks, first match wins: "what do I do if" before "what", "can I" first.
_KINDS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("if", re.compile(r"\bwhat (?:do|should|shall|would|must) (?:i|we|you) do\b|\bwhat (?:if|happens if)\b")),
    (
        "can",
        re.compile(
            r"^\W*(?:can|could|may|should|shall|must|am|are|is|do|does|did|will|would|have|has|need)\b"
            r"|\b(?:is it|am i|are we|do i|do we|have i got|allowed)\b"
        ),
    ),
    ("why", re.compile(r"\bwhy\b")),
    ("how", re.compile(r"\bhow\b")),
    ("when", re.compile(r"\b(?:when|where|who|which)\b")),
    ("what", re.compile(r"\b(?:what|whats|wot|wat|wots|wats)\b")),
)


def question_kind(text: str) -> str:
    """The kind of question: "if", "can", "why", "how", "when", "what", or "other"."""
    lowered = text.lower().replace("’", "'")
    return next((kind for kind, pattern in _KINDS if pattern.search(lowered)), "other")


@dataclass(frozen=True)
class CardProfile:
    """What the features need of one card, worked out once when the index is built."""

    title_terms: frozenset[str]
    phrasing_terms: tuple[frozenset[str], ...]
    phrasing_kinds: tuple[str, ...]
    yes_no: bool
    safety: bool


def card_profile(
    title_terms: frozenset[str], phrasing_terms: Sequence[frozenset[str]], phrasings: Sequence[str],
    answer: str, safety: bool,
) -> CardProfile:  # fmt: skip
    """A card's profile from its analysed title and phrasings (those the index holds) and its answer."""
    opening = answer.lstrip().lower()
    return CardProfile(
        title_terms=title_terms,
        phrasing_terms=tuple(phrasing_terms),
        phrasing_kinds=tuple(question_kind(p) for p in phrasings),
        yes_no=opening.startswith(("yes", "no")),
        safety=safety,
    )


@dataclass(frozen=True)
class QuestionView:
    """The question as the features see it: its content-word groups (each a word's stems and slang
    expansions), their rarity weights, its kind, and the share of its words the cards know."""

    groups: Sequence[tuple[str, ...]]
    weights: Sequence[float]
    kind: str
    known: float


def feature_rows(
    question: QuestionView,
    scores: Sequence[float],
    card_terms: Sequence[frozenset[str]],
    profiles: Sequence[CardProfile],
    cosines: np.ndarray,
    own: Sequence[bool],
) -> np.ndarray:
    """One row of `FEATURES` per candidate, in BM25 order. `cosines` has a row per candidate: the
    question's cosine to the closest phrasing, the title and the title with the answer."""
    n = len(scores)
    rows = np.zeros((n, len(FEATURES)), dtype=np.float64)
    if n == 0:
        return rows
    top = max(scores[0], 1e-9)
    words = frozenset(t for group in question.groups for t in group)
    total = sum(question.weights) or 1.0
    asked = max(1, len(question.groups))
    slang = [group for group in question.groups if len(group) > 1]
    best_cosine = float(np.max(cosines)) if cosines.size else 0.0
    for i in range(n):
        terms, profile = card_terms[i], profiles[i]
        hit = [not terms.isdisjoint(group) for group in question.groups]
        overlap = max(
            (len(words & p) / len(words | p) for p in profile.phrasing_terms if p or words), default=0.0
        )
        kinds = profile.phrasing_kinds
        can = question.kind == "can"
        rows[i] = (
            scores[i] / top,
            math.log1p(max(scores[i], 0.0)),
            1.0 / (1 + i),
            cosines[i, 0],
            cosines[i, 1],
            cosines[i, 2],
            float(np.max(cosines[i])) - best_cosine,
            sum(w for w, h in zip(question.weights, hit, strict=True) if h) / total,
            sum(hit) / asked,
            overlap,
            sum(1 for group in question.groups if not profile.title_terms.isdisjoint(group)) / asked,
            sum(1 for kind in kinds if kind == question.kind) / len(kinds) if kinds else 0.0,
            float(can and profile.yes_no),
            float(not can and profile.yes_no),
            sum(1 for group in slang if not terms.isdisjoint(group)) / len(slang) if slang else 0.0,
            float(profile.safety),
            float(own[i]),
            question.known,
            math.log1p(len(question.groups)),
            math.log1p(max(scores[0], 0.0)),
        )
    return rows
