"""Read rows from files and datasets one at a time.

JSONL, CSV, Parquet, saved datasets and hub datasets stream with flat memory. A `.json`
file holding one array is parsed whole by `json.loads`, so large inputs should come as
JSONL or Parquet (a `.json` file with one object per line streams like JSONL).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from django.utils.translation import gettext as _

from campaigns.importers.records import ProblemLog
from campaigns.importers.sources.arrow import HubReader, SavedDatasetReader
from campaigns.importers.sources.base import (
    FORMATS,
    HUB_PREFIX,
    RowReader,
    Source,
    hub_name_config,
    source_format,
)
from campaigns.importers.sources.parquet import ParquetReader
from campaigns.importers.sources.text import CsvReader, JsonlReader, JsonReader

_READERS: dict[str, type[RowReader]] = {
    "jsonl": JsonlReader,
    "json": JsonReader,
    "csv": CsvReader,
    "parquet": ParquetReader,
    "saved": SavedDatasetReader,
    "hub": HubReader,
}


def reader_open(source: Source, problems: ProblemLog) -> RowReader:
    """Return the reader for source's format; reject an unknown format."""
    kind = source_format(source)
    if kind is None:
        problems.reject(
            source.name,
            None,
            None,
            _(
                "unknown format; expected .jsonl, .json, .csv, .parquet "
                "or a directory written by save_to_disk"
            ),
        )
    return _READERS[kind](source, problems)


def source_rows(source: Source, problems: ProblemLog | None = None) -> Iterator[tuple[int, dict]]:
    """Yield (row number, row) pairs, skipping bad rows and recording them.

    Without a `problems` log, raise ImportRejected after the last row if any row was bad.
    """
    log = problems if problems is not None else ProblemLog()
    with reader_open(source, log) as reader:
        for number, row, _position in reader.rows():
            yield number, row
    if problems is None:
        log.raise_if_any()


def source_rows_estimate(source: Source) -> int | None:
    """Return about how many rows the source holds, cheaply, or None when that is not cheap.

    Text files count their line breaks (a CSV field may hold one: an estimate), Parquet
    reads its footer; a `.json` array, a saved or a hub dataset say None.
    """
    kind = source_format(source)
    try:
        if kind in ("jsonl", "csv"):
            lines = _lines_count(Path(source.path))
            return max(lines - 1, 0) if kind == "csv" else lines
        if kind == "parquet":
            import pyarrow.parquet

            return pyarrow.parquet.ParquetFile(source.path).metadata.num_rows
    except (OSError, ValueError, ImportError):
        # The reader will say what is wrong with the file; an estimate just goes without.
        return None
    return None


def _lines_count(path: Path) -> int:
    lines = 0
    last = b"\n"
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 20):
            lines += chunk.count(b"\n")
            last = chunk[-1:]
    return lines + (last != b"\n")


__all__ = [
    "FORMATS",
    "HUB_PREFIX",
    "RowReader",
    "Source",
    "hub_name_config",
    "reader_open",
    "source_format",
    "source_rows",
    "source_rows_estimate",
]
