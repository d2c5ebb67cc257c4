"""Read what an export writes: records with their final text, and every answer.

Two flat queries read as Arrow columns (campaigns.bulk_reads): the records, their final text
piece by piece as plain text columns, and every submitted answer with its values as JSON
text. Machine translations are read only where needed, metadata and answer values are
decoded once per distinct text, and the answers file is built column by column.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from django.conf import settings
from django.db import connection, transaction
from django.db.models import BigIntegerField
from django.db.models.fields.json import KeyTextTransform, KeyTransform
from django.db.models.functions import Cast, Extract

from annotation.agreement import AnswerValues, ComparedTexts, answer_values
from annotation.consensus.bulk import translations_of
from annotation.consensus.rule import VERDICT
from annotation.models import Response
from campaigns.bulk_reads import queryset_table
from campaigns.importers.presets import preset_get
from campaigns.models import Campaign, Record
from leaderboard.export.layouts import ExportRecords, Layout
from somos_site.accounts.models import Profile

INCLUDE_VALIDATED = "validated"
INCLUDE_PENDING = "pending"
INCLUDE_CHOICES = (INCLUDE_VALIDATED, INCLUDE_PENDING)
# The key of Loaded.counts holding how many validated records a reviewer settled.
REVIEWED = "reviewed"


@dataclass(slots=True)
class Loaded:
    """What the export read: records to write, every answer, and the texts agreement compares.

    answer_records: per answer (a row of responses), the position of its record among all
    the campaign's records; values: the answers' values, decoded; compared: per translated
    piece, per record position, the text its answers are compared with (see export_load).
    """

    records: ExportRecords
    responses: pa.Table
    answer_records: np.ndarray
    values: AnswerValues
    compared: ComparedTexts
    counts: dict[str, int]


@transaction.atomic
def export_load(*, campaign: Campaign, layout: Layout, include: str) -> Loaded:
    """Read the records, their final text and every answer, in a few flat queries.

    One transaction, so records and answers come from the same moment; on PostgreSQL with
    room to sort and join in memory, and the answers read beside the records on a second
    connection that shares the transaction's snapshot (_answers_read_beside).

    The final text comes back piece by piece as plain text columns, not as JSON to decode.
    Machine translations are read only where needed: records not validated (written with
    them when every record is exported, and compared by agreement), reviewed ones, and those
    with a correction. Elsewhere a validated record's final text is its translation, and
    that is what agreement compares its answers with.
    """
    answers_reader = None
    if connection.vendor == "postgresql":
        answers_reader = _answers_read_beside(campaign=campaign)
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL work_mem = '64MB'")
    try:
        return _load(campaign=campaign, layout=layout, include=include, answers=answers_reader)
    finally:
        if answers_reader is not None:
            answers_reader.cancel()


def _answers_read_beside(*, campaign: Campaign) -> Future | None:
    """Start reading the answers on a second connection, on this transaction's snapshot.

    Only where the export's read is its own transaction: it becomes REPEATABLE READ and
    exports its snapshot, which the second connection takes, so both reads see the same
    moment while the server reads records and answers on two cores. Inside a caller's
    transaction (None) the answers are read after the records, on the one connection.
    """
    if len(connection.atomic_blocks) != 1:
        return None
    with connection.cursor() as cursor:
        cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        cursor.execute("SELECT pg_export_snapshot()")
        (snapshot,) = cursor.fetchone()
    reader = ThreadPoolExecutor(max_workers=1, thread_name_prefix="export-answers-read")
    try:
        return reader.submit(_answers_read_on, snapshot=snapshot, campaign=campaign)
    finally:
        # The thread ends with its read; nothing else is given to it.
        reader.shutdown(wait=False)


def _answers_read_on(*, snapshot: str, campaign: Campaign) -> pa.Table:
    """Read the answers in a transaction of this thread's own on the snapshot given."""
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
            cursor.execute("SET TRANSACTION SNAPSHOT %s", [snapshot])
            cursor.execute("SET LOCAL work_mem = '64MB'")
            return _answers_read(campaign=campaign)
    finally:
        connection.close()


def _load(*, campaign: Campaign, layout: Layout, include: str, answers: Future | None) -> Loaded:
    """Read as export_load says, the answers from `answers` where they are read beside."""
    names = preset_get(campaign.preset).pieces_for(campaign.field_mapping or None)
    records = (
        Record.objects.filter(campaign=campaign)
        .order_by("id")
        .annotate(
            **{
                f"piece_{index}": KeyTextTransform(name, "consensus__pieces")
                for index, name in enumerate(names)
            }
        )
    )
    columns = ["id", "external_id", "status", "consensus__reviewed", "consensus__verdict"]
    columns += ["metadata", *(f"piece_{index}" for index in range(len(names)))]
    types = [pa.int64(), pa.string(), pa.string(), pa.bool_(), pa.string(), pa.string()]
    types += [pa.string()] * len(names)
    if layout.original_key:
        records = records.annotate(original=KeyTransform(layout.original_key, "source_row"))
        columns.append("original")
        types.append(pa.string())
    table = queryset_table(
        records.values_list(*columns),
        schema=pa.schema(list(zip(columns, types, strict=True))),
        json_columns=[5] + ([len(columns) - 1] if layout.original_key else []),
    )
    record_ids = table.column("id").to_numpy()
    statuses = table.column("status").combine_chunks()
    validated = pc.equal(statuses, Record.Status.VALIDATED).to_numpy(zero_copy_only=False)
    was_reviewed = pc.fill_null(table.column("consensus__reviewed"), False)
    reviewed = validated & was_reviewed.to_numpy(zero_copy_only=False)
    pieces = {name: table.column(f"piece_{index}") for index, name in enumerate(names)}
    responses, answer_records, values = _responses_load(
        campaign=campaign,
        table=answers.result() if answers is not None else _answers_read(campaign=campaign),
        record_ids=record_ids,
        external_ids=table.column("external_id"),
        statuses=statuses,
        settled=pc.if_else(
            pa.array(validated), pc.fill_null(table.column("consensus__verdict"), ""), ""
        ),
    )

    counts = {item["values"]: item["counts"] for item in pc.value_counts(statuses).to_pylist()}
    counts[REVIEWED] = int(reviewed.sum())
    answers = np.bincount(answer_records, minlength=len(record_ids))
    corrected = np.zeros(len(record_ids), dtype=bool)
    corrected[answer_records[responses.column("corrected_pieces").to_numpy() > 0]] = True
    wanted = np.where(validated, reviewed | corrected, (include == INCLUDE_PENDING) | (answers > 1))
    wanted_positions = np.flatnonzero(wanted)
    found = translations_of(record_ids[wanted_positions].tolist())
    machine = {
        int(position): found[record_id]
        for position, record_id in zip(
            wanted_positions.tolist(), record_ids[wanted_positions].tolist(), strict=True
        )
    }

    exported = np.ones(len(record_ids), dtype=bool) if include == INCLUDE_PENDING else validated
    positions = np.flatnonzero(exported)
    everything = len(positions) == len(record_ids)
    chosen = table if everything else table.take(pa.array(positions))
    # Records share a few metadata values (split, answer letter): each is decoded once.
    encoded = chosen.column("metadata").combine_chunks().dictionary_encode()
    originals = None
    if layout.original_key:
        originals = [
            (json.loads(text) if text is not None else None) or {}
            for text in chosen.column("original").to_pylist()
        ]
    # Records not validated are written with their machine translation.
    machine_written = {
        index: machine[position]
        for index, position in enumerate(positions.tolist())
        if not validated[position]
    }
    texts = {
        name: _texts_replaced(chosen.column(f"piece_{index}"), machine_written, name)
        for index, name in enumerate(names)
    }
    return Loaded(
        records=ExportRecords(
            external_ids=chosen.column("external_id"),
            texts=texts,
            metadata=[json.loads(text) or {} for text in encoded.dictionary.to_pylist()],
            metadata_of=encoded.indices.to_numpy(zero_copy_only=False),
            originals=originals,
            validated=validated[positions],
            reviewed=reviewed[positions],
            machine=machine_written,
        ),
        responses=responses,
        answer_records=answer_records,
        values=values,
        # Agreement compares answers with the machine translation where it was read, and
        # elsewhere with the validated text (the same text, since nobody corrected it).
        compared=ComparedTexts(pieces=pieces, translations=machine),
        counts=counts,
    )


def _texts_replaced(
    column: pa.ChunkedArray, machine: dict[int, dict[str, str]], name: str
) -> pa.Array | pa.ChunkedArray:
    """Return column with piece name of the machine translations given by position."""
    if not machine:
        return column
    where = np.zeros(len(column), dtype=bool)
    where[list(machine)] = True
    replacements = pa.array([machine[position].get(name) for position in sorted(machine)])
    return pc.replace_with_mask(
        column.combine_chunks(), pa.array(where), replacements.cast(pa.string())
    )


_RESPONSES_SCHEMA = {
    "record_id": pa.int64(),
    "user_id": pa.int64(),
    "origin": pa.string(),
    "values": pa.string(),
    "corrections": pa.int64(),
    "annotator_variety": pa.string(),
    "submitted_at": pa.int64(),
    "duration_ms": pa.int64(),
}


def _answers_read(*, campaign: Campaign) -> pa.Table:
    """Return the campaign's submitted answers as read, by record then age."""
    submitted = Response.objects.filter(campaign=campaign, status=Response.Status.SUBMITTED)
    at = "submitted_at"
    schema = dict(_RESPONSES_SCHEMA)
    if connection.vendor == "postgresql":
        # Microseconds since the epoch: Arrow takes them as they are.
        submitted = submitted.annotate(
            submitted_us=Cast(Extract("submitted_at", "epoch") * 1_000_000, BigIntegerField())
        )
        at = "submitted_us"
    else:
        schema["submitted_at"] = pa.timestamp("us", tz="UTC")
    return queryset_table(
        submitted.order_by("record_id", "id").values_list(
            "record_id",
            "user_id",
            "origin",
            "values",
            "corrections",
            "annotator_variety",
            at,
            "duration_ms",
        ),
        schema=pa.schema(list(schema.items())),
        json_columns=[3],
    )


def _responses_load(
    *,
    campaign: Campaign,
    table: pa.Table,
    record_ids: np.ndarray,
    external_ids: pa.Array,
    statuses: pa.Array,
    settled: pa.Array,
) -> tuple[pa.Table, np.ndarray, AnswerValues]:
    """Return the answers file's table, per answer its record's position, and the values.

    table: the answers as _answers_read gives them; settled: per record, its settled
    verdict where validated, else empty.
    """
    answer_records = np.searchsorted(record_ids, table.column("record_id").to_numpy())
    where = pa.array(answer_records)
    values = table.column("values")
    decoded = answer_values(values)
    given = [value.get(VERDICT) for value in decoded.distinct]
    verdicts = pa.array(
        [verdict if isinstance(verdict, str) else None for verdict in given], pa.string()
    ).take(pa.array(decoded.index))

    users, user_index = np.unique(table.column("user_id").to_numpy(), return_inverse=True)
    names = _contributor_names(campaign=campaign)
    contributors = pa.array(
        [names.get(user) or _pseudonym(campaign.pk, user) for user in users.tolist()],
        pa.string(),
    )
    credited = np.array([user in names for user in users.tolist()], dtype=bool)
    settled_of = settled.take(where)
    agrees = pc.if_else(
        pc.not_equal(settled_of, ""),
        pc.fill_null(pc.equal(verdicts, settled_of), False),
        pa.scalar(None, pa.bool_()),
    )
    responses = pa.table(
        {
            "record_id": external_ids.take(where),
            "contributor": contributors.take(pa.array(user_index)),
            "credited": pa.array(credited[user_index]),
            "origin": table.column("origin"),
            "verdict": verdicts,
            "corrected_pieces": table.column("corrections"),
            "values": values,
            "annotator_variety": table.column("annotator_variety"),
            "submitted_at": table.column("submitted_at").cast(pa.timestamp("us", tz="UTC")),
            "duration_ms": table.column("duration_ms"),
            "record_status": statuses.take(where),
            "agrees_with_consensus": agrees,
        }
    )
    return responses, answer_records, decoded


def _contributor_names(*, campaign: Campaign) -> dict[int, str]:
    """Return the names of contributors who opted into credit and have a name of their own.

    A chosen display name, or a Hugging Face username proved by signing in; the others are
    credited under the export's own pseudonyms, never anything from their e-mail.
    """
    contributors = Response.objects.filter(campaign=campaign, status=Response.Status.SUBMITTED)
    return {
        user_id: display_name or huggingface_username
        for user_id, display_name, huggingface_username in Profile.objects.filter(
            public_ranking=True, user__in=contributors.values("user_id")
        )
        .exclude(display_name="", huggingface_verified_username="")
        .values_list("user_id", "display_name", "huggingface_verified_username")
    }


def _pseudonym(campaign_id: int, user_id: int) -> str:
    # Keyed with the site's secret and the campaign, so the name reveals no account and
    # does not link one person's answers across campaigns.
    digest = hmac.new(
        settings.SECRET_KEY.encode(), f"{campaign_id}:{user_id}".encode(), hashlib.sha256
    ).hexdigest()
    return f"annotator-{digest[:10]}"
