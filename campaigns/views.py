from __future__ import annotations

from django.db.models import Sum
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from campaigns.selectors import campaign_visible_to, campaigns_for_home
from dashboards.models import CampaignCounter
from dashboards.selectors import campaign_progress


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    """Anyone: the active campaigns with their progress."""
    campaigns = list(campaigns_for_home())
    totals = CampaignCounter.objects.filter(campaign__in=campaigns).aggregate(
        records=Sum("records_total"),
        completed=Sum("records_completed"),
        responses=Sum("responses_submitted"),
    )
    return render(request, "campaigns/home.html", {"campaigns": campaigns, "totals": totals})


@require_GET
def campaign_detail(request: HttpRequest, slug: str) -> HttpResponse:
    """Anyone for public campaigns; organizers and staff for the rest."""
    campaign = campaign_visible_to(slug=slug, user=request.user)
    if campaign is None:
        raise Http404
    return render(
        request,
        "campaigns/detail.html",
        {"campaign": campaign, "progress": campaign_progress(campaign=campaign)},
    )
