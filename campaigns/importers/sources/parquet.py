"""Read Parquet files batch by batch, refusing decompression bombs before they go off.

A small Parquet file can stand for a huge amount of data in two ways. Compressed pages
expand when decompressed; the footer declares their decompressed size, so a file beyond
the import limits is refused before any page is read. Dictionary encoding lets a million
rows repeat one long value while the pages hold only its index; no footer field gives
that decoded size. So text columns that the file dictionary-encodes are read as
dictionaries (as small as the file), each row's decoded size is computed from them, and
rows become Python objects only in slices of bounded size, after the decoded total and
the largest row have been checked against the limits.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING

from django.conf import settings
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _

from campaigns.importers.sources.base import RowReader

if TYPE_CHECKING:
    import numpy
    import pyarrow
    import pyarrow.parquet

BATCH_ROWS = 4096
# Rows become Python objects this many decoded bytes at a time (or one row, if bigger).
SLICE_BYTES = 64 * 2**20
# Column chunks are read in pieces of this size rather than whole.
READ_BUFFER_BYTES = 2**20


class ParquetReader(RowReader):
    """Read a Parquet file within the import limits; rows have no position (no cheap seek)."""

    checks_row_bytes = True

    # Rows of the current batch whose text holds a NUL character (Arrow lets them through).
    _suspects: frozenset[int] | set[int] = frozenset()

    def _rows(self) -> Iterator[tuple[int, dict, int | None]]:
        import pyarrow
        import pyarrow.parquet

        try:
            metadata = pyarrow.parquet.read_metadata(self.path)
            self._check_footer(metadata)
            parquet = pyarrow.parquet.ParquetFile(
                self.path,
                metadata=metadata,
                buffer_size=READ_BUFFER_BYTES,
                read_dictionary=_dictionary_text_columns(metadata),
            )
        except (OSError, ValueError, pyarrow.ArrowException) as exc:
            self._reject_unreadable(None, exc)
        plain = pyarrow.schema(
            [field.with_type(_plain_type(field.type)) for field in parquet.schema_arrow]
        )
        number = 0
        decoded = 0
        try:
            # One row group at a time: a list column read as dictionaries cannot span two.
            for group in range(metadata.num_row_groups):
                for batch in parquet.iter_batches(batch_size=BATCH_ROWS, row_groups=[group]):
                    sizes = row_sizes(batch)
                    decoded += int(sizes.sum())
                    self._check_batch(sizes, first_row=number + 1, decoded=decoded)
                    self._suspects = set((number + 1 + _nul_rows(batch)).tolist())
                    for start, length in _slices(sizes, SLICE_BYTES):
                        part = batch.slice(start, length).cast(plain)
                        for row in part.to_pylist():
                            number += 1
                            yield number, row, None
        except (OSError, ValueError, IndexError, pyarrow.ArrowException) as exc:
            # IndexError: dictionary indices past the dictionary's end.
            self._reject_unreadable(number + 1, exc)

    def suspect(self, number: int) -> bool:
        return number in self._suspects

    def _check_footer(self, metadata: pyarrow.parquet.FileMetaData) -> None:
        if metadata.num_rows > settings.SOMOS_IMPORT_MAX_ROWS:
            self.reject_rows(settings.SOMOS_IMPORT_MAX_ROWS)
        declared = sum(
            metadata.row_group(index).total_byte_size for index in range(metadata.num_row_groups)
        )
        limit = settings.SOMOS_IMPORT_MAX_DATA_BYTES
        if declared > limit:
            self.problems.reject(
                self.file,
                None,
                None,
                _("its data decompresses to %(size)s, more than the %(limit)s an import reads")
                % {"size": filesizeformat(declared), "limit": filesizeformat(limit)},
            )

    def _check_batch(self, sizes: numpy.ndarray, *, first_row: int, decoded: int) -> None:
        limit = settings.SOMOS_IMPORT_MAX_DATA_BYTES
        if decoded > limit:
            self.problems.reject(
                self.file,
                None,
                None,
                _("its data decodes to more than the %(limit)s an import reads")
                % {"limit": filesizeformat(limit)},
            )
        if not len(sizes):
            return
        widest = int(sizes.argmax())
        if sizes[widest] > settings.SOMOS_IMPORT_MAX_ROW_BYTES:
            self.reject_wide_row(first_row + widest, int(sizes[widest]), decoded=True)

    def _reject_unreadable(self, row: int | None, error: Exception) -> None:
        self.problems.reject(
            self.file,
            row,
            None,
            _("not a readable Parquet file (%(error)s)") % {"error": error},
        )


def _dictionary_text_columns(metadata: pyarrow.parquet.FileMetaData) -> list[str]:
    """Return the text columns some row group dictionary-encodes, to read as dictionaries."""
    paths: set[str] = set()
    for index in range(metadata.num_row_groups):
        group = metadata.row_group(index)
        for position in range(group.num_columns):
            column = group.column(position)
            if column.physical_type == "BYTE_ARRAY" and any(
                "DICTIONARY" in encoding for encoding in column.encodings
            ):
                paths.add(column.path_in_schema)
    return sorted(paths)


def _plain_type(kind: pyarrow.DataType) -> pyarrow.DataType:
    """Return the type with every dictionary replaced by its values' type."""
    import pyarrow

    if pyarrow.types.is_dictionary(kind):
        return _plain_type(kind.value_type)
    if pyarrow.types.is_list(kind):
        return pyarrow.list_(kind.value_field.with_type(_plain_type(kind.value_type)))
    if pyarrow.types.is_large_list(kind):
        return pyarrow.large_list(kind.value_field.with_type(_plain_type(kind.value_type)))
    if pyarrow.types.is_struct(kind):
        return pyarrow.struct([field.with_type(_plain_type(field.type)) for field in kind])
    return kind


def row_sizes(batch: pyarrow.RecordBatch) -> numpy.ndarray:
    """Return each row's decoded size in bytes, without decoding dictionaries."""
    return _per_row(batch, _lengths, _spread)


def _nul_rows(batch: pyarrow.RecordBatch) -> numpy.ndarray:
    """Return the indexes of the rows whose text holds a NUL character."""
    import numpy

    return numpy.flatnonzero(_per_row(batch, _nul_counts, _nothing))


Leaf = Callable[["pyarrow.Array"], "numpy.ndarray"]


def _per_row(batch: pyarrow.RecordBatch, text: Leaf, other: Leaf) -> numpy.ndarray:
    """Sum per row a figure given per text value by text(), per other value by other()."""
    import numpy

    total = numpy.zeros(batch.num_rows, dtype=numpy.int64)
    for column in batch.columns:
        total += _per_value(column, text, other)
    return total


def _per_value(array: pyarrow.Array, text: Leaf, other: Leaf) -> numpy.ndarray:
    import numpy
    import pyarrow
    import pyarrow.compute

    kind = array.type
    if pyarrow.types.is_dictionary(kind):
        figures = _per_value(array.dictionary, text, other)
        if not len(figures):
            return numpy.zeros(len(array), dtype=numpy.int64)
        indices = pyarrow.compute.fill_null(array.indices, 0).to_numpy(zero_copy_only=False)
        return figures[indices]
    if (
        pyarrow.types.is_string(kind)
        or pyarrow.types.is_large_string(kind)
        or pyarrow.types.is_binary(kind)
        or pyarrow.types.is_large_binary(kind)
    ):
        return text(array)
    if pyarrow.types.is_list(kind) or pyarrow.types.is_large_list(kind):
        # Offsets index the whole child array, whatever slice of it this array is.
        cumulative = numpy.concatenate(([0], numpy.cumsum(_per_value(array.values, text, other))))
        offsets = array.offsets.to_numpy(zero_copy_only=False)
        return cumulative[offsets[1:]] - cumulative[offsets[:-1]]
    if pyarrow.types.is_struct(kind):
        total = numpy.zeros(len(array), dtype=numpy.int64)
        for field in array.flatten():
            total += _per_value(field, text, other)
        return total
    return other(array)


def _lengths(array: pyarrow.Array) -> numpy.ndarray:
    import numpy
    import pyarrow.compute

    lengths = pyarrow.compute.fill_null(pyarrow.compute.binary_length(array), 0)
    return lengths.to_numpy(zero_copy_only=False).astype(numpy.int64)


def _spread(array: pyarrow.Array) -> numpy.ndarray:
    import numpy

    # Numbers, dates and the rare other types: their buffers spread evenly over the rows.
    return numpy.full(len(array), array.nbytes // max(len(array), 1), dtype=numpy.int64)


def _nul_counts(array: pyarrow.Array) -> numpy.ndarray:
    import numpy
    import pyarrow
    import pyarrow.compute

    if pyarrow.types.is_binary(array.type) or pyarrow.types.is_large_binary(array.type):
        # Bytes are stored as their text form, where a NUL byte is written as \x00.
        return _nothing(array)
    found = pyarrow.compute.fill_null(pyarrow.compute.match_substring(array, "\x00"), False)
    return found.to_numpy(zero_copy_only=False).astype(numpy.int64)


def _nothing(array: pyarrow.Array) -> numpy.ndarray:
    import numpy

    return numpy.zeros(len(array), dtype=numpy.int64)


def _slices(sizes: numpy.ndarray, budget: int) -> Iterator[tuple[int, int]]:
    """Split rows into (start, length) runs of at most budget bytes (or one row)."""
    start = 0
    taken = 0
    for index, size in enumerate(sizes.tolist()):
        if index > start and taken + size > budget:
            yield start, index - start
            start, taken = index, 0
        taken += size
    if start < len(sizes):
        yield start, len(sizes) - start
