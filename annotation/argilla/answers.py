"""One answer at a time: bring an Argilla answer in, take a deleted one back, send ours out.

An Argilla answer is never lost. Argilla shows every question of a dataset on every record, so
an answer there may correct a piece this record lacks (`option_e` of a four-option question):
such values are left out with a warning and the rest is applied. An answer that still cannot be
applied (values that do not fit the questions, a campaign that takes no answers now) is kept as a
pending ArgillaAnswerProblem, shown to organizers and tried again by every pull until it applies
or is gone from Argilla.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from django.contrib.auth.models import AbstractBaseUser
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from annotation.argilla import gateway, users
from annotation.argilla.models import (
    ArgillaAnswerDeletion,
    ArgillaAnswerProblem,
    ArgillaDatasetLink,
    ArgillaResponseSeen,
)
from annotation.models import Response
from annotation.services import (
    AnnotationClosed,
    campaign_join,
    response_discard,
    response_submit,
    response_withdraw,
)
from annotation.validation import ResponseInvalid
from campaigns.models import Record
from campaigns.selectors import campaign_questions

SYNCED_STATUSES = (Response.Status.SUBMITTED, Response.Status.DISCARDED)


class Applied:
    """What happened to an Argilla answer brought to Somos."""

    APPLIED = "applied"
    SAME = "same"
    SOMOS_NEWER = "somos_newer"
    IGNORED = "ignored"
    # Not applied; kept as a pending ArgillaAnswerProblem for the next pull.
    PENDING = "pending"


@dataclass(frozen=True)
class ApplyResult:
    outcome: str
    # What was left out of an answer applied now (empty when nothing was).
    warning: str = ""
    # Why the answer could not be applied (empty unless the outcome is PENDING).
    problem: str = ""


def response_apply(
    *,
    record: Record,
    user: AbstractBaseUser,
    incoming: gateway.ArgillaResponse,
    inactive_ok: bool = False,
) -> ApplyResult:
    """Bring an Argilla answer into Somos unless the Somos one is newer; say what happened.

    Values this record cannot hold are left out with a warning; an answer that still cannot
    be applied is kept as a pending problem for the next pull. `inactive_ok` takes it into a
    campaign that is not active (an organizer's forced pull).
    """
    if incoming.status not in SYNCED_STATUSES:
        # Argilla drafts are private work in progress, like drafts here: nothing is pending.
        _problem_note(record=record, user=user, incoming=incoming, kind=None)
        return ApplyResult(Applied.IGNORED)
    try:
        outcome, warning = _apply(
            record=record, user=user, incoming=incoming, inactive_ok=inactive_ok
        )
    except (ResponseInvalid, AnnotationClosed) as exc:
        problem = str(exc)
        _problem_note(
            record=record,
            user=user,
            incoming=incoming,
            kind=ArgillaAnswerProblem.Kind.PENDING,
            detail=problem,
        )
        return ApplyResult(Applied.PENDING, problem=problem)
    kept = warning and outcome in (Applied.APPLIED, Applied.SAME)
    _problem_note(
        record=record,
        user=user,
        incoming=incoming,
        kind=ArgillaAnswerProblem.Kind.PARTIAL if kept else None,
        detail=warning,
    )
    return ApplyResult(outcome, warning=warning if outcome == Applied.APPLIED else "")


def _apply(
    *,
    record: Record,
    user: AbstractBaseUser,
    incoming: gateway.ArgillaResponse,
    inactive_ok: bool,
) -> tuple[str, str]:
    with transaction.atomic():
        # Same lock order as a submit: the record (its row only), then the response.
        record = (
            Record.objects.select_for_update(of=("self",))
            .select_related("campaign")
            .get(pk=record.pk)
        )
        if ArgillaAnswerDeletion.objects.filter(
            record=record, user=user, deleted_at__gte=incoming.updated_at
        ).exists():
            return Applied.SAME, ""  # a late copy of an answer since deleted in Argilla
        submitted = incoming.status == Response.Status.SUBMITTED
        values, warning = (
            _values_fit(record=record, values=incoming.values) if submitted else ({}, "")
        )
        existing = Response.objects.select_for_update().filter(record=record, user=user).first()
        if existing is not None and existing.status != Response.Status.DRAFT:
            if existing.status == incoming.status and (not submitted or existing.values == values):
                _seen(existing, incoming.updated_at)
                return Applied.SAME, warning
            if existing.origin == Response.Origin.ARGILLA:
                seen = ArgillaResponseSeen.objects.filter(response=existing).first()
                if seen is not None and seen.argilla_updated_at >= incoming.updated_at:
                    return Applied.SAME, warning  # a late copy of an older Argilla version
            elif existing.updated_at >= incoming.updated_at:
                return Applied.SOMOS_NEWER, warning
        campaign_join(campaign=record.campaign, user=user, inactive_ok=inactive_ok)
        if submitted:
            outcome = response_submit(
                record=record,
                user=user,
                values=values,
                origin=Response.Origin.ARGILLA,
                inactive_ok=inactive_ok,
            )
        else:
            # Unlike a skip, a discard there takes back a submitted answer it is newer than.
            outcome = response_discard(
                record=record, user=user, origin=Response.Origin.ARGILLA, inactive_ok=inactive_ok
            )
        if outcome.response.origin == Response.Origin.ARGILLA:
            _seen(outcome.response, incoming.updated_at)
    if not outcome.changed and outcome.response.status != incoming.status:
        return Applied.SOMOS_NEWER, warning
    return (Applied.APPLIED if outcome.changed else Applied.SAME), warning


def _values_fit(*, record: Record, values: dict) -> tuple[dict, str]:
    """Leave out the values this record cannot hold; return the rest and what was left out.

    The web form refuses such values (annotation.validation); an Argilla answer cannot be sent
    back to its author, so the part that fits is kept rather than the whole answer refused.
    """
    pieces = {piece["name"] for piece in record.fields}
    questions = {question.name: question for question in campaign_questions(record.campaign)}
    kept: dict = {}
    left_out: list[str] = []
    for name, value in values.items():
        question = questions.get(name)
        if question is None:
            reason = _("this campaign has no such question")
        elif question.field and question.field not in pieces:
            reason = _("this record has no such piece")
        else:
            kept[name] = value
            continue
        if value not in (None, "", []):
            left_out.append(
                _("«%(question)s» left out: %(reason)s.") % {"question": name, "reason": reason}
            )
    return kept, " ".join(left_out)


def _seen(response: Response, at: datetime) -> None:
    if response.origin == Response.Origin.ARGILLA:
        ArgillaResponseSeen.objects.update_or_create(
            response=response, defaults={"argilla_updated_at": at}
        )


def _problem_note(
    *,
    record: Record,
    user: AbstractBaseUser,
    incoming: gateway.ArgillaResponse,
    kind: str | None,
    detail: str = "",
) -> None:
    """Keep, update or forget the problem of one Argilla answer (kind None: it has none)."""
    answer = ArgillaAnswerProblem.objects.filter(record=record, argilla_user_id=incoming.user_id)
    if kind is None:
        # A late copy of an older version says nothing about the problem of a newer one.
        answer.filter(
            Q(argilla_updated_at__isnull=True) | Q(argilla_updated_at__lte=incoming.updated_at)
        ).delete()
        return
    detail = detail[:1000]
    problem = answer.first()
    if problem is None:
        try:
            with transaction.atomic():
                ArgillaAnswerProblem.objects.create(
                    campaign_id=record.campaign_id,
                    record=record,
                    argilla_user_id=incoming.user_id,
                    who=str(user)[:200],
                    kind=kind,
                    detail=detail,
                    argilla_updated_at=incoming.updated_at,
                )
            return
        except IntegrityError:
            # A webhook and a pull met on the same answer: update the row the other wrote.
            problem = answer.get()
    if problem.argilla_updated_at and problem.argilla_updated_at > incoming.updated_at:
        return  # about a newer version, which keeps its problem
    if kind == problem.kind == ArgillaAnswerProblem.Kind.PARTIAL and problem.detail == detail:
        return  # the same warning again: nothing to write on every pull
    if kind != problem.kind:
        problem.attempts, problem.first_seen_at = 0, timezone.now()
    problem.kind, problem.detail, problem.who = kind, detail, str(user)[:200]
    problem.argilla_updated_at = incoming.updated_at
    problem.attempts += 1
    problem.save()


def problems_forget(
    *,
    record: Record,
    keep: Iterable[UUID] = (),
    argilla_user_id: UUID | None = None,
    deleted_at: datetime | None = None,
) -> int:
    """Forget the record's answer problems whose answer is gone from Argilla; return how many.

    `keep` names the Argilla users whose answers the record still has; `argilla_user_id`
    limits it to that user's answer, and `deleted_at` (a webhook's deletion time) spares a
    problem of a version newer than the deletion.
    """
    gone = ArgillaAnswerProblem.objects.filter(record=record).exclude(argilla_user_id__in=keep)
    if argilla_user_id is not None:
        gone = gone.filter(argilla_user_id=argilla_user_id)
    if deleted_at is not None:
        gone = gone.filter(
            Q(argilla_updated_at__isnull=True) | Q(argilla_updated_at__lte=deleted_at)
        )
    deleted, _per_model = gone.delete()
    return deleted


@transaction.atomic
def argilla_answer_deleted(
    *, record: Record, user: AbstractBaseUser, argilla_user_id: UUID, deleted_at: datetime
) -> bool:
    """An answer was deleted in Argilla at `deleted_at` (its clock): take it back; say if it was.

    Its pending problem goes too, and the deletion is remembered, so that a late webhook of a
    version it deleted is not applied afterwards.
    """
    withdrawn = argilla_response_withdraw(record=record, user=user, deleted_at=deleted_at)
    _deletion_note(record=record, user=user, at=deleted_at)
    problems_forget(record=record, argilla_user_id=argilla_user_id, deleted_at=deleted_at)
    return withdrawn


def _deletion_note(*, record: Record, user: AbstractBaseUser, at: datetime) -> None:
    deletion, created = ArgillaAnswerDeletion.objects.get_or_create(
        record=record, user=user, defaults={"deleted_at": at}
    )
    if not created and deletion.deleted_at < at:
        deletion.deleted_at = at
        deletion.save(update_fields=["deleted_at", "noted_at"])


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
    seen = ArgillaResponseSeen.objects.filter(response=response).first()
    version_at = seen.argilla_updated_at if seen else response.updated_at
    if deleted_at is not None and version_at > deleted_at:
        return False
    if listed_at is not None and response.updated_at > listed_at:
        return False
    # Gone from Argilla: no copy of this version or an older one may bring it back.
    _deletion_note(record=record, user=user, at=deleted_at or version_at)
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
            # Argilla's is newer: bring it here; if it cannot be applied it stays pending,
            # and ours must not overwrite it there.
            pulled = response_apply(record=record, user=response.user, incoming=theirs)
            return "pending" if pulled.outcome == Applied.PENDING else "pulled"
    gateway.responses_upsert(
        dataset_id=link.dataset_id,
        schema=schema,
        writes=[
            gateway.ResponseWrite(record.argilla_id, argilla_user, response.status, response.values)
        ],
    )
    return "pushed"
