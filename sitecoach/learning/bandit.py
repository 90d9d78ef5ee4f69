"""Which variant of a nudge (or onboarding sequence) to send: Thompson sampling with a champion.

Each kind of proactive nudge ("due_reviews", "streak_at_risk", "next_lesson") has variants (different
wording or time slot); the same machinery chooses between onboarding sequences for new learners. The
caller decides the binary reward: for a nudge, the learner replied or practised within 2 hours of it; for an
onboarding sequence, the learner was active on 3 or more of their first 7 days. One variant is the
*champion* (what the service believes works best), the others are *challengers*. The first variant listed
starts as champion, with no previous champion.

**Evidence** (`record`, `tally`): each outcome counts one sample for its variant, and one reward when
rewarded. A variant's reward rate has the posterior Beta(1 + rewards, 1 + samples - rewards) and P(best),
the posterior probability that its rate is the highest (see `beta_posterior`). Evidence is never reset: a
champion change keeps every count. Lifetime totals also include counts from before the conversion of an
old state (below) and are for display. An outcome for a variant no longer in the bandit is ignored.

**Assignment** (`choose`): a variant pinned by an admin is always chosen. Otherwise Thompson sampling with
an exploration floor: each variant is chosen with probability `EXPLORATION_FLOOR` / (number of variants)
plus (1 - `EXPLORATION_FLOOR`) x its P(best), which is the probability that a Thompson draw (one sample
from each posterior, the highest wins) picks it. So a variant that looks worse is still sent to at least
3 new learners in 20 (of two variants; 1 in 10 of three), and keeps being measured well enough for the
rule below to judge it, and to roll back to it. The price: while the champion really is better, 15% of
new learners (two variants) still get the worse one. (A floor of 5% in all was tried while tuning: the
variant that looks worse is then so thinly sampled that a better challenger was confirmed by 5,000 sends
in about 84% of runs rather than 94%.) The only randomness is
one `random()` from the `random.Random` passed in. The caller keeps a learner on the variant first given
to them (records layer); this module sees only new assignments. P(best) is computed from the state's
counts, so between two settlements every choice uses the same, cached, probabilities.

**The champion rule** (sequential, judged each time `CHECK_EVERY` samples have been counted since the last
judgement, never after every sample, because each look at noisy data is another chance of a false change):
the *leading challenger* is the challenger with the highest P(best) (the first listed on a tie). It
*qualifies* when all of these hold:

1. it and the champion each have at least `MIN_SAMPLES` samples;
2. its P(best) is at least `BEST_THRESHOLD`;
3. its posterior mean is at least (1 + `MIN_LIFT`) x the champion's (an estimated relative lift of 5%).

When the same challenger qualifies at `CONSECUTIVE_CHECKS` judgements in a row, it becomes champion and the
old champion becomes a challenger and the *previous champion*. A judgement where it does not qualify (or
another challenger leads) starts the count again. History: "promoted b over a: P(best) 0.99, 0.36 vs 0.30
after 600 and 400 samples" (the new champion's posterior mean and samples first).

**Rollback** is the same rule: if the previous champion later qualifies against the champion that replaced
it, it becomes champion again, and the history says "rolled back b to a: ..." instead of "promoted".
Because evidence is never reset, a rollback needs the previous champion to become best again by the same
standard, not a dip in a fresh window.

**In simulation** (tests/learning/test_bandit_simulation.py, bench/bandit.py; 200 seeded runs each,
outcomes settled every 100 sends): with no real difference between two or three variants at a 30% or
50% reward rate, the champion changed in at most 5% of runs of 5,000 sends (two variants about 3-4%,
three about 0%). A variant 20% better (0.36 against 0.30) that starts as champion keeps its place; one
that starts as a challenger is champion after 1,000 sends in only about 1 run in 5, after 4,000 in about
85% and after 5,000 in about 93%: telling a 6-point difference at a 30% rate from noise, with few false
changes, takes thousands of sends, whatever the rule. A 50% better one (0.45) is found by 2,000 sends.

**Pinning** (`pin`): an admin can pin a variant, and `choose` then always returns it; its outcomes still
count and the rule still applies. Pinning None unpins. History: "pinned b", "unpinned b".

**Variants** (`ensure_variants`) follow the configured names: new names join as challengers with empty
counts, after the existing ones in the order given; names no longer listed are dropped, except the champion,
which stays until a challenger replaces it (the next call then drops it). Dropping the pinned variant unpins
it; dropping the previous champion forgets it. Any change to the variants restarts the consecutive count.
History: "added c", "dropped d".

**Stored states** are JSON; an old epsilon-greedy state is converted when read (see `bandit_state`).

History keeps the newest 100 lines (`HISTORY_LIMIT`).
"""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from dataclasses import replace

from sitecoach.learning.bandit_state import HISTORY_LIMIT, STATE_FORMAT, BanditState, VariantStats, logged

__all__ = [
    "BEST_THRESHOLD",
    "CHECK_EVERY",
    "CONSECUTIVE_CHECKS",
    "EXPLORATION_FLOOR",
    "HISTORY_LIMIT",
    "MIN_LIFT",
    "MIN_SAMPLES",
    "STATE_FORMAT",
    "BanditState",
    "VariantStats",
    "allocation",
    "choose",
    "ensure_variants",
    "new_bandit",
    "pin",
    "record",
    "tally",
]

EXPLORATION_FLOOR = 0.3  # share of choices spread evenly over all variants, whatever the evidence
CHECK_EVERY = 100  # samples counted between two judgements of the champion rule
MIN_SAMPLES = 100  # samples the champion and a challenger each need before a change is judged
BEST_THRESHOLD = 0.99  # P(best) a challenger needs
MIN_LIFT = 0.05  # relative lift of posterior means over the champion a challenger needs (5%)
CONSECUTIVE_CHECKS = 4  # judgements in a row at which the same challenger must qualify


def new_bandit(kind: str, variants: Sequence[str]) -> BanditState:
    """A fresh bandit: the first variant is champion, the rest challengers, all counts 0."""
    names = _checked_names(variants)
    if not names:
        raise ValueError(f"{kind}: a bandit needs at least one variant")
    return BanditState(kind=kind, variants=tuple(VariantStats(n) for n in names), champion=names[0])


def allocation(state: BanditState, floor: float = EXPLORATION_FLOOR) -> dict[str, float]:
    """Each variant's chance of being chosen when nothing is pinned: floor / n plus (1 - floor) x P(best)."""
    if not 0.0 <= floor <= 1.0:
        raise ValueError(f"the exploration floor must be between 0 and 1, not {floor}")
    share = floor / len(state.variants)
    return {name: share + (1.0 - floor) * p for name, p in state.prob_best().items()}


def choose(state: BanditState, rng: random.Random, floor: float = EXPLORATION_FLOOR) -> str:
    """The variant to send: the pinned one, else one drawn with its `allocation` probability."""
    if not 0.0 <= floor <= 1.0:
        raise ValueError(f"the exploration floor must be between 0 and 1, not {floor}")
    if state.pinned is not None:
        return state.pinned
    share = floor / len(state.variants)
    point = rng.random()  # the chances sum to 1 (P(best) is scaled to)
    for name, p in zip(state.names, state.best, strict=True):
        point -= share + (1.0 - floor) * p
        if point < 0.0:
            return name
    return state.names[-1]  # float rounding at the very top of the range


def record(state: BanditState, variant: str, rewarded: bool) -> BanditState:
    """The state after one outcome, with the champion rule judged when due; unknown variants are ignored."""
    return tally(state, {variant: (1, 1 if rewarded else 0)})


def tally(state: BanditState, outcomes: Mapping[str, tuple[int, int]]) -> BanditState:
    """The state after a batch of (samples, rewards) per variant, judged once if due; unknown ones ignored."""
    known = {name: counts for name, counts in outcomes.items() if name in state.names and counts[0] > 0}
    if not known:
        return state
    variants = tuple(_counted(v, *known[v.name]) if v.name in known else v for v in state.variants)
    counted = replace(
        state, variants=variants, since_check=state.since_check + sum(s for s, _ in known.values())
    )
    if counted.since_check < CHECK_EVERY:
        return counted
    return _judged(replace(counted, since_check=0))


def pin(state: BanditState, variant: str | None) -> BanditState:
    """The state with a variant pinned (always chosen), or unpinned with None; ValueError if unknown."""
    if variant == state.pinned:
        return state
    if variant is None:
        return replace(state, pinned=None, history=logged(state.history, f"unpinned {state.pinned}"))
    if variant not in state.names:
        raise ValueError(f"{state.kind}: unknown variant {variant!r}")
    return replace(state, pinned=variant, history=logged(state.history, f"pinned {variant}"))


def ensure_variants(state: BanditState, names: Sequence[str]) -> BanditState:
    """The state following the configured names: new ones join as challengers, missing non-champions go."""
    wanted = _checked_names(names)
    kept = tuple(v for v in state.variants if v.name in wanted or v.name == state.champion)
    kept_names = {v.name for v in kept}
    dropped = [n for n in state.names if n not in kept_names]
    added = [n for n in wanted if n not in state.names]
    if not dropped and not added:
        return state
    lines = [f"added {n}" for n in added] + [f"dropped {n}" for n in dropped]
    pinned = state.pinned if state.pinned in kept_names else None
    if state.pinned is not None and pinned is None:
        lines.append(f"unpinned {state.pinned}")
    return replace(
        state,
        variants=kept + tuple(VariantStats(n) for n in added),
        pinned=pinned,
        previous_champion=state.previous_champion if state.previous_champion in kept_names else None,
        leader=None,
        leader_checks=0,
        history=logged(state.history, *lines),
    )


def _checked_names(names: Sequence[str]) -> tuple[str, ...]:
    """The names as a tuple, refusing a bare string, empty names and duplicates."""
    if isinstance(names, str):
        raise TypeError("variant names must be a sequence of strings, not one string")
    result = tuple(names)
    if any(not n for n in result):
        raise ValueError("variant names cannot be empty")
    if len(set(result)) != len(result):
        raise ValueError(f"duplicate variant names in {result}")
    return result


def _counted(stats: VariantStats, samples: int, rewards: int) -> VariantStats:
    """The stats with more samples and rewards, in the evidence and the lifetime totals."""
    if not 0 <= rewards <= samples:
        raise ValueError(f"{stats.name}: {rewards} rewards from {samples} samples")
    return replace(
        stats,
        samples=stats.samples + samples,
        rewards=stats.rewards + rewards,
        lifetime_samples=stats.lifetime_samples + samples,
        lifetime_rewards=stats.lifetime_rewards + rewards,
    )


def _judged(state: BanditState) -> BanditState:
    """The state after one judgement of the champion rule: the leader's count, and a change when due."""
    if not state.challengers:
        return replace(state, leader=None, leader_checks=0)
    best = state.prob_best()
    challenger = state.stats(max(state.challengers, key=lambda n: best[n]))  # max keeps the first on a tie
    champion = state.stats(state.champion)
    qualifies = (
        min(challenger.samples, champion.samples) >= MIN_SAMPLES
        and best[challenger.name] >= BEST_THRESHOLD
        and challenger.mean >= (1.0 + MIN_LIFT) * champion.mean
    )
    if not qualifies:
        return replace(state, leader=None, leader_checks=0)
    checks = state.leader_checks + 1 if state.leader == challenger.name else 1
    if checks < CONSECUTIVE_CHECKS:
        return replace(state, leader=challenger.name, leader_checks=checks)
    verb = "rolled back" if challenger.name == state.previous_champion else "promoted"
    how = "to" if verb == "rolled back" else "over"
    first, second = (champion, challenger) if verb == "rolled back" else (challenger, champion)
    line = (
        f"{verb} {first.name} {how} {second.name}: P(best) {best[challenger.name]:.2f}, "
        f"{challenger.mean:.2f} vs {champion.mean:.2f} "
        f"after {challenger.samples} and {champion.samples} samples"
    )
    return replace(
        state,
        champion=challenger.name,
        previous_champion=champion.name,
        leader=None,
        leader_checks=0,
        history=logged(state.history, line),
    )
