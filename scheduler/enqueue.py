"""Putting work on the queue with stable job ids, so the same work is never queued twice."""

from __future__ import annotations

import logging

from rq import Queue, Retry
from rq.exceptions import DuplicateJobError, NoSuchJobError
from rq.job import Job, JobStatus

log = logging.getLogger(__name__)
INBOUND_RETRY = Retry(max=4, interval=[2, 10, 30, 120])
# A job in one of these states is over: a new one with the same id may replace it. A live job (queued,
# scheduled, deferred, started) blocks the enqueue, so the same work is never queued twice at once.
FINISHED_STATES = (JobStatus.FINISHED, JobStatus.FAILED, JobStatus.STOPPED, JobStatus.CANCELED)


def inbound_job_id(message_id: int) -> str:
    """The one job id for processing an inbound message."""
    return f"inbound-{message_id}"


def enqueue_unique(
    queue: Queue, func: str, job_id: str, *args: object, retry: Retry | None = None, timeout: int = 120
) -> bool:
    """Enqueue unless a live job with this id exists; a finished, failed or stopped one is replaced."""
    for _attempt in range(2):
        try:
            queue.enqueue(
                func,
                *args,
                job_id=job_id,
                unique=True,
                retry=retry,
                job_timeout=timeout,
                result_ttl=3600,
                failure_ttl=7 * 86400,
            )
            return True
        except DuplicateJobError:
            try:
                job = Job.fetch(job_id, connection=queue.connection)
            except NoSuchJobError:
                continue
            if job.get_status(refresh=True) in FINISHED_STATES:
                job.delete()
                continue
            return False
    return False


DELIVERY_RETRY = Retry(max=5, interval=[10, 30, 120, 600, 1800])


def enqueue_delivery(queue: Queue, message_id: int) -> bool:
    """Queue `deliver_message(message_id)` for a proactive or re-sent message."""
    return enqueue_unique(
        queue, "scheduler.jobs.deliver_message", f"deliver-{message_id}", message_id, retry=DELIVERY_RETRY
    )


def enqueue_inbound(queue: Queue, message_id: int) -> bool:
    """Queue `process_inbound(message_id)`."""
    return enqueue_unique(
        queue, "scheduler.jobs.process_inbound", inbound_job_id(message_id), message_id, retry=INBOUND_RETRY
    )
