"""Reads shared by dashboard pages, endpoints and consumers: counters only, never scans."""

from __future__ import annotations

from django.contrib.auth.models import AnonymousUser

from campaigns.models import Campaign
from dashboards.models import CampaignCounter


def campaign_progress_visible_to(*, slug: str, user: object) -> bool:
    """Say whether this user may watch the campaign's progress."""
    campaign = Campaign.objects.filter(slug=slug).only("id", "is_public").first()
    if campaign is None:
        return False
    if campaign.is_public:
        return True
    if user is None or isinstance(user, AnonymousUser) or not user.is_authenticated:
        return False
    return user.is_staff or campaign.organizers.filter(pk=user.pk).exists()


def campaign_progress(*, campaign: Campaign) -> dict:
    """Return the campaign's progress figures from its counter."""
    counter = CampaignCounter.objects.filter(campaign=campaign).first() or CampaignCounter(
        campaign=campaign
    )
    return {
        "records_total": counter.records_total,
        "records_completed": counter.records_completed,
        "records_validated": counter.records_validated,
        "records_disputed": counter.records_disputed,
        "responses_submitted": counter.responses_submitted,
        "contributors": counter.contributors,
        "percent_completed": counter.percent_completed,
    }
