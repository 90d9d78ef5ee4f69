"""Badges for area mastery: Novice, Adept and Master per area, and Polymath across areas.

The rules, in words:

* **Area badges.** An area earns *Novice* at 25% mastery, *Adept* at 60% and *Master* at 85% (the
  threshold itself counts: 25.0 earns Novice, 24.9 does not). The key is `area:<AREA>:<Level>`, the name
  `<Level> · <area title>` (the area code when no title is known).
* **Shown on two separate days.** A level is earned only when the area's mastery was at or above its
  threshold at the end of at least `MIN_DAYS` (2) different local days on which the learner showed
  something (a right answer, or evidence signed off); today counts as it stands now. One lucky sitting
  earns nothing; a day with no right answer does not count however high mastery still stands, so a wrong
  answer can never complete a badge.
* **Once only.** A badge whose key is in `already` is never awarded again, and badges are not taken back
  when mastery decays: a badge records that the level was reached. (Badges the old formula gave without
  evidence were withdrawn once, with a note, by migration 0010.)
* **Levels are not skipped.** Reaching Master in one jump awards Novice, Adept and Master together.
* **Polymath** (key `polymath`) when 3 or more areas hold the Master badge: earned before (in `already`)
  or awarded in this same call.
* **Order.** Area badges sorted by area code, then by level (Novice, Adept, Master); Polymath last.
  Every badge of one call carries the same `awarded_at`: `now` in UTC.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime

from sitecoach.learning.memory import require_aware

BADGE_LEVELS = (("Novice", 25.0), ("Adept", 60.0), ("Master", 85.0))  # (level, area mastery 0 to 100)
POLYMATH_MIN_MASTER_AREAS = 3  # areas holding the Master badge
MIN_DAYS = 2  # separate study days a level must be shown on
POLYMATH_KEY = "polymath"
MASTER_LEVEL = BADGE_LEVELS[-1][0]


@dataclass(frozen=True)
class Badge:
    """One badge awarded to a learner."""

    key: str  # stable: "area:<AREA>:<Level>" or "polymath"
    name: str  # "Adept · Isolation and proving dead", "Polymath"
    area: str | None
    level: str
    awarded_at: datetime


def area_badge_key(area: str, level: str) -> str:
    """The stable key of an area badge, e.g. "area:ISO:Adept"."""
    return f"area:{area}:{level}"


def shown_levels(
    days: Sequence[tuple[date, Mapping[str, float]]], shown_days: Collection[date]
) -> dict[str, float]:
    """Per area, the highest mastery reached at the end of at least MIN_DAYS study days (0 if none)."""
    per_area: dict[str, list[float]] = {area: [] for _day, by_area in days for area in by_area}
    for day, by_area in days:
        if day in shown_days:
            for area, score in by_area.items():
                per_area[area].append(score)
    return {
        area: sorted(scores, reverse=True)[MIN_DAYS - 1] if len(scores) >= MIN_DAYS else 0.0
        for area, scores in per_area.items()
    }


def new_badges(
    days: Sequence[tuple[date, Mapping[str, float]]],
    shown_days: Collection[date],
    area_titles: Mapping[str, str],
    already: Collection[str],
    now: datetime,
) -> list[Badge]:
    """The badges earned now and not held before, in the documented order.

    `days`: area mastery at the end of each recent local day, oldest first (today as it stands now);
    `shown_days`: the local days the learner showed something (a right answer or signed evidence)."""
    awarded_at = require_aware(now)
    held = set(already)
    shown = shown_levels(days, shown_days)
    badges: list[Badge] = []
    for area in sorted(shown):
        title = area_titles.get(area, area)
        for level, threshold in BADGE_LEVELS:
            key = area_badge_key(area, level)
            if shown[area] >= threshold and key not in held:
                badges.append(Badge(key, f"{level} · {title}", area, level, awarded_at))
    master_areas = {key for key in held if key.startswith("area:") and key.endswith(f":{MASTER_LEVEL}")}
    master_areas |= {b.key for b in badges if b.level == MASTER_LEVEL}
    if len(master_areas) >= POLYMATH_MIN_MASTER_AREAS and POLYMATH_KEY not in held:
        badges.append(Badge(POLYMATH_KEY, "Polymath", None, "Polymath", awarded_at))
    return badges
