"""Background jobs (imports, exports): follow them, cancel them."""

from __future__ import annotations

from django.http import Http404, HttpRequest
from django.urls import reverse
from ninja import Router

from campaigns.access import can_watch_job
from campaigns.jobs import services as jobs_services
from campaigns.jobs.selectors import job_state
from campaigns.models import Job
from leaderboard.views import job_result_download
from somos_site.api.schemas import ErrorOut, JobOut

router = Router(tags=["jobs"])

ERRORS = {401: ErrorOut, 404: ErrorOut, 429: ErrorOut}


def job_json(request: HttpRequest, job: Job) -> dict:
    """The job with its live progress, why it failed, and where its export is downloaded."""
    answer = job_state(job).as_json()
    answer["errors"] = list(job.messages) if job.status == Job.Status.FAILED else []
    # The API's own download: a token opens it, as the page's needs a session.
    answer["result_url"] = (
        request.build_absolute_uri(reverse("api-v1:job_result", kwargs={"job_id": job.pk}))
        if job.kind == Job.Kind.EXPORT and job.status == Job.Status.SUCCEEDED
        else None
    )
    return answer


def _job(request: HttpRequest, job_id: int) -> Job:
    """The job if the caller may watch it: who started it, its campaign's organizers, staff."""
    job = Job.objects.select_related("campaign").filter(pk=job_id).first()
    if job is None or not can_watch_job(request.user, job):
        raise Http404
    return job


@router.get("/jobs/{int:job_id}", response={200: JobOut, **ERRORS}, summary="Follow a job")
def job_detail(request: HttpRequest, job_id: int):
    """Who started the job, its campaign's organizers and staff: status, progress, result."""
    return job_json(request, jobs_services.job_recover_if_stale(job=_job(request, job_id)))


@router.post("/jobs/{int:job_id}/cancel", response={200: JobOut, **ERRORS}, summary="Cancel a job")
def job_cancel(request: HttpRequest, job_id: int):
    """Who started the job, its campaign's organizers and staff: cancel it."""
    return job_json(request, jobs_services.job_cancel(job=_job(request, job_id)))


@router.get(
    "/jobs/{int:job_id}/result",
    response=ERRORS,
    summary="Download an export's archive",
    openapi_extra={
        "responses": {
            "200": {
                "description": "The archive (zip) of a finished export.",
                "content": {"application/zip": {"schema": {"type": "string", "format": "binary"}}},
            }
        }
    },
)
def job_result(request: HttpRequest, job_id: int):
    """Who started the job, its campaign's organizers and staff: a finished export's archive."""
    # The download page's own rules and answer, for the token's owner.
    return job_result_download(request, job_id=job_id)
