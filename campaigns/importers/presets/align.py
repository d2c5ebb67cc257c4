"""Pair English rows with their translation rows by key, keeping memory flat.

Okapi files normally list items in the English order, so both files are read in
lockstep and each pair's key is checked. At the first pair whose keys differ (or when
one file ends early), the rest of the translation file is indexed by key: the index
holds the row number and the reader's position (a byte offset for JSONL and CSV, an
index for JSON arrays and saved datasets), and the row is read again when its English
partner comes. Parquet and hub rows cannot be re-read cheaply, so for those the index
holds the rows themselves. Either way the keys seen so far stay in a set, to report
duplicates.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from itertools import chain

from django.utils.translation import gettext as _

from campaigns.importers.presets.base import Preset, RowCheck
from campaigns.importers.records import ProblemLog, RecordDraft
from campaigns.importers.sources import RowReader, Source, reader_open

KeyReader = Callable[[RowCheck, dict], str | None]


@dataclass(slots=True)
class Side:
    """One file of a pair: its reader, the field holding its key and how to read it."""

    reader: RowReader
    key_field: str
    key: KeyReader


@dataclass(frozen=True, slots=True)
class Pair:
    """An English row and its translation row, with their shared key and row numbers."""

    key: str
    source_row: int
    source: dict
    translation_row: int
    translation: dict


_Keyed = tuple[str, int, dict, int | None]
_ROW_BITS = 40
_ROW_MASK = (1 << _ROW_BITS) - 1


def _keyed(side: Side, problems: ProblemLog) -> Iterator[_Keyed]:
    for number, row, position in side.reader.rows():
        key = side.key(RowCheck(problems, side.reader.file, number), row)
        if key is not None:
            yield key, number, row, position


def rows_aligned(source: Side, translation: Side, problems: ProblemLog) -> Iterator[Pair]:
    """Yield matching pairs; record duplicates and rows missing on either side."""
    sources = _keyed(source, problems)
    translations = _keyed(translation, problems)
    seen: set[str] = set()

    def duplicate(side: Side, item: _Keyed) -> None:
        problems.add(
            side.reader.file,
            item[1],
            side.key_field,
            _('duplicate key "%(key)s"') % {"key": item[0]},
        )

    english = next(sources, None)
    target = next(translations, None)
    while english and target and english[0] == target[0]:
        if english[0] in seen:
            duplicate(source, english)
            duplicate(translation, target)
        else:
            seen.add(english[0])
            yield Pair(english[0], english[1], english[2], target[1], target[2])
        english = next(sources, None)
        target = next(translations, None)

    # One int per seekable entry (position and row number packed) rather than a tuple
    # keeps the index of a million rows about 90 MB smaller.
    index: dict[str, int | tuple[int, dict]] = {}
    for key, number, row, position in chain([target] if target else [], translations):
        if key in seen or key in index:
            duplicate(translation, (key, number, row, position))
        else:
            index[key] = (number, row) if position is None else position << _ROW_BITS | number

    for item in chain([english] if english else [], sources):
        key, number, row, _position = item
        if key in seen:
            duplicate(source, item)
            continue
        seen.add(key)
        found = index.pop(key, None)
        if found is None:
            _missing(problems, source, number, key, translation)
            continue
        if isinstance(found, tuple):
            yield Pair(key, number, row, *found)
        else:
            other = translation.reader.row_at(found >> _ROW_BITS)
            yield Pair(key, number, row, found & _ROW_MASK, other)

    for key, found in index.items():
        other_number = found[0] if isinstance(found, tuple) else found & _ROW_MASK
        _missing(problems, translation, other_number, key, source)


def _missing(problems: ProblemLog, side: Side, number: int, key: str, other: Side) -> None:
    problems.add(
        side.reader.file,
        number,
        side.key_field,
        _('no row with key "%(key)s" in %(other)s') % {"key": key, "other": other.reader.file},
    )


class AlignedPreset(Preset):
    """Read presets with an English file and a separate translation file."""

    kind = "translation_validation"
    needs_translation_source = True
    key_fields: tuple[str, str]

    def _keys(self) -> tuple[KeyReader, KeyReader]:
        """Return fresh key readers for the English and the translation rows."""
        raise NotImplementedError

    def _draft(self, pair: Pair, english: RowCheck, target: RowCheck) -> RecordDraft | None:
        """Check one aligned pair and return its draft, or None if it is bad."""
        raise NotImplementedError

    def _drafts(
        self,
        source: Source,
        translation: Source | None,
        mapping: dict | None,
        problems: ProblemLog,
    ) -> Iterator[RecordDraft]:
        assert translation is not None
        source_key, translation_key = self._keys()
        with (
            reader_open(source, problems) as english,
            reader_open(translation, problems) as target,
        ):
            pairs = rows_aligned(
                Side(english, self.key_fields[0], source_key),
                Side(target, self.key_fields[1], translation_key),
                problems,
            )
            for pair in pairs:
                draft = self._draft(
                    pair,
                    RowCheck(problems, english.file, pair.source_row),
                    RowCheck(problems, target.file, pair.translation_row),
                )
                if draft is not None:
                    yield draft
