"""Settle in bulk the completed records that have no consensus yet.

The pending records are locked and their answers read as columns; the rule's verdict tally
runs over those columns at once where all of a record's answers give the same verdict, and
one record at a time (rule.py) where they split or where the majority asks for fixes, whose
answers alone are decoded. The decisions go back as columns, COPYed into a temporary table
from which one statement inserts the consensus rows (for records the majority called correct,
the final text is copied from the record's translations on the server); the records' status
moves by their ids, one statement per status. The counters move last, as everywhere.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from typing import NamedTuple

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from django.db import connection, transaction
from django.db.models import Exists, Max, Min, OuterRef
from django.utils import timezone
from pyarrow import csv as pa_csv

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
from campaigns.bulk_reads import arrow_rows, json_decode, values_columns
from campaigns.importers.json_codec import json_text
from campaigns.models import Campaign, Record
from dashboards.counters import consensus_move

_BULK_BATCH = 5000
# Above any record id: the range of "every record".
_LAST_ID = 2**63 - 1
_VALIDATED, _DISPUTED = Consensus.Status.VALIDATED, Consensus.Status.DISPUTED


def _machine_sql(fields: str) -> str:
    """Return SQL for a record's {piece name: machine translation}, from its column fields.

    A record has a handful of pieces: up to eight, the object is built in one call from
    each piece by position, which costs the server half as much as aggregating the pieces
    one by one (the same object: the last of two pieces of the same name wins either way).
    """
    whens = " ".join(
        f"WHEN {count} THEN jsonb_build_object("
        + ", ".join(
            f"{fields} -> {index} ->> 'name', {fields} -> {index} -> 'translation'"
            for index in range(count)
        )
        + ")"
        for count in range(1, 9)
    )
    # fields names a column, never input.
    aggregated = f"""SELECT jsonb_object_agg(piece ->> 'name', piece -> 'translation')
        FROM jsonb_array_elements({fields}) AS piece"""  # noqa: S608
    return (
        f"CASE jsonb_array_length({fields}) WHEN 0 THEN '{{}}'::jsonb {whens}"
        f" ELSE ({aggregated}) END"
    )


# Table and column names are constants here, never input.
_TRANSLATIONS_SQL = f"""
    SELECT record.id, {_machine_sql("record.fields")}
    FROM {Record._meta.db_table} AS record WHERE record.id = ANY(%s::bigint[])
"""  # noqa: S608
# The pending records' submitted answers, oldest first, each with its verdict where it gives
# one as text; read after the records are locked, so they are what the rule settles from.
_ANSWERS_SQL = f"""
    SELECT answer.record_id, answer.id, answer.user_id,
        CASE WHEN jsonb_typeof(answer."values" -> %s) = 'string'
            THEN answer."values" ->> %s END,
        answer."values"
    FROM {Response._meta.db_table} AS answer
    WHERE answer.campaign_id = %s AND answer.status = %s AND answer.record_id IN (
        SELECT record.id FROM {Record._meta.db_table} AS record
        WHERE record.campaign_id = %s AND record.status = %s
            AND record.id BETWEEN %s AND %s AND NOT EXISTS (
            SELECT FROM {Consensus._meta.db_table} AS consensus
            WHERE consensus.record_id = record.id
        )
    )
    ORDER BY answer.record_id, answer.id
"""  # noqa: S608
_ANSWERS_SCHEMA = pa.schema(
    [
        ("record_id", pa.int64()),
        ("response_id", pa.int64()),
        ("user_id", pa.int64()),
        ("verdict", pa.string()),
        ("values", pa.string()),
    ]
)
_SETTLED_SCHEMA = pa.schema(
    [
        ("record_id", pa.int64()),
        ("verdict", pa.string()),
        ("status", pa.string()),
        ("reason", pa.string()),
        ("agreement", pa.float64()),
        ("inputs", pa.string()),
        ("pieces", pa.string()),
    ]
)
_SETTLED_INSERT = f"""
    INSERT INTO {Consensus._meta.db_table} (record_id, rule, rule_version, inputs, verdict,
        pieces, agreement, status, reason, reviewed, decided_at, note)
    SELECT settled.record_id, %s, %s, settled.inputs, settled.verdict,
        coalesce(settled.pieces, {_machine_sql("record.fields")}),
        settled.agreement, settled.status, settled.reason, false, %s, ''
    FROM somos_settled AS settled JOIN {Record._meta.db_table} AS record
        ON record.id = settled.record_id AND record.id BETWEEN %s AND %s
"""  # noqa: S608
# One status for the records whose ids the array literal holds: probed in the span's key
# range, with no join to build.
_SETTLED_STATUS = f"""
    UPDATE {Record._meta.db_table} AS record SET status = %s, updated_at = %s
    WHERE record.id BETWEEN %s AND %s AND record.id = ANY(%s::bigint[])
"""  # noqa: S608


class _Answers(NamedTuple):
    """The pending records' submitted answers as columns, ordered by record, oldest first."""

    record_ids: np.ndarray
    response_ids: np.ndarray
    user_ids: np.ndarray
    # The verdict where an answer gives it as text, else null.
    verdicts: pa.Array
    # JSON text as read on PostgreSQL; decoded values elsewhere.
    values: pa.Array | Sequence[dict]


class _Settled(NamedTuple):
    """One settlement per record, as columns in record order."""

    record_ids: np.ndarray
    # Where each record's answers start and end in the answers' columns.
    starts: np.ndarray
    ends: np.ndarray
    validated: np.ndarray
    verdicts: list[str]
    reasons: list[str]
    agreements: np.ndarray
    # The final text where the rule wrote it; None where the majority called the machine
    # translation correct (it is the final text).
    pieces: list[dict | None]
    # Machine translations the rule compared corrections with, by record index.
    translations: dict[int, dict[str, str]]


def consensus_compute_pending(*, campaign: Campaign) -> int:
    """Settle in bulk every completed record of the campaign still without consensus.

    Records complete one by one through submits, which settle them there and then; this
    catches up on records completed otherwise (bulk loads, data from before consensus).
    Lock order as everywhere: records (by id), contributor counters, the campaign counter.

    Called outside any transaction on PostgreSQL, the records are split by id into parts
    settled at once, each in its own transaction on its own connection: the server's work
    (locks, the consensus rows, their key checks, the records' status) is most of the time,
    and two cores do it side by side. Each part is whole (its consensus rows, statuses and
    counters together); should one fail, the others stand and a next pass settles the rest.
    Inside a caller's transaction everything is settled in it.
    """
    completed = Record.objects.filter(campaign=campaign, status=Record.Status.COMPLETED)
    if connection.vendor != "postgresql":
        with transaction.atomic():
            return _pending_settle_orm(campaign=campaign, completed=completed)
    if connection.in_atomic_block:
        return _pending_settle(campaign=campaign, ids=None)
    if not completed.exists():
        # The usual case once submits have settled every record: no locks to take.
        return 0
    # Each end found at once by the primary key's index where records are completed (when
    # none is, the check above has already answered).
    span = completed.aggregate(first=Min("id"), last=Max("id"))
    ranges = _id_ranges(span["first"], span["last"], parts=_SETTLE_PARTS)
    if len(ranges) == 1:
        return _pending_settle(campaign=campaign, ids=ranges[0])
    with ThreadPoolExecutor(len(ranges), thread_name_prefix="consensus-settle") as pool:
        settled = pool.map(
            lambda ids: _on_own_connection(_pending_settle, campaign=campaign, ids=ids), ranges
        )
        return sum(settled)


# Parts settled side by side, one per core of the reference machine; below the threshold
# a second connection costs more than it saves.
_SETTLE_PARTS = 2
_PART_MINIMUM = 5000


def _id_ranges(first: int, last: int, *, parts: int) -> list[tuple[int, int]]:
    """Split the ids from first to last (both included) into ranges of about equal span."""
    parts = max(1, min(parts, (last - first + 1) // _PART_MINIMUM))
    cuts = [first + (last - first + 1) * part // parts for part in range(parts + 1)]
    return [(cuts[part], cuts[part + 1] - 1) for part in range(parts)]


def _on_own_connection(settle, **arguments) -> int:
    """Run settle in this thread's own connection, closed afterwards."""
    try:
        return settle(**arguments)
    finally:
        connection.close()


@transaction.atomic
def _pending_settle(*, campaign: Campaign, ids: tuple[int, int] | None) -> int:
    """Settle the pending records (those with ids in the range, if given) on PostgreSQL."""
    pending = Record.objects.filter(campaign=campaign, status=Record.Status.COMPLETED).exclude(
        Exists(Consensus.objects.filter(record_id=OuterRef("pk")))
    )
    first, last = ids if ids is not None else (0, _LAST_ID)
    pending = pending.filter(id__range=(first, last))
    locked = pending.select_for_update(of=("self",)).order_by("id").values_list("id", flat=True)
    with connection.cursor() as cursor:
        # Counting every locked row takes every lock, in id order, on the server: the ids
        # themselves are not needed here (100k of them cost a part ~0.1 s to read). The
        # ORM's own SQL, its values still parameters.
        sql, params = locked.query.sql_with_params()
        cursor.execute(f"SELECT count(*) FROM ({sql}) AS locked", params)  # noqa: S608
        if not cursor.fetchone()[0]:
            return 0
        # Room for the joins' hash tables in memory rather than temporary files; and no JIT,
        # whose compiling costs more than these row-by-row statements gain from it.
        cursor.execute("SET LOCAL work_mem = '64MB'")
        cursor.execute("SET LOCAL jit = off")
        table = arrow_rows(
            _ANSWERS_SQL,
            [
                VERDICT,
                VERDICT,
                campaign.pk,
                Response.Status.SUBMITTED,
                campaign.pk,
                Record.Status.COMPLETED,
                first,
                last,
            ],
            schema=_ANSWERS_SCHEMA,
        )
        if not table.num_rows:
            return 0
        answers = _Answers(
            record_ids=table.column("record_id").to_numpy(),
            response_ids=table.column("response_id").to_numpy(),
            user_ids=table.column("user_id").to_numpy(),
            verdicts=table.column("verdict").combine_chunks(),
            values=table.column("values").combine_chunks(),
        )
        settled = _settle(answers, machine_needed=False)
        _settled_store(cursor, settled=settled, answers=answers, at=timezone.now())
        if len(connection.atomic_blocks) == 1:
            # In its own transaction, the consensus rows' keys are checked now rather than
            # at commit: next come the counters, whose rows every part and every submit
            # lock, held to the end. (A caller's transaction keeps its own constraint mode.)
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    _counters_move(campaign=campaign, settled=settled, answers=answers)
    return len(settled.record_ids)


def _settle(answers: _Answers, *, machine_needed: bool) -> _Settled:
    """Apply the majority rule to every record's answers.

    Where all of a record's answers give the same verdict, the tally is that verdict with
    full agreement (what verdict_tally finds): that is decided over the columns at once.
    The others' answers are decoded and tallied one record at a time, and those whose
    majority asks for fixes go through the rule with their machine translations.
    machine_needed: read the machine translations of every record (the ORM path stores them
    as the final text of a correct majority).
    """
    record_ids = answers.record_ids
    count = len(record_ids)
    starts = np.flatnonzero(np.r_[True, record_ids[1:] != record_ids[:-1]])
    ends = np.r_[starts[1:], count].astype(np.int64)
    encoded = pc.fill_null(answers.verdicts, "").dictionary_encode()
    names = encoded.dictionary.to_pylist()
    codes = encoded.indices.to_numpy(zero_copy_only=False).astype(np.int64)
    # No verdict given as text counts as no verdict, never as agreement.
    codes[pc.is_null(answers.verdicts).to_numpy(zero_copy_only=False)] = -1
    uniform = (np.minimum.reduceat(codes, starts) == np.maximum.reduceat(codes, starts)) & (
        codes[starts] >= 0
    )
    units = len(starts)
    unit_records = record_ids[starts].tolist()
    verdicts = [
        names[code] if keep else "" for code, keep in zip(codes[starts], uniform, strict=True)
    ]
    reasons = [""] * units
    agreements = np.ones(units)
    validated = uniform.copy()
    pieces: list[dict | None] = [None] * units
    # The rule reads the answers of records split on the verdict, and of those whose
    # majority asks for fixes.
    reads = ~uniform | (np.array(verdicts, dtype=object) != CORRECT)
    sizes = ends - starts
    decoded = _values_decoded(answers.values, np.repeat(reads, sizes))
    bounds = np.r_[0, np.cumsum(sizes[reads])].tolist()
    read = np.flatnonzero(reads).tolist()
    given = {unit: decoded[bounds[index] : bounds[index + 1]] for index, unit in enumerate(read)}
    for unit in np.flatnonzero(~uniform).tolist():
        verdict, agreement, reason = verdict_tally(given[unit])
        verdicts[unit], agreements[unit], reasons[unit] = verdict, agreement, reason
        validated[unit] = not reason
        if reason:
            pieces[unit] = {}
    # The machine translations matter only where the majority asks for fixes; elsewhere
    # they are the final text as they stand (stored as such by the caller).
    ruled = [unit for unit in read if not reasons[unit] and verdicts[unit] != CORRECT]
    wanted = range(units) if machine_needed else ruled
    machine = translations_of([unit_records[unit] for unit in wanted])
    translations = {
        unit: machine[unit_records[unit]] for unit in wanted if unit_records[unit] in machine
    }
    for unit in ruled:
        if unit not in translations:
            pieces[unit] = {}
            continue
        outcome = consensus_rule(translations=translations[unit], answers=given[unit])
        validated[unit] = outcome.status == _VALIDATED
        verdicts[unit], reasons[unit] = outcome.verdict, outcome.reason
        agreements[unit], pieces[unit] = outcome.agreement, outcome.pieces
    return _Settled(
        record_ids=record_ids[starts],
        starts=starts,
        ends=ends,
        validated=validated,
        verdicts=verdicts,
        reasons=reasons,
        agreements=agreements,
        pieces=pieces,
        translations=translations,
    )


def _values_decoded(values: pa.Array | Sequence[dict], chosen: np.ndarray) -> list[dict]:
    """Return the chosen answers' values, decoded (JSON text on PostgreSQL)."""
    if isinstance(values, pa.Array):
        return json_decode(values.filter(pa.array(chosen)).to_pylist())
    return [value for value, keep in zip(values, chosen, strict=True) if keep]


def _counters_move(*, campaign: Campaign, settled: _Settled, answers: _Answers) -> None:
    """Move the validated/disputed counts and each contributor's agreement with consensus."""
    sizes = settled.ends - settled.starts
    validated_answers = np.repeat(settled.validated, sizes)
    verdicts = pa.array(settled.verdicts, pa.string()).dictionary_encode()
    given = pc.fill_null(pc.index_in(answers.verdicts, value_set=verdicts.dictionary), -1)
    agrees = validated_answers & (given.to_numpy() == np.repeat(verdicts.indices.to_numpy(), sizes))
    users, position = np.unique(answers.user_ids[validated_answers], return_inverse=True)
    checks = np.bincount(position, minlength=len(users))
    agreements = np.bincount(position, weights=agrees[validated_answers], minlength=len(users))
    validated = int(settled.validated.sum())
    consensus_move(
        campaign_id=campaign.pk,
        validated=validated,
        disputed=len(settled.validated) - validated,
        checks={
            int(user): (int(agreed), int(checked))
            for user, agreed, checked in zip(users, agreements, checks, strict=True)
        },
    )


def translations_of(record_ids: list[int]) -> dict[int, dict[str, str]]:
    """Return the machine translation of every piece of the given records, by record id."""
    if connection.vendor == "postgresql":
        # The server picks the translations out (a third of the text to move and decode),
        # for every id passed as one array.
        with connection.cursor() as cursor:
            cursor.execute(_TRANSLATIONS_SQL, [_id_array(record_ids)])
            found = cursor.fetchall()
        ids, texts = [row[0] for row in found], [row[1] for row in found]
        return dict(zip(ids, json_decode(texts), strict=True))
    found_here: dict[int, dict[str, str]] = {}
    for start in range(0, len(record_ids), _BULK_BATCH):
        records = Record.objects.filter(pk__in=record_ids[start : start + _BULK_BATCH])
        for record_id, fields in records.values_list("id", "fields"):
            found_here[record_id] = {piece["name"]: piece["translation"] for piece in fields}
    return found_here


def _id_array(record_ids: list[int]) -> str:
    """Return ids as one PostgreSQL array literal: composed at once, not adapted one by one."""
    return "{" + ",".join(map(str, record_ids)) + "}"


def _settled_store(cursor, *, settled: _Settled, answers: _Answers, at: datetime) -> None:
    """Store settlements on PostgreSQL: COPY them in, then write the rows and the statuses.

    One statement inserts the consensus rows (for records the majority called correct, the
    final text is copied from the record's translations on the server, so those never
    travel); the records' status moves by id, one statement per status, with no join with
    the temporary table to build. The snapshot is the same as `snapshot` makes, written
    around each answer's JSON text as read, column by column.
    """
    given = pc.binary_join_element_wise(
        '{"response":',
        pc.cast(pa.array(answers.response_ids), pa.string()),
        ',"user":',
        pc.cast(pa.array(answers.user_ids), pa.string()),
        ',"values":',
        answers.values,
        "}",
        "",
    )
    offsets = pa.array(np.r_[settled.starts, len(given)].astype(np.int32))
    compared = [None] * len(settled.record_ids)
    for unit, machine in settled.translations.items():
        if settled.verdicts[unit] and settled.verdicts[unit] != CORRECT:
            compared[unit] = ',"translations":' + json_text(machine)
    inputs = pc.binary_join_element_wise(
        '{"answers":[',
        pc.binary_join(pa.ListArray.from_arrays(offsets, given), ","),
        "]",
        pc.fill_null(pa.array(compared, pa.string()), ""),
        "}",
        "",
    )
    table = pa.table(
        [
            pa.array(settled.record_ids),
            pa.array(settled.verdicts, pa.string()),
            pc.if_else(pa.array(settled.validated), _VALIDATED, _DISPUTED),
            pa.array(settled.reasons, pa.string()),
            pa.array(settled.agreements),
            inputs,
            pa.array([None if text is None else json_text(text) for text in settled.pieces]),
        ],
        schema=_SETTLED_SCHEMA,
    )
    cursor.execute(
        "CREATE TEMPORARY TABLE somos_settled (record_id bigint, verdict text, status text,"
        " reason text, agreement double precision, inputs json, pieces jsonb) ON COMMIT DROP"
    )
    text = io.BytesIO()
    pa_csv.write_csv(table, text, write_options=pa_csv.WriteOptions(include_header=False))
    with cursor.cursor.copy("COPY somos_settled FROM STDIN WITH (FORMAT csv)") as copy:
        copy.write(text.getbuffer())
    # The settled records' span lets the planner read only those records, by their key,
    # rather than the campaign's whole table (larger than PostgreSQL's buffers at 100k
    # records) once per statement and part.
    span = [int(settled.record_ids[0]), int(settled.record_ids[-1])]
    cursor.execute(_SETTLED_INSERT, [RULE, RULE_VERSION, at, *span])
    for status, chosen in ((_VALIDATED, settled.validated), (_DISPUTED, ~settled.validated)):
        if chosen.any():
            ids = _id_array(settled.record_ids[chosen].tolist())
            cursor.execute(_SETTLED_STATUS, [status, at, *span, ids])
    # Dropped now, not only at commit: a caller's transaction may settle again.
    cursor.execute("DROP TABLE somos_settled")


def _pending_settle_orm(*, campaign: Campaign, completed) -> int:
    """Settle the pending records with the ORM (the embedded SQLite mode)."""
    pending = completed.exclude(Exists(Consensus.objects.filter(record_id=OuterRef("pk"))))
    submitted = (
        Response.objects.filter(
            campaign=campaign, status=Response.Status.SUBMITTED, record__in=pending.values("pk")
        )
        .order_by("record_id", "id")
        .values_list("record_id", "id", "user_id", "values")
    )
    record_ids, response_ids, user_ids, values = values_columns(submitted)
    if not record_ids:
        return 0
    verdicts = [given.get(VERDICT) for given in values]
    answers = _Answers(
        record_ids=np.array(record_ids, dtype=np.int64),
        response_ids=np.array(response_ids, dtype=np.int64),
        user_ids=np.array(user_ids, dtype=np.int64),
        verdicts=pa.array([v if isinstance(v, str) else None for v in verdicts], pa.string()),
        values=values,
    )
    settled = _settle(answers, machine_needed=True)
    at = timezone.now()
    objects = []
    for unit, record_id in enumerate(settled.record_ids.tolist()):
        status = _VALIDATED if settled.validated[unit] else _DISPUTED
        machine = settled.translations[unit]
        pieces = settled.pieces[unit]
        outcome = Outcome(
            status,
            settled.verdicts[unit],
            dict(machine) if pieces is None else pieces,
            float(settled.agreements[unit]),
            settled.reasons[unit],
        )
        a, b = settled.starts[unit], settled.ends[unit]
        rows = list(zip(response_ids[a:b], user_ids[a:b], values[a:b], strict=True))
        consensus = Consensus(record_id=record_id)
        fill(consensus, outcome, snapshot(outcome, machine, rows), at)
        objects.append(consensus)
    Consensus.objects.bulk_create(objects, batch_size=1000)
    for status, chosen in ((_VALIDATED, settled.validated), (_DISPUTED, ~settled.validated)):
        ids = settled.record_ids[chosen].tolist()
        for start in range(0, len(ids), _BULK_BATCH):
            Record.objects.filter(pk__in=ids[start : start + _BULK_BATCH]).update(
                status=status, updated_at=at
            )
    _counters_move(campaign=campaign, settled=settled, answers=answers)
    return len(settled.record_ids)
