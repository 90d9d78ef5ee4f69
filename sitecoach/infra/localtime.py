"""Local time: the learner's (or mentor's) clock, quiet hours. UTC everywhere else."""

from __future__ import annotations

from datetime import datetime, time
from zoneinfo import ZoneInfo

from sitecoach.settings import Settings


def parse_hhmm(value: str) -> time:
    """'07:30' -> time(7, 30)."""
    hours, minutes = value.strip().split(":")
    return time(int(hours), int(minutes))


def local_now(now: datetime, timezone: str) -> datetime:
    """`now` in the learner's (or mentor's) time zone."""
    return now.astimezone(ZoneInfo(timezone))


def in_quiet_hours(local: datetime, settings: Settings) -> bool:
    """Whether a local time falls in quiet hours (which may run past midnight)."""
    start, end, moment = parse_hhmm(settings.quiet_start), parse_hhmm(settings.quiet_end), local.time()
    if start <= end:
        return start <= moment < end
    return moment >= start or moment < end


__all__ = ["in_quiet_hours", "local_now", "parse_hhmm"]
