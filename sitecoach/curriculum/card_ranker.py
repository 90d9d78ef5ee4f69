"""The learned re-ranker: how likely each of BM25's candidate cards is the one that answers the question.

A logistic regression (scikit-learn, `card_ranker_training.py`) over the rows of `card_features.py`,
stored as plain numbers in `card_ranker.json` beside this module: the feature names, their means and
scales, the weights, the intercept and the answering threshold. Applying it is one dot product per
candidate, so nothing but numpy runs when a jointer asks, and nothing is downloaded.

The probability is calibrated on held-out tuning data, so it also decides whether to answer at all: a top
card below `threshold` is refused (the threshold is chosen on tuning questions only, for at most 3% of the
questions about the job refused; `bench/explain.py --tune` prints the table).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np

from sitecoach.curriculum.card_features import FEATURES

SHIPPED = Path(__file__).with_name("card_ranker.json")


class RankerMismatch(ValueError):
    """The stored model was trained on other features than this code computes: retrain it."""


@dataclass(frozen=True)
class CardRanker:
    """A trained re-ranker: standardised features, logistic weights and the answering threshold."""

    mean: np.ndarray
    scale: np.ndarray
    weights: np.ndarray
    intercept: float
    threshold: float
    trained_on: str = ""  # what it was trained on, for the record

    def probabilities(self, rows: np.ndarray) -> np.ndarray:
        """The chance that each row's card answers its question."""
        if rows.shape[0] == 0:
            return np.zeros(0)
        logits = ((rows - self.mean) / self.scale) @ self.weights + self.intercept
        out: np.ndarray = 1.0 / (1.0 + np.exp(-logits))
        return out

    def with_threshold(self, threshold: float) -> CardRanker:
        """The same model answering from another probability."""
        return CardRanker(self.mean, self.scale, self.weights, self.intercept, threshold, self.trained_on)

    def save(self, path: Path = SHIPPED) -> None:
        """Write the model as JSON (rounded: the file is small, diffable and the same on every machine)."""
        data = {
            "features": list(FEATURES),
            "mean": [round(float(v), 6) for v in self.mean],
            "scale": [round(float(v), 6) for v in self.scale],
            "weights": [round(float(v), 6) for v in self.weights],
            "intercept": round(self.intercept, 6),
            "threshold": round(self.threshold, 4),
            "trained_on": self.trained_on,
        }
        path.write_text(json.dumps(data, indent=1) + "\n", encoding="utf-8")

    @classmethod
    def load(cls, path: Path = SHIPPED) -> CardRanker:
        """Read a model written by `save`; raises RankerMismatch if its features are not this code's."""
        data = json.loads(path.read_text(encoding="utf-8"))
        if tuple(data["features"]) != FEATURES:
            raise RankerMismatch(f"{path.name} was trained on other features: retrain the card ranker")
        return cls(
            mean=np.asarray(data["mean"], dtype=np.float64),
            scale=np.asarray(data["scale"], dtype=np.float64),
            weights=np.asarray(data["weights"], dtype=np.float64),
            intercept=float(data["intercept"]),
            threshold=float(data["threshold"]),
            trained_on=str(data.get("trained_on", "")),
        )


@cache
def shipped_ranker() -> CardRanker:
    """The model that ships with the package (read once)."""
    return CardRanker.load(SHIPPED)
