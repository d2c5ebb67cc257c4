"""Read Arrow-backed sources: saved datasets and hub datasets (Parquet files: `parquet`)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.utils.translation import gettext as _

from campaigns.importers.sources.base import RowReader, hub_name_config
from campaigns.importers.sources.parquet import row_sizes

if TYPE_CHECKING:
    import pyarrow

BATCH_ROWS = 4096


class SavedDatasetReader(RowReader):
    """Read a directory written by `datasets`' `save_to_disk`; positions are indexes."""

    checks_row_bytes = True
    _dataset: Any = None

    def _exists(self) -> bool:
        return self.path.is_dir()

    def _rows(self) -> Iterator[tuple[int, dict, int | None]]:
        import datasets

        try:
            loaded = datasets.load_from_disk(str(self.path))
        except (OSError, ValueError) as exc:
            self.problems.reject(
                self.file,
                None,
                None,
                _("not a dataset saved with save_to_disk (%(error)s)") % {"error": exc},
            )
        if isinstance(loaded, datasets.DatasetDict):
            loaded = loaded[self._split(list(loaded))]
        if len(loaded) > settings.SOMOS_IMPORT_MAX_ROWS:
            self.reject_rows(settings.SOMOS_IMPORT_MAX_ROWS)
        self._dataset = loaded
        # The same rows as Arrow tables, memory-mapped: measured before they become objects.
        tables = loaded.with_format("arrow")
        for start in range(0, len(loaded), BATCH_ROWS):
            self._check_row_bytes(tables[start : start + BATCH_ROWS], first_row=start + 1)
            batch = loaded[start : start + BATCH_ROWS]
            for index, values in enumerate(zip(*batch.values(), strict=True)):
                yield start + index + 1, dict(zip(batch, values, strict=True)), start + index

    def _check_row_bytes(self, table: pyarrow.Table, *, first_row: int) -> None:
        limit = settings.SOMOS_IMPORT_MAX_ROW_BYTES
        for batch in table.to_batches():
            sizes = row_sizes(batch)
            if len(sizes) and sizes.max() > limit:
                widest = int(sizes.argmax())
                self.reject_wide_row(first_row + widest, int(sizes[widest]))
            first_row += batch.num_rows

    def _split(self, splits: list[str]) -> str:
        split = self.source.split
        if split is None and len(splits) == 1:
            return splits[0]
        if split not in splits:
            self.problems.reject(
                self.file,
                None,
                None,
                _("choose a split among: %(splits)s") % {"splits": ", ".join(splits)},
            )
        return split

    def row_at(self, position: int) -> dict:
        return self._dataset[position]


class HubReader(RowReader):
    """Stream a Hugging Face hub dataset (needs network); rows have no position."""

    def _exists(self) -> bool:
        return True

    def _rows(self) -> Iterator[tuple[int, dict, int | None]]:
        import datasets

        name, config = hub_name_config(self.source)
        rows: Iterator[dict] | None = None
        number = 0
        while True:
            # The hub client raises many unrelated types (HTTP, auth, missing config).
            try:
                if rows is None:
                    rows = iter(
                        datasets.load_dataset(
                            name,
                            config,
                            split=self.source.split or "train",
                            streaming=True,
                        )
                    )
                row = next(rows)
            except StopIteration:
                return
            except Exception as exc:
                self.problems.reject(
                    self.file,
                    number + 1 if number else None,
                    None,
                    _("could not read the dataset from the hub (%(error)s)") % {"error": exc},
                )
            number += 1
            yield number, row, None
