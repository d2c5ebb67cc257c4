"""Counter writes and live broadcasts."""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.cache import cache
from django.db import connection, transaction

from campaigns.models import Campaign
from dashboards.groups import campaign_progress_group
from dashboards.models import ContributorCounter
from dashboards.selectors import live_snapshot_refresh

logger = logging.getLogger(__name__)

# A burst of submissions becomes at most one live message per window and campaign
# (settings.SOMOS_LIVE_WINDOW_S).


def progress_broadcast(*, campaign: Campaign) -> None:
    """Tell the campaign's live viewers that its numbers moved, once the transaction commits."""
    transaction.on_commit(lambda: _broadcast_soon(campaign.pk))


def _broadcast_soon(campaign_id: int) -> None:
    # Coalescing: every change marks the campaign dirty; whoever takes the flush lock sends
    # the then-current numbers a moment later, so a flood costs a few messages a second.
    try:
        cache.set(_dirty_key(campaign_id), 1, timeout=60)
        if cache.add(_lock_key(campaign_id), 1, timeout=10):
            _flush_later(campaign_id)
    except Exception:
        # Live updates are best effort (Redis may be down): the write has committed, and
        # viewers catch up on their next message or page load.
        logger.warning("progress broadcast not scheduled for %s", campaign_id, exc_info=True)


def _flush(campaign_id: int) -> None:
    try:
        cache.delete(_dirty_key(campaign_id))
        campaign = Campaign.objects.filter(pk=campaign_id).only("id", "slug").first()
        if campaign is not None:
            # Viewers who join next start from what is sent now.
            snapshot = live_snapshot_refresh(campaign=campaign)
            layer = get_channel_layer()
            async_to_sync(layer.group_send)(
                campaign_progress_group(campaign.slug),
                {
                    "type": "progress.update",
                    # Serialised once here rather than once per viewer in the consumers.
                    "progress_json": snapshot,
                },
            )
        cache.delete(_lock_key(campaign_id))
        # A change that committed while we were sending found the lock taken: send again.
        if cache.get(_dirty_key(campaign_id)) and cache.add(_lock_key(campaign_id), 1, timeout=10):
            _flush_later(campaign_id)
    except Exception:
        logger.warning("progress broadcast failed for %s", campaign_id, exc_info=True)
        cache.delete(_lock_key(campaign_id))
    finally:
        # The timer thread opened its own connection; do not leave it behind.
        connection.close()


def _flush_later(campaign_id: int) -> None:
    timer = threading.Timer(settings.SOMOS_LIVE_WINDOW_S, _flush, args=(campaign_id,))
    # A pending broadcast never keeps a stopping process alive.
    timer.daemon = True
    timer.start()


def _dirty_key(campaign_id: int) -> str:
    return f"somos:progress-dirty:{campaign_id}"


def _lock_key(campaign_id: int) -> str:
    return f"somos:progress-flush:{campaign_id}"


def contributor_counters_lock(*, campaign_id: int, user_ids: Iterable[int]) -> None:
    """Create the users' counter rows in the campaign if missing, and lock them by user id."""
    users = sorted(set(user_ids))
    ContributorCounter.objects.bulk_create(
        [ContributorCounter(campaign_id=campaign_id, user_id=user) for user in users],
        ignore_conflicts=True,
    )
    list(
        ContributorCounter.objects.select_for_update()
        .filter(campaign_id=campaign_id, user_id__in=users)
        .order_by("user_id")
        .values_list("pk", flat=True)
    )


# Both upserts run once per answer: one statement each, portable to SQLite (3.35+), and
# written out because the ORM's get_or_create-then-update took three statements and more
# CPU than the database spends on them.
_CONTRIBUTOR_MOVE = """
    INSERT INTO dashboards_contributorcounter AS counter (
        campaign_id, user_id, submitted, corrections, agreements, agreement_checks,
        first_submitted_at, last_submitted_at)
    VALUES (%(campaign)s, %(user)s, %(submitted)s,
            CASE WHEN %(corrections)s < 0 THEN 0 ELSE %(corrections)s END, 0, 0,
            %(submitted_at)s, %(submitted_at)s)
    ON CONFLICT (campaign_id, user_id) DO UPDATE SET
        submitted = counter.submitted + %(submitted)s,
        corrections = CASE WHEN counter.corrections + %(corrections)s < 0 THEN 0
                           ELSE counter.corrections + %(corrections)s END,
        first_submitted_at = COALESCE(counter.first_submitted_at, %(submitted_at)s),
        last_submitted_at = COALESCE(%(submitted_at)s, counter.last_submitted_at)
    RETURNING submitted
"""

_CONTRIBUTOR_DAY_MOVE = """
    INSERT INTO dashboards_contributorday AS today (
        campaign_id, user_id, day, submitted, corrections, last_submitted_at)
    VALUES (%(campaign)s, %(user)s, %(day)s, %(submitted)s, %(corrections)s, %(submitted_at)s)
    ON CONFLICT (campaign_id, user_id, day) DO UPDATE SET
        submitted = today.submitted + %(submitted)s,
        corrections = today.corrections + %(corrections)s,
        last_submitted_at = COALESCE(%(submitted_at)s, today.last_submitted_at)
"""

_CAMPAIGN_MOVE = """
    UPDATE dashboards_campaigncounter SET
        responses_submitted = responses_submitted + %(submitted)s,
        corrections = CASE WHEN corrections + %(corrections)s < 0 THEN 0
                           ELSE corrections + %(corrections)s END,
        records_completed = records_completed + %(completed)s,
        contributors = contributors + %(contributors)s,
        updated_at = %(at)s
    WHERE campaign_id = %(campaign)s
"""

_CAMPAIGN_DAY_MOVE = """
    INSERT INTO dashboards_campaignday AS today (campaign_id, day, submitted, corrections)
    VALUES (%(campaign)s, %(day)s, %(submitted)s, %(corrections)s)
    ON CONFLICT (campaign_id, day) DO UPDATE SET
        submitted = today.submitted + %(submitted)s,
        corrections = today.corrections + %(corrections)s
"""


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
    params = {
        "campaign": campaign.pk,
        "user": user.pk,
        "day": at.date(),
        "submitted": int(newly_submitted),
        "corrections": corrections_delta,
        "submitted_at": at if newly_submitted else None,
    }
    with connection.cursor() as cursor:
        cursor.execute(_CONTRIBUTOR_MOVE, params)
        (submitted,) = cursor.fetchone()
        cursor.execute(_CONTRIBUTOR_DAY_MOVE, params)
    return newly_submitted and submitted == 1


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
    with connection.cursor() as cursor:
        cursor.execute(
            _CAMPAIGN_MOVE,
            {
                "campaign": campaign.pk,
                "submitted": submitted,
                "corrections": corrections_delta,
                "completed": int(record_completed),
                "contributors": int(first_contribution),
                "at": at,
            },
        )
    if not (submitted or corrections_delta):
        return
    with connection.cursor() as cursor:
        cursor.execute(
            _CAMPAIGN_DAY_MOVE,
            {
                "campaign": campaign.pk,
                "day": at.date(),
                "submitted": submitted,
                "corrections": corrections_delta,
            },
        )
