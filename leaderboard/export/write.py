"""Write an export's files: the rows per split, every answer, and a zip of it all.

Each split is one Arrow table, from which Parquet, the saved dataset and the spreadsheet copy
are written; the JSON Lines of flat layouts are composed from its columns too.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from leaderboard.export.layouts import ExportRecords, Layout
from leaderboard.export.spreadsheet import table_csv_write

if TYPE_CHECKING:
    from datasets import Features

RESPONSE_SCHEMA = pa.schema(
    [
        ("record_id", pa.string()),
        ("contributor", pa.string()),
        ("credited", pa.bool_()),
        ("origin", pa.string()),
        ("verdict", pa.string()),
        ("corrected_pieces", pa.int64()),
        ("values", pa.string()),
        ("annotator_variety", pa.string()),
        ("submitted_at", pa.timestamp("us", tz="UTC")),
        ("duration_ms", pa.int64()),
        ("record_status", pa.string()),
        ("agrees_with_consensus", pa.bool_()),
    ]
)

_dumps = json.JSONEncoder(ensure_ascii=False, check_circular=False, separators=(",", ":")).encode
# Rows composed at a time when a file is written column by column: the same memory serves
# every batch.
_BATCH_ROWS = 10_000


def dataset_write(*, folder: Path, layout: Layout, records: ExportRecords) -> dict[str, int]:
    """Write the rows per split: Parquet, JSON Lines, a DatasetDict saved to disk and CSV."""
    # Imported here: only an export needs `datasets`, which takes ~0.5 s to import.
    from datasets import Dataset, DatasetDict, DatasetInfo
    from datasets.table import InMemoryTable

    splits = np.array(records.per_metadata(layout.split_of) or [""], dtype=object)
    split_of = splits[records.metadata_of] if len(records) else splits[:0]
    names = sorted(set(split_of.tolist())) or [layout.default_split]
    data = folder / "data"
    data.mkdir(parents=True, exist_ok=True)
    datasets: dict[str, Dataset] = {}
    # The spreadsheet copies are written beside the rest: Arrow's CSV writer leaves the GIL,
    # so on two cores they cost the export little time of its own.
    spreadsheets = ThreadPoolExecutor(max_workers=1, thread_name_prefix="export-csv")
    written = []
    everything = None
    if layout.columns_of is not None:
        flat_features = _features(layout.schema)
        everything = pa.table(layout.columns_of(records), schema=flat_features.arrow_schema)
    rows = [] if everything is not None else [layout.row_of(record) for record in records.rows()]
    counts = {}
    for split in names:
        chosen = np.flatnonzero(split_of == split)
        counts[split] = len(chosen)
        if everything is not None:
            features = flat_features
            table = everything.take(pa.array(chosen, pa.int64()))
            split_rows = None
        else:
            split_rows = [rows[index] for index in chosen.tolist()]
            table, features = _rows_table(layout, split_rows)
        pq.write_table(table, data / f"{split}.parquet")
        with (data / f"{split}.jsonl").open("wb") as out:
            if split_rows is None:
                _jsonl_write(table, out)
            else:
                out.writelines((_dumps(row) + "\n").encode() for row in split_rows)
        written.append(
            spreadsheets.submit(
                table_csv_write, path=folder / "spreadsheet" / f"{split}.csv", table=table
            )
        )
        datasets[split] = Dataset(
            InMemoryTable(table),
            info=DatasetInfo(features=features),
            split=split,
            # Named by the Parquet file just written: `datasets` would otherwise hash the
            # whole table through pickle (~0.1 s at 90k rows) for the same purpose.
            fingerprint=_file_digest(data / f"{split}.parquet"),
        )
    DatasetDict(datasets).save_to_disk(str(folder / "disk" / "validated"))
    with spreadsheets:
        for future in written:
            future.result()
    return counts


def _rows_table(layout: Layout, rows: list[dict]) -> tuple[pa.Table, Features]:
    """Return a split's table built from its rows, and its features."""
    if layout.schema is not None:
        features = _features(layout.schema)
        table = pa.table(
            {name: [row[name] for row in rows] for name in features},
            schema=features.arrow_schema,
        )
        return table, features
    table = pa.Table.from_pylist(rows)
    features = _features(table.schema)
    return table.replace_schema_metadata(features.arrow_schema.metadata), features


def _jsonl_write(table: pa.Table, out) -> None:
    """Write a table of text columns as JSON Lines, as json.dumps writes each row.

    Each line is composed column by column, a batch of rows at a time: the keys as JSON,
    each text escaped as JSON escapes it (quote, backslash, control characters; everything
    else as it is), null as null.
    """
    keys = [
        ("{" if index == 0 else ",") + _dumps(name) + ":"
        for index, name in enumerate(table.column_names)
    ]
    for batch in table.to_batches(max_chunksize=_BATCH_ROWS):
        parts: list[pa.Array | str] = []
        for key, column in zip(keys, batch.columns, strict=True):
            parts += [key, _json_strings(column)]
        lines = pc.binary_join_element_wise(*parts, "}\n", "")
        offsets = np.frombuffer(lines.buffers()[1], dtype=np.int32)[
            lines.offset : lines.offset + len(lines) + 1
        ]
        out.write(memoryview(lines.buffers()[2])[offsets[0] : offsets[-1]])


# What JSON escapes in a text besides the quote and the backslash (ensure_ascii=False).
_CONTROL_ESCAPES = {
    **{chr(code): f"\\u{code:04x}" for code in range(0x20)},
    "\b": "\\b",
    "\f": "\\f",
    "\n": "\\n",
    "\r": "\\r",
    "\t": "\\t",
}


def _json_strings(column: pa.Array) -> pa.Array:
    """Return each text as a JSON string literal, null as null."""
    escaped = pc.replace_substring(column, "\\", "\\\\")
    escaped = pc.replace_substring(escaped, '"', '\\"')
    if pc.any(pc.match_substring_regex(escaped, "[\\x00-\\x1f]")).as_py():
        for char, escape in _CONTROL_ESCAPES.items():
            escaped = pc.replace_substring(escaped, char, escape)
    quoted = pc.binary_join_element_wise('"', escaped, '"', "")
    return pc.fill_null(quoted, "null")


def _file_digest(path: Path) -> str:
    """A short digest of a file's bytes (a `datasets` fingerprint: 16 hex digits)."""
    with path.open("rb") as file:
        return hashlib.file_digest(file, lambda: hashlib.blake2b(digest_size=8)).hexdigest()


def _features(schema: pa.Schema) -> Features:
    """The `datasets` features of an Arrow schema (their arrow_schema carries its metadata)."""
    from datasets import Features

    return Features.from_arrow_schema(schema)


def responses_write(*, folder: Path, responses: pa.Table) -> list[str]:
    """Write every answer as Parquet (a dataset `datasets` loads) and CSV; return the credited."""
    table = pa.table(responses.columns, schema=_features(RESPONSE_SCHEMA).arrow_schema)
    (folder / "responses").mkdir(parents=True, exist_ok=True)
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="export-csv") as spreadsheet:
        # As in dataset_write: the CSV copy is written while Parquet is.
        csv_written = spreadsheet.submit(
            table_csv_write, path=folder / "spreadsheet" / "responses.csv", table=table
        )
        pq.write_table(table, folder / "responses" / "train.parquet")
        csv_written.result()
    credited = pc.unique(pc.filter(table.column("contributor"), table.column("credited")))
    return sorted(credited.to_pylist(), key=str.casefold)


def export_zip(*, folder: Path) -> Path:
    """Zip an export folder next to itself; return the archive's path."""
    return Path(shutil.make_archive(str(folder), "zip", root_dir=folder))
