"""Live progress: tell a campaign's viewers that its numbers moved, a few messages a second."""

from __future__ import annotations

import logging
import threading

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.conf import settings
from django.core.cache import cache
from django.db import connection, transaction

from campaigns.models import Campaign
from dashboards.groups import campaign_progress_group
from dashboards.selectors import live_snapshot_refresh
from somos_site.cache import set_and_add

logger = logging.getLogger(__name__)

# A burst of submissions becomes at most one live message per window and campaign
# (settings.SOMOS_LIVE_WINDOW_S).


def progress_broadcast(*, campaign_id: int) -> None:
    """Tell the campaign's live viewers that its numbers moved, once the transaction commits."""
    transaction.on_commit(lambda: _broadcast_soon(campaign_id))


def _broadcast_soon(campaign_id: int) -> None:
    # Coalescing: every change marks the campaign dirty; whoever takes the flush lock sends
    # the then-current numbers a moment later, so a flood costs a few messages a second.
    try:
        if set_and_add(_dirty_key(campaign_id), 60, _lock_key(campaign_id), 10):
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
