"""Write an export's rows and answers as CSV for spreadsheets, formulas neutralised.

A spreadsheet runs a cell that starts with =, +, - or @ (or a tab or carriage return) as a
formula, so a correction or display name such as `=HYPERLINK("http://…")` would come alive
on the organizer's machine. As OWASP advises against CSV injection, such cells get a
leading single quote, which spreadsheets show as text. Only these CSV files change: the
Parquet and JSON Lines files that the harness and `datasets` read keep every text as it is.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

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


def rows_csv_write(*, path: Path, columns: Sequence[str], rows: Iterable[Mapping]) -> None:
    """Write rows as a CSV file with a header, every cell neutralised."""
    path.parent.mkdir(parents=True, exist_ok=True)
    # The byte-order mark makes spreadsheets read the file as UTF-8.
    with path.open("w", encoding="utf-8-sig", newline="") as out:
        writer = csv.writer(out)
        writer.writerow([cell_neutralise(column) for column in columns])
        writer.writerows([cell_neutralise(row.get(column)) for column in columns] for row in rows)


def columns_csv_write(*, path: Path, columns: Mapping[str, Sequence]) -> None:
    """Write column lists (name → values, all of one length) as a neutralised CSV file."""
    names = list(columns)
    rows = (dict(zip(names, values, strict=True)) for values in zip(*columns.values(), strict=True))
    rows_csv_write(path=path, columns=names, rows=rows)
