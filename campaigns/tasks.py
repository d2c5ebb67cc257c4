"""Celery tasks: thin, by id."""

from __future__ import annotations

from celery import shared_task

from campaigns.jobs.live import HEARTBEAT_TTL_S
from campaigns.jobs.services import RUNNING_ELSEWHERE, job_run, jobs_recover


@shared_task(bind=True, max_retries=None)
def job_run_task(self, job_id: int) -> str:
    """Run one background job.

    A worker that dies mid-job leaves its message to another worker (acks late); that one
    waits until the dead worker's heartbeat has lapsed, then runs the job again from the start
    (the first attempt's transaction died with its connection).
    """
    outcome = job_run(job_id)
    if outcome == RUNNING_ELSEWHERE:
        raise self.retry(countdown=HEARTBEAT_TTL_S)
    return outcome


@shared_task
def jobs_recover_task() -> int:
    """Run again, or fail, the jobs whose worker died without Celery noticing."""
    return jobs_recover()
