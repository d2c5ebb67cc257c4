"""Store consensus: settle a record when its answers change, record a reviewer's decision;
the validated/disputed and agreement counters move in the same transaction (dashboards.counters,
in its lock order: the record row, the response rows, the contributor counters, the campaign's).
"""

from __future__ import annotations

import unicodedata
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime

from django.contrib.auth.models import AbstractBaseUser
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from annotation import rows
from annotation.consensus.rule import (
    CORRECT,
    RULE,
    RULE_VERSION,
    VERDICT,
    Outcome,
    consensus_rule,
    text_normalise,
)
from annotation.models import Consensus, Response
from campaigns.models import Campaign, Record
from dashboards.counters import consensus_move
from somos_site.statements import Statement, statements_run


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


# Read and written on every answer that settles a record (every answer that reaches the
# overlap): plain statements, as the counters' own, since building them through the ORM cost
# more CPU than the database spends on them.
_SUBMITTED_ANSWERS = """
    SELECT id, user_id, "values" FROM annotation_response
    WHERE record_id = %s AND status = %s ORDER BY id
"""
_CONSENSUS = (
    f"SELECT {rows.columns(Consensus, 'consensus')} FROM campaigns_consensus consensus"  # noqa: S608
    " WHERE consensus.record_id = %s"
)
_RECORD_STATUS_WRITE = "UPDATE campaigns_record SET status = %s, updated_at = %s WHERE id = %s"


def submitted_answers(*, record: Record) -> list[tuple[int, int, dict]]:
    """The record's submitted answers as (response id, user id, values), oldest first."""
    with connection.cursor() as cursor:
        cursor.execute(_SUBMITTED_ANSWERS, [record.pk, Response.Status.SUBMITTED])
        return _answers_from(cursor.fetchall())


def _answers_from(found: list[tuple]) -> list[tuple[int, int, dict]]:
    values = Response._meta.get_field("values")
    return [
        (response_id, user_id, values.from_db_value(answer, None, connection))
        for response_id, user_id, answer in found
    ]


@dataclass(frozen=True)
class SettleInputs:
    """What settling a record reads: its submitted answers (oldest first) and its consensus."""

    answers: list[tuple[int, int, dict]]
    current: Consensus | None


def settle_inputs(*, record: Record) -> SettleInputs:
    """Read the record's submitted answers and lock its consensus row, in one round trip.

    Call with the record's row locked: that lock orders every writer of its consensus.
    """
    lock = " FOR UPDATE" if connection.features.has_select_for_update else ""
    with connection.cursor() as cursor:
        answers, current = statements_run(
            cursor,
            [
                (_SUBMITTED_ANSWERS, [record.pk, Response.Status.SUBMITTED]),
                (_CONSENSUS + lock, [record.pk]),
            ],
        )
    return SettleInputs(
        answers=_answers_from(answers),
        current=rows.instance_from(Consensus, "consensus", current[0]) if current else None,
    )


def consensus_settle(
    *,
    record: Record,
    inputs: SettleInputs | None = None,
    counters_locked: bool = False,
) -> bool:
    """Settle the record again from its submitted answers; say whether the campaign's figures moved.

    A record at the campaign's overlap is settled by the rule; one that fell back below it
    (an answer withdrawn) loses its consensus. A reviewer's decision stays as it is. Runs
    inside the transaction that holds the record's row lock, before that transaction moves the
    campaign's counter; live viewers hear of it from that move. A caller that already read the
    answers and the consensus (settle_inputs) and locked their contributor counters says so,
    sparing the same statements twice.
    """
    inputs = inputs or settle_inputs(record=record)
    current = inputs.current
    if current is not None and current.reviewed:
        return False
    if record.status == Record.Status.PENDING:
        if current is None:
            return False
        current.delete()
        return _counters_move(
            record=record,
            statuses=Counter({current.status: -1}),
            before=settled_checks(current),
            after={},
            counters_locked=counters_locked,
        )
    answers = inputs.answers
    if not answers:
        return False
    translations = {piece["name"]: piece["translation"] for piece in record.fields}
    outcome = consensus_rule(translations=translations, answers=[row[2] for row in answers])
    statuses: Counter[str] = Counter({outcome.status: 1})
    if current is not None:
        statuses[current.status] -= 1
    before = settled_checks(current)
    consensus = current or Consensus(record=record)
    fill(consensus, outcome, snapshot(outcome, translations, answers), timezone.now())
    consensus.decided_by = None
    # The record's status moves with its consensus, in the same round trip when it is new.
    then: list[Statement] = []
    if record.status != outcome.status:
        record.status = outcome.status
        record.updated_at = timezone.now()
        then.append((_RECORD_STATUS_WRITE, [record.status, record.updated_at, record.pk]))
    if consensus.pk is None and connection.features.can_return_columns_from_insert:
        with connection.cursor() as cursor:
            new, *_then = statements_run(cursor, [rows.insert_statement(consensus), *then])
        rows.inserted(consensus, new[0][0])
    else:
        consensus.save()
        with connection.cursor() as cursor:
            statements_run(cursor, then)
    return _counters_move(
        record=record,
        statuses=statuses,
        before=before,
        after=settled_checks(consensus),
        counters_locked=counters_locked,
    )


def consensus_settle_retexted(*, record_ids: Iterable[int]) -> int:
    """Settle again the records whose text an import changed after they were settled.

    Their answers judged the old machine text; the consensus keeps what the rule says of those
    answers over the text the record holds now, so the export never writes a text that the
    stored consensus no longer describes. A reviewer's decision stays. Runs in the import's
    transaction, which already holds these rows; returns how many were settled again.
    """
    settled = 0
    for record in Record.objects.filter(pk__in=list(record_ids)).order_by("pk"):
        consensus_settle(record=record)
        settled += 1
    return settled


def _counters_move(
    *,
    record: Record,
    statuses: Mapping[str, int],
    before: Mapping[int, bool],
    after: Mapping[int, bool],
    counters_locked: bool,
) -> bool:
    return consensus_move(
        campaign_id=record.campaign_id,
        validated=statuses.get(Consensus.Status.VALIDATED, 0),
        disputed=statuses.get(Consensus.Status.DISPUTED, 0),
        checks=_deltas(before, after),
        contributors_locked=counters_locked,
        broadcast=False,
    )


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
    consensus_move(
        campaign_id=record.campaign_id,
        validated=1,
        disputed=-1,
        checks=_deltas({}, settled_checks(consensus)),
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
