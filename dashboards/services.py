"""Counter writes and live broadcasts."""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.contrib.auth.models import AbstractBaseUser
from django.core.cache import cache
from django.db import connection, transaction
from django.db.models import F
from django.db.models.functions import Coalesce, Greatest

from campaigns.models import Campaign
from dashboards.groups import campaign_progress_group
from dashboards.models import CampaignCounter, CampaignDay, ContributorCounter, ContributorDay
from dashboards.selectors import live_snapshot

logger = logging.getLogger(__name__)

# A burst of submissions becomes at most one live message per window and campaign.
BROADCAST_WINDOW_S = 0.2


def progress_broadcast(*, campaign: Campaign) -> None:
    """Tell the campaign's live viewers that its numbers moved, once the transaction commits."""
    transaction.on_commit(lambda: _broadcast_soon(campaign.pk))


def _broadcast_soon(campaign_id: int) -> None:
    # Coalescing: every change marks the campaign dirty; whoever takes the flush lock sends
    # the then-current numbers a moment later, so a flood costs a few messages a second.
    try:
        cache.set(_dirty_key(campaign_id), 1, timeout=60)
        if cache.add(_lock_key(campaign_id), 1, timeout=10):
            threading.Timer(BROADCAST_WINDOW_S, _flush, args=(campaign_id,)).start()
    except Exception:
        # Live updates are best effort (Redis may be down): the write has committed, and
        # viewers catch up on their next message or page load.
        logger.warning("progress broadcast not scheduled for %s", campaign_id, exc_info=True)


def _flush(campaign_id: int) -> None:
    try:
        cache.delete(_dirty_key(campaign_id))
        campaign = Campaign.objects.filter(pk=campaign_id).only("id", "slug").first()
        if campaign is not None:
            layer = get_channel_layer()
            async_to_sync(layer.group_send)(
                campaign_progress_group(campaign.slug),
                {"type": "progress.update", "progress": live_snapshot(campaign=campaign)},
            )
        cache.delete(_lock_key(campaign_id))
        # A change that committed while we were sending found the lock taken: send again.
        if cache.get(_dirty_key(campaign_id)) and cache.add(_lock_key(campaign_id), 1, timeout=10):
            threading.Timer(BROADCAST_WINDOW_S, _flush, args=(campaign_id,)).start()
    except Exception:
        logger.warning("progress broadcast failed for %s", campaign_id, exc_info=True)
        cache.delete(_lock_key(campaign_id))
    finally:
        # The timer thread opened its own connection; do not leave it behind.
        connection.close()


def _dirty_key(campaign_id: int) -> str:
    return f"somos:progress-dirty:{campaign_id}"


def _lock_key(campaign_id: int) -> str:
    return f"somos:progress-flush:{campaign_id}"


def contributor_counters_lock(*, campaign: Campaign, user_ids: Iterable[int]) -> None:
    """Create the users' counter rows in the campaign if missing, and lock them by user id."""
    users = sorted(set(user_ids))
    ContributorCounter.objects.bulk_create(
        [ContributorCounter(campaign=campaign, user_id=user) for user in users],
        ignore_conflicts=True,
    )
    list(
        ContributorCounter.objects.select_for_update()
        .filter(campaign=campaign, user_id__in=users)
        .order_by("user_id")
        .values_list("pk", flat=True)
    )


def contributor_counters_move(
    *,
    campaign: Campaign,
    user: AbstractBaseUser,
    newly_submitted: bool,
    corrections_delta: int,
    at,
) -> bool:
    """Move the volunteer's counter and daily row by one response's change; say if first.

    Called inside the response's transaction, after the record and response rows are locked
    and before campaign_counters_move.
    """
    if not (newly_submitted or corrections_delta):
        return False
    contributor, _created = ContributorCounter.objects.select_for_update().get_or_create(
        campaign=campaign, user=user
    )
    first_contribution = newly_submitted and contributor.submitted == 0
    submitted = int(newly_submitted)
    contributor_changes = {"corrections": Greatest(F("corrections") + corrections_delta, 0)}
    if newly_submitted:
        contributor_changes.update(
            submitted=F("submitted") + 1,
            last_submitted_at=at,
            first_submitted_at=Coalesce(F("first_submitted_at"), at),
        )
    ContributorCounter.objects.filter(pk=contributor.pk).update(**contributor_changes)
    day = at.date()
    day_changes = {
        "submitted": F("submitted") + submitted,
        "corrections": F("corrections") + corrections_delta,
    }
    if submitted:
        day_changes["last_submitted_at"] = at
    today = ContributorDay.objects.filter(campaign=campaign, user=user, day=day)
    # Most answers find the day's row there: one statement, and three only on the first.
    if not today.update(**day_changes):
        ContributorDay.objects.get_or_create(campaign=campaign, user=user, day=day)
        today.update(**day_changes)
    return first_contribution


def campaign_counters_move(
    *,
    campaign: Campaign,
    newly_submitted: bool,
    corrections_delta: int,
    record_completed: bool,
    first_contribution: bool,
    at,
) -> None:
    """Move the campaign's counter and daily row by one response's change.

    The last writes of the response's transaction: every submit of the campaign waits for
    these two rows, so they are held only from here to the commit, counter first.
    """
    if not (newly_submitted or corrections_delta or record_completed):
        return
    submitted = int(newly_submitted)
    CampaignCounter.objects.filter(campaign=campaign).update(
        responses_submitted=F("responses_submitted") + submitted,
        corrections=Greatest(F("corrections") + corrections_delta, 0),
        records_completed=F("records_completed") + int(record_completed),
        contributors=F("contributors") + int(first_contribution),
    )
    if not (submitted or corrections_delta):
        return
    changes = {
        "submitted": F("submitted") + submitted,
        "corrections": F("corrections") + corrections_delta,
    }
    today = CampaignDay.objects.filter(campaign=campaign, day=at.date())
    if not today.update(**changes):
        CampaignDay.objects.get_or_create(campaign=campaign, day=at.date())
        today.update(**changes)
