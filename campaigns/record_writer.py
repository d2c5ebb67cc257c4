"""Write streams of record drafts: COPY on PostgreSQL, batched upserts elsewhere.

Callers hold the transaction: a draft stream that raises half-way leaves nothing behind.
"""

from __future__ import annotations

import gc
import json
import logging
import struct
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from itertools import islice
from typing import NamedTuple

import orjson
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from campaigns.importers.json_codec import json_bytes, json_text
from campaigns.importers.records import ColumnsDeclined, RecordColumns, RecordDraft
from campaigns.models import Campaign, Record
from campaigns.triage.checks import Triage
from campaigns.triage.columns import PieceColumns
from campaigns.triage.pipeline import batches_triaged

logger = logging.getLogger(__name__)
BATCH_SIZE = 2000
_RECORD_TABLE = Record._meta.db_table
# The columns an import sets, in the order of the binary COPY's fields: the ones every row
# of an import shares first, so that they go as one prefix of bytes.
_SHARED_COLUMNS = "campaign_id, status, submitted_count, created_at, updated_at"
_OWN_COLUMNS = "external_id, fields, source_row, metadata, suspicion, triage_flags"
_COPY_COLUMNS = f"{_SHARED_COLUMNS}, {_OWN_COLUMNS}"
# Table and column names are constants of this module, never input.
_UPSERT_IMPORT_ROWS = (
    f"INSERT INTO {_RECORD_TABLE} ({_COPY_COLUMNS})"  # noqa: S608
    " SELECT %s, %s, 0, now(), now(), external_id, fields, source_row, metadata, suspicion,"
    " triage_flags FROM somos_import_rows"
    " ON CONFLICT (campaign_id, external_id) DO UPDATE SET fields = EXCLUDED.fields,"
    " source_row = EXCLUDED.source_row, metadata = EXCLUDED.metadata,"
    " suspicion = EXCLUDED.suspicion, triage_flags = EXCLUDED.triage_flags,"
    " updated_at = EXCLUDED.updated_at"
)
# The settled records whose text the upsert is about to change: their consensus was reached on
# the old text, so the apps above settle them again (campaigns.signals.records_imported).
_SETTLED_RETEXTED = (
    f"SELECT r.id FROM {_RECORD_TABLE} r JOIN somos_import_rows i"  # noqa: S608
    " ON r.external_id = i.external_id"
    " WHERE r.campaign_id = %s AND r.status <> %s AND r.fields <> i.fields"
)
# PostgreSQL's binary COPY: a signature, then per row its field count and each field as a
# length and bytes (jsonb's bytes start with a format version), then a trailer.
_BINARY_SIGNATURE = b"PGCOPY\n\xff\r\n\x00" + bytes(8)
_BINARY_TRAILER = b"\xff\xff"
_POSTGRES_EPOCH = datetime(2000, 1, 1, tzinfo=UTC)
_pack_length = struct.Struct("!i").pack
_pack_own_count = struct.Struct("!h").pack
_pack_score = struct.Struct("!id").pack
_NO_FLAGS = _pack_length(3) + b"\x01[]"
# A record as the COPY takes it: external id, pieces, original row(s) and metadata in UTF-8.
_Encoded = tuple[bytes, bytes, bytes, bytes, Triage]


class Written(NamedTuple):
    count: int
    # Ids of records already settled (not pending) whose pieces this write changed.
    settled_retexted: list[int]


def records_write(
    *,
    campaign: Campaign,
    drafts: Iterable[RecordDraft],
    first_import: bool,
    columns: Iterable[RecordColumns] | None = None,
) -> Written:
    """Write every record into the campaign, updating records whose external id exists.

    `columns`, where given, are the same records read in columns: tried first on
    PostgreSQL; if their reader declines (or the database refuses what it wrote), what it
    wrote is rolled back and the drafts are written instead.
    """
    with _collector_paused():
        if connection.vendor != "postgresql":
            return _bulk_upsert(campaign=campaign, drafts=drafts)
        if columns is not None:
            try:
                with transaction.atomic():
                    return _copy(campaign, _column_batches(campaign, columns), first_import)
            except (ColumnsDeclined, DatabaseError) as declined:
                logger.info("reading %s row by row: %s", campaign.slug, declined)
        return _copy(campaign, _draft_batches(campaign, drafts), first_import)


def _copy(campaign: Campaign, batches: Iterator[list[_Encoded]], first_import: bool) -> Written:
    if first_import:
        return Written(_copy_into_records(campaign=campaign, batches=batches), [])
    return _copy_and_upsert(campaign=campaign, batches=batches)


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Pause Python's cycle collector while drafts stream through.

    A batch of drafts outlives the collector's young generations, so every few batches it
    would walk the whole heap (Django and all) looking for cycles that drafts never make:
    a quarter of a 200,000-row import's time. Reference counting still frees every batch.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _pieces(draft: RecordDraft) -> list[dict[str, str]]:
    return [
        {"name": piece.name, "source": piece.source, "translation": piece.translation}
        for piece in draft.pieces
    ]


def _triaged_drafts(
    *, campaign: Campaign, drafts: Iterable[RecordDraft]
) -> Iterator[list[tuple[RecordDraft, Triage]]]:
    """The drafts a batch at a time, each with its triage (long imports: beside the writing)."""
    for batch, triages in batches_triaged(
        _batches(drafts),
        _draft_piece_rows,
        source_language=campaign.source_language,
        target_language=campaign.target_language,
    ):
        yield list(zip(batch, triages, strict=True))


def _draft_piece_rows(batch: list[RecordDraft]) -> list[list[tuple[str, str, str]]]:
    return [[(p.name, p.source, p.translation) for p in draft.pieces] for draft in batch]


def _draft_batches(campaign: Campaign, drafts: Iterable[RecordDraft]) -> Iterator[list[_Encoded]]:
    for batch in _triaged_drafts(campaign=campaign, drafts=drafts):
        yield [
            (
                draft.external_id.encode(),
                json_bytes(_pieces(draft)),
                json_bytes(draft.source_row),
                json_bytes(draft.metadata),
                triage,
            )
            for draft, triage in batch
        ]


def _column_batches(
    campaign: Campaign, columns: Iterable[RecordColumns]
) -> Iterator[list[_Encoded]]:
    for batch, triages in batches_triaged(
        columns,
        _column_pieces,
        source_language=campaign.source_language,
        target_language=campaign.target_language,
    ):
        yield list(
            zip(
                [external_id.encode() for external_id in batch.external_ids],
                _fields_json(batch),
                batch.source_rows,
                batch.metadata,
                triages,
                strict=True,
            )
        )


def _column_pieces(batch: RecordColumns) -> PieceColumns:
    return PieceColumns(batch.piece_names, batch.sources, batch.translations, batch.piece_counts)


def _fields_json(batch: RecordColumns) -> list[bytes]:
    """Each record's pieces as JSON, byte for byte what json_bytes makes of a draft's.

    Every text of a column is escaped by one orjson call on the whole column; each record's
    JSON is then a template filled with its escaped texts.
    """
    templates = [
        b"["
        + b",".join(
            b'{"name":%s,"source":"%%s","translation":"%%s"}' % json_bytes(name)
            for name in batch.piece_names[:count]
        )
        + b"]"
        for count in range(len(batch.piece_names) + 1)
    ]
    escaped = []
    for sources, translations in zip(batch.sources, batch.translations, strict=True):
        escaped += (_escaped_texts(sources), _escaped_texts(translations))
    return [
        templates[count] % texts[: 2 * count]
        for count, texts in zip(batch.piece_counts, zip(*escaped, strict=True), strict=True)
    ]


def _escaped_texts(texts: list[str | None]) -> list[bytes]:
    """Each text as it stands between the quotes of its JSON string (None as empty)."""
    array = orjson.dumps([text or "" for text in texts])
    # Between two texts orjson writes `","`, which no escaped text holds: inside a JSON
    # string a quote is always escaped, and `","` would need an unescaped one after a comma.
    return array[2:-2].split(b'","')


def _binary_rows(records: list[_Encoded], shared: bytes) -> bytes:
    """Records as rows of binary COPY, each starting with the `shared` fields' bytes.

    Binary rather than text: nothing to escape on this side, nothing to unescape and no
    timestamps to parse on the server's (a sixth of its time in the text format).
    """
    length = _pack_length
    rows: list[bytes] = []
    for external_id, fields, source_row, metadata, triage in records:
        rows += (
            shared,
            length(len(external_id)),
            external_id,
            length(len(fields) + 1),
            b"\x01",
            fields,
            length(len(source_row)),
            source_row,
            length(len(metadata) + 1),
            b"\x01",
            metadata,
            _pack_score(8, triage.score),
            _flags_field(triage),
        )
    return b"".join(rows)


def _flags_field(triage: Triage) -> bytes:
    # Most records have no flag: skip the encoder for them.
    if not triage.flags:
        return _NO_FLAGS
    flags = json_bytes([flag.as_json() for flag in triage.flags])
    return _pack_length(len(flags) + 1) + b"\x01" + flags


def _shared_fields(campaign: Campaign) -> bytes:
    """The binary COPY fields every record of this import shares, after the field count."""
    now = timezone.now()
    micros = (now - _POSTGRES_EPOCH) // timedelta(microseconds=1)
    status = Record.Status.PENDING.value.encode()
    return b"".join(
        (
            _pack_own_count(11),
            struct.pack("!iq", 8, campaign.pk),
            _pack_length(len(status)),
            status,
            struct.pack("!ii", 4, 0),
            struct.pack("!iq", 8, micros) * 2,
        )
    )


def _copy_into_records(*, campaign: Campaign, batches: Iterator[list[_Encoded]]) -> int:
    # A campaign's first import cannot collide with existing rows: COPY straight into the table.
    shared = _shared_fields(campaign)
    written = 0
    with connection.cursor() as cursor:
        raw = cursor.cursor
        statement = f"COPY {_RECORD_TABLE} ({_COPY_COLUMNS}) FROM STDIN WITH (FORMAT binary)"
        with raw.copy(statement) as copy:
            copy.write(_BINARY_SIGNATURE)
            for batch in batches:
                copy.write(_binary_rows(batch, shared))
                written += len(batch)
            copy.write(_BINARY_TRAILER)
    return written


def _copy_and_upsert(*, campaign: Campaign, batches: Iterator[list[_Encoded]]) -> Written:
    # Re-imports update pieces and rows but keep status, counts and every response.
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TEMP TABLE somos_import_rows (external_id text, fields jsonb,"
            " source_row json, metadata jsonb, suspicion float8, triage_flags jsonb)"
            " ON COMMIT DROP"
        )
        written = 0
        statement = f"COPY somos_import_rows ({_OWN_COLUMNS}) FROM STDIN WITH (FORMAT binary)"
        with cursor.cursor.copy(statement) as copy:
            copy.write(_BINARY_SIGNATURE)
            shared = _pack_own_count(6)
            for batch in batches:
                copy.write(_binary_rows(batch, shared))
                written += len(batch)
            copy.write(_BINARY_TRAILER)
        cursor.execute(_SETTLED_RETEXTED, [campaign.pk, Record.Status.PENDING])
        retexted = [row[0] for row in cursor.fetchall()]
        cursor.execute(_UPSERT_IMPORT_ROWS, [campaign.pk, Record.Status.PENDING])
        # ON COMMIT DROP waits for the outermost commit; inside a caller's transaction
        # a second import would find the table still there.
        cursor.execute("DROP TABLE somos_import_rows")
    return Written(written, retexted)


def _batches(drafts: Iterable[RecordDraft]) -> Iterator[list[RecordDraft]]:
    iterator = iter(drafts)
    while batch := list(islice(iterator, BATCH_SIZE)):
        yield batch


def _bulk_upsert(*, campaign: Campaign, drafts: Iterable[RecordDraft]) -> Written:
    written = 0
    retexted: list[int] = []
    for pairs in _triaged_drafts(campaign=campaign, drafts=drafts):
        batch = [draft for draft, _triage in pairs]
        settled = (
            Record.objects.filter(campaign=campaign, external_id__in=[d.external_id for d in batch])
            .exclude(status=Record.Status.PENDING)
            .values_list("external_id", "pk", "fields")
        )
        new_pieces = {draft.external_id: _pieces(draft) for draft in batch}
        retexted += [pk for external_id, pk, fields in settled if fields != new_pieces[external_id]]
        Record.objects.bulk_create(
            [
                Record(
                    campaign=campaign,
                    external_id=draft.external_id,
                    fields=new_pieces[draft.external_id],
                    source_row=json.loads(json_text(draft.source_row)),
                    metadata=json.loads(json_text(draft.metadata)),
                    suspicion=triage.score,
                    triage_flags=[flag.as_json() for flag in triage.flags],
                )
                for draft, triage in pairs
            ],
            update_conflicts=True,
            unique_fields=["campaign", "external_id"],
            update_fields=[
                "fields",
                "source_row",
                "metadata",
                "suspicion",
                "triage_flags",
                "updated_at",
            ],
        )
        written += len(batch)
    return Written(written, retexted)
