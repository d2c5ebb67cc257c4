"""Public pages of the leaderboard dataset registry: every dataset, its versions, coverage."""

from __future__ import annotations

from django.db.models import Prefetch
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_GET

from campaigns.models import Campaign, LeaderboardDataset, LeaderboardDatasetVersion


def _versions() -> Prefetch:
    return Prefetch(
        "versions",
        queryset=LeaderboardDatasetVersion.objects.select_related("campaign").order_by("-number"),
    )


def _public_version(version: LeaderboardDatasetVersion) -> dict:
    """Return what anyone may see of a version: no server paths, no private campaigns."""
    campaign = version.campaign
    public = (
        campaign is not None and campaign.is_public and campaign.status != Campaign.Status.DRAFT
    )
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
    """Anyone: every leaderboard dataset with its latest version's coverage."""
    datasets = LeaderboardDataset.objects.prefetch_related(_versions()).order_by("name")
    rows = []
    for dataset in datasets:
        versions = list(dataset.versions.all())
        rows.append(
            {"dataset": dataset, "latest": _public_version(versions[0]) if versions else None}
        )
    return render(request, "campaigns/registry/index.html", {"rows": rows})


@require_GET
def leaderboard_dataset(request: HttpRequest, slug: str) -> HttpResponse:
    """Anyone: one leaderboard dataset and every version exported to it."""
    dataset = get_object_or_404(LeaderboardDataset.objects.prefetch_related(_versions()), slug=slug)
    versions = [_public_version(version) for version in dataset.versions.all()]
    return render(
        request,
        "campaigns/registry/dataset.html",
        {"dataset": dataset, "versions": versions, "latest": versions[0] if versions else None},
    )
