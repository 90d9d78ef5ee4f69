"""Where a learner stands in their cohort: a percentile from 0 to 100.

The rule, in words: the percentile of a value is the share of the population strictly below it, plus half
the share equal to it (ties count half), times 100, rounded to one decimal. A learner's own value is part
of the population, so the best of three scores 83.3 and the middle one 50.0; a population of one or none
gives 50.0 (nobody to compare with). `cohort_percentiles` gives every member's percentile in the cohort
of all the values at once, sorting once (O(n log n)) instead of comparing each pair.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Mapping, Sequence

NO_COMPARISON_PERCENTILE = 50.0  # percentile when there is nobody else to compare with


def percentile(value: float, population: Sequence[float]) -> float:
    """The share of `population` below `value`, ties counting half, as 0 to 100."""
    if len(population) <= 1:
        return NO_COMPARISON_PERCENTILE
    below = sum(1 for v in population if v < value)
    equal = sum(1 for v in population if v == value)
    return round(100 * (below + equal / 2) / len(population), 1)


def cohort_percentiles(values: Mapping[int, float]) -> dict[int, float]:
    """Every member's percentile within the cohort of all `values`, keyed like `values`."""
    if len(values) <= 1:
        return {member: NO_COMPARISON_PERCENTILE for member in values}
    ordered = sorted(values.values())
    n = len(ordered)
    result: dict[int, float] = {}
    for member, value in values.items():
        below = bisect_left(ordered, value)
        equal = bisect_right(ordered, value) - below
        result[member] = round(100 * (below + equal / 2) / n, 1)
    return result
