"""Simulated nudge bandit: how often it changes champion for nothing, and how soon it finds a better variant.

Run from the repository root:  .venv/bin/python bench/bandit.py [--runs 200] [--seed 1]

Each run is one kind of nudge with two or three variants of known true reward rates, driven through the
real `sitecoach.learning.bandit` exactly as production drives it: every send is a new learner (the
records layer keeps a learner on their first variant, so repeat sends add nothing new here), the variant
comes from `choose` with the state as it stood at the last settlement, and every `SETTLE_EVERY` sends the
outcomes (each rewarded with its variant's true rate) are settled into the state with `tally`. The first
variant listed starts as champion. Measured over many seeded runs:

* **changed**: the share of runs in which the champion changed at least once within the horizon (with no
  real difference every change is a false one);
* **correct by N**: the share of runs whose champion after N sends has the highest true rate (with no
  real difference, the starting champion counts as correct);
* **mean sends to decision**: the mean number of sends before the first champion change, over the runs
  that changed;
* **fav@1000**: the share of runs in which, after 1,000 sends, the variant Thompson sampling sends most
  (the highest P(best)) has the highest true rate: who the learners mostly get, before any champion is
  declared.

tests/learning/test_bandit_simulation.py asserts the same figures with the same functions.
"""

from __future__ import annotations

import argparse
import random
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from sitecoach.learning.bandit import CHECK_EVERY, allocation, choose, new_bandit, tally  # noqa: E402

SETTLE_EVERY = CHECK_EVERY  # sends between two settlements (a daily burst of nudges settles together)
CHECKPOINTS = (1000, 2000, 3000, 4000, 5000)  # sends after which the champion is noted
FAVOURED_AT = 1000  # sends after which the variant Thompson sampling sends most is noted


@dataclass(frozen=True)
class Run:
    """One simulated run: the champion's index at each checkpoint, and when it first changed."""

    champions: dict[int, int]  # sends -> index of the champion then
    first_change: int | None  # sends before the first change, or None
    favoured: int | None = None  # index of the variant getting the most sends at FAVOURED_AT sends


@dataclass(frozen=True)
class Figures:
    """The measured shares over many runs."""

    runs: int
    changed: float  # share of runs with any champion change
    correct: dict[int, float]  # sends -> share of runs whose champion then has the highest true rate
    mean_sends_to_decision: float | None
    favoured: float = 0.0  # share of runs whose most-sent variant at FAVOURED_AT has the highest true rate


def simulate(rates: Sequence[float], sends: int, rng: random.Random) -> Run:
    """One run over `sends` sends; variant i has true reward rate rates[i], and variant 0 starts as champion."""
    names = [f"v{i}" for i in range(len(rates))]
    state = new_bandit("simulated", names)
    champions: dict[int, int] = {}
    first_change = None
    favoured = None
    for start in range(0, sends, SETTLE_EVERY):
        counts = {name: [0, 0] for name in names}
        for _ in range(min(SETTLE_EVERY, sends - start)):
            name = choose(state, rng)
            counts[name][0] += 1
            counts[name][1] += rng.random() < rates[names.index(name)]
        champion = state.champion
        state = tally(state, {n: (s, r) for n, (s, r) in counts.items()})
        done = min(start + SETTLE_EVERY, sends)
        if state.champion != champion and first_change is None:
            first_change = done
        if done in CHECKPOINTS or done == sends:
            champions[done] = names.index(state.champion)
        if done == FAVOURED_AT:
            shares = allocation(state)
            favoured = names.index(max(names, key=lambda n: shares[n]))
    return Run(champions, first_change, favoured)


def measure(rates: Sequence[float], sends: int, runs: int, seed: int) -> Figures:
    """The figures over `runs` seeded runs of `sends` sends each."""
    rng = random.Random(seed)
    results = [simulate(rates, sends, rng) for _ in range(runs)]
    top = max(rates)
    best = {i for i, rate in enumerate(rates) if rate == top}
    if len(best) == len(rates):  # no real difference: keeping the first champion is right
        best = {0}
    checkpoints = sorted(results[0].champions)
    correct = {n: sum(r.champions[n] in best for r in results) / runs for n in checkpoints}
    decided = [r.first_change for r in results if r.first_change is not None]
    return Figures(
        runs=runs,
        changed=len(decided) / runs,
        correct=correct,
        mean_sends_to_decision=sum(decided) / len(decided) if decided else None,
        favoured=sum(r.favoured in best for r in results) / runs,
    )


SCENARIOS: tuple[tuple[str, tuple[float, ...]], ...] = (
    ("no difference, 2 variants", (0.30, 0.30)),
    ("no difference, 2 variants", (0.50, 0.50)),
    ("no difference, 3 variants", (0.30, 0.30, 0.30)),
    ("no difference, 3 variants", (0.50, 0.50, 0.50)),
    ("better one is champion", (0.36, 0.30)),
    ("better one is challenger", (0.30, 0.36)),
    ("better one is challenger", (0.50, 0.60)),
    ("better one is challenger", (0.30, 0.45)),
    ("better one is challenger", (0.30, 0.60)),
    ("better one of 3 is a challenger", (0.30, 0.30, 0.36)),
)


def main() -> None:
    """Print the table of figures for every scenario."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--sends", type=int, default=5000)
    args = parser.parse_args()
    header = (
        f"{'scenario':<32} {'rates':<17} {'runs':>4} {'base':>5} {'lift':>5} {'changed':>8} "
        + " ".join(f"{'ok@' + str(n):>7}" for n in CHECKPOINTS if n <= args.sends)
        + f" {'sends to decision':>18} {'fav@' + str(FAVOURED_AT):>8}"
    )
    print(header)
    print("-" * len(header))
    for label, rates in SCENARIOS:
        figures = measure(rates, args.sends, args.runs, args.seed)
        base = min(rates)
        lift = max(rates) / base - 1.0
        mean = figures.mean_sends_to_decision
        print(
            f"{label:<32} {'/'.join(f'{r:.2f}' for r in rates):<17} {figures.runs:>4} {base:>5.2f} "
            f"{lift:>5.0%} {figures.changed:>8.1%} "
            + " ".join(f"{figures.correct[n]:>7.1%}" for n in CHECKPOINTS if n <= args.sends)
            + f" {'-' if mean is None else f'{mean:,.0f}':>18} {figures.favoured:>8.1%}",
            flush=True,
        )


if __name__ == "__main__":
    main()
