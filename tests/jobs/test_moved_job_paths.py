"""Jobs queued by the previous release name `scheduler.jobs.*`: after the deploy they still run."""

from __future__ import annotations

from rq import SimpleWorker
from rq.job import Job, JobStatus

from sitecoach.jobs.legacy import MovedPathJob, current_path


def test_old_paths_map_to_the_new_module_and_new_paths_stay() -> None:
    assert current_path("scheduler.jobs.process_inbound") == "sitecoach.jobs.tasks.process_inbound"
    assert current_path("sitecoach.jobs.tasks.send_nudge") == "sitecoach.jobs.tasks.send_nudge"


def test_a_job_queued_under_the_old_path_runs_on_the_new_worker(services) -> None:
    job = services.queue.enqueue("scheduler.jobs.remind_escalations", job_id="queued-before-the-deploy")
    SimpleWorker(services.queues, connection=services.redis, job_class=MovedPathJob).work(burst=True)
    assert Job.fetch(job.id, connection=services.redis).get_status() == JobStatus.FINISHED


def test_without_the_alias_the_same_job_would_fail(services) -> None:
    job = services.queue.enqueue("scheduler.jobs.remind_escalations", job_id="queued-before-the-deploy-2")
    SimpleWorker(services.queues, connection=services.redis).work(burst=True)
    assert Job.fetch(job.id, connection=services.redis).get_status() == JobStatus.FAILED
