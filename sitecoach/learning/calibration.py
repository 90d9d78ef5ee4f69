"""Were the readiness predictions right? Mock EPA papers' predicted pass chances against their results.

The rules, in words:

* A mock test is the pass chance predicted when the paper started (0 to 1) and whether it was passed.
  Papers abandoned part-way (the conversation expired: `abandoned` in the event) are left out by the
  caller, as their "result" is a score over unanswered questions, not a sitting of the paper.
* **Brier score**: the mean of (predicted - outcome)^2, outcome 1 for a pass and 0 for a fail; lower is
  better, 0 is perfect.
* **Baseline**: the Brier score of always predicting the observed pass rate of these same papers (the base
  rate). It equals rate x (1 - rate); a prediction worth having scores below it. `skill` is
  1 - brier / baseline (None when the baseline is 0: every paper passed, or every one failed).
* **Reliability table**: ten bins of predicted chance, 0-10%, 10-20%, ..., 90-100% (a chance on a boundary
  goes to the upper bin; 100% to the last). Each bin: papers, mean predicted chance, observed pass rate
  (None for an empty bin). Well-calibrated predictions have mean predicted close to observed in each bin.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

BINS = 10


@dataclass(frozen=True)
class MockResult:
    """One mock paper: the chance predicted at its start, and whether it was passed."""

    predicted: float
    passed: bool


@dataclass(frozen=True)
class ReliabilityBin:
    """One bin of predicted chance."""

    low: float
    high: float
    count: int
    mean_predicted: float | None
    observed_rate: float | None

    @property
    def label(self) -> str:
        """The bin as a label: 0–10%, ..., 90–100%."""
        return f"{100 * self.low:.0f}–{100 * self.high:.0f}%"


@dataclass(frozen=True)
class Calibration:
    """Brier score against the base rate, and the reliability table."""

    count: int
    brier: float | None
    base_rate: float | None
    baseline_brier: float | None
    skill: float | None
    bins: tuple[ReliabilityBin, ...]


def _bin_of(chance: float) -> int:
    return min(BINS - 1, int(chance * BINS + 1e-9))


def calibration(results: Sequence[MockResult]) -> Calibration:
    """The Brier score, its base-rate baseline and the reliability table of these mock papers."""
    if any(not 0 <= r.predicted <= 1 for r in results):
        raise ValueError("a predicted chance must be between 0 and 1")
    binned: list[list[MockResult]] = [[] for _ in range(BINS)]
    for r in results:
        binned[_bin_of(r.predicted)].append(r)
    bins = tuple(
        ReliabilityBin(
            k / BINS,
            (k + 1) / BINS,
            len(group),
            sum(r.predicted for r in group) / len(group) if group else None,
            sum(r.passed for r in group) / len(group) if group else None,
        )
        for k, group in enumerate(binned)
    )
    if not results:
        return Calibration(0, None, None, None, None, bins)
    n = len(results)
    brier = sum((r.predicted - r.passed) ** 2 for r in results) / n
    rate = sum(r.passed for r in results) / n
    baseline = rate * (1 - rate)
    skill = 1 - brier / baseline if baseline > 0 else None
    return Calibration(n, brier, rate, baseline, skill, bins)
