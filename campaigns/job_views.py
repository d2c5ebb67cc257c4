"""Organizers: a background job's page, its live state and its cancel button."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from campaigns.access import job_watcher_required
from campaigns.jobs.selectors import job_state
from campaigns.jobs.services import job_cancel, job_recover_if_stale
from campaigns.models import Job


def job_next_url(job: Job) -> str:
    """Where the organizer goes once the job succeeded: a new campaign's preview, else its page."""
    if job.status != Job.Status.SUCCEEDED or job.campaign is None:
        return ""
    if job.kind == Job.Kind.IMPORT and job.parameters.get("create"):
        return reverse("campaign_preview", kwargs={"slug": job.campaign.slug})
    return ""


@require_GET
@never_cache
@job_watcher_required
def job_detail(request: HttpRequest, job: Job) -> HttpResponse:
    """Organizers of the job's campaign, whoever started the job, and staff: its progress."""
    job = job_recover_if_stale(job=job)
    return render(
        request,
        "campaigns/jobs/detail.html",
        {"state": job_state(job), "next_url": job_next_url(job)},
    )


@require_GET
@never_cache
@job_watcher_required
def job_state_json(request: HttpRequest, job: Job) -> JsonResponse:
    """Organizers of the job's campaign, its starter and staff: its state, polled by the bar."""
    job = job_recover_if_stale(job=job)
    state = job_state(job).as_json()
    state["next_url"] = job_next_url(job)
    return JsonResponse(state)


@require_POST
@job_watcher_required
def job_cancel_view(request: HttpRequest, job: Job) -> HttpResponse:
    """Organizers of the job's campaign, its starter and staff: cancel it while it runs."""
    if job.finished:
        messages.info(request, _("This job had already ended."))
    else:
        job_cancel(job=job)
        messages.success(request, _("The job is being cancelled; nothing it started is kept."))
    return redirect("job_detail", job_id=job.pk)
