"""Production mode: background jobs run on a real Celery worker, and outlive a killed one."""

from __future__ import annotations

import time

import httpx
import pytest
from django.utils import translation

from campaigns.jobs.selectors import job_state
from campaigns.jobs.services import import_job_start
from campaigns.models import Campaign, Job
from somos_site.accounts.services import api_token_create
from tests.campaigns.files import mmlu_pair_write
from tests.factories import UserFactory
from tests.faults import celery_worker
from tests.jobs.api_import import import_posted, job_watched
from tests.jobs.jobs_data import new_mmlu_campaign, uploads_of

pytestmark = pytest.mark.django_db(transaction=True)

broker = celery_worker.broker
tasks_to_broker = celery_worker.tasks_to_broker
worker_start = celery_worker.worker_start

ROWS = 200_000


@pytest.fixture(autouse=True)
def celery_runner(settings, tmp_path, monkeypatch, tasks_to_broker):
    media = tmp_path / "media"
    settings.SOMOS_JOBS_RUNNER = "celery"
    settings.MEDIA_ROOT = media
    # The worker reads the uploads from the same MEDIA_ROOT, as production's shared volume.
    monkeypatch.setenv("SOMOS_MEDIA_ROOT", str(media))
    with translation.override("en"):
        yield


def _start(tmp_path, slug: str) -> Job:
    return _start_with(_uploads(tmp_path), slug)


def _uploads(tmp_path) -> list:
    return uploads_of(*mmlu_pair_write(tmp_path, ROWS))


def _start_with(uploads: list, slug: str) -> Job:
    return import_job_start(
        user=UserFactory(is_staff=True), create=new_mmlu_campaign(slug), files=uploads
    )


def _watch(job: Job, *, until, timeout: float) -> list[int]:
    seen: list[int] = []
    deadline = time.monotonic() + timeout
    while not until(job):
        assert time.monotonic() < deadline, f"job {job.pk} is {job.status}, seen {seen}"
        time.sleep(0.1)
        job.refresh_from_db()
        done = job_state(job).done
        if not seen or seen[-1] != done:
            seen.append(done)
    return seen


def test_the_api_answers_a_200k_import_at_once_and_a_worker_runs_it(
    tmp_path, worker_start, live_server
):
    worker = worker_start()
    english, spanish = mmlu_pair_write(tmp_path, ROWS)
    _token, raw = api_token_create(user=UserFactory(is_staff=True), name="script")
    api = httpx.Client(
        base_url=live_server.url + "/api/v1",
        headers={"Authorization": f"Bearer {raw}"},
        timeout=120,
    )
    created = api.post(
        "/campaigns",
        json={"slug": "mmlu-celery", "name": "MMLU", "preset": "okapi_mmlu", "overlap": 2},
    )
    assert created.status_code == 201, created.text

    job, upload_to_answer = import_posted(api, "mmlu-celery", english, spanish)
    assert upload_to_answer < 2
    assert job["status"] == "queued"
    job, seen = job_watched(api, job)

    worker.assert_alive()
    assert job["status"] == "succeeded", (job, worker.log_tail())
    rising = [done for done in seen if 0 < done < ROWS]
    assert len(rising) >= 3, seen
    assert rising == sorted(rising)
    assert api.get("/campaigns/mmlu-celery").json()["records"] == ROWS


def test_a_job_outlives_a_worker_killed_in_the_middle(tmp_path, worker_start):
    first = worker_start()
    job = _start(tmp_path, "mmlu-killed")
    _watch(job, until=lambda job: job_state(job).done > 10_000, timeout=120)

    first.kill()
    second = worker_start()
    _watch(job, until=lambda job: job.finished, timeout=300)

    assert job.status == Job.Status.SUCCEEDED, (job.messages, second.log_tail())
    assert job.attempts == 2
    assert Campaign.objects.get(slug="mmlu-killed").records.count() == ROWS
