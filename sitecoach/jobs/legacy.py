"""Jobs queued before a deploy still run: RQ stores a job's function as a dotted path string.

The job functions moved from `scheduler.jobs` to `sitecoach.jobs.tasks`; jobs queued by the previous
release (retries, scheduled nudges, failed jobs an admin re-queues) still name the old path. Workers
use `MovedPathJob`, which reads the old paths as the new ones. Remove after one release.
"""

from __future__ import annotations

from typing import Any

from rq.job import Job
from rq.utils import import_attribute

MOVED_PREFIXES = {"scheduler.jobs.": "sitecoach.jobs.tasks."}


def current_path(func_name: str) -> str:
    """The importable path for a job function name, old or new."""
    for old, new in MOVED_PREFIXES.items():
        if func_name.startswith(old):
            return new + func_name[len(old) :]
    return func_name


class MovedPathJob(Job):
    """An RQ job that resolves function paths of the previous release."""

    @property
    def func(self) -> Any:
        """The job's callable, resolving a moved path to where it lives now."""
        name = self.func_name
        if name is None or self.instance:
            return super().func
        return import_attribute(current_path(name))
