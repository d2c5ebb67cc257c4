"""Receive Argilla's webhook deliveries: verify, drop replays, apply the answer they carry."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from annotation.argilla import answers, gateway, sync, users
from annotation.argilla.models import (
    ArgillaAnswerDeletion,
    ArgillaDatasetLink,
    ArgillaWebhook,
    WebhookDelivery,
)
from annotation.models import Response
from campaigns.models import Record

logger = logging.getLogger(__name__)

# Standard Webhooks refuses timestamps more than five minutes off, so ids older than a day
# can never come back as a valid replay.
DELIVERY_KEEP = timedelta(days=1)


@dataclass(frozen=True)
class WebhookOutcome:
    status_code: int
    detail: str
    # An answer of ours that is newer than the one the delivery carried: send it to Argilla.
    push_response_id: int | None = None


def webhook_receive(*, body: bytes, headers: Mapping[str, str]) -> WebhookOutcome:
    """Verify one delivery and apply it once; a replayed or forged one changes nothing."""
    secrets = list(ArgillaWebhook.objects.order_by("-id").values_list("secret", flat=True))
    if settings.ARGILLA_WEBHOOK_SECRET:
        secrets.append(settings.ARGILLA_WEBHOOK_SECRET)
    try:
        payload = gateway.webhook_verify(body=body, headers=headers, secrets_=secrets)
    except gateway.WebhookRejected as exc:
        return WebhookOutcome(401, f"rejected: {exc}")
    except gateway.WebhookMalformed as exc:
        return WebhookOutcome(400, f"malformed: {exc}")
    try:
        event = gateway.event_parse(payload, schema_for=sync.schema_for_dataset())
    except gateway.WebhookMalformed as exc:
        # Signed, so Argilla sent it, but not in a shape Somos knows: nothing is written,
        # and the 400 tells Argilla's retries that the same body will not do better.
        return WebhookOutcome(400, f"malformed: {exc}")
    message_id = headers.get("webhook-id", "")[:100]
    with transaction.atomic():
        try:
            with transaction.atomic():
                delivery = WebhookDelivery.objects.create(
                    message_id=message_id,
                    event=str(payload.get("type", ""))[:40],
                    status=WebhookDelivery.Status.IGNORED,
                )
        except IntegrityError:
            return WebhookOutcome(409, "already received")
        # Anything unexpected rolls the delivery back too, so Argilla's retry is applied.
        status, detail, push_response_id = _event_apply(event)
        delivery.status, delivery.detail = status, detail[:500]
        delivery.save(update_fields=["status", "detail"])
    return WebhookOutcome(200, detail, push_response_id)


def _event_apply(event: gateway.ArgillaEvent | None) -> tuple[str, str, int | None]:
    if event is None:
        return WebhookDelivery.Status.IGNORED, "not about a Somos dataset", None
    link = ArgillaDatasetLink.objects.select_related("campaign").get(dataset_id=event.dataset_id)
    record = Record.objects.filter(campaign=link.campaign, external_id=event.external_id).first()
    if record is None:
        return WebhookDelivery.Status.IGNORED, f"no record {event.external_id}", None
    if event.type == "record.completed":
        return (*_record_completed(link=link, record=record, event=event), None)
    incoming = event.response
    user = users.somos_user_for(argilla_user_id=incoming.user_id, username=incoming.username)
    if event.type == "response.deleted":
        withdrawn = answers.argilla_answer_deleted(
            record=record, user=user, argilla_user_id=incoming.user_id, deleted_at=event.timestamp
        )
        return WebhookDelivery.Status.APPLIED, "withdrawn" if withdrawn else "kept", None
    result = answers.response_apply(record=record, user=user, incoming=incoming)
    if result.outcome == answers.Applied.PENDING:
        # Kept as a pending problem that the next pull tries again: no retry from Argilla.
        return WebhookDelivery.Status.PENDING, f"pending: {result.problem}", None
    push = None
    if result.outcome == answers.Applied.SOMOS_NEWER:
        push = Response.objects.values_list("pk", flat=True).get(record=record, user=user)
    detail = f"{result.outcome}: {result.warning}" if result.warning else result.outcome
    return WebhookDelivery.Status.APPLIED, detail, push


def _record_completed(*, link, record, event) -> tuple[str, str]:
    # The event carries no answers: fetch them, and catch any a lost delivery missed.
    schema = gateway.campaign_schema(campaign=link.campaign)
    item = gateway.record_get(record_id=event.record_id, schema=schema)
    if item is None:
        return WebhookDelivery.Status.IGNORED, "record gone"
    pulled = pending = 0
    for incoming in item.responses:
        user = users.somos_user_for(argilla_user_id=incoming.user_id)
        # An answer that cannot be applied is kept as a pending problem for the next pull.
        outcome = answers.response_apply(record=record, user=user, incoming=incoming).outcome
        pulled += outcome == answers.Applied.APPLIED
        pending += outcome == answers.Applied.PENDING
    return WebhookDelivery.Status.APPLIED, f"pulled {pulled}, pending {pending}"


def deliveries_prune() -> int:
    """Forget delivery ids, and deletions, too old to be replayed; return how many deliveries."""
    too_old = timezone.now() - DELIVERY_KEEP
    ArgillaAnswerDeletion.objects.filter(noted_at__lt=too_old).delete()
    deleted, _per_model = WebhookDelivery.objects.filter(received_at__lt=too_old).delete()
    return deleted
