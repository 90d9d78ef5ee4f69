"""Re-queuing work a dead worker left behind (real Redis, RQ's own bookkeeping)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from rq.executions import Execution
from rq.job import Job, JobStatus

from sitecoach.infra.enqueue import enqueue_inbound, inbound_job_id


def _started_by_a_worker_that_died(services, message_id: int) -> Job:
    """What a `kill -9`ed worker leaves: the job "started", its heartbeat stale, its execution listed in the
    job's execution registry, and the execution's own hash already expired (it lives 60 s less)."""
    assert enqueue_inbound(services.queue, message_id)
    job = Job.fetch(inbound_job_id(message_id), connection=services.redis)
    services.redis.lrem(services.queue.key, 0, job.id)  # the worker took it off the queue
    with services.redis.pipeline() as pipe:
        execution = Execution.create(job, ttl=180, pipeline=pipe, worker_name="dead-worker")
        pipe.execute()
    job.set_status(JobStatus.STARTED)
    stale = datetime.now(UTC) - timedelta(minutes=10)
    services.redis.hset(job.key, "last_heartbeat", stale.strftime("%Y-%m-%dT%H:%M:%S.%fZ"))
    services.redis.delete(execution.key)  # expired before its registry entry
    return job


def test_a_job_orphaned_by_a_dead_worker_is_queued_again_after_its_execution_expired(services):
    job = _started_by_a_worker_that_died(services, 4242)
    assert Job.fetch(job.id, connection=services.redis).get_status() == JobStatus.STARTED

    assert enqueue_inbound(services.queue, 4242) is True  # the sweeper's call: no "Execution not found"

    assert job.id in services.queue.get_job_ids()
    again = Job.fetch(job.id, connection=services.redis)
    assert again.get_status() == JobStatus.QUEUED
    assert services.redis.zcard(again.execution_registry.key) == 0
    assert not any(
        k.decode().startswith(f"{job.id}:")
        for k in services.redis.zrange(services.queue.started_job_registry.key, 0, -1)
    )


def test_a_stale_started_entry_is_cleared_even_after_the_execution_registry_forgot_it(services):
    job = _started_by_a_worker_that_died(services, 4343)
    services.redis.delete(job.execution_registry.key)  # expired too (it lives 60 s longer than the hash)
    started = services.queue.started_job_registry.key
    assert any(k.decode().startswith(f"{job.id}:") for k in services.redis.zrange(started, 0, -1))

    assert enqueue_inbound(services.queue, 4343) is True

    # nothing left that RQ's cleanup could take for the replacement job's abandoned execution
    assert not any(k.decode().startswith(f"{job.id}:") for k in services.redis.zrange(started, 0, -1))
    assert Job.fetch(job.id, connection=services.redis).get_status() == JobStatus.QUEUED


def test_a_live_job_is_not_queued_twice(services):
    assert enqueue_inbound(services.queue, 77) is True
    assert enqueue_inbound(services.queue, 77) is False
    assert services.queue.get_job_ids().count(inbound_job_id(77)) == 1
