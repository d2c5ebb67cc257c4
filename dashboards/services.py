"""Counter writes and live broadcasts."""

from __future__ import annotations

import logging

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction

from campaigns.models import Campaign
from dashboards.groups import campaign_progress_group
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
