"""The one schedule table: periodic entries as data, run only by the clock process, which only enqueues."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class ScheduleEntry:
    """A periodic job: which RQ job to enqueue, and when (APScheduler trigger name and arguments)."""

    id: str
    job: str
    trigger: str
    trigger_args: dict[str, Any]
    description: str


SCHEDULE: tuple[ScheduleEntry, ...] = (
    ScheduleEntry(
        id="sweep-unprocessed",
        job="scheduler.jobs.sweep_unprocessed",
        trigger="interval",
        trigger_args={"seconds": 60},
        description="Re-queue inbound messages stored but not answered, and replies not yet sent.",
    ),
    ScheduleEntry(
        id="expire-conversations",
        job="scheduler.jobs.expire_conversations",
        trigger="interval",
        trigger_args={"minutes": 15},
        description="Delete expired conversation states.",
    ),
)
