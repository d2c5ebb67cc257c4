"""Start, run, cancel and recover background jobs; start an import as one."""

from __future__ import annotations

import logging
import secrets
import shutil
import time
from collections.abc import Sequence
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import F
from django.utils import timezone, translation
from django.utils.text import get_valid_filename
from django.utils.translation import gettext as _

from campaigns.jobs import live
from campaigns.jobs.handlers import JobFailed, job_handler
from campaigns.jobs.runner import job_dispatch
from campaigns.models import Campaign, Job
from campaigns.progress import REPORT_EVERY_S, WorkCancelled
from campaigns.services import message_storable

logger = logging.getLogger(__name__)

# A job whose worker died is run again this many times in all, then failed.
MAX_ATTEMPTS = 3
# A running job nobody has heard of for this long lost its worker.
STALE_AFTER = timedelta(seconds=live.HEARTBEAT_TTL_S * 2)
CANCEL_CHECK_EVERY_S = 0.5
RUNNING_ELSEWHERE = "running elsewhere"


def job_start(
    *,
    kind: str,
    user: AbstractBaseUser | None,
    campaign: Campaign | None = None,
    parameters: dict | None = None,
) -> Job:
    """Record a job and hand it to the runner once the caller's transaction commits.

    With the inline runner (the test suite) it has run, and ended, when this returns.
    """
    job = Job.objects.create(
        kind=kind,
        campaign=campaign,
        created_by=user if user is not None and user.is_authenticated else None,
        # Messages come out in the language of whoever started the job.
        parameters={**(parameters or {}), "language": translation.get_language()},
    )
    _dispatch(job.pk)
    if settings.SOMOS_JOBS_RUNNER == "inline":
        job.refresh_from_db()
    return job


def job_run(job_id: int) -> str:
    """Run a job (in a worker, a thread or the request) and record how it ended; return that.

    Safe to call twice: a job that ended, or that another worker is running, is left alone.
    """
    job = Job.objects.select_related("campaign", "created_by").filter(pk=job_id).first()
    if job is None or job.finished:
        return "gone" if job is None else job.status
    if job.status == Job.Status.RUNNING and live.alive(job.pk):
        return RUNNING_ELSEWHERE
    if live.cancel_requested(job.pk):
        _job_end(job, Job.Status.CANCELLED, messages=[_("Cancelled before it started.")])
        return Job.Status.CANCELLED
    if job.attempts >= MAX_ATTEMPTS:
        _job_end(job, Job.Status.FAILED, messages=[_stopped_message()])
        return Job.Status.FAILED
    started = time.time()
    Job.objects.filter(pk=job.pk).update(
        status=Job.Status.RUNNING, started_at=timezone.now(), attempts=F("attempts") + 1
    )
    job.status = Job.Status.RUNNING
    reporter = _Reporter(job.pk, started=started)
    with live.Heartbeat(job.pk), translation.override(job.parameters.get("language")):
        try:
            result = job_handler(job.kind)(job, reporter)
        except WorkCancelled:
            status, messages, result = Job.Status.CANCELLED, [_("Cancelled.")], {}
        except JobFailed as failure:
            status, messages, result = Job.Status.FAILED, failure.messages, {}
        except Exception:
            logger.exception("job %s (%s) failed", job.pk, job.kind)
            status, messages = Job.Status.FAILED, [_("The job stopped on an unexpected error.")]
            result = {}
        else:
            status, messages = Job.Status.SUCCEEDED, []
        _job_end(job, status, messages=messages, result=result, reporter=reporter)
    return status


def _dispatch(job_id: int) -> None:
    job_dispatch(job_id, run=job_run, recover=jobs_recover)


def _stopped_message() -> str:
    return _(
        "The worker running this job stopped %(times)s times; it was not run again. Start it"
        " again when the workers are healthy."
    ) % {"times": MAX_ATTEMPTS}


class _Reporter:
    """The job's progress callable: stores progress, notices a cancel."""

    def __init__(self, job_id: int, *, started: float) -> None:
        self.job_id = job_id
        self.started = started
        self.done = 0
        self.total: int | None = None
        self._stored_at = 0.0
        self._checked_at = 0.0

    def __call__(self, done: int, total: int | None) -> None:
        self.done, self.total = done, total
        now = time.monotonic()
        if now - self._stored_at >= REPORT_EVERY_S or (total is not None and done >= total):
            self._stored_at = now
            live.progress_store(self.job_id, done=done, total=total, started=self.started)
        if now - self._checked_at >= CANCEL_CHECK_EVERY_S:
            self._checked_at = now
            if live.cancel_requested(self.job_id):
                raise WorkCancelled


def _job_end(
    job: Job,
    status: str,
    *,
    messages: list[str],
    result: dict | None = None,
    reporter: _Reporter | None = None,
) -> None:
    result = dict(result or {})
    # An import that created its campaign names it in its result.
    campaign_id = result.pop("campaign_id", job.campaign_id)
    fields = {
        "status": status,
        "messages": [message_storable(str(message)) for message in messages],
        "result": result,
        "finished_at": timezone.now(),
        "campaign_id": campaign_id,
    }
    if reporter is not None:
        fields["done"] = reporter.done
        fields["total"] = reporter.total
    # Conditional: a cancel of a queued job and a worker's end cannot both win.
    Job.objects.filter(pk=job.pk).exclude(
        status__in=[Job.Status.SUCCEEDED, Job.Status.FAILED, Job.Status.CANCELLED]
    ).update(**fields)
    _files_remove(job)
    live.progress_forget(job.pk)


def job_cancel(*, job: Job) -> Job:
    """Cancel a job: at once if it waits, at its next progress report if it runs."""
    live.cancel_request(job.pk)
    ended = Job.objects.filter(pk=job.pk, status=Job.Status.QUEUED).update(
        status=Job.Status.CANCELLED, messages=[_("Cancelled.")], finished_at=timezone.now()
    )
    if ended:
        _files_remove(job)
    job.refresh_from_db()
    return job


def jobs_recover() -> int:
    """Settle running jobs whose worker died: run them again, or fail them after MAX_ATTEMPTS.

    Celery hands a dead worker's task to another by itself; this catches the rest (a web
    process running the thread runner that stopped, a broker that lost its message). Runs
    every minute from beat, and when a process starts the thread runner.
    """
    recovered = 0
    stale = Job.objects.filter(
        status=Job.Status.RUNNING, started_at__lt=timezone.now() - STALE_AFTER
    )
    for job in stale:
        if live.alive(job.pk):
            continue
        if job.attempts >= MAX_ATTEMPTS:
            _job_end(job, Job.Status.FAILED, messages=[_stopped_message()])
        elif Job.objects.filter(pk=job.pk, status=Job.Status.RUNNING).update(
            status=Job.Status.QUEUED
        ):
            _dispatch(job.pk)
        recovered += 1
    return recovered


def job_recover_if_stale(*, job: Job) -> Job:
    """Settle this job now if its worker died (a page showing it must not say "running")."""
    if (
        job.status == Job.Status.RUNNING
        and job.started_at is not None
        and job.started_at < timezone.now() - STALE_AFTER
        and not live.alive(job.pk)
    ):
        jobs_recover()
        job.refresh_from_db()
    return job


# Uploaded files wait here for the worker (MEDIA_ROOT is shared with the workers in
# production), one folder per job, removed when the job ends.
JOB_FILES = "job-files"


def uploads_keep(files: Sequence[UploadedFile | None]) -> list[dict | None]:
    """Save uploads where a worker can read them; return what a job's parameters keep."""
    folder = Path(JOB_FILES) / secrets.token_hex(12)
    kept: list[dict | None] = []
    for index, upload in enumerate(files):
        if upload is None:
            kept.append(None)
            continue
        # The extension picks the reader; a folder per file keeps two same-named uploads apart.
        name = get_valid_filename(Path(upload.name).name) or "upload"
        relative = folder / str(index) / name
        path = Path(settings.MEDIA_ROOT) / relative
        path.parent.mkdir(parents=True)
        with path.open("wb") as handle:
            for chunk in upload.chunks():
                handle.write(chunk)
        kept.append({"path": str(relative), "name": upload.name})
    return kept


def _files_remove(job: Job) -> None:
    folders = {
        Path(kept["path"]).parts[:2]
        for kept in job.parameters.get("files", [])
        if kept and str(kept.get("path", "")).startswith(JOB_FILES + "/")
    }
    for parts in folders:
        shutil.rmtree(Path(settings.MEDIA_ROOT).joinpath(*parts), ignore_errors=True)


def import_job_start(
    *,
    user: AbstractBaseUser | None,
    campaign: Campaign | None = None,
    create: dict | None = None,
    files: Sequence[UploadedFile | None] = (),
    hub: dict | None = None,
) -> Job:
    """Start importing uploaded files (source, translation) or a hub dataset into a campaign.

    `create` holds a new campaign's fields (campaign_create's arguments but organizers): the
    job then creates it and imports its first source all or nothing, as the new-campaign page
    did in the request.
    """
    parameters: dict = {"files": uploads_keep(files) if files else [], "hub": hub or None}
    if create is not None:
        parameters["create"] = create
    with transaction.atomic():
        return job_start(kind=Job.Kind.IMPORT, user=user, campaign=campaign, parameters=parameters)
