"""Which variant of a nudge (or onboarding sequence) to send: an epsilon-greedy bandit with a champion.

Each kind of proactive nudge ("due_reviews", "streak_at_risk", "next_lesson") has variants (different
wording or time slot); the same machinery chooses between onboarding sequences for new learners. The
caller decides the binary reward: for a nudge, the learner replied or practised within 2 hours of it; for an
onboarding sequence, the learner was active on 3 or more of their first 7 days. One variant is the
*champion*, the others are *challengers*. The first variant listed starts as champion, with a baseline of 0
and no previous champion.

**Assignment** (`choose`): a variant pinned by an admin is always chosen. Otherwise, with probability
epsilon (default 0.2) explore: a challenger picked uniformly at random; else, or when there are no
challengers, exploit: the champion. The only randomness is the `random.Random` passed in.

**Samples and scores** (`record`): each outcome counts one sample for its variant, and one reward when
rewarded, both in the variant's lifetime totals and in its *window*. Every window starts when the current
champion took over (by promotion or rollback), or when the variant was added if later. A variant's score is
rewards / samples over its window, and 0 with no samples: a champion not yet sent in its window scores 0.
Lifetime totals are never reset and are for display only. An outcome for a variant no longer in the bandit
(dropped since the nudge went out) is ignored.

After each sample at most one change happens; promotion is checked first, then rollback:

1. **Promotion**: a challenger with at least 30 samples (`MIN_SAMPLES`) and a score strictly above the
   champion's current score replaces it (several such: the highest score, then the most samples, then the
   first listed). The check runs after every sample, so a champion's falling score can let a challenger
   that already has 30 samples through. The new champion's *baseline* is its score at promotion; the old
   champion becomes a challenger and is remembered as the previous champion, with its own baseline.
   History: "promoted b over a: 0.42 vs 0.31 after 30 samples" (the challenger's samples).
2. **Rollback**: once the champion has at least 30 samples in its window, if its score has dropped 10% or
   more relative to its baseline (score <= 0.9 x baseline, allowing for float rounding), the previous
   champion becomes champion again with its old baseline and the demoted variant becomes a challenger.
   Only one step back: afterwards there is no previous champion until the next promotion. With no previous
   champion (the initial champion, or just after a rollback) nothing happens, however far the score falls.
   History: "rolled back b to a: 0.60 vs baseline 0.67 after 30 samples".

Both changes reset every variant's window (samples and rewards to 0; lifetime totals stay), so the champion
and its challengers are compared over the same period from then on.

**Pinning** (`pin`): an admin can pin a variant, and `choose` then always returns it; its outcomes still
count and the rules above still apply (so a pinned challenger that beats the champion's score, which gets no
samples while pinned, is promoted after 30 samples). Pinning None unpins. History: "pinned b", "unpinned b".

**Variants** (`ensure_variants`) follow the configured names: new names join as challengers with empty
counts, after the existing ones in the order given; names no longer listed are dropped, except the champion,
which stays until a challenger replaces it (the next call then drops it). Dropping the pinned variant unpins
it; dropping the previous champion forgets it (no rollback to it). History: "added c", "dropped d".

History keeps the newest 100 lines (`HISTORY_LIMIT`).
"""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

EPSILON = 0.2  # probability of exploring a challenger, per choice
MIN_SAMPLES = 30  # samples in a window before promotion or rollback is judged
ROLLBACK_RATIO = 0.9  # champion score / baseline at or below which it is rolled back (a 10% relative drop)
SCORE_TOLERANCE = 1e-9  # reward-rate units: float rounding allowed at the rollback threshold
HISTORY_LIMIT = 100  # history lines kept, newest last


@dataclass(frozen=True)
class VariantStats:
    """One variant's counts: in its window (since the current champion took over) and over its lifetime."""

    name: str
    samples: int = 0  # in the window
    rewards: int = 0  # in the window
    lifetime_samples: int = 0
    lifetime_rewards: int = 0

    def __post_init__(self) -> None:
        if not self.name:
            raise ValueError("a variant needs a name")
        if not (0 <= self.rewards <= self.samples and 0 <= self.lifetime_rewards <= self.lifetime_samples):
            raise ValueError(f"{self.name}: counts cannot be negative, nor rewards exceed samples")
        if self.samples > self.lifetime_samples or self.rewards > self.lifetime_rewards:
            raise ValueError(f"{self.name}: window counts cannot exceed lifetime counts")

    @property
    def score(self) -> float:
        """Reward rate over the window, 0 to 1; 0 with no samples."""
        return self.rewards / self.samples if self.samples else 0.0

    @property
    def lifetime_score(self) -> float:
        """Reward rate over the lifetime, 0 to 1, for display; 0 with no samples."""
        return self.lifetime_rewards / self.lifetime_samples if self.lifetime_samples else 0.0


@dataclass(frozen=True)
class BanditState:
    """One kind's variants, its champion and what the rules remember; stored as JSON via `to_dict`."""

    kind: str
    variants: tuple[VariantStats, ...]
    champion: str
    baseline: float = 0.0  # the champion's score at promotion (0 for the initial champion)
    previous_champion: str | None = None
    previous_baseline: float | None = None
    pinned: str | None = None
    history: tuple[str, ...] = ()  # human-readable log, newest last

    def __post_init__(self) -> None:
        names = self.names
        if len(set(names)) != len(names):
            raise ValueError(f"{self.kind}: duplicate variant names in {names}")
        if self.champion not in names:
            raise ValueError(f"{self.kind}: champion {self.champion!r} is not a variant")
        if self.pinned is not None and self.pinned not in names:
            raise ValueError(f"{self.kind}: pinned {self.pinned!r} is not a variant")
        if (self.previous_champion is None) != (self.previous_baseline is None):
            raise ValueError(f"{self.kind}: previous champion and previous baseline go together")
        if self.previous_champion is not None and (
            self.previous_champion not in names or self.previous_champion == self.champion
        ):
            raise ValueError(
                f"{self.kind}: previous champion {self.previous_champion!r} must be a challenger"
            )

    @property
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

    def to_dict(self) -> dict[str, Any]:
        """A JSON-safe dict of the whole state, for a database JSON column."""
        return {
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
            "baseline": self.baseline,
            "previous_champion": self.previous_champion,
            "previous_baseline": self.previous_baseline,
            "pinned": self.pinned,
            "history": list(self.history),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> BanditState:
        """The state back from `to_dict` output (after a JSON round trip too)."""
        previous_baseline = data.get("previous_baseline")
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
            baseline=float(data["baseline"]),
            previous_champion=data.get("previous_champion"),
            previous_baseline=None if previous_baseline is None else float(previous_baseline),
            pinned=data.get("pinned"),
            history=tuple(data.get("history", ())),
        )


def new_bandit(kind: str, variants: Sequence[str]) -> BanditState:
    """A fresh bandit: the first variant is champion, the rest challengers, all counts 0."""
    names = _checked_names(variants)
    if not names:
        raise ValueError(f"{kind}: a bandit needs at least one variant")
    return BanditState(kind=kind, variants=tuple(VariantStats(n) for n in names), champion=names[0])


def choose(state: BanditState, rng: random.Random, epsilon: float = EPSILON) -> str:
    """The variant to send: the pinned one, else a random challenger at rate epsilon, else the champion."""
    if not 0.0 <= epsilon <= 1.0:
        raise ValueError(f"epsilon must be between 0 and 1, not {epsilon}")
    if state.pinned is not None:
        return state.pinned
    challengers = state.challengers
    if challengers and rng.random() < epsilon:
        return rng.choice(challengers)
    return state.champion


def record(state: BanditState, variant: str, rewarded: bool) -> BanditState:
    """The state after one outcome, with promotion or rollback applied; unknown variants are ignored."""
    if variant not in state.names:
        return state
    variants = tuple(_counted(v, rewarded) if v.name == variant else v for v in state.variants)
    counted = replace(state, variants=variants)
    return _promoted(counted) or _rolled_back(counted) or counted


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
    keep_previous = state.previous_champion in kept_names
    return replace(
        state,
        variants=kept + tuple(VariantStats(n) for n in added),
        pinned=pinned,
        previous_champion=state.previous_champion if keep_previous else None,
        previous_baseline=state.previous_baseline if keep_previous else None,
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


def _counted(stats: VariantStats, rewarded: bool) -> VariantStats:
    """The stats with one more sample, and one more reward when rewarded."""
    reward = 1 if rewarded else 0
    return replace(
        stats,
        samples=stats.samples + 1,
        rewards=stats.rewards + reward,
        lifetime_samples=stats.lifetime_samples + 1,
        lifetime_rewards=stats.lifetime_rewards + reward,
    )


def _reset_windows(variants: tuple[VariantStats, ...]) -> tuple[VariantStats, ...]:
    """Every variant with its window emptied; lifetime totals kept."""
    return tuple(replace(v, samples=0, rewards=0) for v in variants)


def _logged(history: tuple[str, ...], *lines: str) -> tuple[str, ...]:
    """The history with lines appended, keeping the newest HISTORY_LIMIT."""
    return (history + lines)[-HISTORY_LIMIT:]


def _promoted(state: BanditState) -> BanditState | None:
    """The state after the promotion rule, or None when no challenger qualifies."""
    champion = state.stats(state.champion)
    ready = [
        v
        for v in state.variants
        if v.name != state.champion and v.samples >= MIN_SAMPLES and v.score > champion.score
    ]
    if not ready:
        return None
    best = max(ready, key=lambda v: (v.score, v.samples))  # max keeps the first listed on a tie
    line = (
        f"promoted {best.name} over {champion.name}: {best.score:.2f} vs {champion.score:.2f} "
        f"after {best.samples} samples"
    )
    return replace(
        state,
        variants=_reset_windows(state.variants),
        champion=best.name,
        baseline=best.score,
        previous_champion=champion.name,
        previous_baseline=state.baseline,
        history=_logged(state.history, line),
    )


def _rolled_back(state: BanditState) -> BanditState | None:
    """The state after the rollback rule, or None when it does not apply."""
    champion = state.stats(state.champion)
    if state.previous_champion is None or state.previous_baseline is None or champion.samples < MIN_SAMPLES:
        return None
    if champion.score > ROLLBACK_RATIO * state.baseline + SCORE_TOLERANCE:
        return None
    line = (
        f"rolled back {champion.name} to {state.previous_champion}: {champion.score:.2f} "
        f"vs baseline {state.baseline:.2f} after {champion.samples} samples"
    )
    return replace(
        state,
        variants=_reset_windows(state.variants),
        champion=state.previous_champion,
        baseline=state.previous_baseline,
        previous_champion=None,
        previous_baseline=None,
        history=_logged(state.history, line),
    )
