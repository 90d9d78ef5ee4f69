"""The one schedule table: periodic entries as data, run only by the clock process, which only enqueues.

Per-learner timing (each learner's own 07:30, their quiet hours, a mentor's Monday morning) is not a
scheduler job: the entries below run often and the jobs pick who is due, from database rows with unique keys.
"""

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
    takes_time: bool = True  # the job is passed the scheduled time (so tests can drive the clock)
    timeout_seconds: int = 120  # RQ's job timeout


SCHEDULE: tuple[ScheduleEntry, ...] = (
    ScheduleEntry(
        "dispatch-nudges",
        "sitecoach.jobs.tasks.dispatch_nudges",
        "interval",
        {"minutes": 5},
        "Queue the daily nudge of every learner whose local nudge time has come.",
    ),
    ScheduleEntry(
        "remind-escalations",
        "sitecoach.jobs.tasks.remind_escalations",
        "interval",
        {"minutes": 1},
        "Remind mentors of unanswered escalations, then backup contacts.",
    ),
    ScheduleEntry(
        "scan-stalls",
        "sitecoach.jobs.tasks.scan_stalls",
        "cron",
        {"minute": 15},
        "Hourly: check every learner for a stall (each in their own daytime, once per cooldown).",
    ),
    ScheduleEntry(
        "dispatch-digests",
        "sitecoach.jobs.tasks.dispatch_digests",
        "interval",
        {"minutes": 15},
        "Queue the Monday-morning digest of every mentor whose Monday morning it is.",
    ),
    ScheduleEntry(
        "settle-bandits",
        "sitecoach.jobs.tasks.settle_bandits",
        "interval",
        {"minutes": 10},
        "Count finished nudge and onboarding trials into their bandits.",
    ),
    ScheduleEntry(
        "reconcile-stuck-sends",
        "sitecoach.jobs.tasks.reconcile_stuck_sends",
        "interval",
        {"minutes": 2},
        "Recover sends a dead worker left half-done: record them if delivered, else resend.",
    ),
    ScheduleEntry(
        "refresh-snapshots",
        "sitecoach.jobs.tasks.refresh_snapshots",
        "cron",
        {"minute": 40},
        "Hourly: refresh every learner's snapshot (mastery fades) and celebrate milestones.",
    ),
    ScheduleEntry(
        "flag-passport-expiry",
        "sitecoach.jobs.tasks.dispatch_passport_expiry",
        "cron",
        {"minute": 25},
        "Hourly: flag passport records near expiry to the learner and mentor (once per threshold).",
    ),
    ScheduleEntry(
        "refit-memory",
        "sitecoach.jobs.tasks.refit_memory",
        "cron",
        {"hour": 3, "minute": 20},  # London night, clear of the 01:00-02:00 clock changes
        "Nightly: fit FSRS to the cohort's quiz answers (defaults until there are enough) and store it.",
        timeout_seconds=1800,  # a large cohort's fit and check take minutes on two cores
    ),
    ScheduleEntry(
        "apply-retention",
        "sitecoach.jobs.tasks.apply_retention",
        "cron",
        {"hour": 2, "minute": 40},  # London night, after the 01:00-02:00 clock changes, before the refit
        "Daily: blank old message text, erase learners past retention (RETENTION_* settings).",
        timeout_seconds=1800,
    ),
    ScheduleEntry(
        "checkpoint-audit",
        "sitecoach.jobs.tasks.checkpoint_audit",
        "cron",
        {"hour": 3, "minute": 50},
        "Nightly: append a signed checkpoint (event count, newest hash) of every audit chain that grew.",
        timeout_seconds=1800,  # re-walks every chain
    ),
    ScheduleEntry(
        "draft-progress-reviews",
        "sitecoach.jobs.tasks.dispatch_progress_reviews",
        "cron",
        {"hour": 4, "minute": 30},
        "Daily: draft the progress review of every learner whose review is due within two weeks.",
        timeout_seconds=600,
    ),
    ScheduleEntry(
        "remind-progress-reviews",
        "sitecoach.jobs.tasks.remind_progress_reviews",
        "cron",
        {"hour": 10, "minute": 5},  # mid-morning: clear of every learner's quiet hours
        "Daily: remind learners and mentors of progress reviews due within a week, and once overdue.",
        timeout_seconds=600,
    ),
    ScheduleEntry(
        "tend-breaks",
        "sitecoach.jobs.tasks.tend_breaks",
        "cron",
        {"hour": 9, "minute": 5},
        "Daily: announce breaks in learning that start today; end (and welcome back) those due back.",
    ),
    ScheduleEntry(
        "check-otj",
        "sitecoach.jobs.tasks.check_otj",
        "cron",
        {"hour": 10, "minute": 35},
        "Daily: queue an off-the-job hours check of every learner with a plan (behind: told once).",
    ),
    ScheduleEntry(
        "sweep-unprocessed",
        "sitecoach.jobs.tasks.sweep_unprocessed",
        "interval",
        {"seconds": 60},
        "Re-queue inbound messages stored but not answered, and replies not yet sent.",
        takes_time=False,
    ),
    ScheduleEntry(
        "expire-conversations",
        "sitecoach.jobs.tasks.expire_conversations",
        "interval",
        {"minutes": 15},
        "End expired conversations (an abandoned mock test is recorded with its score so far).",
        takes_time=False,
    ),
)


def entry(entry_id: str) -> ScheduleEntry:
    """The schedule entry with this id."""
    return next(e for e in SCHEDULE if e.id == entry_id)
