"""The stored state of a nudge bandit: each variant's counts, the champion and what the rule remembers.

The rules that change it are in `bandit`; this module holds the nouns and their JSON form.

**Stored states** (`to_dict`, `from_dict`) are JSON with "format": 2. A state in the old epsilon-greedy
format (no "format"; it has a "baseline") is converted when read: champion, previous champion, pin and
history are kept, lifetime totals are kept, and the evidence starts empty, because the old counts were
per send (one keen learner counted many times) and were reset at every change; the baselines are dropped.
History: "converted from epsilon-greedy: evidence restarted".

History keeps the newest `HISTORY_LIMIT` lines.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from functools import cached_property
from typing import Any

from sitecoach.learning.beta_posterior import posterior_mean, prob_best

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


def logged(history: tuple[str, ...], *lines: str) -> tuple[str, ...]:
    """The history with lines appended, keeping the newest HISTORY_LIMIT."""
    return (history + lines)[-HISTORY_LIMIT:]


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
    return replace(state, history=logged(state.history, "converted from epsilon-greedy: evidence restarted"))
