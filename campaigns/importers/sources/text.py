"""Read text files: JSON lines, JSON arrays and CSV, strictly as UTF-8."""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Iterator
from typing import BinaryIO

from django.conf import settings
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _

from campaigns.importers.json_codec import object_from_line
from campaigns.importers.records import value_kind
from campaigns.importers.sources.base import BOM, RowReader, utf8_message

# JSON text holds a NUL character or half of a surrogate pair, neither of which PostgreSQL
# stores, only as an escape: rows without one need no check of their values.
_UNSTORABLE_ESCAPE = re.compile(r"\\u(?:0000|[dD][89a-fA-F][0-9a-fA-F]{2})")
_UNSTORABLE_ESCAPE_BYTES = re.compile(_UNSTORABLE_ESCAPE.pattern.encode())
# What JSON counts as white space between values (json.loads skips the same).
_JSON_SPACE = re.compile(r"[ \t\n\r]*")
_SPACE = frozenset(" \t\n\r")


class JsonlReader(RowReader):
    """Read one JSON object per line; positions are byte offsets."""

    # read_line refuses a line longer than a row may be.
    checks_row_bytes = True
    _handle: BinaryIO | None = None
    _suspect = False

    def _rows(self) -> Iterator[tuple[int, dict, int | None]]:
        offset = 0
        with self.path.open("rb") as handle:
            self.check_text_head(handle)
            number = 0
            while raw := self.read_line(handle, number + 1):
                number += 1
                start = offset
                offset += len(raw)
                if number == 1:
                    raw = raw.removeprefix(BOM)
                row = object_from_line(raw)
                if row is not None:
                    self._suspect = (
                        b"\\u" in raw and _UNSTORABLE_ESCAPE_BYTES.search(raw) is not None
                    )
                    yield number, row, start
                    continue
                # The json module judges what the fast reader does not vouch for, with the
                # messages it always gave.
                text = self.decode_line(raw, number)
                if not text.strip():
                    continue
                row = self._parse(text, number)
                if row is not None:
                    yield number, row, start

    def _parse(self, text: str, number: int) -> dict | None:
        try:
            row = json.loads(text)
        except json.JSONDecodeError as exc:
            self.problems.add(
                self.file,
                number,
                None,
                _("invalid JSON at column %(column)s, the line may be cut short (%(error)s)")
                % {"column": exc.colno, "error": exc.msg},
            )
            return None
        except RecursionError:
            self.problems.add(self.file, number, None, _("the JSON is nested too deeply"))
            return None
        if not isinstance(row, dict):
            self.problems.add(
                self.file,
                number,
                None,
                _("expected a JSON object, not %(kind)s") % {"kind": value_kind(row)},
            )
            return None
        self._suspect = _UNSTORABLE_ESCAPE.search(text) is not None
        return row

    def suspect(self, number: int) -> bool:
        return self._suspect

    def row_at(self, position: int) -> dict:
        if self._handle is None:
            self._handle = self.path.open("rb")
        self._handle.seek(position)
        raw = self._handle.readline().removeprefix(BOM)
        row = object_from_line(raw)
        return json.loads(raw) if row is None else row

    def close(self) -> None:
        if self._handle is not None:
            self._handle.close()
            self._handle = None


class JsonReader(JsonlReader):
    """Read a JSON array of objects whole, or stream a `.json` file written as JSONL."""

    _array: list | None = None

    def _rows(self) -> Iterator[tuple[int, dict, int | None]]:
        if not self._is_array():
            yield from super()._rows()
            return
        limit = settings.SOMOS_IMPORT_MAX_JSON_ARRAY_BYTES
        if self.path.stat().st_size > limit:
            self.problems.reject(
                self.file,
                None,
                None,
                _(
                    "a JSON array is read whole, and this one is bigger than %(limit)s; "
                    "write one object per line (JSON Lines) instead"
                )
                % {"limit": filesizeformat(limit)},
            )
        raw = self.path.read_bytes().removeprefix(BOM)
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            line_start = raw.rfind(b"\n", 0, exc.start) + 1
            self.problems.reject(
                self.file,
                raw.count(b"\n", 0, line_start) + 1,
                None,
                utf8_message(raw[line_start:], exc.start - line_start),
            )
        try:
            self._array = self._items(text)
        except json.JSONDecodeError as exc:
            self.problems.reject(
                self.file,
                exc.lineno,
                None,
                _("invalid JSON (%(error)s)") % {"error": exc.msg},
            )
        except RecursionError:
            self.problems.reject(self.file, None, None, _("the JSON is nested too deeply"))
        self._suspect = _UNSTORABLE_ESCAPE.search(text) is not None
        for index, row in enumerate(self._array or []):
            if isinstance(row, dict):
                yield index + 1, row, index
            else:
                self.problems.add(
                    self.file,
                    index + 1,
                    None,
                    _("expected a JSON object, not %(kind)s") % {"kind": value_kind(row)},
                )

    def _items(self, text: str) -> list:
        """Parse the array item by item, refusing an item bigger than a row may be.

        The same grammar as json.loads, but each item's text is measured as JSON Lines
        measure a line. Slower than json.loads, so only for texts that may hold such an item.
        """
        limit = settings.SOMOS_IMPORT_MAX_ROW_BYTES
        if len(text) <= limit // 4:
            # No item can pass the cap: parse at json.loads' own (greater) speed.
            return json.loads(text)
        # A character takes 1 to 4 bytes in UTF-8: only items this long need encoding.
        unsure = limit // 4
        decode = json.JSONDecoder().raw_decode
        items: list = []
        position = _skip_space(text, 0)
        if not text.startswith("[", position):
            raise json.JSONDecodeError("Expecting '['", text, position)
        position = _skip_space(text, position + 1)
        if text.startswith("]", position):
            return _ended(text, position + 1, items)
        while True:
            item, end = decode(text, position)
            if end - position > unsure:
                size = len(text[position:end].encode("utf-8", "surrogatepass"))
                if size > limit:
                    self.reject_wide_row(len(items) + 1, size)
            items.append(item)
            after = text[end : end + 1]
            if after in _SPACE:
                end = _skip_space(text, end)
                after = text[end : end + 1]
            if after == ",":
                position = end + 1
                if text[position : position + 1] in _SPACE:
                    position = _skip_space(text, position)
            elif after == "]":
                return _ended(text, end + 1, items)
            else:
                raise json.JSONDecodeError("Expecting ',' delimiter", text, end)

    def _is_array(self) -> bool:
        with self.path.open("rb") as handle:
            self.check_text_head(handle)
            head = handle.read(4096).removeprefix(BOM).lstrip()
        return head.startswith(b"[")

    def row_at(self, position: int) -> dict:
        if self._array is not None:
            return self._array[position]
        return super().row_at(position)


def _skip_space(text: str, position: int) -> int:
    return _JSON_SPACE.match(text, position).end()


def _ended(text: str, position: int, items: list) -> list:
    """Return the items of an array that ends before position; refuse text after it."""
    position = _skip_space(text, position)
    if position != len(text):
        raise json.JSONDecodeError("Extra data", text, position)
    return items


class _Lines:
    """Feed decoded lines to the csv module while counting the bytes consumed."""

    def __init__(self, reader: CsvReader, handle: BinaryIO) -> None:
        self.reader = reader
        self.handle = handle
        self.offset = handle.tell()
        self.row: int | None = None
        # Where the row being read began; a quoted value may run over many lines.
        self.row_start: int | None = None
        # Whether a line read since the last row held a NUL byte (csv lets them through).
        self.nul_seen = False

    def __iter__(self) -> _Lines:
        return self

    def __next__(self) -> str:
        raw = self.reader.read_line(self.handle, self.row)
        if not raw:
            raise StopIteration
        self.offset += len(raw)
        if self.row_start is not None:
            size = self.offset - self.row_start
            if size > settings.SOMOS_IMPORT_MAX_ROW_BYTES:
                self.reader.reject_wide_row(self.row, size)
        self.nul_seen = self.nul_seen or b"\x00" in raw
        return self.reader.decode_line(raw, self.row)


class CsvReader(RowReader):
    """Read a CSV file with a header (UTF-8, optional BOM); positions are byte offsets."""

    # _Lines refuses a row, however many lines it spans, longer than a row may be.
    checks_row_bytes = True
    _handle: BinaryIO | None = None
    _suspect = False
    fieldnames: list[str] | None = None

    def _rows(self) -> Iterator[tuple[int, dict, int | None]]:
        # The row cap is the one limit on a row's size: the csv module's own cap on a value
        # (128 KB by default, for the whole process) must not refuse a smaller row first.
        csv.field_size_limit(max(csv.field_size_limit(), settings.SOMOS_IMPORT_MAX_ROW_BYTES))
        with self.path.open("rb") as handle:
            self.check_text_head(handle)
            if handle.read(len(BOM)) != BOM:
                handle.seek(0)
            lines = _Lines(self, handle)
            reader = csv.DictReader(lines)
            try:
                self.fieldnames = reader.fieldnames
            except csv.Error as exc:
                self.problems.reject(
                    self.file, None, None, _("unreadable CSV (%(error)s)") % {"error": exc}
                )
            if not self.fieldnames:
                return
            self._check_header(self.fieldnames)
            number = 0
            while True:
                start = lines.offset
                lines.row = number + 1
                lines.row_start = start
                try:
                    row = next(reader)
                except StopIteration:
                    return
                except csv.Error as exc:
                    self.problems.reject(
                        self.file,
                        number + 1,
                        None,
                        _("unreadable CSV (%(error)s)") % {"error": exc},
                    )
                number += 1
                self._suspect, lines.nul_seen = lines.nul_seen, False
                if None in row:
                    message = _("the row has more values than the header has columns")
                elif None in row.values():
                    message = _("the row has fewer values than the header has columns")
                else:
                    yield number, row, start
                    continue
                self.problems.add(self.file, number, None, message)

    def suspect(self, number: int) -> bool:
        return self._suspect

    def _check_header(self, fieldnames: list[str]) -> None:
        seen: set[str] = set()
        for name in fieldnames:
            if name in seen:
                self.problems.reject(self.file, None, name, _("the header repeats this column"))
            seen.add(name)

    def row_at(self, position: int) -> dict:
        if self._handle is None:
            self._handle = self.path.open("rb")
        self._handle.seek(position)
        return next(csv.DictReader(_Lines(self, self._handle), fieldnames=self.fieldnames))

    def close(self) -> None:
        if self._handle is not None:
            self._handle.close()
            self._handle = None
