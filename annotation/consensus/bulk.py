"""Settle in bulk the completed records that have no consensus yet.

Answers are read in one query, the rule runs here, decisions are COPYed into a temporary
table, then two statements insert the consensus rows and move every record's status; the
counters move last, as everywhere.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Sequence
from datetime import datetime
from typing import NamedTuple

from django.db import connection, transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone

from annotation.consensus.rule import (
    CORRECT,
    RULE,
    RULE_VERSION,
    VERDICT,
    Outcome,
    consensus_rule,
    verdict_tally,
)
from annotation.consensus.services import fill, snapshot
from annotation.models import Consensus, Response
from campaigns.bulk_reads import json_decode, spans_of, values_columns
from campaigns.models import Campaign, Record
from dashboards.counters import consensus_move

_BULK_BATCH = 5000
_dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode

# Table and column names are constants here, never input.
_TRANSLATIONS_SQL = f"""
    SELECT record.id, (
        SELECT coalesce(jsonb_object_agg(piece ->> 'name', piece -> 'translation'), '{{}}')
        FROM jsonb_array_elements(record.fields) AS piece
    )
    FROM {Record._meta.db_table} AS record WHERE record.id = ANY(%s)
"""  # noqa: S608
_SETTLED_INSERT = f"""
    INSERT INTO {Consensus._meta.db_table} (record_id, rule, rule_version, inputs, verdict,
        pieces, agreement, status, reason, reviewed, decided_at, note)
    SELECT settled.record_id, %s, %s, settled.inputs, settled.verdict,
        coalesce(settled.pieces, (
            SELECT coalesce(jsonb_object_agg(piece ->> 'name', piece -> 'translation'), '{{}}')
            FROM jsonb_array_elements(record.fields) AS piece
        )),
        settled.agreement, settled.status, settled.reason, false, %s, ''
    FROM somos_settled AS settled JOIN {Record._meta.db_table} AS record
        ON record.id = settled.record_id
"""  # noqa: S608
_SETTLED_STATUS = f"""
    UPDATE {Record._meta.db_table} AS record SET status = settled.status, updated_at = %s
    FROM somos_settled AS settled WHERE record.id = settled.record_id
"""  # noqa: S608


@transaction.atomic
def consensus_compute_pending(*, campaign: Campaign) -> int:
    """Settle in bulk every completed record of the campaign still without consensus.

    Records complete one by one through submits, which settle them there and then; this
    catches up on records completed otherwise (bulk loads, data from before consensus).
    Lock order as everywhere: records (by id), contributor counters, the campaign counter.
    """
    completed = Record.objects.filter(campaign=campaign, status=Record.Status.COMPLETED)
    if not completed.exists():
        # The usual case once submits have settled every record: no locks to take.
        return 0
    pending = completed.exclude(Exists(Consensus.objects.filter(record_id=OuterRef("pk"))))
    ids = list(pending.select_for_update(of=("self",)).order_by("id").values_list("id", flat=True))
    if not ids:
        return 0
    submitted = (
        Response.objects.filter(
            campaign=campaign, status=Response.Status.SUBMITTED, record__in=pending.values("pk")
        )
        .order_by("record_id", "id")
        .values_list("record_id", "id", "user_id", "values")
    )
    record_ids, response_ids, user_ids, raw = values_columns(submitted, raw_json=True)
    postgresql = connection.vendor == "postgresql"
    # On PostgreSQL the answers' JSON text goes into the snapshot as it came.
    values = json_decode(raw) if postgresql else list(raw)
    answers = _Answers(response_ids, user_ids, values, raw, spans_of(record_ids))
    tallies = {record_id: verdict_tally(values[a:b]) for record_id, (a, b) in answers.spans.items()}
    # The machine translations matter only where the majority asks for fixes; elsewhere
    # PostgreSQL copies them from the record into the final text itself.
    translations = translations_of(
        [
            record_id
            for record_id, (verdict, _agreement, reason) in tallies.items()
            if not postgresql or not (reason or verdict == CORRECT)
        ]
    )
    settled: list[tuple[int, Outcome]] = []
    for record_id, (verdict, agreement, reason) in tallies.items():
        machine = translations.get(record_id)
        if machine is not None:
            a, b = answers.spans[record_id]
            outcome = consensus_rule(translations=machine, answers=values[a:b])
        elif reason:
            outcome = Outcome(Consensus.Status.DISPUTED, "", {}, agreement, reason)
        else:
            outcome = Outcome(Consensus.Status.VALIDATED, verdict, {}, agreement, "")
        settled.append((record_id, outcome))
    statuses = Counter(outcome.status for _record, outcome in settled)
    verdicts = {
        record_id: outcome.verdict
        for record_id, outcome in settled
        if outcome.status == Consensus.Status.VALIDATED
    }
    checks: Counter[int] = Counter()
    agreements: Counter[int] = Counter()
    for record_id, user_id, given in zip(record_ids, user_ids, values, strict=True):
        verdict = verdicts.get(record_id)
        if verdict is not None:
            checks[user_id] += 1
            agreements[user_id] += given.get(VERDICT) == verdict
    now = timezone.now()
    store = _settled_copy if postgresql else _settled_create
    store(settled=settled, translations=translations, answers=answers, at=now)
    consensus_move(
        campaign_id=campaign.pk,
        validated=statuses[Consensus.Status.VALIDATED],
        disputed=statuses[Consensus.Status.DISPUTED],
        checks={user: (agreements[user], count) for user, count in checks.items()},
    )
    return len(settled)


class _Answers(NamedTuple):
    """Answers as columns, ordered by record; spans: each record's (start, end) in them."""

    response_ids: Sequence[int]
    user_ids: Sequence[int]
    values: Sequence[dict]
    # The values as read: JSON text on PostgreSQL.
    raw: Sequence[object]
    spans: dict[int, tuple[int, int]]

    def of(self, record_id: int) -> list[tuple[int, int, dict, object]]:
        """Return one record's answers as (response id, user id, values, as read)."""
        a, b = self.spans[record_id]
        return list(
            zip(
                self.response_ids[a:b],
                self.user_ids[a:b],
                self.values[a:b],
                self.raw[a:b],
                strict=True,
            )
        )


def translations_of(record_ids: list[int]) -> dict[int, dict[str, str]]:
    """Return the machine translation of every piece of the given records, by record id."""
    if connection.vendor == "postgresql":
        # The server picks the translations out (a third of the text to move and decode),
        # for every id passed as one array.
        with connection.cursor() as cursor:
            cursor.execute(_TRANSLATIONS_SQL, [record_ids])
            found = cursor.fetchall()
        ids, texts = [row[0] for row in found], [row[1] for row in found]
        return dict(zip(ids, json_decode(texts), strict=True))
    found_here: dict[int, dict[str, str]] = {}
    for start in range(0, len(record_ids), _BULK_BATCH):
        records = Record.objects.filter(pk__in=record_ids[start : start + _BULK_BATCH])
        for record_id, fields in records.values_list("id", "fields"):
            found_here[record_id] = {piece["name"]: piece["translation"] for piece in fields}
    return found_here


def _settled_create(
    *,
    settled: list[tuple[int, Outcome]],
    translations: dict[int, dict[str, str]],
    answers: _Answers,
    at: datetime,
) -> None:
    """Store settlements with the ORM (the embedded SQLite mode)."""
    objects = []
    for record_id, outcome in settled:
        consensus = Consensus(record_id=record_id)
        rows = [answer[:3] for answer in answers.of(record_id)]
        fill(consensus, outcome, snapshot(outcome, translations[record_id], rows), at)
        objects.append(consensus)
    Consensus.objects.bulk_create(objects, batch_size=1000)
    for status in (Record.Status.VALIDATED, Record.Status.DISPUTED):
        ids = [record_id for record_id, outcome in settled if outcome.status == status]
        for start in range(0, len(ids), _BULK_BATCH):
            Record.objects.filter(pk__in=ids[start : start + _BULK_BATCH]).update(
                status=status, updated_at=at
            )


def _settled_copy(
    *,
    settled: list[tuple[int, Outcome]],
    translations: dict[int, dict[str, str]],
    answers: _Answers,
    at: datetime,
) -> None:
    """Store settlements on PostgreSQL: COPY them in, then two statements write them all.

    One inserts the consensus rows (for records the majority called correct, the final
    text is copied from the record's translations on the server, so those never travel),
    the other moves the records' status. The snapshot is the same as `snapshot` makes,
    written around each answer's JSON text as read.
    """
    with connection.cursor() as cursor:
        # Room for the joins' hash tables in memory rather than temporary files.
        cursor.execute("SET LOCAL work_mem = '64MB'")
        cursor.execute(
            "CREATE TEMPORARY TABLE somos_settled (record_id bigint, verdict text,"
            " status text, reason text, agreement double precision, inputs jsonb, pieces jsonb)"
            " ON COMMIT DROP"
        )
        given = [
            f'{{"response":{response},"user":{user},"values":{text}}}'
            for response, user, text in zip(
                answers.response_ids, answers.user_ids, answers.raw, strict=True
            )
        ]
        with cursor.cursor.copy("COPY somos_settled FROM STDIN") as copy:
            for record_id, outcome in settled:
                machine = translations.get(record_id)
                a, b = answers.spans[record_id]
                inputs = f'{{"answers":[{",".join(given[a:b])}]'
                if outcome.verdict and outcome.verdict != CORRECT and machine is not None:
                    inputs += ',"translations":' + _dumps(machine)
                pieces = None if machine is None and outcome.verdict == CORRECT else outcome.pieces
                copy.write_row(
                    (
                        record_id,
                        outcome.verdict,
                        outcome.status,
                        outcome.reason,
                        outcome.agreement,
                        inputs + "}",
                        None if pieces is None else _dumps(pieces),
                    )
                )
        cursor.execute(_SETTLED_INSERT, [RULE, RULE_VERSION, at])
        cursor.execute(_SETTLED_STATUS, [at])
        cursor.execute("DROP TABLE somos_settled")
