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
plus (1 - `EXPLORATION_FLOOR`) x its P(best), the probability that a Thompson draw picks it. So a variant
that looks worse is still sent to at least 3 learners in 20 (two variants), and keeps being measured. The
only randomness is one `random()` from the `random.Random` passed in. The caller keeps a learner on the
variant first given to them (records layer); this module sees only new assignments.

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

The thresholds were chosen by simulation (tests/learning/test_bandit_simulation.py, bench/bandit.py): with
no real difference between two or three variants at a 30% or 50% reward rate, the champion changes in at
most 5% of runs of 5,000 sends; a variant 20% better (0.36 against 0.30) needs about 4,000 sends before it
is champion in 90% of runs when it starts as a challenger (it stays champion when it starts as one).

**Pinning** (`pin`): an admin can pin a variant, and `choose` then always returns it; its outcomes still
count and the rule still applies. Pinning None unpins. History: "pinned b", "unpinned b".

**Variants** (`ensure_variants`) follow the configured names: new names join as challengers with empty
counts, after the existing ones in the order given; names no longer listed are dropped, except the champion,
which stays until a challenger replaces it (the next call then drops it). Dropping the pinned variant unpins
it; dropping the previous champion forgets it. Any change to the variants restarts the consecutive count.
History: "added c", "dropped d".

**Stored states** (`to_dict`, `from_dict`) are JSON with "format": 2. A state in the old epsilon-greedy
format (no "format"; it has a "baseline") is converted when read: champion, previous champion, pin and
history are kept, lifetime totals are kept, and the evidence starts empty, because the old counts were
per send (one keen learner counted many times) and were reset at every change; the baselines are dropped.
History: "converted from epsilon-greedy: evidence restarted".

History keeps the newest 100 lines (`HISTORY_LIMIT`).
"""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from functools import cached_property
from typing import Any

from sitecoach.learning.beta_posterior import posterior_mean, prob_best

EXPLORATION_FLOOR = 0.3  # share of choices spread evenly over all variants, whatever the evidence
CHECK_EVERY = 100  # samples counted between two judgements of the champion rule
MIN_SAMPLES = 100  # samples the champion and a challenger each need before a change is judged
BEST_THRESHOLD = 0.99  # P(best) a challenger needs
MIN_LIFT = 0.05  # relative lift of posterior means over the champion a challenger needs (5%)
CONSECUTIVE_CHECKS = 4  # judgements in a row at which the same challenger must qualify
HISTORY_LIMIT = 100  # history lines kept, newest last
STATE_FORMAT = 2  # the "format" written by to_dict; states without it are the old epsilon-greedy format


@dataclass(frozen=True)
class VariantStats:
    """One variant's evidence (samples and rewards) and its lifetime totals, for display."""

    name: str
    samples: int = 0
    rewards: int = 0
    lifetime_samples: int = 0
    lifetime_rewards: int = 0

    def __post_init__(self) -> None:
        if not self.name:
            raise ValueError("a variant needs a name")
        if not (0 <= self.rewards <= self.samples and 0 <= self.lifetime_rewards <= self.lifetime_samples):
            raise ValueError(f"{self.name}: counts cannot be negative, nor rewards exceed samples")
        if self.samples > self.lifetime_samples or self.rewards > self.lifetime_rewards:
            raise ValueError(f"{self.name}: evidence cannot exceed lifetime counts")

    @property
    def score(self) -> float:
        """Observed reward rate of the evidence, 0 to 1; 0 with no samples."""
        return self.rewards / self.samples if self.samples else 0.0

    @property
    def lifetime_score(self) -> float:
        """Reward rate over the lifetime, 0 to 1, for display; 0 with no samples."""
        return self.lifetime_rewards / self.lifetime_samples if self.lifetime_samples else 0.0

    @property
    def mean(self) -> float:
        """The posterior mean reward rate, (1 + rewards) / (2 + samples)."""
        return posterior_mean(self.samples, self.rewards)


@dataclass(frozen=True)
class BanditState:
    """One kind's variants, its champion and what the rule remembers; stored as JSON via `to_dict`."""

    kind: str
    variants: tuple[VariantStats, ...]
    champion: str
    previous_champion: str | None = None
    pinned: str | None = None
    history: tuple[str, ...] = ()  # human-readable log, newest last
    since_check: int = 0  # samples counted since the last judgement
    leader: str | None = None  # the challenger that qualified at the last judgement
    leader_checks: int = 0  # judgements in a row at which it qualified

    def __post_init__(self) -> None:
        names = self.names
        if len(set(names)) != len(names):
            raise ValueError(f"{self.kind}: duplicate variant names in {names}")
        if self.champion not in names:
            raise ValueError(f"{self.kind}: champion {self.champion!r} is not a variant")
        if self.pinned is not None and self.pinned not in names:
            raise ValueError(f"{self.kind}: pinned {self.pinned!r} is not a variant")
        for role, name in (("previous champion", self.previous_champion), ("leader", self.leader)):
            if name is not None and (name not in names or name == self.champion):
                raise ValueError(f"{self.kind}: {role} {name!r} must be a challenger")
        if (
            self.since_check < 0
            or self.leader_checks < 0
            or (self.leader is None) != (self.leader_checks == 0)
        ):
            raise ValueError(f"{self.kind}: impossible judgement counters")

    @cached_property
    def names(self) -> tuple[str, ...]:
        """Every variant's name, in order."""
        return tuple(v.name for v in self.variants)

    @property
    def challengers(self) -> tuple[str, ...]:
        """Every variant but the champion, in order."""
        return tuple(v.name for v in self.variants if v.name != self.champion)

    def stats(self, name: str) -> VariantStats:
        """One variant's counts; KeyError for an unknown name."""
        for v in self.variants:
            if v.name == name:
                return v
        raise KeyError(name)

    @cached_property
    def best(self) -> tuple[float, ...]:
        """Each variant's posterior probability of having the highest reward rate, in order; sums to 1."""
        return prob_best([(v.samples, v.rewards) for v in self.variants])

    def prob_best(self) -> dict[str, float]:
        """Each variant's posterior probability of having the highest reward rate, by name."""
        return dict(zip(self.names, self.best, strict=True))

    def to_dict(self) -> dict[str, Any]:
        """A JSON-safe dict of the whole state, for a database JSON column."""
        return {
            "format": STATE_FORMAT,
            "kind": self.kind,
            "variants": [
                {
                    "name": v.name,
                    "samples": v.samples,
                    "rewards": v.rewards,
                    "lifetime_samples": v.lifetime_samples,
                    "lifetime_rewards": v.lifetime_rewards,
                }
                for v in self.variants
            ],
            "champion": self.champion,
            "previous_champion": self.previous_champion,
            "pinned": self.pinned,
            "history": list(self.history),
            "since_check": self.since_check,
            "leader": self.leader,
            "leader_checks": self.leader_checks,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> BanditState:
        """The state back from `to_dict` output (after a JSON round trip too); old formats are converted."""
        if data.get("format") is None:
            return _converted(data)
        return cls(
            kind=data["kind"],
            variants=tuple(
                VariantStats(
                    name=v["name"],
                    samples=v["samples"],
                    rewards=v["rewards"],
                    lifetime_samples=v["lifetime_samples"],
                    lifetime_rewards=v["lifetime_rewards"],
                )
                for v in data["variants"]
            ),
            champion=data["champion"],
            previous_champion=data.get("previous_champion"),
            pinned=data.get("pinned"),
            history=tuple(data.get("history", ())),
            since_check=int(data.get("since_check", 0)),
            leader=data.get("leader"),
            leader_checks=int(data.get("leader_checks", 0)),
        )


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
        return replace(state, pinned=None, history=_logged(state.history, f"unpinned {state.pinned}"))
    if variant not in state.names:
        raise ValueError(f"{state.kind}: unknown variant {variant!r}")
    return replace(state, pinned=variant, history=_logged(state.history, f"pinned {variant}"))


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
        history=_logged(state.history, *lines),
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


def _logged(history: tuple[str, ...], *lines: str) -> tuple[str, ...]:
    """The history with lines appended, keeping the newest HISTORY_LIMIT."""
    return (history + lines)[-HISTORY_LIMIT:]


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
        history=_logged(state.history, line),
    )


def _converted(data: Mapping[str, Any]) -> BanditState:
    """A state stored in the old epsilon-greedy format, with its evidence restarted (see the module doc)."""
    champion = data["champion"]
    previous = data.get("previous_champion")
    state = BanditState(
        kind=data["kind"],
        variants=tuple(
            VariantStats(
                name=v["name"],
                lifetime_samples=int(v.get("lifetime_samples", v.get("samples", 0))),
                lifetime_rewards=int(v.get("lifetime_rewards", v.get("rewards", 0))),
            )
            for v in data["variants"]
        ),
        champion=champion,
        previous_champion=previous if previous != champion else None,
        pinned=data.get("pinned"),
        history=tuple(data.get("history", ())),
    )
    return replace(state, history=_logged(state.history, "converted from epsilon-greedy: evidence restarted"))
