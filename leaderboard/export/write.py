"""Write an export's files: the rows per split, every answer, and a zip of it all."""

from __future__ import annotations

import json
import shutil
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
from datasets import Dataset, DatasetDict, DatasetInfo, Features
from datasets.table import InMemoryTable

from leaderboard.export.layouts import ExportRecord, Layout
from leaderboard.export.spreadsheet import table_csv_write

RESPONSE_FEATURES = Features.from_arrow_schema(
    pa.schema(
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
)

_dumps = json.JSONEncoder(ensure_ascii=False, check_circular=False, separators=(",", ":")).encode


def dataset_write(*, folder: Path, layout: Layout, records: list[ExportRecord]) -> dict[str, int]:
    """Write the rows per split: Parquet, JSON Lines, a DatasetDict saved to disk and CSV."""
    by_split: dict[str, list[dict]] = defaultdict(list)
    for record in records:
        by_split[layout.split_of(record)].append(layout.row_of(record))
    if not by_split:
        # An empty export still has the layout's columns, for whoever reads it next.
        by_split[layout.default_split] = []
    data = folder / "data"
    data.mkdir(parents=True, exist_ok=True)
    datasets: dict[str, Dataset] = {}
    # The spreadsheet copies are written beside the rest: Arrow's CSV writer leaves the GIL,
    # so on two cores they cost the export little time of its own.
    spreadsheets = ThreadPoolExecutor(max_workers=1, thread_name_prefix="export-csv")
    written = []
    for split, rows in sorted(by_split.items()):
        if layout.features is not None:
            features = layout.features
            table = pa.table(
                {name: [row[name] for row in rows] for name in features},
                schema=features.arrow_schema,
            )
        else:
            table = pa.Table.from_pylist(rows)
            features = Features.from_arrow_schema(table.schema)
            table = table.replace_schema_metadata(features.arrow_schema.metadata)
        pq.write_table(table, data / f"{split}.parquet")
        with (data / f"{split}.jsonl").open("w", encoding="utf-8") as out:
            out.writelines(_dumps(row) + "\n" for row in rows)
        written.append(
            spreadsheets.submit(
                table_csv_write, path=folder / "spreadsheet" / f"{split}.csv", table=table
            )
        )
        datasets[split] = Dataset(
            InMemoryTable(table), info=DatasetInfo(features=features), split=split
        )
    DatasetDict(datasets).save_to_disk(str(folder / "disk" / "validated"))
    with spreadsheets:
        for future in written:
            future.result()
    return {split: len(by_split[split]) for split in sorted(by_split)}


def responses_write(*, folder: Path, columns: dict[str, list]) -> list[str]:
    """Write every answer as Parquet (a dataset `datasets` loads) and CSV; return the credited."""
    table = pa.table(columns, schema=RESPONSE_FEATURES.arrow_schema)
    (folder / "responses").mkdir(parents=True, exist_ok=True)
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="export-csv") as spreadsheet:
        # As in dataset_write: the CSV copy is written while Parquet is.
        csv_written = spreadsheet.submit(
            table_csv_write, path=folder / "spreadsheet" / "responses.csv", table=table
        )
        pq.write_table(table, folder / "responses" / "train.parquet")
        csv_written.result()
    credited = {
        name
        for name, is_credited in zip(columns["contributor"], columns["credited"], strict=True)
        if is_credited
    }
    return sorted(credited, key=str.casefold)


def export_zip(*, folder: Path) -> Path:
    """Zip an export folder next to itself; return the archive's path."""
    return Path(shutil.make_archive(str(folder), "zip", root_dir=folder))
