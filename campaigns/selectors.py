"""Reads that campaign pages share."""

from __future__ import annotations

from django.db.models import QuerySet

from campaigns.models import Campaign


def campaigns_for_home() -> QuerySet[Campaign]:
    """Active public campaigns with their counters, newest first."""
    return (
        Campaign.objects.filter(status=Campaign.Status.ACTIVE, is_public=True)
        .select_related("counter")
        .order_by("-launched_at", "-created_at")
    )


def campaign_visible_to(*, slug: str, user: object) -> Campaign | None:
    """Return the campaign if this user may see its page."""
    campaign = Campaign.objects.select_related("counter").filter(slug=slug).first()
    if campaign is None:
        return None
    if campaign.is_public and campaign.status != Campaign.Status.DRAFT:
        return campaign
    if getattr(user, "is_authenticated", False) and (
        user.is_staff or campaign.organizers.filter(pk=user.pk).exists()
    ):
        return campaign
    return None
