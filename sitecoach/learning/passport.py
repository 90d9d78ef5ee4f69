"""Where a learner's authorisation passport stands on a day: what is current, expiring soon, expired or
referred, and the next step in the employer's order. Plain Python: dates in, values out."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

FINAL_WARNING_DAYS = 7  # a second reminder this close to expiry (the first comes at the warning setting)


class Standing(StrEnum):
    """Where one authorisation or assessment stands."""

    CURRENT = "current"
    EXPIRING = "expiring"  # current, but lapses within the warning window
    EXPIRED = "expired"
    REFERRED = "referred"  # assessed, not yet passed


@dataclass(frozen=True)
class PassportEntry:
    """One authorisation granted, or one practical assessment recorded."""

    record_id: int
    kind: str  # "authorisation" or "assessment"
    code: str  # the step's code in the employer's list
    title: str
    on: date  # granted or assessed on
    expires_on: date | None
    by: str  # who granted it, or the assessor
    passed: bool = True  # False: an assessment referred

    def standing(self, today: date, warn_days: int) -> Standing:
        """Current, expiring within `warn_days`, expired, or referred."""
        if not self.passed:
            return Standing.REFERRED
        if self.expires_on is None:
            return Standing.CURRENT
        left = (self.expires_on - today).days
        if left < 0:
            return Standing.EXPIRED
        return Standing.EXPIRING if left <= warn_days else Standing.CURRENT

    def days_left(self, today: date) -> int | None:
        """Days until it lapses (negative once lapsed), or None when it does not."""
        return None if self.expires_on is None else (self.expires_on - today).days


@dataclass(frozen=True)
class PassportStatus:
    """The learner's passport on one day: one entry per step held, by standing, and what comes next."""

    current: tuple[PassportEntry, ...]
    expiring: tuple[PassportEntry, ...]
    expired: tuple[PassportEntry, ...]
    referred: tuple[PassportEntry, ...]
    next_code: str | None  # the first step of the employer's order not held in date (None: all held)

    @property
    def empty(self) -> bool:
        """Nothing recorded yet."""
        return not (self.current or self.expiring or self.expired or self.referred)


def latest_by_step(entries: Iterable[PassportEntry]) -> dict[str, PassportEntry]:
    """Each step's deciding entry: its newest pass, else its newest referral."""
    best: dict[str, PassportEntry] = {}
    for entry in sorted(entries, key=lambda e: (e.on, e.record_id)):
        held = best.get(entry.code)
        if held is None or entry.passed or not held.passed:
            best[entry.code] = entry
    return best


def passport_status(
    order: Sequence[str], entries: Iterable[PassportEntry], today: date, warn_days: int
) -> PassportStatus:
    """Sort the learner's entries by standing (in the employer's order) and find the next step."""
    latest = latest_by_step(entries)
    rank = {code: i for i, code in enumerate(order)}
    ordered = sorted(latest.values(), key=lambda e: (rank.get(e.code, len(rank)), e.code))
    by: dict[Standing, list[PassportEntry]] = {s: [] for s in Standing}
    for entry in ordered:
        by[entry.standing(today, warn_days)].append(entry)
    in_date = {e.code for e in by[Standing.CURRENT] + by[Standing.EXPIRING]}
    next_code = next((code for code in order if code not in in_date), None)
    return PassportStatus(
        tuple(by[Standing.CURRENT]),
        tuple(by[Standing.EXPIRING]),
        tuple(by[Standing.EXPIRED]),
        tuple(by[Standing.REFERRED]),
        next_code,
    )


def expiry_thresholds(warn_days: int) -> tuple[int, ...]:
    """Days before expiry at which the learner and mentor hear of it: the warning, a final week, the day."""
    return tuple(sorted({d for d in (warn_days, FINAL_WARNING_DAYS, 0) if 0 <= d <= warn_days}, reverse=True))


def threshold_crossed(entry: PassportEntry, today: date, warn_days: int) -> int | None:
    """The closest threshold the entry has reached (None: not due a warning, or long lapsed or referred)."""
    left = entry.days_left(today)
    if left is None or not entry.passed or left < -warn_days:
        return None
    reached = [t for t in expiry_thresholds(warn_days) if left <= t]
    return min(reached) if reached else None
