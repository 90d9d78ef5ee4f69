"""Training the intent model from the labelled examples, deterministically, with scikit-learn.

The detector thresholds (emergency, STOP, the opt-out detector) are chosen on out-of-fold probabilities
from stratified k-fold cross-validation of the training data only: never on a development set. The
opt-out detector's sigmoid calibration is fitted on the same out-of-fold scores.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold

from sitecoach.infra.progress import progress
from sitecoach.nlu.model import CHAR_NGRAMS, WORD_NGRAMS, WORD_TOKENS, IntentModel, examples_fingerprint
from sitecoach.nlu.normalise import DEFAULT_NORMALISER

C = 30.0  # inverse regularisation, chosen by cross-validation on the training data (3, 10, 30 tried)
FOLDS = 5
SEED = 0
# Recall first: the detectors' bars are set so that cross-validated recall stays at least this high.
EMERGENCY_RECALL = 0.995
STOP_RECALL = 0.99
# ... unless that would raise more false alarms than these shares of the other messages.
EMERGENCY_MAX_FALSE = 0.02
STOP_MAX_FALSE = 0.005
# An opt-out missed breaks consent law: the STOP bar is lowered further, for more recall, as long as
# no more than this share of the other messages would cross it (within the cap above).
STOP_FALSE_BUDGET = 0.003
# The "say the safety line anyway" band: at most this share of other messages carry the line.
POSSIBLE_MAX_FLAGGED = 0.05
# With a cue phrase (a hazard now, an opt-out phrase) the model need only reach this share of the bar.
CUE_FRACTION = 0.3
# The opt-out detector (opt-out against everything else): recall first, at the same false-STOP cap.
# Its C was chosen by cross-validation on the training data (3, 10, 30, 100 tried, balanced or not: recall
# at 0.5% false STOPs 83%, 87%, 88%, 87%).
OPT_OUT_C = 30.0
OPT_OUT_RECALL = 0.995
OPT_OUT_LABEL = "stop"


def word_vectorizer() -> TfidfVectorizer:
    """Word 1-2-grams of the normalised text (`model.word_ngrams` applies the same at run time)."""
    return TfidfVectorizer(
        analyzer="word", ngram_range=WORD_NGRAMS, token_pattern=WORD_TOKENS, sublinear_tf=True,
        lowercase=False, dtype=np.float64,
    )  # fmt: skip


def char_vectorizer() -> TfidfVectorizer:
    """In-word character 2-5-grams (`model.char_wb_ngrams`), robust to typos and dialect spellings."""
    return TfidfVectorizer(
        analyzer="char_wb", ngram_range=CHAR_NGRAMS, sublinear_tf=True, min_df=2, lowercase=False,
        dtype=np.float64,
    )  # fmt: skip


@dataclass(frozen=True)
class Dataset:
    """Normalised texts and their labels."""

    texts: list[str]
    labels: np.ndarray

    @classmethod
    def from_examples(cls, examples: Mapping[str, Sequence[str]]) -> Dataset:
        """Every example of every intent, normalised, in a stable order."""
        texts, labels = [], []
        for name in sorted(examples):
            for text in examples[name]:
                norm = DEFAULT_NORMALISER.normalise(text)
                if norm:
                    texts.append(norm)
                    labels.append(name)
        return cls(texts, np.array(labels))


def featurise(texts: Sequence[str]) -> tuple[TfidfVectorizer, TfidfVectorizer, sp.csr_matrix]:
    """Fit the word and character vectorizers on normalised texts; their side-by-side TF-IDF matrix."""
    word, char = word_vectorizer(), char_vectorizer()
    return word, char, sp.hstack([word.fit_transform(texts), char.fit_transform(texts)]).tocsr()


def as_model(
    word: TfidfVectorizer,
    char: TfidfVectorizer,
    classes: Sequence[str],
    coef: np.ndarray,
    intercept: np.ndarray,
    opt_out_coef: np.ndarray | None = None,
    opt_out_intercept: float = 0.0,
) -> IntentModel:
    """The fitted vectorizers and a linear model's weights (n_features x n_classes) as an `IntentModel`."""
    return IntentModel(
        classes=tuple(str(c) for c in classes),
        word_vocabulary={k: int(v) for k, v in word.vocabulary_.items()},
        word_idf=np.asarray(word.idf_, dtype=np.float64),
        char_vocabulary={k: int(v) for k, v in char.vocabulary_.items()},
        char_idf=np.asarray(char.idf_, dtype=np.float64),
        coef=np.ascontiguousarray(coef, dtype=np.float64),
        intercept=np.asarray(intercept, dtype=np.float64),
        opt_out_coef=opt_out_coef,
        opt_out_intercept=opt_out_intercept,
    )


def fit(texts: Sequence[str], labels: np.ndarray) -> IntentModel:
    """Fit the vectorizers, the intent model and the opt-out detector (no thresholds, no calibration)."""
    word, char, features = featurise(texts)
    estimator = LogisticRegression(C=C, max_iter=5000).fit(features, labels)
    opt_out = labels == OPT_OUT_LABEL
    detector = (
        LogisticRegression(C=OPT_OUT_C, class_weight="balanced", max_iter=5000).fit(features, opt_out)
        if 0 < opt_out.sum() < len(labels)
        else None
    )
    return as_model(
        word, char, estimator.classes_, estimator.coef_.T, estimator.intercept_,
        opt_out_coef=None if detector is None else np.asarray(detector.coef_[0], dtype=np.float64),
        opt_out_intercept=0.0 if detector is None else float(detector.intercept_[0]),
    )  # fmt: skip


def out_of_fold(
    data: Dataset, folds: int = FOLDS, show_progress: bool = False
) -> tuple[np.ndarray, tuple[str, ...], np.ndarray]:
    """Cross-validated probabilities and opt-out detector margins: each example scored by a model that
    never saw it."""
    classes = tuple(sorted(set(data.labels.tolist())))
    proba = np.zeros((len(data.texts), len(classes)))
    margins = np.zeros(len(data.texts))
    splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=SEED)
    splits = list(splitter.split(data.texts, data.labels))
    for train, test in progress(
        splits, "Cross-validating", summary="cross-validated {count} fold{s}", show=show_progress
    ):
        model = fit([data.texts[i] for i in train], data.labels[train])
        columns = [classes.index(c) for c in model.classes]
        for i in test:
            proba[i, columns] = model.probabilities(data.texts[i])
            margins[i] = model.opt_out_margin(data.texts[i])
    return proba, classes, margins


def calibrate(margins: np.ndarray, positive: np.ndarray) -> tuple[float, float]:
    """Platt scaling: the sigmoid (slope, offset) that turns cross-validated margins into probabilities."""
    if positive.all() or not positive.any():
        return 1.0, 0.0
    platt = LogisticRegression(C=1e6, max_iter=1000).fit(margins.reshape(-1, 1), positive)
    return float(platt.coef_[0, 0]), float(platt.intercept_[0])


def calibrated(margins: np.ndarray, calibration: tuple[float, float]) -> np.ndarray:
    """The detector's P(opt-out) for each margin."""
    slope, offset = calibration
    return np.asarray(1.0 / (1.0 + np.exp(-np.clip(slope * margins + offset, -50.0, 50.0))))


def recall_first_threshold(
    scores: np.ndarray, positive: np.ndarray, recall: float, max_false: float, false_budget: float = 0.0
) -> float:
    """The highest bar that keeps `recall` of the positives, raised only as far as `max_false` needs;
    then lowered (for recall beyond the target) while at most `false_budget` of the others cross it."""
    pos = np.sort(scores[positive])
    neg = scores[~positive]
    bar = float(pos[int(np.floor((1.0 - recall) * len(pos)))]) if len(pos) else 0.5
    if len(neg) and np.mean(neg >= bar) > max_false:
        bar = float(np.quantile(neg, 1.0 - max_false))
    if len(neg) and false_budget > 0:
        bar = min(bar, float(np.quantile(neg, 1.0 - min(false_budget, max_false))))
    return bar


def choose_thresholds(proba: np.ndarray, classes: Sequence[str], labels: np.ndarray) -> dict[str, float]:
    """The detector bars from out-of-fold probabilities."""
    out: dict[str, float] = {}
    for name, recall, max_false, budget in (
        ("emergency", EMERGENCY_RECALL, EMERGENCY_MAX_FALSE, 0.0),
        ("stop", STOP_RECALL, STOP_MAX_FALSE, STOP_FALSE_BUDGET),
    ):
        k = list(classes).index(name)
        out[name] = recall_first_threshold(proba[:, k], labels == name, recall, max_false, budget)
    out["emergency_cue"] = out["emergency"] * CUE_FRACTION
    k = list(classes).index("emergency")
    others = proba[labels != "emergency", k]
    flagged_bar = float(np.quantile(others, 1.0 - POSSIBLE_MAX_FLAGGED)) if len(others) else 0.0
    out["emergency_possible"] = min(out["emergency"], max(out["emergency_cue"], flagged_bar))
    out["stop_cue"] = out["stop"] * CUE_FRACTION
    return out


def opt_out_threshold(probability: np.ndarray, labels: np.ndarray) -> float:
    """The opt-out detector's bar: `OPT_OUT_RECALL` of the cross-validated opt-outs, unless that would
    flag more than `STOP_MAX_FALSE` of the other messages."""
    return recall_first_threshold(probability, labels == OPT_OUT_LABEL, OPT_OUT_RECALL, STOP_MAX_FALSE)


def train(
    examples: Mapping[str, Sequence[str]], folds: int = FOLDS, show_progress: bool = False
) -> IntentModel:
    """The deployable model: thresholds from cross-validation, then a fit on every example."""
    data = Dataset.from_examples(examples)
    proba, classes, margins = out_of_fold(data, folds, show_progress)
    model = fit(data.texts, data.labels)
    model.thresholds = choose_thresholds(proba, classes, data.labels)
    if model.opt_out_coef is not None:
        model.opt_out_calibration = calibrate(margins, data.labels == OPT_OUT_LABEL)
        model.thresholds["opt_out"] = opt_out_threshold(
            calibrated(margins, model.opt_out_calibration), data.labels
        )
    model.lexicon = tuple(sorted({tok for text in data.texts for tok in text.split()}))
    model.fingerprint = examples_fingerprint(examples)
    return model
