"""Store consensus: settle a record when its answers change, record a reviewer's decision,
and keep the validated/disputed and agreement counters right in the same transaction.

Lock order, as in annotation.services: the record row, the response rows, the contributor
counters (by user id), then the campaign counter.
"""

from __future__ import annotations

import unicodedata
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from datetime import datetime

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from annotation.models import Response
from campaigns.consensus.rule import (
    CORRECT,
    RULE,
    RULE_VERSION,
    VERDICT,
    Outcome,
    consensus_rule,
    text_normalise,
)
from campaigns.models import Campaign, Consensus, Record
from dashboards.models import CampaignCounter, ContributorCounter
from dashboards.services import contributor_counters_lock


class ReviewRejected(ValueError):
    """A reviewer's decision that cannot be recorded; the message says why."""


def settled_checks(consensus: Consensus | None) -> dict[int, bool]:
    """Return, per contributor of a settled record, whether their verdict matches it."""
    if consensus is None or consensus.status != Consensus.Status.VALIDATED:
        return {}
    return _checks(consensus.inputs, consensus.verdict)


def _checks(inputs: Mapping, verdict: str) -> dict[int, bool]:
    return {
        answer["user"]: answer["values"].get(VERDICT) == verdict
        for answer in inputs.get("answers", ())
    }


def submitted_answers(*, record: Record) -> list[tuple[int, int, dict]]:
    """The record's submitted answers as (response id, user id, values), oldest first."""
    return list(
        Response.objects.filter(record=record, status=Response.Status.SUBMITTED)
        .order_by("id")
        .values_list("id", "user_id", "values")
    )


def consensus_compute(
    *,
    record: Record,
    answers: list[tuple[int, int, dict]] | None = None,
    counters_locked: bool = False,
) -> Consensus | None:
    """Settle the record from its submitted answers; a reviewer's decision stays as it is.

    Runs inside the transaction that holds the record's row lock (as the submit does),
    before that transaction touches contributor counters, to keep the lock order. A caller
    that already read the answers (submitted_answers) and locked their contributor
    counters says so, sparing the same statements twice.
    """
    current = Consensus.objects.select_for_update().filter(record=record).first()
    if current is not None and current.reviewed:
        return current
    rows = submitted_answers(record=record) if answers is None else answers
    if not rows:
        return current
    translations = {piece["name"]: piece["translation"] for piece in record.fields}
    outcome = consensus_rule(translations=translations, answers=[row[2] for row in rows])
    before_status = current.status if current else None
    before = settled_checks(current)
    consensus = current or Consensus(record=record)
    fill(consensus, outcome, snapshot(outcome, translations, rows), timezone.now())
    consensus.decided_by = None
    consensus.save()
    if record.status != outcome.status:
        record.status = outcome.status
        record.save(update_fields=["status", "updated_at"])
    statuses: Counter[str] = Counter({outcome.status: 1})
    if before_status:
        statuses[before_status] -= 1
    counters_move(
        campaign_id=record.campaign_id,
        statuses=statuses,
        contributors=_deltas(before, settled_checks(consensus)),
        contributors_locked=counters_locked,
    )
    return consensus


@transaction.atomic
def consensus_decide(
    *,
    record: Record,
    reviewer: AbstractBaseUser,
    verdict: str,
    pieces: Mapping[str, str],
    note: str = "",
) -> Consensus:
    """Settle a disputed record with a reviewer's verdict and final text; the decision is final."""
    record = Record.objects.select_for_update().select_related("campaign").get(pk=record.pk)
    consensus = Consensus.objects.select_for_update().filter(record=record).first()
    if consensus is not None and consensus.reviewed:
        raise ReviewRejected(_("A reviewer already decided this record; the decision is final."))
    if record.status != Record.Status.DISPUTED or consensus is None:
        raise ReviewRejected(_("Only disputed records are decided in review."))
    allowed = _verdict_options(record.campaign)
    if verdict not in allowed:
        raise ReviewRejected(_("Choose one of the offered verdicts."))
    translations = {piece["name"]: piece["translation"] for piece in record.fields}
    final: dict[str, str] = {}
    for name in translations:
        text = unicodedata.normalize("NFC", str(pieces.get(name) or "")).strip()
        if not text:
            raise ReviewRejected(_("Give a final text for every piece."))
        final[name] = text
    if verdict == CORRECT and any(
        text_normalise(final[name]) != text_normalise(machine)
        for name, machine in translations.items()
    ):
        raise ReviewRejected(
            _(
                "A correct translation keeps the machine translation; choose another verdict"
                " to change the text."
            )
        )
    consensus.verdict = verdict
    consensus.pieces = final
    consensus.status = Consensus.Status.VALIDATED
    consensus.reviewed = True
    consensus.decided_by = reviewer
    consensus.decided_at = timezone.now()
    consensus.note = note.strip()
    consensus.save()
    record.status = Record.Status.VALIDATED
    record.save(update_fields=["status", "updated_at"])
    counters_move(
        campaign_id=record.campaign_id,
        statuses=Counter({Consensus.Status.VALIDATED: 1, Consensus.Status.DISPUTED: -1}),
        contributors=_deltas({}, settled_checks(consensus)),
    )
    return consensus


def snapshot(
    outcome: Outcome,
    translations: Mapping[str, str] | None,
    rows: Iterable[tuple[int, int, dict]],
) -> dict:
    """Return the snapshot the rule read: the answers, and the translations it compared.

    Translations are compared only when the majority asks for fixes; otherwise they are
    the final text (a correct majority) or do not matter (a split verdict).
    """
    inputs: dict = {
        "answers": [
            {"response": response_id, "user": user_id, "values": values}
            for response_id, user_id, values in rows
        ]
    }
    if outcome.verdict and outcome.verdict != CORRECT and translations is not None:
        inputs["translations"] = dict(translations)
    return inputs


def fill(consensus: Consensus, outcome: Outcome, inputs: dict, at: datetime) -> None:
    """Put the rule's outcome and its inputs on a consensus row (unsaved)."""
    consensus.rule = RULE
    consensus.rule_version = RULE_VERSION
    consensus.inputs = inputs
    consensus.verdict = outcome.verdict
    consensus.pieces = outcome.pieces
    consensus.agreement = outcome.agreement
    consensus.status = outcome.status
    consensus.reason = outcome.reason
    consensus.decided_at = at


def _verdict_options(campaign: Campaign) -> list[str]:
    question = campaign.questions.filter(name=VERDICT).first()
    return [option["value"] for option in question.options] if question else []


def _deltas(before: Mapping[int, bool], after: Mapping[int, bool]) -> dict[int, tuple[int, int]]:
    """Return each contributor's change of (agreements, checks) between two settlements."""
    deltas = {}
    for user in before.keys() | after.keys():
        agreements = int(after.get(user, False)) - int(before.get(user, False))
        checks = int(user in after) - int(user in before)
        if agreements or checks:
            deltas[user] = (agreements, checks)
    return deltas


def counters_move(
    *,
    campaign_id: int,
    statuses: Mapping[str, int],
    contributors: Mapping[int, tuple[int, int]],
    contributors_locked: bool = False,
) -> None:
    """Move the validated/disputed and agreement counters; contributor rows first, by user.

    contributors_locked: the caller already created and locked the contributors' rows.
    """
    moving = sorted(user for user, delta in contributors.items() if any(delta))
    if moving:
        if not contributors_locked:
            contributor_counters_lock(campaign_id=campaign_id, user_ids=moving)
        same_delta: dict[tuple[int, int], list[int]] = defaultdict(list)
        for user in moving:
            same_delta[contributors[user]].append(user)
        for (agreements, checks), users in same_delta.items():
            ContributorCounter.objects.filter(campaign_id=campaign_id, user_id__in=users).update(
                agreements=F("agreements") + agreements,
                agreement_checks=F("agreement_checks") + checks,
            )
    validated = statuses.get(Consensus.Status.VALIDATED, 0)
    disputed = statuses.get(Consensus.Status.DISPUTED, 0)
    if validated or disputed:
        CampaignCounter.objects.filter(campaign_id=campaign_id).update(
            records_validated=F("records_validated") + validated,
            records_disputed=F("records_disputed") + disputed,
        )
