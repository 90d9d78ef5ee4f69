"""Beta posteriors of reward rates, and the probability that each of several rates is the highest.

A variant with `rewards` out of `samples` binary outcomes has, from a uniform Beta(1, 1) prior, the
posterior Beta(1 + rewards, 1 + samples - rewards) over its true reward rate. Its posterior mean is
(1 + rewards) / (2 + samples): never exactly 0 or 1, and 0.5 with no samples.

**P(best)** of variant i is the posterior probability that its rate is higher than every other variant's:
the integral over x of pdf_i(x) times the product over j != i of cdf_j(x), the posteriors being
independent. It is computed with the exact Beta densities and distribution functions (scipy's `betaln`
and `betainc`; a normal approximation was tried and found too kind to a challenger against a skewed,
thinly sampled champion) by composite Gauss-Legendre quadrature: each posterior has its mass within its
mean +/- `SPAN_SDS` standard deviations (clipped to 0..1), the edges of those ranges cut 0..1 into panels
of `QUADRATURE_NODES` nodes each, so a narrow posterior (a well-sampled variant) is resolved as finely
as a wide one. The results are scaled to sum to 1, so rounding never leaves them a hair off. P(best)
is also the probability that one Thompson draw (one sample from every posterior, the highest wins) picks
variant i.
A single variant is best with probability 1. Results are cached by counts, since the same counts are
asked about repeatedly (every send between two settlements).
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache

import numpy as np
from scipy.special import betainc, betaln

QUADRATURE_NODES = 16  # Gauss-Legendre nodes per panel (panels lie between posterior range edges)
SPAN_SDS = 8.0  # posterior standard deviations either side of the mean that the integral covers
CACHE_SIZE = 4096  # distinct count tuples remembered

_NODES, _WEIGHTS = np.polynomial.legendre.leggauss(QUADRATURE_NODES)


def posterior_mean(samples: int, rewards: int) -> float:
    """The posterior mean reward rate, (1 + rewards) / (2 + samples)."""
    return (1 + rewards) / (2 + samples)


def prob_best(counts: Sequence[tuple[int, int]]) -> tuple[float, ...]:
    """Each variant's posterior probability of the highest rate, from (samples, rewards) pairs; sums to 1."""
    for samples, rewards in counts:
        if not 0 <= rewards <= samples:
            raise ValueError(f"impossible counts: {rewards} rewards from {samples} samples")
    return _prob_best(tuple((int(s), int(r)) for s, r in counts))


@lru_cache(maxsize=CACHE_SIZE)
def _prob_best(counts: tuple[tuple[int, int], ...]) -> tuple[float, ...]:
    k = len(counts)
    if k <= 1:
        return (1.0,) * k
    a = np.array([1.0 + r for _, r in counts])
    b = np.array([1.0 + s - r for s, r in counts])
    x, weights = _nodes(a, b)
    pdf = np.exp((a[:, None] - 1.0) * np.log(x) + (b[:, None] - 1.0) * np.log1p(-x) - betaln(a, b)[:, None])
    cdf = betainc(a[:, None], b[:, None], x[None, :])  # (variant, node)
    others = np.where(np.eye(k, dtype=bool)[:, :, None], 1.0, cdf[None, :, :]).prod(axis=1)
    result = (pdf * others) @ weights
    total = float(result.sum())
    return tuple(float(p) / total for p in result)


def _nodes(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Quadrature nodes and weights over where any posterior has mass, a panel between breakpoints."""
    mean = a / (a + b)
    sd = np.sqrt(a * b / ((a + b) ** 2 * (a + b + 1.0)))
    edges = np.unique(np.clip(np.concatenate([mean - SPAN_SDS * sd, mean + SPAN_SDS * sd]), 0.0, 1.0))
    lo, hi = edges[:-1], edges[1:]
    half = (hi - lo) / 2.0
    x = ((lo + hi) / 2.0)[:, None] + half[:, None] * _NODES[None, :]
    return x.ravel(), (half[:, None] * _WEIGHTS[None, :]).ravel()
