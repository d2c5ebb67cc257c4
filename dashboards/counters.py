"""Every write to the counters: submits, edits, withdrawals, consensus, claims, imports, audits.

Dashboards read these rows and never scan answers, so each counter must move in the same
transaction as the change it counts. Whoever changes an answer (annotation's services, the
Argilla sync through them, consensus, a placeholder's claim, the audit) calls this module and
nothing else writes a counter.

Lock order, the same in every transaction that changes answers, so that none deadlock:
1. the record rows, by id (annotation.services);
2. the response rows (annotation.services);
3. the contributor counters of the campaign, by user id (`contributors_lock`, or the single
   upsert of `contributor_answer_move`);
4. the campaign counter, then its day row: `campaign_answer_move` and `consensus_move` come
   last, because every answer of the campaign waits for these two rows until the commit.

After a change to a campaign's figures commits, its live viewers are told (dashboards.live).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sized
from dataclasses import dataclass
from datetime import date, datetime

from django.db import connection
from django.db.models import F
from django.db.models.functions import Greatest
from django.utils import timezone

from dashboards.live import progress_broadcast
from dashboards.models import CampaignCounter, CampaignDay, ContributorCounter, ContributorDay
from somos_site.statements import Statement, statements_run


@dataclass(frozen=True)
class AnswerChange:
    """How one answer's change moves the counts.

    submitted: +1 when the answer starts counting, -1 when it stops (withdrawn).
    corrections: the change in how many pieces it corrects.
    completed: +1 when its record reaches the campaign's overlap, -1 when it falls below.
    at: when the change happens (a new count's time).
    day: the day row it moves: today for a new count or an edit, the day it first counted
         for a withdrawal.
    """

    submitted: int = 0
    corrections: int = 0
    completed: int = 0
    at: datetime | None = None
    day: date | None = None

    def moves_contributor(self) -> bool:
        return bool(self.submitted or self.corrections)

    def moves_campaign(self) -> bool:
        return bool(self.submitted or self.corrections or self.completed)


def campaign_counter_create(*, campaign_id: int) -> None:
    """Give a new campaign its counter row (at zero)."""
    CampaignCounter.objects.get_or_create(campaign_id=campaign_id)


def records_total_set(*, campaign_id: int, total: int) -> None:
    """Count the campaign's records after an import (inside the import's transaction)."""
    updated = CampaignCounter.objects.filter(campaign_id=campaign_id).update(
        records_total=total, updated_at=timezone.now()
    )
    if not updated:
        CampaignCounter.objects.create(campaign_id=campaign_id, records_total=total)
    progress_broadcast(campaign_id=campaign_id)


def contributors_lock(*, campaign_id: int, user_ids: Iterable[int]) -> None:
    """Create the users' counter rows in the campaign if missing, and lock them by user id."""
    users = sorted(set(user_ids))
    if not users:
        return
    # Written out, as the upserts below: this runs on every answer that settles a record.
    rows = ", ".join(["(%s, %s, 0, 0, 0, 0)"] * len(users))
    lock = " FOR UPDATE" if connection.features.has_select_for_update else ""
    with connection.cursor() as cursor:
        statements_run(
            cursor,
            [
                (
                    "INSERT INTO dashboards_contributorcounter"  # noqa: S608 (placeholders)
                    " (campaign_id, user_id, submitted, corrections, agreements, agreement_checks)"
                    f" VALUES {rows} ON CONFLICT (campaign_id, user_id) DO NOTHING",
                    [value for user in users for value in (campaign_id, user)],
                ),
                (
                    "SELECT id FROM dashboards_contributorcounter"  # noqa: S608 (placeholders)
                    f" WHERE campaign_id = %s AND user_id IN ({_placeholders(users)})"
                    f" ORDER BY user_id{lock}",
                    [campaign_id, *users],
                ),
            ],
        )


def _placeholders(values: Sized) -> str:
    return ", ".join(["%s"] * len(values))


# Both upserts run once per answer: one statement each, portable to SQLite (3.35+), and
# written out because the ORM's get_or_create-then-update took three statements and more
# CPU than the database spends on them. Counts never go below zero.
_CONTRIBUTOR_MOVE = """
    INSERT INTO dashboards_contributorcounter AS counter (
        campaign_id, user_id, submitted, corrections, agreements, agreement_checks,
        first_submitted_at, last_submitted_at)
    VALUES (%(campaign)s, %(user)s, CASE WHEN %(submitted)s < 0 THEN 0 ELSE %(submitted)s END,
            CASE WHEN %(corrections)s < 0 THEN 0 ELSE %(corrections)s END, 0, 0,
            %(submitted_at)s, %(submitted_at)s)
    ON CONFLICT (campaign_id, user_id) DO UPDATE SET
        submitted = CASE WHEN counter.submitted + %(submitted)s < 0 THEN 0
                         ELSE counter.submitted + %(submitted)s END,
        corrections = CASE WHEN counter.corrections + %(corrections)s < 0 THEN 0
                           ELSE counter.corrections + %(corrections)s END,
        first_submitted_at = COALESCE(counter.first_submitted_at, %(submitted_at)s),
        last_submitted_at = COALESCE(%(submitted_at)s, counter.last_submitted_at)
    RETURNING submitted
"""

_CONTRIBUTOR_DAY_MOVE = """
    INSERT INTO dashboards_contributorday AS today (
        campaign_id, user_id, day, submitted, corrections, last_submitted_at)
    VALUES (%(campaign)s, %(user)s, %(day)s, CASE WHEN %(submitted)s < 0 THEN 0
            ELSE %(submitted)s END, %(corrections)s, %(submitted_at)s)
    ON CONFLICT (campaign_id, user_id, day) DO UPDATE SET
        submitted = CASE WHEN today.submitted + %(submitted)s < 0 THEN 0
                         ELSE today.submitted + %(submitted)s END,
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
    VALUES (%(campaign)s, %(day)s, CASE WHEN %(submitted)s < 0 THEN 0 ELSE %(submitted)s END,
            %(corrections)s)
    ON CONFLICT (campaign_id, day) DO UPDATE SET
        submitted = CASE WHEN today.submitted + %(submitted)s < 0 THEN 0
                         ELSE today.submitted + %(submitted)s END,
        corrections = today.corrections + %(corrections)s
"""


def contributor_answer_move(*, campaign_id: int, user_id: int, change: AnswerChange) -> int:
    """Move the volunteer's counter and day row; return the change in contributors (-1, 0, 1).

    Called inside the answer's transaction after the record and response rows are locked
    (step 3 of the lock order), before campaign_answer_move.
    """
    if not change.moves_contributor():
        return 0
    params = {
        "campaign": campaign_id,
        "user": user_id,
        "day": change.day,
        "submitted": change.submitted,
        "corrections": change.corrections,
        "submitted_at": change.at if change.submitted > 0 else None,
    }
    with connection.cursor() as cursor:
        moved, _day = statements_run(
            cursor, [(_CONTRIBUTOR_MOVE, params), (_CONTRIBUTOR_DAY_MOVE, params)]
        )
    ((submitted,),) = moved
    if change.submitted > 0 and submitted == change.submitted:
        return 1
    if change.submitted < 0 and submitted == 0:
        return -1
    return 0


def campaign_answer_move(
    *, campaign_id: int, change: AnswerChange, contributors: int, consensus_moved: bool = False
) -> None:
    """Move the campaign's counter and day row by one answer's change (step 4: last).

    consensus_moved: the same transaction moved the campaign's consensus figures without
    telling live viewers (consensus_move(broadcast=False)); one message covers both.
    """
    if consensus_moved or change.submitted or change.completed:
        progress_broadcast(campaign_id=campaign_id)
    if not (change.moves_campaign() or contributors):
        return
    statements: list[Statement] = [
        (
            _CAMPAIGN_MOVE,
            {
                "campaign": campaign_id,
                "submitted": change.submitted,
                "corrections": change.corrections,
                "completed": change.completed,
                "contributors": contributors,
                "at": change.at or timezone.now(),
            },
        )
    ]
    if change.moves_contributor():
        statements.append(
            (
                _CAMPAIGN_DAY_MOVE,
                {
                    "campaign": campaign_id,
                    "day": change.day,
                    "submitted": change.submitted,
                    "corrections": change.corrections,
                },
            )
        )
    with connection.cursor() as cursor:
        statements_run(cursor, statements)


def consensus_move(
    *,
    campaign_id: int,
    validated: int,
    disputed: int,
    checks: Mapping[int, tuple[int, int]],
    contributors_locked: bool = False,
    broadcast: bool = True,
) -> bool:
    """Move the validated/disputed records and each contributor's agreement with consensus.

    checks: per user id, the change in (agreements, agreement checks). Contributor rows move
    first, by user id, then the campaign counter (steps 3 and 4). contributors_locked: the
    caller already created and locked the contributors' rows. Returns whether the campaign's
    figures moved; broadcast=False leaves telling live viewers to the caller's
    campaign_answer_move.
    """
    moving = sorted(user for user, delta in checks.items() if any(delta))
    if moving and not contributors_locked:
        contributors_lock(campaign_id=campaign_id, user_ids=moving)
    same_delta: dict[tuple[int, int], list[int]] = defaultdict(list)
    for user in moving:
        same_delta[checks[user]].append(user)
    # The contributors' rows, then the campaign's, in one round trip.
    statements: list[Statement] = [
        (
            "UPDATE dashboards_contributorcounter"  # noqa: S608 (placeholders)
            " SET agreements = agreements + %s, agreement_checks = agreement_checks + %s"
            f" WHERE campaign_id = %s AND user_id IN ({_placeholders(users)})",
            [agreements, agreement_checks, campaign_id, *users],
        )
        for (agreements, agreement_checks), users in same_delta.items()
    ]
    if validated or disputed:
        statements.append(
            (
                "UPDATE dashboards_campaigncounter SET"
                " records_validated = records_validated + %s,"
                " records_disputed = records_disputed + %s"
                " WHERE campaign_id = %s",
                [validated, disputed, campaign_id],
            )
        )
    if statements:
        with connection.cursor() as cursor:
            statements_run(cursor, statements)
    if validated or disputed:
        if broadcast:
            progress_broadcast(campaign_id=campaign_id)
        return True
    return False


@dataclass(frozen=True)
class ContributorFigures:
    """One contributor's counts in a campaign, as recounted from their answers."""

    submitted: int
    corrections: int
    first_submitted_at: datetime | None
    last_submitted_at: datetime | None


def contributor_merge(
    *,
    campaign_id: int,
    from_user_id: int,
    into_user_id: int,
    into: ContributorFigures,
    records_uncompleted: int,
) -> None:
    """Fold one contributor into another (a placeholder claimed by its person).

    `into` holds the person's counts recounted from their answers after the answers moved;
    agreement checks add up; day rows move over; the campaign's totals follow, and records
    that fell below the overlap (two answers of one person became one) stop counting as done.
    Lock order as everywhere: both contributors' rows, then the campaign's.
    """
    _days_merge(campaign_id=campaign_id, from_user_id=from_user_id, into_user_id=into_user_id)
    contributors_lock(campaign_id=campaign_id, user_ids=[from_user_id, into_user_id])
    rows = {
        counter.user_id: counter
        for counter in ContributorCounter.objects.filter(
            campaign_id=campaign_id, user_id__in=[from_user_id, into_user_id]
        )
    }
    old = [rows[from_user_id], rows[into_user_id]]
    before_submitted = sum(c.submitted for c in old)
    before_corrections = sum(c.corrections for c in old)
    before_contributors = sum(1 for c in old if c.submitted)
    counter = rows[into_user_id]
    counter.agreements = sum(c.agreements for c in old)
    counter.agreement_checks = sum(c.agreement_checks for c in old)
    counter.submitted = into.submitted
    counter.corrections = into.corrections
    counter.first_submitted_at = into.first_submitted_at
    counter.last_submitted_at = into.last_submitted_at
    counter.save()
    rows[from_user_id].delete()
    CampaignCounter.objects.filter(campaign_id=campaign_id).update(
        responses_submitted=F("responses_submitted") + into.submitted - before_submitted,
        corrections=F("corrections") + into.corrections - before_corrections,
        contributors=F("contributors") + int(into.submitted > 0) - before_contributors,
        records_completed=F("records_completed") - records_uncompleted,
        updated_at=timezone.now(),
    )
    progress_broadcast(campaign_id=campaign_id)


def day_unsubmit(*, campaign_id: int, user_id: int, day: date, corrections: int) -> None:
    """Take one answer out of a day's rows (the person's and the campaign's).

    For answers that stop counting without passing through an answer change: the older of
    two answers a claimed placeholder and its person gave to the same record.
    """
    changes = {
        "submitted": Greatest(F("submitted") - 1, 0),
        "corrections": F("corrections") - corrections,
    }
    ContributorDay.objects.filter(campaign_id=campaign_id, user_id=user_id, day=day).update(
        **changes
    )
    CampaignDay.objects.filter(campaign_id=campaign_id, day=day).update(**changes)


def _days_merge(*, campaign_id: int, from_user_id: int, into_user_id: int) -> None:
    for row in ContributorDay.objects.filter(campaign_id=campaign_id, user_id=from_user_id):
        target, _created = ContributorDay.objects.get_or_create(
            campaign_id=campaign_id, user_id=into_user_id, day=row.day
        )
        target.submitted += row.submitted
        target.corrections += row.corrections
        if row.last_submitted_at and (
            target.last_submitted_at is None or row.last_submitted_at > target.last_submitted_at
        ):
            target.last_submitted_at = row.last_submitted_at
        target.save(update_fields=["submitted", "corrections", "last_submitted_at"])
        row.delete()


# The audit (annotation.recount) mends drift through these: counters set to what the
# answers say.


def campaign_counter_set(*, campaign_id: int, figures: Mapping[str, int]) -> None:
    """Overwrite some of the campaign counter's figures."""
    CampaignCounter.objects.update_or_create(campaign_id=campaign_id, defaults=dict(figures))
    progress_broadcast(campaign_id=campaign_id)


def contributor_counter_set(*, campaign_id: int, user_id: int, figures: ContributorFigures) -> None:
    """Overwrite one contributor's counts (their agreement checks stay)."""
    ContributorCounter.objects.update_or_create(
        campaign_id=campaign_id,
        user_id=user_id,
        defaults={
            "submitted": figures.submitted,
            "corrections": figures.corrections,
            "first_submitted_at": figures.first_submitted_at,
            "last_submitted_at": figures.last_submitted_at,
        },
    )


def campaign_day_set(*, campaign_id: int, day: date, submitted: int) -> None:
    """Overwrite how many answers the campaign counts on a day."""
    CampaignDay.objects.update_or_create(
        campaign_id=campaign_id, day=day, defaults={"submitted": submitted}
    )


def contributor_day_set(*, campaign_id: int, user_id: int, day: date, submitted: int) -> None:
    """Overwrite how many answers a contributor counts on a day."""
    ContributorDay.objects.update_or_create(
        campaign_id=campaign_id, user_id=user_id, day=day, defaults={"submitted": submitted}
    )
