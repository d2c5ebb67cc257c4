"""Which record a volunteer gets next, held by a short lease.

A record is offered while its submitted responses plus the unexpired leases of other
volunteers stay below the campaign's overlap, fewest responses first. On PostgreSQL the
candidate row is locked with FOR UPDATE SKIP LOCKED until the lease is written, so two
volunteers asking at once never take the same last slot; SQLite serialises every write
transaction (IMMEDIATE mode), which gives the same guarantee more slowly.
"""

from __future__ import annotations

from datetime import timedelta

from django.contrib.auth.models import AbstractBaseUser
from django.db import connection, transaction
from django.db.models import Count, Exists, F, IntegerField, OuterRef, Q, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from annotation.models import Lease, Response
from campaigns.models import Campaign, Record

LEASE_DURATION = timedelta(minutes=10)


@transaction.atomic
def next_record_for(*, campaign: Campaign, user: AbstractBaseUser) -> Record | None:
    """Return the record this volunteer should answer next, leased to them, or None."""
    now = timezone.now()
    record = _resumable(campaign=campaign, user=user, now=now) or _fresh(
        campaign=campaign, user=user, now=now
    )
    if record is not None:
        Lease.objects.update_or_create(
            record=record, user=user, defaults={"expires_at": now + LEASE_DURATION}
        )
    return record


def lease_release(*, record: Record, user: AbstractBaseUser) -> None:
    """Drop the volunteer's hold on the record."""
    Lease.objects.filter(record=record, user=user).delete()


def _others_leases(user: AbstractBaseUser, now) -> Subquery:
    leases = (
        Lease.objects.filter(record=OuterRef("pk"), expires_at__gt=now)
        .exclude(user=user)
        .order_by()
        .values("record")
        .annotate(held=Count("pk"))
        .values("held")
    )
    return Coalesce(Subquery(leases, output_field=IntegerField()), Value(0))


def _resumable(*, campaign: Campaign, user: AbstractBaseUser, now) -> Record | None:
    # A record the volunteer holds or left as a draft comes back first, while it still
    # needs answers, so a reload or a return shows the same record.
    held = Lease.objects.filter(user=user, expires_at__gt=now, record__campaign=campaign).values(
        "record"
    )
    drafts = Response.objects.filter(
        user=user, campaign=campaign, status=Response.Status.DRAFT
    ).values("record")
    answered = Response.objects.filter(
        record=OuterRef("pk"),
        user=user,
        status__in=[Response.Status.SUBMITTED, Response.Status.DISCARDED],
    )
    return (
        Record.objects.filter(campaign=campaign, submitted_count__lt=campaign.overlap)
        .filter(Q(pk__in=held) | Q(pk__in=drafts))
        .exclude(Exists(answered))
        .order_by("id")
        .first()
    )


def _fresh(*, campaign: Campaign, user: AbstractBaseUser, now) -> Record | None:
    candidates = (
        Record.objects.filter(campaign=campaign, submitted_count__lt=campaign.overlap)
        .exclude(Exists(Response.objects.filter(record=OuterRef("pk"), user=user)))
        .alias(held=_others_leases(user, now))
        .filter(submitted_count__lt=campaign.overlap - F("held"))
        .order_by("submitted_count", "id")
    )
    if connection.vendor == "postgresql":
        candidates = candidates.select_for_update(skip_locked=True, of=("self",))
    return candidates.first()
