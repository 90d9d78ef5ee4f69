"""The clock process: APScheduler fires the schedule table and only ever enqueues RQ jobs.

Run exactly one (`sitecoach clock`, the Procfile's `clock`). If two overlap during a deploy, each
occurrence is enqueued under one job id per entry and time slot, so the second enqueue is refused.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from apscheduler.schedulers.blocking import BlockingScheduler
from rq import Queue

from sitecoach.infra.enqueue import enqueue_unique
from sitecoach.jobs.schedule import SCHEDULE, ScheduleEntry, entry

log = logging.getLogger(__name__)
MISFIRE_GRACE_SECONDS = 600


def occurrence_id(entry: ScheduleEntry, fire_time: datetime) -> str:
    """One job id per entry and scheduled minute (RQ ids allow letters, digits, '-' and '_')."""
    return f"clock-{entry.id}-{fire_time.astimezone(UTC):%Y%m%d%H%M}"


def enqueue_entry(queue: Queue, item: ScheduleEntry, at: datetime) -> bool:
    """Enqueue one entry's job for the slot `at` (refused if that slot's job is already queued)."""
    args = (at.astimezone(UTC).isoformat(),) if item.takes_time else ()
    return enqueue_unique(queue, item.job, occurrence_id(item, at), *args, timeout=item.timeout_seconds)


def fire(queue_name: str, redis_url: str, entry_id: str) -> bool:
    """Enqueue one schedule entry's job for the current slot (called by APScheduler)."""
    from redis import Redis

    item = entry(entry_id)
    queued = enqueue_entry(Queue(queue_name, connection=Redis.from_url(redis_url)), item, datetime.now(UTC))
    log.info("clock: %s %s", item.id, "queued" if queued else "already queued")
    return queued


def build_scheduler(queue_name: str, redis_url: str, timezone: str) -> BlockingScheduler:
    """A blocking scheduler with one job per schedule entry."""
    scheduler = BlockingScheduler(
        timezone=ZoneInfo(timezone),
        job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": MISFIRE_GRACE_SECONDS},
    )
    for item in SCHEDULE:
        scheduler.add_job(
            fire,
            item.trigger,
            args=[queue_name, redis_url, item.id],
            id=item.id,
            name=item.description,
            replace_existing=True,
            **item.trigger_args,
        )
    return scheduler
