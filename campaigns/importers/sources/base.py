"""Name a source, guess its format and define what every row reader offers."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from django.conf import settings
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _

from campaigns.importers.records import ProblemLog

FORMATS = ("jsonl", "json", "csv", "parquet", "saved", "hub")
HUB_PREFIX = "hf://"

_EXTENSIONS = {
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".json": "json",
    ".csv": "csv",
    ".parquet": "parquet",
}
BOM = b"\xef\xbb\xbf"
# Byte-order marks of encodings other than UTF-8, longest first (UTF-32 LE starts like UTF-16).
_FOREIGN_BOMS = (
    (b"\xff\xfe\x00\x00", "UTF-32"),
    (b"\x00\x00\xfe\xff", "UTF-32"),
    (b"\xff\xfe", "UTF-16"),
    (b"\xfe\xff", "UTF-16"),
)
# What people upload by mistake instead of text: spreadsheets, archives, other formats.
_SIGNATURES = (
    (b"PK\x03\x04", "ZIP (.zip, .xlsx, .ods)"),
    (b"\xd0\xcf\x11\xe0", "Excel 97 (.xls)"),
    (b"\x1f\x8b", "gzip"),
    (b"PAR1", "Parquet"),
    (b"%PDF", "PDF"),
)
HEAD_BYTES = 8192


@dataclass(frozen=True, slots=True)
class Source:
    """Name one input: a file, a `save_to_disk` directory or a hub dataset.

    `path` may be `hf://name[:config]` for a hub dataset; `format` overrides detection.
    """

    path: str | Path
    format: str | None = None
    split: str | None = None
    config: str | None = None
    display_name: str = ""

    @property
    def name(self) -> str:
        """Return the name used in messages: the given one, else the file name."""
        if self.display_name:
            return self.display_name
        if source_format(self) == "hub":
            name, config = hub_name_config(self)
            return f"{name}:{config}" if config else name
        return Path(self.path).name or str(self.path)


def source_format(source: Source) -> str | None:
    """Return the source's format: the explicit one, else guessed from the path."""
    if source.format:
        return source.format if source.format in FORMATS else None
    path = str(source.path)
    if path.startswith(HUB_PREFIX):
        return "hub"
    if Path(path).is_dir():
        return "saved"
    return _EXTENSIONS.get(Path(path).suffix.lower())


def hub_name_config(source: Source) -> tuple[str, str | None]:
    """Split a hub source into dataset name and config (`Source.config` wins)."""
    name = str(source.path).removeprefix(HUB_PREFIX)
    config = None
    if ":" in name:
        name, config = name.split(":", 1)
    return name, source.config or config or None


def text_head_message(head: bytes) -> str | None:
    """Say why a text source's first bytes cannot start UTF-8 text, or None if they can."""
    for mark, encoding in _FOREIGN_BOMS:
        if head.startswith(mark):
            return _("the file is %(encoding)s text; save it as UTF-8") % {"encoding": encoding}
    for signature, kind in _SIGNATURES:
        if head.startswith(signature):
            return _("this is a %(kind)s file, not text; save the data as UTF-8 text") % {
                "kind": kind
            }
    # UTF-16 without a mark is half NUL bytes, as are many binary formats; a stray NUL in
    # real text is reported on its row and field instead.
    if head.count(b"\x00") * 4 >= len(head) > 0:
        return _(
            "binary data or UTF-16 text, not UTF-8 (a NUL byte at byte %(position)s); "
            "save the file as UTF-8 text"
        ) % {"position": head.index(b"\x00") + 1}
    return None


def unstorable_fields(row: dict) -> Iterator[tuple[str, str]]:
    """Yield (column, problem) for each value that PostgreSQL cannot store as text."""
    for column, value in row.items():
        message = _unstorable(column) or _unstorable(value)
        if message is not None:
            yield str(column), message


def _unstorable(value: object) -> str | None:
    if isinstance(value, str):
        if "\x00" in value:
            return _("the text contains a NUL character")
        if not value.isascii():
            try:
                value.encode("utf-8")
            except UnicodeEncodeError:
                return _("the text holds half of a surrogate pair, which is not valid Unicode")
        return None
    if isinstance(value, dict):
        items: Iterable[object] = (part for pair in value.items() for part in pair)
    elif isinstance(value, list | tuple):
        items = value
    else:
        return None
    for item in items:
        message = _unstorable(item)
        if message is not None:
            return message
    return None


def utf8_message(line: bytes, start: int) -> str:
    """Describe the first byte of line that is not valid UTF-8."""
    return _("not valid UTF-8 (byte 0x%(byte)02x at position %(position)s)") % {
        "byte": line[start],
        "position": start + 1,
    }


def python_size(value: object) -> int:
    """Return about how many bytes value takes as JSON text: its strings' UTF-8, 8 per other."""
    if isinstance(value, str):
        return len(value) if value.isascii() else len(value.encode("utf-8", "surrogatepass"))
    if isinstance(value, bytes | bytearray):
        return len(value)
    if isinstance(value, dict):
        return sum(python_size(key) + python_size(item) for key, item in value.items())
    if isinstance(value, list | tuple):
        return sum(python_size(item) for item in value)
    return 8


class RowReader:
    """Read one source, yielding rows with a position usable by `row_at` (or None)."""

    # Whether _rows() holds every row to SOMOS_IMPORT_MAX_ROW_BYTES itself, from the raw
    # input (cheaply); for other readers, rows() measures each row's values.
    checks_row_bytes = False
    _line_limit: int | None = None

    def __init__(self, source: Source, problems: ProblemLog) -> None:
        self.source = source
        self.file = source.name
        self.path = Path(source.path)
        self.problems = problems

    def __enter__(self) -> RowReader:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def rows(self) -> Iterator[tuple[int, dict, int | None]]:
        """Yield (row number, row, position); reject a missing or empty source."""
        if not self._exists():
            self.problems.reject(self.file, None, None, _("file not found"))
        before = self.problems.total
        limit = settings.SOMOS_IMPORT_MAX_ROWS
        row_limit = settings.SOMOS_IMPORT_MAX_ROW_BYTES
        count = 0
        for item in self._rows():
            count += 1
            if count > limit:
                self.reject_rows(limit)
            number, row, _position = item
            if not self.checks_row_bytes:
                size = python_size(row)
                if size > row_limit:
                    self.reject_wide_row(number, size)
            if self.suspect(number):
                for column, message in unstorable_fields(row):
                    self.problems.add(self.file, number, column, message)
            yield item
        if count == 0 and self.problems.total == before:
            self.problems.reject(self.file, None, None, _("the file has no rows"))

    def row_at(self, position: int) -> dict:
        """Return the row at a position that `rows` yielded."""
        raise NotImplementedError

    def close(self) -> None:
        """Release any handle kept for `row_at`."""

    def suspect(self, number: int) -> bool:
        """Say whether the row just read may hold text PostgreSQL cannot store.

        Readers that see their raw input answer from it cheaply (a JSON escape, a NUL
        byte); the others have every row's values checked.
        """
        return True

    def _exists(self) -> bool:
        return self.path.is_file()

    def _rows(self) -> Iterator[tuple[int, dict, int | None]]:
        raise NotImplementedError

    def reject_rows(self, limit: int) -> None:
        """Refuse a source with more rows than one import takes."""
        self.problems.reject(
            self.file,
            None,
            None,
            _("more than %(limit)s rows, the most one import takes; split the source")
            % {"limit": limit},
        )

    def reject_wide_row(self, row: int | None, size: int, *, decoded: bool = False) -> None:
        """Refuse a source with a row bigger than one record may be."""
        limit = filesizeformat(settings.SOMOS_IMPORT_MAX_ROW_BYTES)
        if decoded:
            message = _("the row takes %(size)s once decoded; a row may take %(limit)s")
        else:
            message = _("the row takes %(size)s; a row may take %(limit)s")
        self.problems.reject(
            self.file, row, None, message % {"size": filesizeformat(size), "limit": limit}
        )

    def check_text_head(self, handle: BinaryIO) -> None:
        """Reject a text source that is another encoding or a binary file; rewind it."""
        start = handle.tell()
        message = text_head_message(handle.read(HEAD_BYTES))
        handle.seek(start)
        if message is not None:
            self.problems.reject(self.file, None, None, message)

    def read_line(self, handle: BinaryIO, row: int | None) -> bytes:
        """Read one line, rejecting the source at a line too long to be a row."""
        # Read once per reader: settings are a lazy object, slow to ask on every line.
        limit = self._line_limit
        if limit is None:
            limit = self._line_limit = settings.SOMOS_IMPORT_MAX_ROW_BYTES
        raw = handle.readline(limit + 1)
        if len(raw) > limit:
            self.problems.reject(
                self.file,
                row,
                None,
                _("the line is longer than %(limit)s; is the file really %(format)s?")
                % {
                    "limit": filesizeformat(limit),
                    "format": (source_format(self.source) or "").upper(),
                },
            )
        return raw

    def decode_line(self, raw: bytes, row: int | None) -> str:
        """Decode one line strictly; reject the source at the first invalid byte."""
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            self.problems.reject(self.file, row, None, utf8_message(raw, exc.start))
