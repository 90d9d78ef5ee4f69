"""Survival statistics for bench/learning.py: Kaplan-Meier quantiles, bootstrap intervals, paired ratios.

Not a benchmark (`make bench` runs only the scripts it names). A learner who is not exam-ready within the
horizon is right-censored at the last day a streak could have been confirmed; Kaplan-Meier (scipy's
``ecdf`` on ``CensoredData``) counts them as "not yet" up to then. A quantile the survival curve never
reaches is infinite. Intervals are percentile bootstraps over learners; a paired interval resamples the
same learners for both arms (they met the same draws of the truth).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from scipy.stats import CensoredData, ecdf

BOOTSTRAP_RESAMPLES = 400
CONFIDENCE = 0.95


def km_quantile(days: Sequence[float], reached: Sequence[bool], share: float = 0.5) -> float:
    """The first day by which a `share` of learners has reached the milestone (Kaplan-Meier; inf if never)."""
    times, events = np.asarray(days, dtype=float), np.asarray(reached, dtype=bool)
    if not events.any():
        return float("inf")
    sample = CensoredData(uncensored=times[events], right=times[~events])
    sf = ecdf(sample).sf
    hit = np.nonzero(sf.probabilities <= 1.0 - share + 1e-12)[0]
    return float(sf.quantiles[hit[0]]) if hit.size else float("inf")


def _resamples(n: int, seed: int, resamples: int) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, n, size=(resamples, n))


def _interval(values: np.ndarray) -> tuple[float, float]:
    tail = (1.0 - CONFIDENCE) / 2 * 100
    low, high = np.percentile(values, [tail, 100 - tail], method="lower")
    return float(low), float(high)


def km_median_interval(
    days: Sequence[float], reached: Sequence[bool], seed: int = 0, resamples: int = BOOTSTRAP_RESAMPLES
) -> tuple[float, float, float]:
    """The Kaplan-Meier median and its 95% percentile-bootstrap interval: (median, low, high)."""
    times, events = np.asarray(days, dtype=float), np.asarray(reached, dtype=bool)
    boots = np.array([km_quantile(times[ix], events[ix]) for ix in _resamples(len(times), seed, resamples)])
    return (km_quantile(times, events), *_interval(boots))


def paired_ratio_interval(
    ours: tuple[Sequence[float], Sequence[bool]],
    other: tuple[Sequence[float], Sequence[bool]],
    seed: int = 0,
    resamples: int = BOOTSTRAP_RESAMPLES,
) -> tuple[float, float, float]:
    """Our KM median over the other arm's, with a paired bootstrap interval (learners resampled jointly).

    Below 1 we are sooner: 0.70 is 30% sooner. A median beyond the horizon makes the ratio 0 or inf, and
    nan when both are.
    """
    a_t, a_e = np.asarray(ours[0], dtype=float), np.asarray(ours[1], dtype=bool)
    b_t, b_e = np.asarray(other[0], dtype=float), np.asarray(other[1], dtype=bool)

    def ratio(ix: np.ndarray) -> float:
        a, b = km_quantile(a_t[ix], a_e[ix]), km_quantile(b_t[ix], b_e[ix])
        with np.errstate(invalid="ignore", divide="ignore"):
            return float(np.float64(a) / np.float64(b))

    everyone = np.arange(len(a_t))
    boots = np.array([ratio(ix) for ix in _resamples(len(a_t), seed, resamples)])
    boots = boots[~np.isnan(boots)]
    low, high = _interval(boots) if boots.size else (float("nan"), float("nan"))
    return ratio(everyone), low, high
