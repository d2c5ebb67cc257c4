"""Reads that campaign pages share."""

from __future__ import annotations

from django.db.models import QuerySet

from campaigns.importers.presets import preset_get
from campaigns.models import Campaign, Question
from somos_site.cache import (
    local_first_forget,
    local_first_get,
    local_first_set,
    model_from_row,
    model_row,
)


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


def campaigns_organized_by(*, user) -> QuerySet[Campaign]:
    """Campaigns this user organizes (every campaign for staff), newest first."""
    campaigns = Campaign.objects.select_related("counter")
    if not user.is_staff:
        campaigns = campaigns.filter(organizers=user)
    return campaigns.order_by("-created_at")


def records_preview(*, campaign: Campaign, limit: int) -> list[dict]:
    """The campaign's first records with each piece's human label, as volunteers see them."""
    preset = preset_get(campaign.preset)
    return [
        {
            "external_id": record.external_id,
            "pieces": [
                {**piece, "label": preset.piece_label(piece["name"])} for piece in record.fields
            ],
        }
        for record in campaign.records.order_by("id")[:limit]
    ]


def _questions_key(campaign_id: int) -> str:
    return f"somos:questions:{campaign_id}"


def active_campaign(slug: str) -> Campaign | None:
    """The active campaign with this slug; every annotate request asks, so cached briefly.

    A status change in another process reaches here within LOCAL_SECONDS; the answer
    itself is safe meanwhile, since the response's transaction reads the status again.
    """
    key = _campaign_key(slug)
    values = local_first_get(key)
    if values is None:
        found = Campaign.objects.filter(slug=slug).first()
        values = model_row(found) if found else False
        local_first_set(key, values, 60)
    if not values:
        return None
    # A new instance per request: related objects it caches must not outlive the request.
    campaign = model_from_row(Campaign, values)
    return campaign if campaign.status == Campaign.Status.ACTIVE else None


def campaign_forget(*, slug: str) -> None:
    """Drop the cached campaign after it changes."""
    local_first_forget(_campaign_key(slug))


def _campaign_key(slug: str) -> str:
    return f"somos:campaign:{slug}"


def campaign_questions(campaign: Campaign) -> list[Question]:
    """The campaign's questions in order; every annotate request reads them, so cached."""
    questions = local_first_get(_questions_key(campaign.pk))
    if questions is None:
        questions = list(campaign.questions.all())
        local_first_set(_questions_key(campaign.pk), questions, 600)
    return questions


def campaign_questions_forget(*, campaign_id: int) -> None:
    """Drop the cached questions after they change."""
    local_first_forget(_questions_key(campaign_id))
