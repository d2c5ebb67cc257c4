"""Which record a volunteer gets next, held by a short lease.

A record is offered while its submitted responses plus the unexpired leases of other
volunteers stay below the campaign's overlap: the most suspect translation first when the
campaign orders by triage (its default), then fewest responses first. On PostgreSQL the
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

from annotation import rows
from annotation.models import Lease, Response
from campaigns.models import Campaign, Record
from somos_site.statements import Statement, statements_run

LEASE_DURATION = timedelta(minutes=10)

# Who may open and answer a record (`record` in the statement): the volunteer who holds it or
# answered it. Records are handed out here, so nobody opens or answers someone else's slot.
HELD_OR_ANSWERED = """
    (EXISTS (SELECT 1 FROM annotation_lease lease
             WHERE lease.record_id = record.id AND lease.user_id = %(user)s)
     OR EXISTS (SELECT 1 FROM annotation_response answer
                WHERE answer.record_id = record.id AND answer.user_id = %(user)s))
"""


def next_record_for(*, campaign: Campaign, user: AbstractBaseUser) -> Record | None:
    """Return the record this volunteer should answer next, leased to them, or None.

    A record new to the volunteer comes back with `assigned_fresh = True`: they have no
    answer to it, not even a draft, so the page need not look for one.
    """
    now = timezone.now()
    record = _resumable(campaign=campaign, user=user, now=now)
    if record is not None:
        _lease_write(record_id=record.pk, user=user, now=now)
        return record
    if connection.vendor == "postgresql":
        record = _fresh_postgresql(campaign=campaign, user=user, now=now)
    else:
        with transaction.atomic():
            record = _fresh_candidates(campaign=campaign, user=user, now=now).first()
            if record is not None:
                _lease_write(record_id=record.pk, user=user, now=now)
    if record is not None:
        record.assigned_fresh = True
    return record


def lease_release_statement(*, record_id: int, user_id: int) -> Statement:
    """The statement that drops the volunteer's hold on the record, to run with others."""
    # Once per answer; a plain statement, since the ORM's delete first asks what cascades.
    return (
        "DELETE FROM annotation_lease WHERE record_id = %s AND user_id = %s",
        [record_id, user_id],
    )


def _lease_write(*, record_id: int, user: AbstractBaseUser, now) -> None:
    # One upsert instead of update_or_create's lock, savepoints and insert.
    Lease.objects.bulk_create(
        [Lease(record_id=record_id, user=user, expires_at=now + LEASE_DURATION)],
        update_conflicts=True,
        unique_fields=["record", "user"],
        update_fields=["expires_at"],
    )


# The volunteer's held or drafted records in the campaign: usually none, so one cheap
# statement. As one query with the records, the planner walks the campaign's records in
# id order looking for them, which grows with the campaign.
_RESUMABLE_IDS = """
    SELECT lease.record_id FROM annotation_lease lease
    JOIN campaigns_record record ON record.id = lease.record_id
    WHERE lease.user_id = %(user)s AND lease.expires_at > %(now)s
      AND record.campaign_id = %(campaign)s
    UNION
    SELECT record_id FROM annotation_response
    WHERE user_id = %(user)s AND campaign_id = %(campaign)s AND status = %(draft)s
"""


def _resumable(*, campaign: Campaign, user: AbstractBaseUser, now) -> Record | None:
    # A record the volunteer holds or left as a draft comes back first, while it still
    # needs answers, so a reload or a return shows the same record.
    with connection.cursor() as cursor:
        cursor.execute(
            _RESUMABLE_IDS,
            {"user": user.pk, "now": now, "campaign": campaign.pk, "draft": Response.Status.DRAFT},
        )
        ids = [row[0] for row in cursor.fetchall()]
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


def _fresh_candidates(*, campaign: Campaign, user: AbstractBaseUser, now):
    return (
        Record.objects.filter(campaign=campaign, submitted_count__lt=campaign.overlap)
        .exclude(Exists(Response.objects.filter(record=OuterRef("pk"), user=user)))
        .alias(held=_others_leases(user, now))
        .filter(submitted_count__lt=campaign.overlap - F("held"))
        .order_by(*_offer_order(campaign))
    )


def _offer_order(campaign: Campaign) -> tuple[str, ...]:
    # Fewest answers first, so records complete; with triage, the most suspect translation
    # first, answered up to its overlap before the next (campaigns.triage).
    if campaign.triage_first:
        return ("-suspicion", "submitted_count", "id")
    return ("submitted_count", "id")


# _fresh_candidates as one statement, taking the row lock and skipping rows others hold
# locked. Written out because it runs on every next record: building it through the ORM
# cost more CPU than PostgreSQL spends answering it.
_FRESH_LOCKED_BY = f"""
    SELECT {rows.columns(Record, "record")} FROM campaigns_record record
    WHERE record.campaign_id = %(campaign)s AND record.submitted_count < %(overlap)s
      AND NOT (record.id = ANY(%(passed)s)) {{suspect}}
      AND NOT EXISTS (
          SELECT 1 FROM annotation_response answer
          WHERE answer.record_id = record.id AND answer.user_id = %(user)s)
      AND record.submitted_count + (
          SELECT count(*) FROM annotation_lease lease
          WHERE lease.record_id = record.id AND lease.expires_at > %(now)s
            AND lease.user_id <> %(user)s) < %(overlap)s
    ORDER BY {{order}}
    LIMIT 1
    FOR UPDATE OF record SKIP LOCKED
"""  # noqa: S608 (model columns)
_FRESH_IN_ID_ORDER = _FRESH_LOCKED_BY.format(suspect="", order="record.submitted_count, record.id")
# The suspect records first, through the small partial index that holds only them
# (record_suspect_idx), so that imports do not maintain an index over every record.
_FRESH_SUSPECT = _FRESH_LOCKED_BY.format(
    suspect="AND record.suspicion > 0",
    order="record.suspicion DESC, record.submitted_count, record.id",
)
_FRESH_STATEMENTS = {True: (_FRESH_SUSPECT, _FRESH_IN_ID_ORDER), False: (_FRESH_IN_ID_ORDER,)}

# The lease, written only if the locked record still has room. The candidate statement
# counted leases in a snapshot taken before it won the row lock, so a lease committed in
# between was invisible to it; this new statement sees every lease committed before the
# lock, and the locked row's current count.
_LEASE_IF_ROOM = """
    INSERT INTO annotation_lease (record_id, user_id, expires_at)
    SELECT %(record)s, %(user)s, %(expires)s
    WHERE (SELECT submitted_count FROM campaigns_record WHERE id = %(record)s) + (
          SELECT count(*) FROM annotation_lease
          WHERE record_id = %(record)s AND expires_at > %(now)s AND user_id <> %(user)s
    ) < %(overlap)s
    ON CONFLICT (record_id, user_id) DO UPDATE SET expires_at = EXCLUDED.expires_at
    RETURNING record_id
"""


def _fresh_postgresql(*, campaign: Campaign, user: AbstractBaseUser, now) -> Record | None:
    passed: list[int] = []
    for statement in _FRESH_STATEMENTS[campaign.triage_first and campaign.suspect_records > 0]:
        while True:
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute(
                    statement,
                    {
                        "campaign": campaign.pk,
                        "overlap": campaign.overlap,
                        "passed": passed,
                        "user": user.pk,
                        "now": now,
                    },
                )
                found = cursor.fetchone()
                record = rows.instance_from(Record, "record", found) if found else None
                if record is not None and _lease_if_room(
                    record, campaign=campaign, user=user, now=now
                ):
                    return record
                # Each attempt is its own transaction: rolling it back frees every row it
                # locked, so nothing is held while waiting below and waiting volunteers
                # cannot deadlock.
                transaction.set_rollback(True)
            if record is None:
                break
            passed.append(record.pk)
    # Only rows others hold locked are left, if any: wait for them one at a time, so that
    # "nothing left" never means a moment's lock near the end of a campaign.
    candidates = _fresh_candidates(campaign=campaign, user=user, now=now)
    while (
        pk := candidates.exclude(pk__in=passed).values_list("pk", flat=True).first()
    ) is not None:
        with transaction.atomic():
            record = Record.objects.select_for_update().get(pk=pk)
            if _lease_if_room(record, campaign=campaign, user=user, now=now):
                return record
            transaction.set_rollback(True)
        passed.append(pk)
    return None


def next_record_lease_try(*, campaign: Campaign, user: AbstractBaseUser, now) -> Record | None:
    """Lease the volunteer a fresh record inside the caller's transaction, without waiting.

    For the answer path: the transaction that saves an answer also leases the next record,
    sparing a transaction of its own. It never waits for a row (SKIP LOCKED), so the locks it
    adds cannot close a cycle with the caller's. None when the volunteer has a record to
    resume, when the first candidate has no room left, or outside PostgreSQL: the caller then
    asks next_record_for after its commit, which handles every case.
    """
    if connection.vendor != "postgresql":
        return None
    statements = _FRESH_STATEMENTS[campaign.triage_first and campaign.suspect_records > 0]
    params = {
        "campaign": campaign.pk,
        "overlap": campaign.overlap,
        "passed": [],
        "user": user.pk,
        "now": now,
        "draft": Response.Status.DRAFT,
    }
    with connection.cursor() as cursor:
        resumable, fresh = statements_run(
            cursor, [(_RESUMABLE_IDS, params), (statements[0], params)]
        )
        if not resumable and not fresh and len(statements) > 1:
            # No suspect record free right now: the others, in id order.
            cursor.execute(statements[1], params)
            fresh = cursor.fetchall()
    if resumable or not fresh:
        return None
    record = rows.instance_from(Record, "record", fresh[0])
    if not _lease_if_room(record, campaign=campaign, user=user, now=now):
        return None
    record.assigned_fresh = True
    return record


def _lease_if_room(record: Record, *, campaign: Campaign, user: AbstractBaseUser, now) -> bool:
    with connection.cursor() as cursor:
        cursor.execute(
            _LEASE_IF_ROOM,
            {
                "record": record.pk,
                "user": user.pk,
                "expires": now + LEASE_DURATION,
                "now": now,
                "overlap": campaign.overlap,
            },
        )
        return cursor.fetchone() is not None
