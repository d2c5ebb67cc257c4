"""Celery tasks: thin, by id, retry policy on the decorator. Schedules live in settings."""

from __future__ import annotations

from celery import shared_task

from annotation.argilla.answers import response_push
from annotation.argilla.gateway import ArgillaUnavailable
from annotation.argilla.sync import (
    CampaignNotActive,
    SyncAlreadyRunning,
    argilla_sync,
    linked_campaigns,
)
from annotation.argilla.webhooks import deliveries_prune
from campaigns.models import Campaign


@shared_task(
    autoretry_for=(ArgillaUnavailable,),
    retry_backoff=10,
    retry_backoff_max=600,
    retry_jitter=True,
    max_retries=10,
)
def argilla_sync_task(
    campaign_id: int, push: bool = True, pull: bool = True, trigger: str = "schedule"
) -> str:
    """Sync one campaign with Argilla; a retry resumes where the failed run stopped."""
    campaign = Campaign.objects.get(pk=campaign_id)
    try:
        run = argilla_sync(campaign=campaign, push=push, pull=pull, trigger=trigger)
    except SyncAlreadyRunning:
        return "already running"
    except CampaignNotActive:
        # Paused or closed between queueing and running: nothing to pull until it is active.
        return "not active"
    return run.status


@shared_task(autoretry_for=(ArgillaUnavailable,), retry_backoff=2, max_retries=5)
def argilla_response_push_task(response_id: int) -> str:
    """Send one answer given in Somos to Argilla."""
    return response_push(response_id=response_id)


@shared_task
def argilla_reconcile_all_task() -> int:
    """Queue a sync of every campaign linked to Argilla (the periodic catch-all)."""
    deliveries_prune()
    campaign_ids = list(linked_campaigns().values_list("pk", flat=True))
    for campaign_id in campaign_ids:
        argilla_sync_task.delay(campaign_id, trigger="schedule")
    return len(campaign_ids)
