"""The intent model: TF-IDF word and character n-grams under a multinomial logistic regression, and a
binary opt-out detector (calibrated) on the same features.

Trained by scikit-learn (`sitecoach.nlu.training`), stored as plain arrays in an `.npz` file (no
pickles, so a new scikit-learn cannot break loading), and applied one message at a time with the same
n-gram analyzers as scikit-learn's (written out here so that a worker does not import scikit-learn,
which takes a second at start-up) and a sparse dot product: the same probabilities as the fitted
estimator (tests pin both) at a fraction of its per-call overhead.
"""

from __future__ import annotations

import json
import math
import re
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

WORD_NGRAMS = (1, 2)
CHAR_NGRAMS = (2, 5)
WORD_TOKENS = r"(?u)\b\w+\b"


_WORD = re.compile(WORD_TOKENS)


def word_ngrams(text: str) -> list[str]:
    """Word 1-2-grams of normalised text: scikit-learn's "word" analyzer (`WORD_TOKENS`, no lower-casing)."""
    tokens = _WORD.findall(text)
    grams = list(tokens)
    for n in range(WORD_NGRAMS[0] + 1 if WORD_NGRAMS[0] == 1 else WORD_NGRAMS[0], WORD_NGRAMS[1] + 1):
        grams.extend(" ".join(tokens[i : i + n]) for i in range(len(tokens) - n + 1))
    return grams


def char_wb_ngrams(text: str) -> list[str]:
    """In-word character 2-5-grams: scikit-learn's "char_wb" analyzer (each word padded with a space)."""
    grams: list[str] = []
    for word in text.split():
        padded = f" {word} "
        size = len(padded)
        for n in range(CHAR_NGRAMS[0], CHAR_NGRAMS[1] + 1):
            offset = 0
            grams.append(padded[offset : offset + n])
            while offset + n < size:
                offset += 1
                grams.append(padded[offset : offset + n])
            if offset == 0:  # a word shorter than n counts once
                break
    return grams


TOKEN_CACHE_LIMIT = 100_000


@dataclass
class _Block:
    vocabulary: dict[str, int]
    offset: int  # added to every column: the char block's columns follow the word block's
    analyzer: Callable[[str], list[str]]
    per_word: bool = False  # char_wb n-grams never cross a space: a word's features can be cached
    _cache: dict[str, tuple[int, ...]] = field(default_factory=dict)

    def indices(self, text: str) -> list[int]:
        """The text's n-grams as (offset) columns, repeats kept (they are the term frequencies)."""
        offset = self.offset
        if not self.per_word:
            vocabulary = self.vocabulary
            return [j + offset for j in map(vocabulary.get, self.analyzer(text)) if j is not None]
        out: list[int] = []
        for word in text.split():
            cached = self._cache.get(word)
            if cached is None:
                found = map(self.vocabulary.get, self.analyzer(word))
                cached = tuple(j + offset for j in found if j is not None)
                if len(self._cache) < TOKEN_CACHE_LIMIT:
                    self._cache[word] = cached
            out.extend(cached)
        return out


@dataclass
class IntentModel:
    """A trained intent model: vocabularies, IDF weights, coefficients and the detector thresholds."""

    classes: tuple[str, ...]
    word_vocabulary: dict[str, int]
    word_idf: np.ndarray
    char_vocabulary: dict[str, int]
    char_idf: np.ndarray
    coef: np.ndarray  # (n_features, n_classes)
    intercept: np.ndarray  # (n_classes,)
    thresholds: dict[str, float] = field(default_factory=dict)
    lexicon: tuple[str, ...] = ()  # the training vocabulary, for the normaliser's typo matching
    fingerprint: str = ""  # of the training data it was fitted on
    # The opt-out detector: a binary logistic regression (opt-out against every other message) on the
    # same features, its margin calibrated by a sigmoid fitted to cross-validated margins (`calibration`:
    # slope, offset). None in a model trained before it existed: the detector then never fires.
    opt_out_coef: np.ndarray | None = None  # (n_features,)
    opt_out_intercept: float = 0.0
    opt_out_calibration: tuple[float, float] = (1.0, 0.0)

    def __post_init__(self) -> None:
        self._word = _Block(self.word_vocabulary, 0, word_ngrams)
        self._char = _Block(self.char_vocabulary, len(self.word_vocabulary), char_wb_ngrams, per_word=True)
        self._index = {name: k for k, name in enumerate(self.classes)}
        # Applying the model is a few numpy calls a message (their overhead, not the arithmetic, is the
        # cost): both blocks' IDF weights in one array, and the opt-out detector's weights as one more
        # column beside the intents', so one gather and one product give every logit and the margin.
        self._idf = np.concatenate((self.word_idf, self.char_idf))
        detector = self.opt_out_coef if self.opt_out_coef is not None else np.zeros(self.coef.shape[0])
        self._weights = np.hstack((self.coef, detector[:, None]))
        self._biases = np.append(self.intercept, self.opt_out_intercept)

    def index(self, name: str) -> int:
        """The column of a class in `probabilities`."""
        return self._index[name]

    def known_words(self, norm: str) -> int:
        """How many of the message's words the model was trained on (0: it carries no signal)."""
        return sum(1 for word in norm.split() if word in self.word_vocabulary)

    def _features(self, norm: str) -> tuple[np.ndarray, np.ndarray]:
        """Column indices and TF-IDF values (sublinear tf, each block L2-normalised on its own), as
        scikit-learn's two vectorizers side by side compute them."""
        counts = Counter(self._word.indices(norm))
        words = len(counts)  # the word block's columns come first (a Counter keeps insertion order)
        counts.update(self._char.indices(norm))
        if not counts:
            return np.empty(0, dtype=np.int64), np.empty(0)
        index = np.fromiter(counts.keys(), dtype=np.int64, count=len(counts))
        tf = np.fromiter(counts.values(), dtype=np.float64, count=len(counts))
        values = (1.0 + np.log(tf)) * self._idf[index]
        for block in (values[:words], values[words:]):
            if block.size:
                block /= math.sqrt(float(block @ block))
        return index, values

    def probabilities(self, norm: str) -> np.ndarray:
        """P(class | normalised text) for every class, in `classes` order."""
        return self.scores(norm)[0]

    def opt_out_margin(self, norm: str) -> float:
        """The opt-out detector's raw score (its logistic regression's decision function)."""
        index, values = self._features(norm)
        return (
            float(values @ self._weights[index, -1] + self._biases[-1])
            if self.opt_out_coef is not None
            else 0.0
        )

    def scores(self, norm: str) -> tuple[np.ndarray, float]:
        """P(class | text) for every class, and the opt-out detector's calibrated P(opt-out | text)
        (0.0 when the model has no detector): the features are computed once for both."""
        index, values = self._features(norm)
        out = values @ self._weights[index] + self._biases
        logits = out[:-1]
        exp = np.exp(logits - logits.max())
        probabilities = exp / exp.sum()
        if self.opt_out_coef is None:
            return probabilities, 0.0
        slope, offset = self.opt_out_calibration
        z = min(50.0, max(-50.0, slope * float(out[-1]) + offset))
        return probabilities, 1.0 / (1.0 + math.exp(-z))

    def save(self, path: Path) -> None:
        """Write the model as arrays plus a JSON header (vocabularies, classes, thresholds)."""
        header = {
            "classes": list(self.classes),
            "word_vocabulary": self.word_vocabulary,
            "char_vocabulary": self.char_vocabulary,
            "thresholds": self.thresholds,
            "lexicon": list(self.lexicon),
            "fingerprint": self.fingerprint,
            "opt_out_intercept": self.opt_out_intercept,
            "opt_out_calibration": list(self.opt_out_calibration),
        }
        arrays: dict[str, np.ndarray] = {
            "header": np.frombuffer(json.dumps(header, sort_keys=True).encode("utf-8"), dtype=np.uint8),
            "word_idf": self.word_idf,
            "char_idf": self.char_idf,
            "coef": self.coef.astype(np.float32),
            "intercept": self.intercept,
        }
        if self.opt_out_coef is not None:
            arrays["opt_out_coef"] = self.opt_out_coef.astype(np.float32)
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("wb") as handle:
            np.savez_compressed(handle, **arrays)  # type: ignore[arg-type]

    @classmethod
    def load(cls, path: Path) -> IntentModel:
        """Read a model written by `save`."""
        with np.load(path, allow_pickle=False) as data:
            header = json.loads(bytes(data["header"]).decode("utf-8"))
            return cls(
                classes=tuple(header["classes"]),
                word_vocabulary={k: int(v) for k, v in header["word_vocabulary"].items()},
                word_idf=np.asarray(data["word_idf"], dtype=np.float64),
                char_vocabulary={k: int(v) for k, v in header["char_vocabulary"].items()},
                char_idf=np.asarray(data["char_idf"], dtype=np.float64),
                coef=np.asarray(data["coef"], dtype=np.float64),
                intercept=np.asarray(data["intercept"], dtype=np.float64),
                thresholds={k: float(v) for k, v in header["thresholds"].items()},
                lexicon=tuple(header["lexicon"]),
                fingerprint=str(header["fingerprint"]),
                opt_out_coef=(
                    np.asarray(data["opt_out_coef"], dtype=np.float64)
                    if "opt_out_coef" in data.files
                    else None
                ),
                opt_out_intercept=float(header.get("opt_out_intercept", 0.0)),
                opt_out_calibration=_pair(header.get("opt_out_calibration", (1.0, 0.0))),
            )


def _pair(values: Sequence[float]) -> tuple[float, float]:
    """A (slope, offset) pair read from the JSON header."""
    return float(values[0]), float(values[1])


def examples_fingerprint(examples: Mapping[str, Sequence[str]]) -> str:
    """A short hash of the labelled data (and the feature settings), to tell a stale model."""
    import hashlib

    digest = hashlib.sha256()
    digest.update(repr((WORD_NGRAMS, CHAR_NGRAMS, WORD_TOKENS, "opt-out detector")).encode())
    for name in sorted(examples):
        for text in examples[name]:
            digest.update(f"{name}\t{text}\n".encode())
    return digest.hexdigest()[:16]
