"""Name a source, guess its format and define what every row reader offers."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

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


def utf8_message(line: bytes, start: int) -> str:
    """Describe the first byte of line that is not valid UTF-8."""
    return _("not valid UTF-8 (byte 0x%(byte)02x at position %(position)s)") % {
        "byte": line[start],
        "position": start + 1,
    }


class RowReader:
    """Read one source, yielding rows with a position usable by `row_at` (or None)."""

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
        count = 0
        for item in self._rows():
            count += 1
            yield item
        if count == 0 and self.problems.total == before:
            self.problems.reject(self.file, None, None, _("the file has no rows"))

    def row_at(self, position: int) -> dict:
        """Return the row at a position that `rows` yielded."""
        raise NotImplementedError

    def close(self) -> None:
        """Release any handle kept for `row_at`."""

    def _exists(self) -> bool:
        return self.path.is_file()

    def _rows(self) -> Iterator[tuple[int, dict, int | None]]:
        raise NotImplementedError

    def decode_line(self, raw: bytes, row: int | None) -> str:
        """Decode one line strictly; reject the source at the first invalid byte."""
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            self.problems.reject(self.file, row, None, utf8_message(raw, exc.start))
