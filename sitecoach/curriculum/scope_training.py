"""Training the scope model (`scope_model.py`), deterministically, on the pack and tuning data only.

About the job: every card phrasing, and the tuning questions about the job (`content/<pack>/tuning/`:
the graded ones in scope and the in-scope rows of `questions.tsv`). Off topic: the tuning questions out of
scope (`out_of_scope.txt`, the graded ones, the 0 rows of `questions.tsv`) and the off-topic examples the
intent model files under explain (the sections of `explain.txt` whose header says "off-topic questions").
Never the evaluation sets in `bench/data/`.

The threshold is chosen out of fold (5 stratified folds): the lowest chance at which the off-topic
questions that the card bars refuse but this model would let through stay at most `MAX_OFF_TOPIC_LET_IN`
of all the off-topic questions. The veto too: the highest chance under which at most `MAX_JOB_VETOED` of
the questions about the job fall (out of fold); under it a question is refused whatever the bars say.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold

from sitecoach.curriculum.card_ranker_training import TuningSet
from sitecoach.curriculum.card_search import CardIndex, CardInfo
from sitecoach.curriculum.scope_model import JOB, OFF_TOPIC, ScopeModel
from sitecoach.nlu.model import IntentModel, examples_fingerprint
from sitecoach.nlu.normalise import DEFAULT_NORMALISER
from sitecoach.nlu.training import as_model, featurise

C = 4.0  # inverse regularisation; the classes are weighted to balance (about 8 job questions to 1 off topic)
FOLDS = 5
MAX_OFF_TOPIC_LET_IN = 0.025
THRESHOLDS = tuple(round(t, 2) for t in np.arange(0.5, 1.0, 0.01))
MAX_JOB_VETOED = 0.001
VETOES = tuple(round(v, 2) for v in np.arange(0.0, 0.51, 0.01))
_SECTION = re.compile(r"^# (?:round|session)\b", re.IGNORECASE)
_OFF_TOPIC_HEADER = re.compile(r"^# (?:round|session)[^:]*: \d+ off-topic questions\b", re.IGNORECASE)


@dataclass(frozen=True)
class ScopeTraining:
    """The trained model and its out-of-fold tables: per threshold, the share of the job questions the bars
    refuse that it answers, and the share of all off-topic questions it lets in; per veto, the share of
    the job questions it would refuse, and the share of the off-topic questions the bars answer that it
    refuses."""

    scope: ScopeModel
    job: int
    off_topic: int
    table: tuple[tuple[float, float, float], ...]
    veto_table: tuple[tuple[float, float, float], ...] = ()


def off_topic_sections(examples: str) -> list[str]:
    """The lines of an examples file in sections whose header starts with a count of off-topic questions
    ("# round 8b (...): 420 off-topic questions ..."); a section ends at the next "# round" or "# session"
    header (a header's own continuation lines are comments too). A section that mixes in job questions
    (hard negatives) does not qualify: its header does not start that way."""
    out: list[str] = []
    keep = False
    for line in examples.splitlines():
        if line.startswith("#"):
            if _SECTION.match(line):
                keep = _OFF_TOPIC_HEADER.search(line) is not None
            continue
        if keep and line.strip():
            out.append(line.strip())
    return out


def _normalised(texts: Sequence[str]) -> list[str]:
    return [" ".join(DEFAULT_NORMALISER.tokens(t)) for t in texts]


def _fit(texts: Sequence[str], labels: np.ndarray) -> IntentModel:
    word, char, features = featurise(texts)
    estimator = LogisticRegression(C=C, class_weight="balanced", max_iter=5000).fit(features, labels)
    # a binary logistic regression as two softmax columns: P(off_topic) = sigmoid(w.x + b)
    weights, bias = estimator.coef_.T, float(estimator.intercept_[0])
    coef, intercept = np.hstack([-weights, weights]) / 2, np.array([-bias, bias]) / 2
    return as_model(word, char, estimator.classes_, coef, intercept)


def training_data(
    cards: Sequence[CardInfo], tuning: TuningSet, off_topic_examples: Sequence[str]
) -> tuple[list[str], list[str]]:
    """(questions about the job, off-topic questions), as the module's note lists them."""
    job = (
        [q for card in cards for q in card.questions]
        + [q.text for q in tuning.graded]
        + list(tuning.in_scope)
    )
    return job, list(tuning.out_of_scope) + list(off_topic_examples)


def fingerprint(job: Sequence[str], off_topic: Sequence[str]) -> str:
    """A short hash of the training data, to tell a stale model."""
    return examples_fingerprint({JOB: list(job), OFF_TOPIC: list(off_topic)})


def train(cards: Sequence[CardInfo], tuning: TuningSet, off_topic_examples: Sequence[str]) -> ScopeTraining:
    """Fit on everything; the threshold from out-of-fold chances (see the module's note)."""
    job, off = training_data(cards, tuning, off_topic_examples)
    texts = _normalised(job + off)
    labels = np.array([JOB] * len(job) + [OFF_TOPIC] * len(off))
    chance = np.zeros(len(texts))
    folds = StratifiedKFold(n_splits=FOLDS, shuffle=True, random_state=0)
    for fit_rows, test_rows in folds.split(texts, labels):
        model = _fit([texts[i] for i in fit_rows], labels[fit_rows])
        column = model.index(JOB)
        for i in test_rows:
            chance[i] = model.scores(texts[i])[0][column]
    bars = CardIndex(cards, learned=False)
    verdicts = [_bars_verdict(bars, t) for t in job + off]
    refused = np.array([shares and not answers for shares, answers in verdicts])
    answered = np.array([answers for _, answers in verdicts])
    is_job = labels == JOB
    table = []
    for t in THRESHOLDS:
        answered_job = float(np.mean(chance[is_job & refused] >= t)) if (is_job & refused).any() else 0.0
        let_in = float(np.sum((chance >= t) & refused & ~is_job)) / max(1, int((~is_job).sum()))
        table.append((t, answered_job, let_in))
    allowed = [t for t, _, let_in in table if let_in <= MAX_OFF_TOPIC_LET_IN]
    threshold = min(allowed) if allowed else THRESHOLDS[-1]
    veto_table = []
    off_answered = answered & ~is_job
    for v in VETOES:
        lost = float(np.mean(chance[is_job] < v))
        refused_off = float(np.sum(chance[off_answered] < v)) / max(1, int(off_answered.sum()))
        veto_table.append((v, lost, refused_off))
    veto = max(v for v, lost, _ in veto_table if lost <= MAX_JOB_VETOED)
    final = _fit(texts, labels)
    final.fingerprint = fingerprint(job, off)
    scope = ScopeModel(final, threshold, veto)
    return ScopeTraining(scope, len(job), len(off), tuple(table), tuple(veto_table))


def _bars_verdict(bars: CardIndex, question: str) -> tuple[bool, bool]:
    """(some card shares a word with the question, the card bars answer it)."""
    hits = bars.search(question, k=1)
    return bool(hits), bool(hits) and bars.answers(hits[0])
