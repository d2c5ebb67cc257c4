"""One answer at a time: bring an Argilla answer in, take a deleted one back, send ours out."""

from __future__ import annotations

from datetime import datetime

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction

from annotation.argilla import gateway, users
from annotation.argilla.models import ArgillaDatasetLink, ArgillaResponseSeen
from annotation.models import Response
from annotation.services import (
    AnnotationClosed,
    campaign_join,
    response_skip,
    response_submit,
    response_withdraw,
)
from campaigns.models import Record

SYNCED_STATUSES = (Response.Status.SUBMITTED, Response.Status.DISCARDED)


class Applied:
    """What happened to an Argilla answer brought to Somos."""

    APPLIED = "applied"
    SAME = "same"
    SOMOS_NEWER = "somos_newer"
    IGNORED = "ignored"


def response_apply(
    *, record: Record, user: AbstractBaseUser, incoming: gateway.ArgillaResponse
) -> str:
    """Bring an Argilla answer into Somos unless the Somos one is newer; say what happened."""
    if incoming.status not in SYNCED_STATUSES:
        # Argilla drafts are private work in progress, like drafts here.
        return Applied.IGNORED
    with transaction.atomic():
        # Same lock order as a submit: the record, then the response.
        record = Record.objects.select_for_update().select_related("campaign").get(pk=record.pk)
        existing = Response.objects.select_for_update().filter(record=record, user=user).first()
        if existing is not None and existing.status != Response.Status.DRAFT:
            if existing.status == incoming.status and existing.values == incoming.values:
                _seen(existing, incoming.updated_at)
                return Applied.SAME
            if existing.origin == Response.Origin.ARGILLA:
                seen = ArgillaResponseSeen.objects.filter(response=existing).first()
                if seen is not None and seen.argilla_updated_at >= incoming.updated_at:
                    return Applied.SAME  # a late copy of an older Argilla version
            elif existing.updated_at >= incoming.updated_at:
                return Applied.SOMOS_NEWER
        try:
            campaign_join(campaign=record.campaign, user=user)
            if incoming.status == Response.Status.SUBMITTED:
                outcome = response_submit(
                    record=record, user=user, values=incoming.values, origin=Response.Origin.ARGILLA
                )
            else:
                outcome = response_skip(record=record, user=user, origin=Response.Origin.ARGILLA)
        except AnnotationClosed:
            return Applied.IGNORED
        if outcome.response.origin == Response.Origin.ARGILLA:
            _seen(outcome.response, incoming.updated_at)
    if not outcome.changed and outcome.response.status != incoming.status:
        # A submitted answer here is not undone by a discard there: send ours back.
        return Applied.SOMOS_NEWER
    return Applied.APPLIED if outcome.changed else Applied.SAME


def _seen(response: Response, at: datetime) -> None:
    if response.origin == Response.Origin.ARGILLA:
        ArgillaResponseSeen.objects.update_or_create(
            response=response, defaults={"argilla_updated_at": at}
        )


@transaction.atomic
def argilla_response_withdraw(
    *,
    record: Record,
    user: AbstractBaseUser,
    deleted_at: datetime | None = None,
    listed_at: datetime | None = None,
) -> bool:
    """Take back an answer that came from Argilla and was deleted there; keep it as a revision.

    The answer becomes a draft with the same values (annotation.services.response_withdraw),
    so the volunteer can send it again. Left alone: an answer given here, one whose Argilla
    version is newer than `deleted_at` (Argilla's clock, from a webhook), or one changed here
    after `listed_at` (ours, from a reconciliation page read before that change).
    """
    # Same lock order as a submit: the record, then the response.
    record = Record.objects.select_for_update(of=("self",)).get(pk=record.pk)
    response = Response.objects.select_for_update().filter(record=record, user=user).first()
    if (
        response is None
        or response.origin != Response.Origin.ARGILLA
        or response.status == Response.Status.DRAFT
    ):
        return False
    if deleted_at is not None:
        seen = ArgillaResponseSeen.objects.filter(response=response).first()
        version_at = seen.argilla_updated_at if seen else response.updated_at
        if version_at > deleted_at:
            return False
    if listed_at is not None and response.updated_at > listed_at:
        return False
    return response_withdraw(record=record, user=user)


def response_push(*, response_id: int) -> str:
    """Send an answer given in Somos to Argilla as its author's, unless Argilla's is newer."""
    response = Response.objects.select_related("record", "campaign", "user").get(pk=response_id)
    record, campaign = response.record, response.campaign
    link = ArgillaDatasetLink.objects.filter(campaign=campaign).first()
    if (
        response.status not in SYNCED_STATUSES
        or link is None
        or link.dataset_id is None
        or record.argilla_id is None
    ):
        # Not in Argilla yet: the next run pushes the record, then this answer.
        return "later"
    schema = gateway.campaign_schema(campaign=campaign)
    argilla_user = users.argilla_user_for(user=response.user, workspace_id=link.workspace_id)
    current = gateway.record_get(record_id=record.argilla_id, schema=schema)
    if current is None:
        return "later"
    theirs = next((r for r in current.responses if r.user_id == argilla_user), None)
    if theirs is not None and theirs.status in SYNCED_STATUSES:
        if theirs.status == response.status and theirs.values == response.values:
            return "same"
        if theirs.updated_at > response.updated_at:
            response_apply(record=record, user=response.user, incoming=theirs)
            return "pulled"
    gateway.responses_upsert(
        dataset_id=link.dataset_id,
        schema=schema,
        writes=[
            gateway.ResponseWrite(record.argilla_id, argilla_user, response.status, response.values)
        ],
    )
    return "pushed"
