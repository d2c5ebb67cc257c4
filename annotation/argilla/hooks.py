"""The one call other writes make into the Argilla sync; cheap to import, does nothing when off."""

from __future__ import annotations

import logging

from django.conf import settings
from django.db import transaction

logger = logging.getLogger(__name__)


def campaign_is_linked(campaign) -> bool:
    """Say whether the campaign is to be kept in sync with Argilla."""
    return bool(
        settings.ARGILLA_API_URL
        and settings.ARGILLA_API_KEY
        and campaign.argilla_workspace
        and campaign.argilla_dataset
    )


def response_push_enqueue(*, response, campaign) -> None:
    """After the submit commits, have a worker send the answer to Argilla."""
    if response.origin != "web" or not campaign_is_linked(campaign):
        return
    from annotation.tasks import argilla_response_push_task

    response_id = response.pk

    def enqueue() -> None:
        try:
            argilla_response_push_task.delay(response_id)
        except Exception:
            # Embedded mode runs tasks in process: Argilla being down must not fail a submit.
            # The periodic reconciliation sends the answer later.
            logger.warning("could not send response %s to Argilla", response_id, exc_info=True)

    transaction.on_commit(enqueue)
