"""Counter writes and live broadcasts."""

from __future__ import annotations

import logging

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.db.models import F
from django.db.models.functions import Coalesce

from campaigns.models import Campaign
from dashboards.groups import campaign_progress_group
from dashboards.models import CampaignCounter, ContributorCounter
from dashboards.selectors import campaign_progress

logger = logging.getLogger(__name__)


def progress_broadcast(*, campaign: Campaign) -> None:
    """Send the campaign's progress to its live viewers once the transaction commits."""

    def send() -> None:
        layer = get_channel_layer()
        if layer is None:
            return
        try:
            async_to_sync(layer.group_send)(
                campaign_progress_group(campaign.slug),
                {"type": "progress.update", "progress": campaign_progress(campaign=campaign)},
            )
        except Exception:
            # Live updates are best effort: the write has committed, and viewers
            # catch up on their next message or page load.
            logger.warning("progress broadcast failed for %s", campaign.slug, exc_info=True)

    transaction.on_commit(send)


def counters_apply_response_change(
    *,
    campaign: Campaign,
    user: AbstractBaseUser,
    newly_submitted: bool,
    corrections_delta: int,
    record_completed: bool,
    at,
) -> None:
    """Move the campaign and contributor counters by one response's change.

    Called inside the response's transaction, after the record and response rows are locked.
    """
    if not (newly_submitted or corrections_delta or record_completed):
        return
    ContributorCounter.objects.get_or_create(campaign=campaign, user=user)
    contributor = ContributorCounter.objects.select_for_update().get(campaign=campaign, user=user)
    first_contribution = newly_submitted and contributor.submitted == 0
    contributor_changes = {"corrections": F("corrections") + corrections_delta}
    if newly_submitted:
        contributor_changes.update(
            submitted=F("submitted") + 1,
            last_submitted_at=at,
            first_submitted_at=Coalesce(F("first_submitted_at"), at),
        )
    ContributorCounter.objects.filter(pk=contributor.pk).update(**contributor_changes)
    CampaignCounter.objects.filter(campaign=campaign).update(
        responses_submitted=F("responses_submitted") + int(newly_submitted),
        corrections=F("corrections") + corrections_delta,
        records_completed=F("records_completed") + int(record_completed),
        contributors=F("contributors") + int(first_contribution),
    )
