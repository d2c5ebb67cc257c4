"""Writes on answers: join, submit, draft, skip, discard, withdraw. Counters move with them.

Every change to an answer goes through `_response_write` (submit, draft, skip) or
`_response_unsubmit` (withdraw, and the discard of a submitted answer), which lock the record,
then the response, then move counters and consensus in the order that dashboards.counters
writes at its top; `_response_write` and the discard then tell listeners (the Argilla sync)
through annotation.signals.answer_saved.

Answers are refused on a campaign that is not active. `inactive_ok=True` lifts that for one
caller only: an organizer's forced pull of answers given in Argilla meanwhile
(`sync_argilla --pull --force`), since those answers were given and must not be lost.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from django.contrib.auth.models import AbstractBaseUser
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from annotation import rows
from annotation.assignment import (
    HELD_OR_ANSWERED,
    lease_release_statement,
    next_record_lease_try,
)
from annotation.consensus.services import consensus_settle, settle_inputs
from annotation.models import Participation, Response
from annotation.revisions import revision_keep
from annotation.signals import answer_saved
from annotation.validation import response_values_clean
from campaigns.models import Campaign, Record
from campaigns.selectors import campaign_questions
from dashboards.counters import (
    AnswerChange,
    campaign_answer_move,
    contributor_answer_move,
    contributors_lock,
)
from guides.selectors import current_version_of
from somos_site.statements import Statement, statements_run


class AnnotationClosed(PermissionError):
    """The campaign does not take answers now."""


class NotAssigned(LookupError):
    """The volunteer neither holds the record nor answered it: it is not theirs to answer."""


@dataclass(frozen=True)
class SubmitOutcome:
    response: Response
    changed: bool
    # The record leased to the volunteer next, when the write was asked to (lease_next).
    next_record: Record | None = None


def campaign_join(
    *, campaign: Campaign, user: AbstractBaseUser, inactive_ok: bool = False
) -> Participation:
    """Make the user a participant of the campaign (again is fine)."""
    if campaign.status != Campaign.Status.ACTIVE and not inactive_ok:
        raise AnnotationClosed(_("This campaign is not taking volunteers now."))
    participation, _created = Participation.objects.get_or_create(campaign=campaign, user=user)
    return participation


def response_submit(
    *,
    record: Record,
    user: AbstractBaseUser,
    values: Mapping[str, object],
    started_at: datetime | None = None,
    origin: str = Response.Origin.WEB,
    inactive_ok: bool = False,
    assigned_only: bool = False,
    lease_next: bool = False,
) -> SubmitOutcome:
    """Submit (or edit) the user's answer to the record; the same answer again changes nothing.

    assigned_only: refuse (NotAssigned) a record of another campaign than the one the record
    stub names, or one the user neither holds nor answered, as the annotate page must.
    lease_next: also lease the volunteer's next record in the same transaction, when that can
    be done without waiting (SubmitOutcome.next_record; None: ask next_record_for).
    """
    return _response_write(
        record=record,
        user=user,
        values=values,
        status=Response.Status.SUBMITTED,
        started_at=started_at,
        origin=origin,
        inactive_ok=inactive_ok,
        assigned_only=assigned_only,
        lease_next=lease_next,
    )


def response_save_draft(
    *,
    record: Record,
    user: AbstractBaseUser,
    values: Mapping[str, object],
    assigned_only: bool = False,
) -> SubmitOutcome:
    """Keep unfinished work; a draft never counts. A submitted answer stays submitted."""
    return _response_write(
        record=record,
        user=user,
        values=values,
        status=Response.Status.DRAFT,
        started_at=None,
        assigned_only=assigned_only,
    )


def response_skip(
    *,
    record: Record,
    user: AbstractBaseUser,
    origin: str = Response.Origin.WEB,
    assigned_only: bool = False,
    lease_next: bool = False,
) -> SubmitOutcome:
    """Pass on the record: it is not offered to this volunteer again and counts nothing.

    lease_next: as for response_submit.
    """
    return _response_write(
        record=record,
        user=user,
        values={},
        status=Response.Status.DISCARDED,
        started_at=None,
        origin=origin,
        assigned_only=assigned_only,
        lease_next=lease_next,
    )


@transaction.atomic
def _response_write(
    *,
    record: Record,
    user: AbstractBaseUser,
    values: Mapping[str, object],
    status: str,
    started_at: datetime | None,
    origin: str = Response.Origin.WEB,
    inactive_ok: bool = False,
    assigned_only: bool = False,
    lease_next: bool = False,
) -> SubmitOutcome:
    record, volunteer_variety, response = _record_and_answer_lock(
        record=record, user=user, assigned_only=assigned_only
    )
    campaign = record.campaign
    _campaign_open_check(campaign, inactive_ok=inactive_ok)
    clean = response_values_clean(
        record=record,
        questions=campaign_questions(campaign),
        values=values,
        require_answers=status == Response.Status.SUBMITTED,
    )
    now = timezone.now()
    before_status = response.status if response else None
    before_corrections = response.corrections if response else 0

    if response is not None:
        if response.status == status and response.values == clean.values:
            return SubmitOutcome(response=response, changed=False)
        if response.status == Response.Status.SUBMITTED and status != Response.Status.SUBMITTED:
            # A submitted answer is only ever replaced by another submitted answer.
            return SubmitOutcome(response=response, changed=False)
        revision_keep(response=response)
    else:
        response = Response(record=record, campaign=campaign, user=user)
        response.annotator_variety = volunteer_variety or ""
    response.values = clean.values
    response.status = status
    response.origin = origin
    response.corrections = clean.corrections if status == Response.Status.SUBMITTED else 0
    if started_at and response.started_at is None:
        response.started_at = started_at
    if status == Response.Status.SUBMITTED:
        response.guide_version = current_version_of(campaign)
        response.submitted_at = now
        response.first_submitted_at = response.first_submitted_at or now
        if response.started_at:
            response.duration_ms = int((now - response.started_at).total_seconds() * 1000)

    newly_submitted = (
        status == Response.Status.SUBMITTED and before_status != Response.Status.SUBMITTED
    )
    completed_now = False
    # The answer's row, the record's count and the lease's end go to the database together.
    then: list[Statement] = []
    if newly_submitted:
        record.submitted_count += 1
        if record.status == Record.Status.PENDING and record.submitted_count >= campaign.overlap:
            record.status = Record.Status.COMPLETED
            completed_now = True
        record.updated_at = now
        then.append(_record_count_statement(record))
    if status != Response.Status.DRAFT:
        then.append(lease_release_statement(record_id=record.pk, user_id=user.pk))
    _response_save(response, then=then)
    # Before the counters: the campaign's counter row, which every answer waits for, is taken
    # last and held for as short a time as before.
    following = next_record_lease_try(campaign=campaign, user=user, now=now) if lease_next else None
    corrections_delta = response.corrections - (
        before_corrections if before_status == Response.Status.SUBMITTED else 0
    )
    _counts_move(
        record=record,
        user=user,
        change=AnswerChange(
            submitted=int(newly_submitted),
            corrections=corrections_delta,
            completed=int(completed_now),
            at=now,
            day=now.date(),
        ),
        answers_changed=status == Response.Status.SUBMITTED,
    )
    if status != Response.Status.DRAFT:
        answer_saved.send(sender=Response, response=response, campaign=campaign)
    return SubmitOutcome(response=response, changed=True, next_record=following)


@transaction.atomic
def response_discard(
    *,
    record: Record,
    user: AbstractBaseUser,
    origin: str = Response.Origin.WEB,
    inactive_ok: bool = False,
) -> SubmitOutcome:
    """Discard the user's answer; a submitted one stops counting exactly as if withdrawn.

    Unlike a skip, a discard replaces a submitted answer: the record is settled again from
    the answers left (or its consensus undone), the counters move back on the day the answer
    had counted, and the submitted state is kept as a revision. The discard keeps no values.
    """
    record = _record_lock(record)
    _campaign_open_check(record.campaign, inactive_ok=inactive_ok)
    response = Response.objects.select_for_update().filter(record=record, user=user).first()
    if response is None or response.status != Response.Status.SUBMITTED:
        return _response_write(
            record=record,
            user=user,
            values={},
            status=Response.Status.DISCARDED,
            started_at=None,
            origin=origin,
            inactive_ok=inactive_ok,
        )
    _response_unsubmit(
        record=record, user=user, response=response, status=Response.Status.DISCARDED, origin=origin
    )
    answer_saved.send(sender=Response, response=response, campaign=record.campaign)
    return SubmitOutcome(response=response, changed=True)


@transaction.atomic
def response_withdraw(*, record: Record, user: AbstractBaseUser) -> bool:
    """Take the user's answer back to a draft with the same values; say whether it changed.

    The answer stops counting (on the day it first counted), the record is offered again
    while it is below the campaign's overlap, and its consensus is settled again from the
    answers left, or undone; a reviewer's decision stays. The previous state is kept as a
    revision, so the volunteer can send the answer again.
    """
    record = _record_lock(record)
    response = Response.objects.select_for_update().filter(record=record, user=user).first()
    if response is None or response.status == Response.Status.DRAFT:
        return False
    _response_unsubmit(record=record, user=user, response=response, status=Response.Status.DRAFT)
    return True


@functools.cache
def _record_lock_statement(*, lock: bool, assigned_only: bool) -> str:
    assigned = f"AND record.campaign_id = %(campaign)s AND {HELD_OR_ANSWERED}"
    return f"""
        SELECT {rows.columns(Record, "record")}, {rows.columns(Campaign, "campaign")},
               (SELECT spanish_variety FROM accounts_profile WHERE user_id = %(user)s)
        FROM campaigns_record record
        JOIN campaigns_campaign campaign ON campaign.id = record.campaign_id
        WHERE record.id = %(record)s {assigned if assigned_only else ""}
        {"FOR UPDATE OF record" if lock else ""}
    """  # noqa: S608 (model columns)


# The volunteer's answer to the record, if any, locked after the record (the lock order).
_ANSWER_LOCK = f"""
    SELECT {rows.columns(Response, "answer")} FROM annotation_response answer
    WHERE answer.record_id = %(record)s AND answer.user_id = %(user)s {{lock}}
"""  # noqa: S608 (model columns)


def _record_and_answer_lock(
    *, record: Record, user: AbstractBaseUser, assigned_only: bool
) -> tuple[Record, str | None, Response | None]:
    """Lock the record's row, then the volunteer's answer to it, in one round trip.

    Return the record with its campaign, the volunteer's variety and their answer (None if
    they have none). Written out, as everything on every answer: the ORM's select_related
    with a subquery cost more CPU to build than the database spends on it. Only the record's
    row is locked: FOR UPDATE over the join would also lock the campaign's row, which every
    submit and every foreign-key check on the campaign would then queue behind. The variety
    is read with the lock rather than in a statement of its own, since a new answer keeps it.
    """
    features = connection.features
    params = {"record": record.pk, "campaign": record.campaign_id, "user": user.pk}
    record_lock = _record_lock_statement(
        lock=features.has_select_for_update_of, assigned_only=assigned_only
    )
    answer_lock = _ANSWER_LOCK.format(lock="FOR UPDATE" if features.has_select_for_update else "")
    with connection.cursor() as cursor:
        records, answers = statements_run(cursor, [(record_lock, params), (answer_lock, params)])
    found = records[0] if records else None
    if found is None:
        if assigned_only:
            raise NotAssigned(f"Record {record.pk} is not assigned to user {user.pk}.")
        raise Record.DoesNotExist(f"Record {record.pk} does not exist.")
    split = rows.column_count(Record)
    locked = rows.instance_from(Record, "record", found[:split])
    locked.campaign = rows.instance_from(Campaign, "campaign", found[split:-1])
    answer = rows.instance_from(Response, "answer", answers[0]) if answers else None
    return locked, found[-1], answer


def _record_lock(record: Record) -> Record:
    return (
        Record.objects.select_for_update(of=("self",)).select_related("campaign").get(pk=record.pk)
    )


def _campaign_open_check(campaign: Campaign, *, inactive_ok: bool) -> None:
    if campaign.status != Campaign.Status.ACTIVE and not inactive_ok:
        raise AnnotationClosed(_("This campaign is not taking answers now."))


def _response_unsubmit(
    *,
    record: Record,
    user: AbstractBaseUser,
    response: Response,
    status: str,
    origin: str | None = None,
) -> None:
    """Turn a locked answer into a draft (its values kept) or a discard, as if never submitted.

    Call with the record and the response locked, in that order.
    """
    now = timezone.now()
    was_submitted = response.status == Response.Status.SUBMITTED
    counted_on = response.first_submitted_at or response.submitted_at or now
    corrections = response.corrections if was_submitted else 0
    revision_keep(response=response)
    response.status = status
    if status == Response.Status.DISCARDED:
        # Like a skip: a discard holds no answer; the revision holds the one it replaced.
        response.values = {}
    response.origin = origin or response.origin
    response.corrections = 0
    # Sent again, it counts from that day.
    response.first_submitted_at = None
    response.save()
    if not was_submitted:
        return
    campaign = record.campaign
    record.submitted_count -= 1
    completed = 0
    if (
        record.status != Record.Status.PENDING
        and record.submitted_count < campaign.overlap
        and not _reviewed(record)
    ):
        record.status = Record.Status.PENDING
        completed = -1
    record.updated_at = now
    _record_count_write(record)
    _counts_move(
        record=record,
        user=user,
        change=AnswerChange(
            submitted=-1,
            corrections=-corrections,
            completed=completed,
            at=now,
            day=counted_on.date(),
        ),
        answers_changed=True,
    )


def _reviewed(record: Record) -> bool:
    consensus = (
        getattr(record, "consensus", None) if record.status != Record.Status.PENDING else None
    )
    return bool(consensus and consensus.reviewed)


def _counts_move(
    *, record: Record, user: AbstractBaseUser, change: AnswerChange, answers_changed: bool
) -> None:
    """Move the counters and the record's consensus by one answer's change, in lock order."""
    campaign_id = record.campaign_id
    # A record at its overlap is settled again whenever its submitted answers change, and one
    # that just fell below it loses its consensus.
    settle = answers_changed and (record.status != Record.Status.PENDING or change.completed < 0)
    inputs = settle_inputs(record=record) if settle else None
    if inputs is not None:
        # Consensus may move every answerer's counter: lock them all first, by user id, so
        # that no contributor row is waited for while the campaign's rows are held.
        contributors_lock(
            campaign_id=campaign_id,
            user_ids=[user.pk, *(user_id for _id, user_id, _values in inputs.answers)],
        )
    contributors = contributor_answer_move(campaign_id=campaign_id, user_id=user.pk, change=change)
    consensus_moved = inputs is not None and consensus_settle(
        record=record, inputs=inputs, counters_locked=True
    )
    campaign_answer_move(
        campaign_id=campaign_id,
        change=change,
        contributors=contributors,
        consensus_moved=consensus_moved,
    )


def _response_save(response: Response, *, then: Sequence[Statement] = ()) -> None:
    """Save the answer, then run the statements that follow from it, in one round trip."""
    # A new answer, the common case, as one plain INSERT: the ORM's cost more CPU to build than
    # the database spends on it. Nothing listens to a response's post_save.
    if response.pk is not None or not connection.features.can_return_columns_from_insert:
        response.save()
        if then:
            with connection.cursor() as cursor:
                statements_run(cursor, then)
        return
    with connection.cursor() as cursor:
        new, *_then = statements_run(cursor, [rows.insert_statement(response), *then])
    rows.inserted(response, new[0][0])


def _record_count_statement(record: Record) -> Statement:
    # Every submit writes these three columns of the locked row; one plain statement.
    return (
        "UPDATE campaigns_record SET submitted_count = %s, status = %s, updated_at = %s"
        " WHERE id = %s",
        [record.submitted_count, record.status, record.updated_at, record.pk],
    )


def _record_count_write(record: Record) -> None:
    with connection.cursor() as cursor:
        cursor.execute(*_record_count_statement(record))
