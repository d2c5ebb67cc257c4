"""Write streams of record drafts: COPY on PostgreSQL, batched upserts elsewhere.

Callers hold the transaction: a draft stream that raises half-way leaves nothing behind.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from itertools import islice
from typing import NamedTuple

from django.db import connection
from django.utils import timezone

from campaigns.importers.records import RecordDraft
from campaigns.models import Campaign, Record
from campaigns.triage.checks import Triage, records_triage

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
# Parquet and saved datasets can hold dates or bytes: kept as their text form.
_dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), default=str).encode


class Written(NamedTuple):
    count: int
    # Ids of records already settled (not pending) whose pieces this write changed.
    settled_retexted: list[int]


def records_write(
    *, campaign: Campaign, drafts: Iterable[RecordDraft], first_import: bool
) -> Written:
    """Write every draft into the campaign, updating records whose external id exists."""
    if connection.vendor == "postgresql":
        if first_import:
            return Written(_copy_into_records(campaign=campaign, drafts=drafts), [])
        return _copy_and_upsert(campaign=campaign, drafts=drafts)
    return _bulk_upsert(campaign=campaign, drafts=drafts)


def _pieces(draft: RecordDraft) -> list[dict[str, str]]:
    return [
        {"name": piece.name, "source": piece.source, "translation": piece.translation}
        for piece in draft.pieces
    ]


def _triaged(
    *, campaign: Campaign, drafts: Iterable[RecordDraft]
) -> Iterator[tuple[RecordDraft, Triage]]:
    """Each draft with its triage, checked a batch at a time (the checks work in batches)."""
    for batch in _batches(drafts):
        triages = records_triage(
            (draft.pieces for draft in batch),
            source_language=campaign.source_language,
            target_language=campaign.target_language,
        )
        yield from zip(batch, triages, strict=True)


def _draft_columns(draft: RecordDraft, triage: Triage) -> tuple[str, str, str, str, float, str]:
    return (
        draft.external_id,
        _dumps(_pieces(draft)),
        _dumps(draft.source_row),
        _dumps(draft.metadata),
        triage.score,
        # Most records have no flag: skip the encoder for them.
        _dumps([flag.as_json() for flag in triage.flags]) if triage.flags else "[]",
    )


def _copy_into_records(*, campaign: Campaign, drafts: Iterable[RecordDraft]) -> int:
    # A campaign's first import cannot collide with existing rows: COPY straight into the table.
    now = timezone.now()
    written = 0
    with connection.cursor() as cursor:
        raw = cursor.cursor
        with raw.copy(f"COPY {_RECORD_TABLE} ({_COPY_COLUMNS}) FROM STDIN") as copy:
            for draft, triage in _triaged(campaign=campaign, drafts=drafts):
                copy.write_row(
                    (
                        campaign.pk,
                        *_draft_columns(draft, triage),
                        Record.Status.PENDING,
                        0,
                        now,
                        now,
                    )
                )
                written += 1
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
            for draft, triage in _triaged(campaign=campaign, drafts=drafts):
                copy.write_row(_draft_columns(draft, triage))
                written += 1
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
    for batch in _batches(drafts):
        triages = records_triage(
            (draft.pieces for draft in batch),
            source_language=campaign.source_language,
            target_language=campaign.target_language,
        )
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
                    fields=_pieces(draft),
                    source_row=json.loads(_dumps(draft.source_row)),
                    metadata=json.loads(_dumps(draft.metadata)),
                    suspicion=triage.score,
                    triage_flags=[flag.as_json() for flag in triage.flags],
                )
                for draft, triage in zip(batch, triages, strict=True)
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
