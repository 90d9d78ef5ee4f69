"""Badges for area mastery: Novice, Adept and Master per area, and Polymath across areas.

The rules, in words:

* **Area badges.** An area earns *Novice* at 25% mastery, *Adept* at 60% and *Master* at 85% (the
  threshold itself counts: 25.0 earns Novice, 24.9 does not). The key is `area:<AREA>:<Level>`, the name
  `<Level> · <area title>` (the area code when no title is known).
* **Once only.** A badge whose key is in `already` is never awarded again, and badges are never taken
  back: mastery decays, but a badge records that the level was reached.
* **Levels are not skipped.** Reaching Master in one jump awards Novice, Adept and Master together.
* **Polymath** (key `polymath`) when 3 or more areas hold the Master badge: earned before (in `already`)
  or awarded in this same call.
* **Order.** Area badges sorted by area code, then by level (Novice, Adept, Master); Polymath last.
  Every badge of one call carries the same `awarded_at`: `now` in UTC.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import datetime

from sitecoach.learning.memory import require_aware

BADGE_LEVELS = (("Novice", 25.0), ("Adept", 60.0), ("Master", 85.0))  # (level, area mastery 0 to 100)
POLYMATH_MIN_MASTER_AREAS = 3  # areas holding the Master badge
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


def new_badges(
    by_area: Mapping[str, float], area_titles: Mapping[str, str], already: Collection[str], now: datetime
) -> list[Badge]:
    """The badges earned now and not held before, in the documented order."""
    awarded_at = require_aware(now)
    held = set(already)
    badges: list[Badge] = []
    for area in sorted(by_area):
        title = area_titles.get(area, area)
        for level, threshold in BADGE_LEVELS:
            key = area_badge_key(area, level)
            if by_area[area] >= threshold and key not in held:
                badges.append(Badge(key, f"{level} · {title}", area, level, awarded_at))
    master_areas = {key for key in held if key.startswith("area:") and key.endswith(f":{MASTER_LEVEL}")}
    master_areas |= {b.key for b in badges if b.level == MASTER_LEVEL}
    if len(master_areas) >= POLYMATH_MIN_MASTER_AREAS and POLYMATH_KEY not in held:
        badges.append(Badge(POLYMATH_KEY, "Polymath", None, "Polymath", awarded_at))
    return badges
