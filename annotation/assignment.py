"""Which record a volunteer gets next, held by a short lease.

A record is offered while its submitted responses plus the unexpired leases of other
volunteers stay below the campaign's overlap, fewest responses first. On PostgreSQL the
candidate row is locked with FOR UPDATE SKIP LOCKED until the lease is written, and its
leases are counted again once the lock is held, so two volunteers asking at once never
take the same last slot; rows that others hold locked are waited for only when nothing
else is left. SQLite serialises every write transaction (IMMEDIATE mode), which gives the
same guarantee more slowly.
"""

from __future__ import annotations

from datetime import timedelta

from django.contrib.auth.models import AbstractBaseUser
from django.db import connection, transaction
from django.db.models import Count, Exists, F, IntegerField, OuterRef, Subquery, Value
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
        # One upsert instead of update_or_create's lock, savepoints and insert.
        Lease.objects.bulk_create(
            [Lease(record=record, user=user, expires_at=now + LEASE_DURATION)],
            update_conflicts=True,
            unique_fields=["record", "user"],
            update_fields=["expires_at"],
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
    held = Lease.objects.filter(
        user=user, expires_at__gt=now, record__campaign=campaign
    ).values_list("record_id", flat=True)
    drafts = Response.objects.filter(
        user=user, campaign=campaign, status=Response.Status.DRAFT
    ).values_list("record_id", flat=True)
    # The few ids first: as one query with the records, the planner walks the campaign's
    # records in id order looking for them, which grows with the campaign.
    ids = list(held.union(drafts))
    if not ids:
        return None
    answered = Response.objects.filter(
        record=OuterRef("pk"),
        user=user,
        status__in=[Response.Status.SUBMITTED, Response.Status.DISCARDED],
    )
    return (
        Record.objects.filter(pk__in=ids, campaign=campaign, submitted_count__lt=campaign.overlap)
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
    if connection.vendor != "postgresql":
        return candidates.first()
    passed: list[int] = []
    skipping = candidates.select_for_update(skip_locked=True, of=("self",))
    while True:
        with transaction.atomic():
            record = skipping.exclude(pk__in=passed).first()
            if record is not None and _has_room(record, campaign=campaign, user=user, now=now):
                return record
            # Rolling back the savepoint frees every row this attempt locked, so nothing
            # is held while waiting below and waiting volunteers cannot deadlock.
            transaction.set_rollback(True)
        if record is None:
            break
        passed.append(record.pk)
    # Only rows others hold locked are left, if any: wait for them one at a time, so that
    # "nothing left" never means a moment's lock near the end of a campaign.
    while (
        pk := candidates.exclude(pk__in=passed).values_list("pk", flat=True).first()
    ) is not None:
        with transaction.atomic():
            record = Record.objects.select_for_update().get(pk=pk)
            if _has_room(record, campaign=campaign, user=user, now=now):
                return record
            transaction.set_rollback(True)
        passed.append(pk)
    return None


def _has_room(record: Record, *, campaign: Campaign, user: AbstractBaseUser, now) -> bool:
    # The candidate query counted the leases of a snapshot taken before it won the row
    # lock, so a lease committed in between was invisible to it. The locked row is the
    # latest version, and a new statement sees every lease committed before the lock.
    others = Lease.objects.filter(record=record, expires_at__gt=now).exclude(user=user).count()
    return record.submitted_count + others < campaign.overlap
