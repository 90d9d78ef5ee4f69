"""Training the card re-ranker, deterministically, on tuning data only (never the evaluation set).

The training questions, each with BM25's ten best cards as candidates:
- every card phrasing, asked of an index built without it (five folds: every fifth phrasing of each card
  left out of both the words and the sentence vectors); its own card is the right one;
- the graded tuning questions (`content/st1332/tuning/graded_questions*.yaml`, written blind): a candidate
  is right when its answer, must-dos and key facts carry every fact group the question needs;
- the out-of-scope tuning questions (the graded ones, `out_of_scope.txt`, the 0 rows of `questions.tsv`):
  no candidate is right.
A logistic regression over the pairs' features (`card_features.py`) gives each candidate the chance that
it is right. Its figures are out of fold (`GroupKFold`: a question's candidates are never split between
training and test), and so is the threshold: the highest chance at which at most `MAX_IN_SCOPE_REFUSED` of
the questions about the job are refused (the in-scope rows of `questions.tsv`, which train nothing, and the
graded ones out of fold).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GroupKFold

from sitecoach.curriculum.card_features import FEATURES
from sitecoach.curriculum.card_ranker import CardRanker
from sitecoach.curriculum.card_search import DENSE_WEIGHT, CardIndex, CardInfo
from sitecoach.curriculum.grading import Question, load_questions, mentions_all

C = 1.0  # inverse regularisation (0.1, 1 and 10 gave the same top-1 within 0.3 points out of fold)
FOLDS = 5  # both the phrasing folds and the cross-validation folds
MAX_IN_SCOPE_REFUSED = 0.03  # the bar for questions about the job
THRESHOLDS = tuple(round(t, 2) for t in np.arange(0.05, 1.0, 0.01))
_COSINES = slice(FEATURES.index("cosine_phrasing"), FEATURES.index("cosine_answer") + 1)
_OWN = FEATURES.index("own_phrasing")


@dataclass(frozen=True)
class TuningSet:
    """The tuning questions: graded (with fact groups), in scope without grades, and out of scope."""

    graded: tuple[Question, ...]
    in_scope: tuple[str, ...]
    out_of_scope: tuple[str, ...]


def load_tuning(folder: Path) -> TuningSet:
    """Read `content/<pack>/tuning/`."""
    graded = [q for path in sorted(folder.glob("graded_questions*.yaml")) for q in load_questions(path)]
    rows = [
        line.split("\t") for line in (folder / "questions.tsv").read_text(encoding="utf-8").splitlines()[1:]
    ]
    listed = (folder / "out_of_scope.txt").read_text(encoding="utf-8").splitlines()
    outside = [line.strip() for line in listed if line.strip() and not line.startswith("#")]
    outside += [q for flag, q in rows if flag == "0"] + [q.text for q in graded if not q.in_scope]
    return TuningSet(
        graded=tuple(q for q in graded if q.in_scope),
        in_scope=tuple(q for flag, q in rows if flag == "1"),
        out_of_scope=tuple(outside),
    )


def card_text(card: CardInfo) -> str:
    """What a card's reply can say: its answer, must-dos and key facts."""
    return " ".join([card.answer, *card.must_do, *card.key_facts])


@dataclass
class Asked:
    """One training question: its source, its candidates' features and which candidates are right."""

    source: str  # "phrasing", "graded" or "outside"
    text: str
    features: np.ndarray
    right: np.ndarray  # one bool per candidate
    known: float
    chance: np.ndarray = field(default_factory=lambda: np.zeros(0))  # out of fold, filled in by `train`


def _asked(index: CardIndex, text: str, source: str, is_right: object) -> Asked:
    found = index.candidates(text)
    if found is None or not found.docs:  # no card shares a word: refused, and nothing to learn from
        return Asked(source, text, np.zeros((0, len(FEATURES))), np.zeros(0, dtype=bool), 0.0)
    right = np.array([bool(is_right(index.cards[d])) for d in found.docs])  # type: ignore[operator]
    return Asked(source, text, found.features, right, found.known)


def training_questions(cards: Sequence[CardInfo], tuning: TuningSet, ranker: CardRanker) -> list[Asked]:
    """Every training question with its candidates (see the module's docstring)."""
    asked: list[Asked] = []
    for fold in range(FOLDS):
        kept = [[q for i, q in enumerate(c.questions) if i % FOLDS != fold] for c in cards]
        texts = [c.index_text(k) for c, k in zip(cards, kept, strict=True)]
        index = CardIndex(cards, texts=texts, phrasings=kept, ranker=ranker)
        for card in cards:
            for i, q in enumerate(card.questions):
                if i % FOLDS == fold:
                    asked.append(_asked(index, q, "phrasing", lambda c, own=card: c is own))
    full = CardIndex(cards, ranker=ranker)
    texts_of = {id(c): card_text(c) for c in cards}
    for question in tuning.graded:
        asked.append(
            _asked(full, question.text, "graded", lambda c, q=question: mentions_all(texts_of[id(c)], q)[0])
        )
    asked += [_asked(full, text, "outside", lambda c: False) for text in tuning.out_of_scope]
    return asked


def _fit(asked: Sequence[Asked]) -> tuple[np.ndarray, np.ndarray, LogisticRegression]:
    rows = np.vstack([a.features for a in asked])
    labels = np.concatenate([a.right for a in asked])
    mean, scale = rows.mean(axis=0), rows.std(axis=0)
    scale[scale == 0] = 1.0
    model = LogisticRegression(C=C, max_iter=5000)
    model.fit((rows - mean) / scale, labels)
    return mean, scale, model


def _as_ranker(
    mean: np.ndarray, scale: np.ndarray, model: LogisticRegression, threshold: float
) -> CardRanker:
    return CardRanker(mean, scale, model.coef_[0].astype(np.float64), float(model.intercept_[0]), threshold)


def baseline_order(features: np.ndarray) -> np.ndarray:
    """The hand-set re-rank the learned one replaces: score / top + DENSE_WEIGHT x the closest cosine."""
    score = features[:, 0] + DENSE_WEIGHT * features[:, _COSINES].max(axis=1)
    return _own_first(features, np.argsort(-score, kind="stable"))


def learned_order(features: np.ndarray, chance: np.ndarray) -> np.ndarray:
    """Candidates by the re-ranker's chance, best first (a card's own phrasing first, as at run time)."""
    return _own_first(features, np.argsort(-chance, kind="stable"))


def _own_first(features: np.ndarray, order: np.ndarray) -> np.ndarray:
    own = [i for i in order if features[i, _OWN] > 0]
    return np.array(own[:1] + [i for i in order if i not in own[:1]])


def top_chance(a: Asked) -> float:
    """The chance that the card the search puts first (BM25 and meaning: `baseline_order`) is right."""
    return float(a.chance[baseline_order(a.features)[0]]) if len(a.right) else 0.0


@dataclass
class Training:
    """The trained ranker and the out-of-fold figures it was chosen by."""

    ranker: CardRanker
    asked: list[Asked]
    in_scope: list[tuple[float, bool]]  # (chance, answered by the BM25 bars) per in-scope tuning question
    outside: list[tuple[float, bool]]


def refused_share(questions: Sequence[tuple[float, bool]], threshold: float) -> float:
    """The share of questions refused when a card answers if the BM25 bars pass or its chance reaches
    the threshold (a card's own phrasing passes the bars)."""
    return sum(1 for chance, bars in questions if not bars and chance < threshold) / max(1, len(questions))


def train(cards: Sequence[CardInfo], tuning: TuningSet) -> Training:
    """Train on everything, with out-of-fold chances for the figures and the threshold."""
    placeholder = CardRanker(
        np.zeros(len(FEATURES)), np.ones(len(FEATURES)), np.zeros(len(FEATURES)), 0.0, 0.5
    )
    asked = training_questions(cards, tuning, placeholder)  # features only: the ranker's weights are unused
    groups = np.concatenate([np.full(len(a.right), n) for n, a in enumerate(asked)])
    starts = np.cumsum([0] + [len(a.right) for a in asked])
    every = np.vstack([a.features for a in asked])
    chance = np.zeros(starts[-1])
    for train_at, test_at in GroupKFold(n_splits=FOLDS).split(every, groups=groups):
        mean, scale, model = _fit([asked[n] for n in sorted(set(groups[train_at].tolist()))])
        chance[test_at] = model.predict_proba((every[test_at] - mean) / scale)[:, 1]
    for n, a in enumerate(asked):
        a.chance = chance[starts[n] : starts[n + 1]]
    mean, scale, model = _fit(asked)
    final = _as_ranker(mean, scale, model, 1.0)
    bars, full = CardIndex(cards, learned=False), CardIndex(cards, ranker=final)
    inside = [(top_chance(a), bars.answering(a.text) is not None) for a in asked if a.source == "graded"]
    for text in tuning.in_scope:  # never trained on: the final model's chance
        hits = full.search(text, k=1)
        chance = (hits[0].probability or 0.0) if hits else 0.0
        inside.append((chance, bars.answering(text) is not None))
    outside = [(top_chance(a), bars.answering(a.text) is not None) for a in asked if a.source == "outside"]
    allowed = [t for t in THRESHOLDS if refused_share(inside, t) <= MAX_IN_SCOPE_REFUSED]
    threshold = max(allowed) if allowed else THRESHOLDS[0]
    fingerprint = f"{len(cards)} cards; {sum(a.source == 'phrasing' for a in asked)} held-out phrasings, "
    fingerprint += f"{len(tuning.graded)} graded and {len(tuning.out_of_scope)} out-of-scope tuning questions"
    return Training(replace(final, threshold=threshold, trained_on=fingerprint), asked, inside, outside)
