"""The leaderboard dataset registry (public) and the organizers' export page."""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Prefetch, Q
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from campaigns.access import job_watcher_required, may_see, organizer_required
from campaigns.jobs.selectors import campaign_jobs
from campaigns.models import Campaign, Job
from leaderboard.export.jobs import export_job_start
from leaderboard.export.services import INCLUDE_CHOICES
from leaderboard.forms import CampaignTargetForm, DatasetFilterForm
from leaderboard.models import CampaignTarget, LeaderboardDataset, LeaderboardDatasetVersion
from leaderboard.registry import TABLE_5
from leaderboard.services import campaign_target_set, version_publish


def _published_versions() -> Prefetch:
    return Prefetch(
        "versions",
        queryset=LeaderboardDatasetVersion.objects.filter(published=True)
        .select_related("campaign")
        .order_by("-number"),
    )


def _public_version(version: LeaderboardDatasetVersion) -> dict:
    """Return what anyone may see of a version: no server paths, no private campaigns."""
    campaign = version.campaign
    public = campaign is not None and may_see(None, campaign)
    return {
        "number": version.number,
        "created_at": version.created_at,
        "records": version.records,
        "records_validated": version.records_validated,
        "records_total": version.records_total,
        "percent": round(100 * version.coverage),
        "include": version.include,
        "campaign": campaign if public else None,
        "url": version.location if version.location.startswith("https://") else "",
    }


@require_GET
def leaderboard_registry(request: HttpRequest) -> HttpResponse:
    """Anyone: the paper's datasets and those with a published version, with their coverage.

    Filtered by one of the datasets' languages (GET `language`).
    """
    datasets = list(
        LeaderboardDataset.objects.filter(
            Q(name__in=[entry.name for entry in TABLE_5]) | Q(versions__published=True)
        )
        .distinct()
        .prefetch_related(_published_versions())
        .order_by("name")
    )
    form = DatasetFilterForm(
        request.GET or None,
        languages={code for dataset in datasets for code in dataset.languages},
    )
    language = form.language_chosen()
    rows = []
    # In Python: the registry is a few dozen rows, and SQLite (the embedded mode) has no
    # JSON containment lookup.
    for dataset in datasets:
        if language and language not in dataset.languages:
            continue
        versions = list(dataset.versions.all())
        rows.append(
            {"dataset": dataset, "latest": _public_version(versions[0]) if versions else None}
        )
    return render(request, "leaderboard/index.html", {"rows": rows, "form": form})


@require_GET
def leaderboard_dataset(request: HttpRequest, slug: str) -> HttpResponse:
    """Anyone: one leaderboard dataset and its published versions; staff also see proposals."""
    dataset = get_object_or_404(
        LeaderboardDataset.objects.prefetch_related(_published_versions()), slug=slug
    )
    versions = [_public_version(version) for version in dataset.versions.all()]
    proposals = (
        LeaderboardDatasetVersion.objects.filter(dataset=dataset, published=False)
        .select_related("campaign", "created_by")
        .order_by("-number")
        if request.user.is_staff
        else []
    )
    feeding = [
        target.campaign
        for target in CampaignTarget.objects.filter(dataset=dataset)
        .select_related("campaign")
        .order_by("campaign__name")
        if may_see(None, target.campaign)
    ]
    return render(
        request,
        "leaderboard/dataset.html",
        {
            "dataset": dataset,
            "versions": versions,
            "latest": versions[0] if versions else None,
            "campaigns": feeding,
            "proposals": proposals,
        },
    )


@require_POST
@login_required
def leaderboard_version_publish(request: HttpRequest, slug: str, number: int) -> HttpResponse:
    """Staff: show an organizer's proposed version in the public registry."""
    if not request.user.is_staff:
        raise PermissionDenied
    version = get_object_or_404(
        LeaderboardDatasetVersion, dataset__slug=slug, number=number, published=False
    )
    version_publish(version=version)
    messages.success(request, _("Version %(number)s published.") % {"number": number})
    return redirect("leaderboard_dataset", slug=slug)


@require_http_methods(["GET", "POST"])
@organizer_required
def campaign_export_page(request: HttpRequest, campaign: Campaign) -> HttpResponse:
    """Organizers: the leaderboard dataset the campaign feeds, its exports, and a new one.

    A POST starts an export into MEDIA_ROOT/exports/<slug>/ in the background; the page shows
    its progress and then offers the zip.
    """
    if request.method == "POST":
        return _export_download(request, campaign)
    target = CampaignTarget.objects.select_related("dataset").filter(campaign=campaign).first()
    return render(
        request,
        "leaderboard/export.html",
        {
            "campaign": campaign,
            "target": target,
            # Which registry dataset an export becomes a version of is for staff to decide.
            "target_form": CampaignTargetForm(initial={"dataset": target and target.dataset_id})
            if request.user.is_staff
            else None,
            "include_choices": INCLUDE_CHOICES,
            "jobs": campaign_jobs(campaign=campaign, kind=Job.Kind.EXPORT, limit=3),
            "versions": LeaderboardDatasetVersion.objects.filter(campaign=campaign)
            .select_related("dataset", "created_by")
            .order_by("-created_at")[:20],
        },
    )


def _export_download(request: HttpRequest, campaign: Campaign) -> HttpResponse:
    include = request.POST.get("include", INCLUDE_CHOICES[0])
    if include not in INCLUDE_CHOICES:
        messages.error(
            request,
            _("include must be one of: %(choices)s") % {"choices": ", ".join(INCLUDE_CHOICES)},
        )
        return redirect("campaign_export", slug=campaign.slug)
    job = export_job_start(campaign=campaign, include=include, user=request.user)
    if not job.finished:
        # The export runs in the background; this page shows its progress, then the download.
        messages.success(request, _("The export has started; its progress is shown below."))
        return redirect("campaign_export", slug=campaign.slug)
    if job.status != Job.Status.SUCCEEDED:
        for message in job.messages:
            messages.error(request, message)
        return redirect("campaign_export", slug=campaign.slug)
    return _archive_response(job)


def _archive_response(job: Job) -> FileResponse:
    exports = (Path(settings.MEDIA_ROOT) / "exports").resolve()
    archive = (Path(settings.MEDIA_ROOT) / job.result.get("archive", "")).resolve()
    if not archive.is_relative_to(exports) or not archive.is_file():
        raise Http404
    return FileResponse(archive.open("rb"), as_attachment=True, filename=job.result["filename"])


@require_GET
@job_watcher_required
def job_result_download(request: HttpRequest, job: Job) -> HttpResponse:
    """Organizers of the job's campaign, its starter and staff: the archive an export wrote."""
    if job.kind != Job.Kind.EXPORT or job.status != Job.Status.SUCCEEDED:
        raise Http404
    return _archive_response(job)


@require_POST
@organizer_required
def campaign_export_target(request: HttpRequest, campaign: Campaign) -> HttpResponse:
    """Staff: choose the leaderboard dataset the campaign's exports become versions of."""
    if not request.user.is_staff:
        raise PermissionDenied
    form = CampaignTargetForm(request.POST)
    if form.is_valid():
        campaign_target_set(campaign=campaign, dataset=form.cleaned_data["dataset"])
        messages.success(request, _("Leaderboard dataset saved."))
    else:
        for error in form.errors.get("dataset", []):
            messages.error(request, error)
    return redirect("campaign_export", slug=campaign.slug)
