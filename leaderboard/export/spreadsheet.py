"""Write an export's rows and answers as CSV for spreadsheets, formulas neutralised.

A spreadsheet runs a cell that starts with =, +, - or @ (or a tab or carriage return) as a
formula, so a correction or display name such as `=HYPERLINK("http://…")` would come alive
on the organizer's machine. As OWASP advises against CSV injection, such cells get a
leading single quote, which spreadsheets show as text. Only these CSV files change: the
Parquet and JSON Lines files that the harness and `datasets` read keep every text as it is.
"""

from __future__ import annotations

import codecs
import json
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
from pyarrow import csv as pa_csv

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_FORMULA_START = r"^[=+\-@\t\r]"
_BATCH_ROWS = 10_000

_dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), default=str).encode


def cell_neutralise(value: object) -> str:
    """Return a cell's text, prefixed with a single quote if a spreadsheet would run it."""
    if value is None:
        text = ""
    elif isinstance(value, str):
        text = value
    elif isinstance(value, list | dict):
        text = _dumps(value)
    else:
        text = str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def table_csv_write(*, path: Path, table: pa.Table) -> None:
    """Write an Arrow table as a CSV file with a header, every text cell neutralised.

    Column by column in Arrow: an export writes hundreds of thousands of cells, which cell by
    cell in Python cost more than the rest of the export's files together. A batch of rows
    at a time, so that the same memory serves every batch.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    names = [cell_neutralise(name) for name in table.column_names]
    with path.open("wb") as out:
        # The byte-order mark makes spreadsheets read the file as UTF-8.
        out.write(codecs.BOM_UTF8)
        writer = None
        for batch in table.to_batches(max_chunksize=_BATCH_ROWS):
            safe = pa.record_batch(
                [_column_neutralise(column) for column in batch.columns], names=names
            )
            if writer is None:
                writer = pa_csv.CSVWriter(out, safe.schema)
            writer.write_batch(safe)
        if writer is None:
            # No rows: the header alone.
            pa_csv.write_csv(
                pa.table([_column_neutralise(column) for column in table.columns], names=names),
                out,
            )
        else:
            writer.close()


def _column_neutralise(column: pa.Array | pa.ChunkedArray) -> pa.Array | pa.ChunkedArray:
    kind = column.type
    if (
        pa.types.is_integer(kind)
        or pa.types.is_floating(kind)
        or pa.types.is_boolean(kind)
        or pa.types.is_temporal(kind)
    ):
        # A number or a time is never a formula, whatever its sign; Arrow writes it as is.
        return column
    if not (pa.types.is_string(kind) or pa.types.is_large_string(kind)):
        # Lists and records (choices, endings) as the JSON text a reader can parse back.
        column = pa.array(
            [None if value is None else _dumps(value) for value in column.to_pylist()],
            type=pa.string(),
        )
    risky = pc.match_substring_regex(column, pattern=_FORMULA_START)
    return pc.if_else(risky, pc.binary_join_element_wise("'", column, ""), column)
