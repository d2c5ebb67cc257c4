"""Move the daily counters back when an answer stops counting (withdrawn, or merged away).

The dashboards' services only ever add answers; the Argilla sync is the one place where an
answer can stop counting, so the few reverse moves it needs live here, next to their callers.
"""

from __future__ import annotations

from datetime import datetime

from django.db.models import F
from django.db.models.functions import Greatest

from dashboards.models import CampaignDay, ContributorDay


def days_unsubmit(*, campaign_id: int, user_id: int, at: datetime | None, corrections: int) -> None:
    """Take one answer submitted at `at` out of the day rows of the campaign and the person."""
    if at is None:
        return
    changes = {
        "submitted": Greatest(F("submitted") - 1, 0),
        "corrections": F("corrections") - corrections,
    }
    ContributorDay.objects.filter(campaign_id=campaign_id, user_id=user_id, day=at.date()).update(
        **changes
    )
    CampaignDay.objects.filter(campaign_id=campaign_id, day=at.date()).update(**changes)


def days_move(*, campaign_id: int, from_user_id: int, to_user_id: int) -> None:
    """Add one person's day rows in a campaign to another's, and drop the first person's."""
    for row in ContributorDay.objects.filter(campaign_id=campaign_id, user_id=from_user_id):
        target, _created = ContributorDay.objects.get_or_create(
            campaign_id=campaign_id, user_id=to_user_id, day=row.day
        )
        target.submitted += row.submitted
        target.corrections += row.corrections
        if row.last_submitted_at and (
            target.last_submitted_at is None or row.last_submitted_at > target.last_submitted_at
        ):
            target.last_submitted_at = row.last_submitted_at
        target.save(update_fields=["submitted", "corrections", "last_submitted_at"])
        row.delete()
