"""Write streams of record drafts: COPY on PostgreSQL, batched upserts elsewhere.

Callers hold the transaction: a draft stream that raises half-way leaves nothing behind.
"""

from __future__ import annotations

import gc
import json
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from itertools import islice
from typing import NamedTuple

from django.db import connection
from django.utils import timezone

from campaigns.importers.json_codec import json_text
from campaigns.importers.records import Piece, RecordDraft
from campaigns.models import Campaign, Record
from campaigns.triage.checks import Triage
from campaigns.triage.pipeline import batches_triaged

BATCH_SIZE = 2000
_RECORD_TABLE = Record._meta.db_table
_COPY_COLUMNS = (
    "campaign_id, external_id, fields, source_row, metadata, suspicion, triage_flags, status,"
    " submitted_count, created_at, updated_at"
)
# Table and column names are constants of this module, never input.
_UPSERT_IMPORT_ROWS = (
    f"INSERT INTO {_RECORD_TABLE} ({_COPY_COLUMNS})"  # noqa: S608
    " SELECT %s, external_id, fields, source_row, metadata, suspicion, triage_flags, %s, 0,"
    " now(), now() FROM somos_import_rows"
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


class Written(NamedTuple):
    count: int
    # Ids of records already settled (not pending) whose pieces this write changed.
    settled_retexted: list[int]


def records_write(
    *, campaign: Campaign, drafts: Iterable[RecordDraft], first_import: bool
) -> Written:
    """Write every draft into the campaign, updating records whose external id exists."""
    with _collector_paused():
        if connection.vendor == "postgresql":
            if first_import:
                return Written(_copy_into_records(campaign=campaign, drafts=drafts), [])
            return _copy_and_upsert(campaign=campaign, drafts=drafts)
        return _bulk_upsert(campaign=campaign, drafts=drafts)


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


def _triaged_batches(
    *, campaign: Campaign, drafts: Iterable[RecordDraft]
) -> Iterator[list[tuple[RecordDraft, Triage]]]:
    """The drafts a batch at a time, each with its triage (long imports: beside the writing)."""
    for batch, triages in batches_triaged(
        _batches(drafts),
        _draft_pieces,
        source_language=campaign.source_language,
        target_language=campaign.target_language,
    ):
        yield list(zip(batch, triages, strict=True))


def _draft_pieces(draft: RecordDraft) -> list[Piece]:
    return draft.pieces


def _draft_columns(draft: RecordDraft, triage: Triage) -> tuple[str, str, str, str, float, str]:
    return (
        draft.external_id,
        json_text(_pieces(draft)),
        json_text(draft.source_row),
        json_text(draft.metadata),
        triage.score,
        # Most records have no flag: skip the encoder for them.
        json_text([flag.as_json() for flag in triage.flags]) if triage.flags else "[]",
    )


def _copy_text(value: str) -> str:
    """Escape a value for COPY's text format: backslash, tab, newline and carriage return."""
    if "\\" in value:
        value = value.replace("\\", "\\\\")
    if "\t" in value or "\n" in value or "\r" in value:
        value = value.replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")
    return value


def _copy_json(value: str) -> str:
    """Escape JSON text for COPY's text format: JSON writes no raw tab or line break."""
    return value.replace("\\", "\\\\") if "\\" in value else value


def _copy_lines(batch: list[tuple[RecordDraft, Triage]], before: str, after: str) -> str:
    """A batch as lines of COPY text: each draft's columns between `before` and `after`.

    Written here rather than by psycopg's write_row, which escapes value by value: the JSON
    columns can hold no tab or line break (JSON escapes them), so only their backslashes
    are doubled, a few whole-string replacements per record.
    """
    return "".join(
        [
            f"{before}{_copy_text(external_id)}\t{_copy_json(fields)}\t{_copy_json(source_row)}"
            f"\t{_copy_json(metadata)}\t{score!r}\t{_copy_json(flags)}{after}\n"
            for external_id, fields, source_row, metadata, score, flags in (
                _draft_columns(draft, triage) for draft, triage in batch
            )
        ]
    )


def _copy_into_records(*, campaign: Campaign, drafts: Iterable[RecordDraft]) -> int:
    # A campaign's first import cannot collide with existing rows: COPY straight into the table.
    now = timezone.now().isoformat()
    before = f"{campaign.pk}\t"
    after = f"\t{Record.Status.PENDING}\t0\t{now}\t{now}"
    written = 0
    with connection.cursor() as cursor:
        raw = cursor.cursor
        with raw.copy(f"COPY {_RECORD_TABLE} ({_COPY_COLUMNS}) FROM STDIN") as copy:
            for batch in _triaged_batches(campaign=campaign, drafts=drafts):
                copy.write(_copy_lines(batch, before, after))
                written += len(batch)
    return written


def _copy_and_upsert(*, campaign: Campaign, drafts: Iterable[RecordDraft]) -> Written:
    # Re-imports update pieces and rows but keep status, counts and every response.
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TEMP TABLE somos_import_rows (external_id text, fields jsonb,"
            " source_row jsonb, metadata jsonb, suspicion float8, triage_flags jsonb)"
            " ON COMMIT DROP"
        )
        written = 0
        with cursor.cursor.copy("COPY somos_import_rows FROM STDIN") as copy:
            for batch in _triaged_batches(campaign=campaign, drafts=drafts):
                copy.write(_copy_lines(batch, "", ""))
                written += len(batch)
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
    for pairs in _triaged_batches(campaign=campaign, drafts=drafts):
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
