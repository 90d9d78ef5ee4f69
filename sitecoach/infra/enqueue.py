"""Putting work on the queue with stable job ids, so the same work is never queued twice."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import UTC, datetime
from itertools import islice

from redis.client import Pipeline
from rq import Queue, Retry
from rq.exceptions import DuplicateJobError, NoSuchJobError
from rq.executions import Execution
from rq.job import Job, JobStatus
from rq.utils import as_text

log = logging.getLogger(__name__)
INBOUND_RETRY = Retry(max=4, interval=[2, 10, 30, 120])
# A job in one of these states is over: a new one with the same id may replace it. A live job (queued,
# scheduled, deferred, started) blocks the enqueue, so the same work is never queued twice at once.
FINISHED_STATES = (JobStatus.FINISHED, JobStatus.FAILED, JobStatus.STOPPED, JobStatus.CANCELED)


# How long RQ keeps a job's result and a failed job (the admin's Queues page shows the failed ones).
KEEP = {"result_ttl": 3600, "failure_ttl": 7 * 86400}


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
                **KEEP,
            )
            return True
        except DuplicateJobError:
            try:
                job = Job.fetch(job_id, connection=queue.connection)
            except NoSuchJobError:
                continue
            if job.get_status(refresh=True) in FINISHED_STATES or orphaned(queue, job):
                queue.connection.lrem(queue.intermediate_queue.key, 0, job.id)
                forget_expired_executions(queue, job)
                job.delete()
                continue
            return False
    return False


ORPHAN_HEARTBEAT_SECONDS = 120  # a started job whose worker has not beaten for this long has a dead worker


def orphaned(queue: Queue, job: Job) -> bool:
    """A job that looks live but no worker will ever finish: "queued" yet no longer in the queue (a worker
    took it and died before starting it), or "started" with a stale heartbeat (the worker died mid-job)."""
    status = job.get_status(refresh=False)
    if status == JobStatus.QUEUED:
        return queue.connection.lpos(queue.key, job.id) is None
    if status == JobStatus.STARTED and job.last_heartbeat is not None:
        age = (
            datetime.now(UTC) - job.last_heartbeat.replace(tzinfo=job.last_heartbeat.tzinfo or UTC)
        ).total_seconds()
        return age > ORPHAN_HEARTBEAT_SECONDS
    return False


def forget_expired_executions(queue: Queue, job: Job) -> int:
    """Drop the execution entries a dead worker left behind after their hashes expired; returns how many.

    RQ keeps an execution in the job's execution registry 60 s longer than the execution's own hash, and
    `Job.delete()` fetches every listed execution: in that window it raises "Execution ... not found in
    Redis" and the orphaned job could never be replaced (the sweeper would fail on that message). The
    started registry's `job_id:execution_id` entries of those executions go too, even once the execution
    registry has forgotten them: left behind, RQ's cleanup would later take the replacement job, found by
    the same id, for abandoned.
    """
    redis = queue.connection
    registry = job.execution_registry
    prefix = f"{job.id}:"
    listed = {as_text(e) for e in redis.zrange(registry.key, 0, -1)}
    started = {
        as_text(m)[len(prefix) :]
        for m in redis.zrange(queue.started_job_registry.key, 0, -1)
        if as_text(m).startswith(prefix)
    }
    gone = sorted(
        e for e in listed | started if not redis.exists(Execution(id=e, job_id=job.id, connection=redis).key)
    )
    if gone:
        with redis.pipeline() as pipe:
            pipe.zrem(registry.key, *gone)
            pipe.zrem(queue.started_job_registry.key, *(prefix + e for e in gone))
            pipe.execute()
    return len(gone)


def enqueue_fresh(
    queue: Queue,
    func: str,
    calls: list[tuple[str, tuple[object, ...]]],
    pipeline: Pipeline,
    retry: Retry | None = None,
    timeout: int = 120,
) -> None:
    """Put jobs whose ids no live job holds on `pipeline` (the caller executes it): no uniqueness check."""
    datas = [
        Queue.prepare_data(func, args=args, job_id=job_id, retry=retry, timeout=timeout, **KEEP)
        for job_id, args in calls
    ]
    queue.enqueue_many(datas, pipeline=pipeline)


ENQUEUE_BATCH = 2000  # jobs per Redis round trip when enqueueing many (a nudge fan-out)


def enqueue_unique_many(
    queue: Queue,
    func: str,
    calls: Iterable[tuple[str, tuple[object, ...]]],
    retry: Retry | None = None,
    timeout: int = 120,
) -> int:
    """`enqueue_unique` for many (job id, args) at once, pipelined; returns how many were queued.

    Only for job ids that no other code path enqueues: one lock per function stands in for
    `enqueue_unique`'s per-job atomic check, so a second dispatcher (two clocks) waits, then finds
    every job already live and queues nothing.
    """
    redis = queue.connection
    queued = 0
    waiting: set[bytes] | None = None  # the queue's job ids, read once: LPOS per job would be quadratic
    with redis.lock(f"sitecoach:enqueue-many:{queue.name}:{func}", timeout=600, blocking_timeout=600):
        it = iter(calls)
        while chunk := list(islice(it, ENQUEUE_BATCH)):
            pipe = redis.pipeline(transaction=False)
            for job_id, _args in chunk:
                pipe.hget(Job.key_for(job_id), "status")
            statuses = pipe.execute()
            fresh, recheck = [], []
            for (job_id, args), status in zip(chunk, statuses, strict=True):
                state = status.decode() if status is not None else None
                if state is None:
                    fresh.append((job_id, args))
                elif state == JobStatus.QUEUED:
                    if waiting is None:
                        waiting = set(redis.lrange(queue.key, 0, -1))
                    if job_id.encode() not in waiting:  # "queued" but not in the queue: maybe orphaned
                        recheck.append((job_id, args))
                elif state in FINISHED_STATES or state == JobStatus.STARTED:
                    recheck.append((job_id, args))
            if fresh:
                with redis.pipeline() as pipe:
                    enqueue_fresh(queue, func, fresh, pipe, retry=retry, timeout=timeout)
                    pipe.execute()
                queued += len(fresh)
            for job_id, args in recheck:  # finished, or perhaps orphaned: rare, one at a time
                queued += enqueue_unique(queue, func, job_id, *args, retry=retry, timeout=timeout)
    return queued


DELIVERY_RETRY = Retry(max=5, interval=[10, 30, 120, 600, 1800])


def enqueue_delivery(queue: Queue, message_id: int) -> bool:
    """Queue `deliver_message(message_id)` for a proactive or re-sent message."""
    return enqueue_unique(
        queue,
        "sitecoach.jobs.tasks.deliver_message",
        f"deliver-{message_id}",
        message_id,
        retry=DELIVERY_RETRY,
    )


def enqueue_milestone_check(queue: Queue, learner_id: int) -> bool:
    """Queue `check_milestones(learner_id)` (badges, streak record, readiness, the mentor's snapshot)."""
    return enqueue_unique(
        queue, "sitecoach.jobs.tasks.check_milestones", f"milestones-{learner_id}", learner_id
    )


def enqueue_inbound(queue: Queue, message_id: int) -> bool:
    """Queue `process_inbound(message_id)` unless it is queued already (the sweeper, a retry)."""
    return enqueue_unique(
        queue,
        "sitecoach.jobs.tasks.process_inbound",
        inbound_job_id(message_id),
        message_id,
        retry=INBOUND_RETRY,
    )


def enqueue_new_inbound(queue: Queue, message_id: int, pipeline: Pipeline) -> None:
    """Queue `process_inbound` for a message row inserted just now, on the caller's pipeline: no job can
    hold the id of a row that did not exist, so RQ's checked enqueue (several round trips) is not needed."""
    job = (inbound_job_id(message_id), (message_id,))
    enqueue_fresh(queue, "sitecoach.jobs.tasks.process_inbound", [job], pipeline, retry=INBOUND_RETRY)
