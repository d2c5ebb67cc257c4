"""Imports and exports run as background jobs: they answer at once, report progress, end well.

These tests run the thread runner (the embedded default's) on the suite's PostgreSQL and Redis;
tests/jobs/test_celery_jobs.py runs the same through a real Celery worker.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from campaigns.jobs import live
from campaigns.jobs.selectors import job_state
from campaigns.jobs.services import (
    JOB_FILES,
    MAX_ATTEMPTS,
    STALE_AFTER,
    import_job_start,
    job_cancel,
    jobs_recover,
)
from campaigns.models import Campaign, ImportRun, Job
from leaderboard.export.jobs import export_job_start
from tests.campaigns.files import ARC_EN, ARC_ES, MMLU_EN, MMLU_ES, mmlu_pair_write
from tests.factories import UserFactory
from tests.jobs.jobs_data import new_mmlu_campaign, uploads_of

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def thread_runner(settings, tmp_path):
    settings.SOMOS_JOBS_RUNNER = "thread"
    settings.MEDIA_ROOT = tmp_path / "media"
    with translation.override("en"):
        yield


@pytest.fixture
def creator():
    return UserFactory(is_staff=True)


def _watch(job: Job, *, timeout: float = 180) -> tuple[Job, list[int]]:
    """Poll the job as its page does until it ends; return it and the progress seen."""
    seen: list[int] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job.refresh_from_db()
        state = job_state(job)
        if not seen or state.done != seen[-1]:
            seen.append(state.done)
        if job.finished:
            return job, seen
        time.sleep(0.1)
    raise AssertionError(f"job {job.pk} still {job.status} after {timeout} s")


# Long enough to report progress several times on a fast machine: at 60,000 rows an import
# once ended after only two progress reports the page could see.
_ROWS_REPORTED = 120_000


def test_an_import_answers_at_once_then_runs_reporting_progress(tmp_path, creator):
    english, spanish = mmlu_pair_write(tmp_path, _ROWS_REPORTED)
    started = time.monotonic()
    job = import_job_start(
        user=creator, create=new_mmlu_campaign("mmlu-jobs"), files=uploads_of(english, spanish)
    )
    assert time.monotonic() - started < 2
    assert job.status in (Job.Status.QUEUED, Job.Status.RUNNING)

    job, seen = _watch(job)

    assert job.status == Job.Status.SUCCEEDED, job.messages
    rising = [done for done in seen if 0 < done < _ROWS_REPORTED]
    assert len(rising) >= 3, seen
    assert rising == sorted(rising)
    assert (job.done, job.total) == (_ROWS_REPORTED, _ROWS_REPORTED)
    campaign = Campaign.objects.get(slug="mmlu-jobs")
    assert job.campaign == campaign
    assert campaign.records.count() == _ROWS_REPORTED
    assert list(campaign.organizers.all()) == [creator]
    assert job.result["created"] == _ROWS_REPORTED
    # The uploads waited in MEDIA_ROOT for the worker and went with the job.
    kept = Path(job.parameters["files"][0]["path"])
    assert kept.parts[0] == JOB_FILES
    assert not (tmp_path / "media" / kept.parents[1]).exists()


def test_a_refused_import_names_the_row_and_leaves_no_campaign(tmp_path, creator):
    spanish = tmp_path / "es.jsonl"
    lines = MMLU_ES.read_text(encoding="utf-8").splitlines()
    lines[2] = "{not json"
    spanish.write_text("\n".join(lines) + "\n", encoding="utf-8")

    job = import_job_start(
        user=creator, create=new_mmlu_campaign("refused"), files=uploads_of(MMLU_EN, spanish)
    )
    job, _seen = _watch(job)

    assert job.status == Job.Status.FAILED
    assert any("es.jsonl" in message and "3" in message for message in job.messages), job.messages
    assert job.campaign is None
    assert not Campaign.objects.filter(slug="refused").exists()


def test_a_running_import_can_be_cancelled_and_keeps_nothing(tmp_path, creator):
    english, spanish = mmlu_pair_write(tmp_path, 200_000)
    campaign_job = import_job_start(
        user=creator, create=new_mmlu_campaign("to-cancel"), files=uploads_of(english, spanish)
    )
    deadline = time.monotonic() + 60
    while job_state(Job.objects.get(pk=campaign_job.pk)).done == 0:
        assert time.monotonic() < deadline, "the import never started"
        time.sleep(0.05)

    job_cancel(job=campaign_job)
    job, _seen = _watch(campaign_job)

    assert job.status == Job.Status.CANCELLED
    assert job.messages == ["Cancelled."]
    assert not Campaign.objects.filter(slug="to-cancel").exists()


def test_an_import_into_an_existing_campaign_records_its_run(arc_campaign, organizer):
    job = import_job_start(user=organizer, campaign=arc_campaign, files=uploads_of(ARC_EN, ARC_ES))
    job, _seen = _watch(job)

    assert job.status == Job.Status.SUCCEEDED
    run = ImportRun.objects.get(pk=job.result["import_run"])
    assert run.status == ImportRun.Status.SUCCEEDED
    assert job.result["records"] == arc_campaign.records.count()


def test_an_export_job_ends_with_a_download(arc_campaign, organizer, client):
    job = export_job_start(campaign=arc_campaign, include="pending", user=organizer)
    job, _seen = _watch(job)

    assert job.status == Job.Status.SUCCEEDED, job.messages
    client.force_login(organizer)
    response = client.get(reverse("job_result_download", kwargs={"job_id": job.pk}))
    assert response.status_code == 200
    assert response["Content-Disposition"].endswith(f'{job.result["filename"]}"')
    assert b"".join(response.streaming_content)[:2] == b"PK"


def test_a_job_whose_worker_died_runs_again(arc_campaign, organizer, settings):
    settings.SOMOS_JOBS_RUNNER = "inline"
    job = Job.objects.create(
        kind=Job.Kind.EXPORT,
        campaign=arc_campaign,
        created_by=organizer,
        status=Job.Status.RUNNING,
        attempts=1,
        started_at=timezone.now() - STALE_AFTER * 2,
        parameters={"include": "pending", "language": "en"},
    )
    assert not live.alive(job.pk)

    assert jobs_recover() == 1

    job.refresh_from_db()
    assert job.status == Job.Status.SUCCEEDED
    assert job.attempts == 2


def test_a_job_that_keeps_killing_its_worker_fails_with_a_message(arc_campaign, organizer):
    job = Job.objects.create(
        kind=Job.Kind.EXPORT,
        campaign=arc_campaign,
        created_by=organizer,
        status=Job.Status.RUNNING,
        attempts=MAX_ATTEMPTS,
        started_at=timezone.now() - STALE_AFTER * 2,
        parameters={"include": "pending", "language": "en"},
    )

    jobs_recover()

    job.refresh_from_db()
    assert job.status == Job.Status.FAILED
    assert "stopped 3 times" in job.messages[0]


def test_the_job_page_shows_progress_to_organizers_only(arc_campaign, organizer, client):
    job = Job.objects.create(kind=Job.Kind.IMPORT, campaign=arc_campaign, created_by=organizer)
    client.force_login(UserFactory())
    assert client.get(reverse("job_detail", kwargs={"job_id": job.pk})).status_code == 404
    client.force_login(organizer)
    page = client.get(reverse("job_detail", kwargs={"job_id": job.pk}))
    assert page.status_code == 200
    assert 'role="progressbar"' in page.content.decode()
    state = client.get(reverse("job_state", kwargs={"job_id": job.pk})).json()
    assert state["status"] == "queued"
    # The page speaks the site's default language, Spanish.
    assert state["summary"] == "0 registros"
