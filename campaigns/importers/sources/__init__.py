"""Read rows from files and datasets one at a time.

JSONL, CSV, Parquet, saved datasets and hub datasets stream with flat memory. A `.json`
file holding one array is parsed whole by `json.loads`, so large inputs should come as
JSONL or Parquet (a `.json` file with one object per line streams like JSONL).
"""

from __future__ import annotations

from collections.abc import Iterator

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


__all__ = [
    "FORMATS",
    "HUB_PREFIX",
    "RowReader",
    "Source",
    "hub_name_config",
    "reader_open",
    "source_format",
    "source_rows",
]
