"""Triage records given in columns, as records_triage does, at a fraction of its cost.

Most records hold nothing suspect, and records_triage pays a few microseconds per piece to
find that out. Here the checks that need one piece only run column by column, on arrays of
lengths, and call a check function only for the few pieces whose lengths leave it in doubt
(an original and a translation of about the same length may be identical; a short one may
be a placeholder). A record whose pieces all pass then takes records_triage's own record-wide
checks (language, loops, numbers, duplicate options) with the same functions; any record that
is not clean then, or whose pieces did not pass, is checked by records_triage itself. So the
result is records_triage's, record for record.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import dataclass
from itertools import accumulate, pairwise

import numpy as np

from campaigns.triage.checks import (
    _CLEAN,
    _DIGIT_BY_CAPITAL,
    _OPTION_EDGES,
    _PIECE_BREAK,
    _PLACEHOLDER_LONGEST,
    _PLACEHOLDER_WORDS,
    _RATIO_SHORTEST,
    _REPEATS_RATIO,
    _SIGNS,
    _SPACING_SLACK,
    OPTION_PREFIXES,
    Piece,
    Triage,
    _consecutive_phrase,
    _identical,
    _Pair,
    _pair,
    _placeholder,
    _plain_numbers,
    _triage,
)

# Records joined for one scan of their numbers, as _PIECE_BREAK joins a record's pieces.
_RECORD_BREAK = "\x1e"
_NUMBERS_BY_RECORD = re.compile(r"[0-9\x1f\x1e][0-9.,]*")


@dataclass(slots=True)
class PieceColumns:
    """Records' pieces by column: record r has the first counts[r] of the named pieces."""

    names: tuple[str, ...]
    sources: list[list[str | None]]
    translations: list[list[str | None]]
    counts: list[int]


def columns_triage(
    columns: PieceColumns, *, source_language: str = "en", target_language: str = "es"
) -> list[Triage]:
    """Return each record's triage, exactly as records_triage would."""
    pair = _pair(source_language, target_language)
    counts = np.array(columns.counts, dtype=np.int64)
    plain = np.ones(len(counts), dtype=bool)
    for slot, (sources, translations) in enumerate(
        zip(columns.sources, columns.translations, strict=True)
    ):
        present = counts > slot
        plain &= ~present | _plain_pieces(sources, translations, present, pair)
    source_rows = [
        row[:count]
        for row, count in zip(zip(*columns.sources, strict=True), columns.counts, strict=True)
    ]
    translation_rows = [
        row[:count]
        for row, count in zip(zip(*columns.translations, strict=True), columns.counts, strict=True)
    ]
    options = [slot for slot, name in enumerate(columns.names) if name.startswith(OPTION_PREFIXES)]
    candidates = np.flatnonzero(plain).tolist()
    numbers_plain = _plain_numbers_many(
        [_PIECE_BREAK.join(source_rows[record]) for record in candidates],
        [_PIECE_BREAK.join(translation_rows[record]) for record in candidates],
    )
    for record, numbers in zip(candidates, numbers_plain, strict=True):
        if not numbers or not _words_plain(translation_rows[record], options, pair):
            plain[record] = False
    triages = [_CLEAN] * len(counts)
    for record in np.flatnonzero(~plain).tolist():
        pieces = [
            Piece(name, source, translation)
            for name, source, translation in zip(
                columns.names, source_rows[record], translation_rows[record], strict=False
            )
        ]
        triages[record] = _triage(pieces, pair)
    return triages


def _plain_pieces(
    sources: list[str | None], translations: list[str | None], present: np.ndarray, pair: _Pair
) -> np.ndarray:
    """Which pieces of a column _piece_check counts as translated without a flag.

    Absent pieces may say anything: they are masked out by the caller.
    """
    sources = [text or "" for text in sources]
    translations = [text or "" for text in translations]
    count = len(sources)
    source_lengths = np.fromiter(map(len, sources), dtype=np.int64, count=count)
    lengths = np.fromiter(map(len, translations), dtype=np.int64, count=count)
    blank = np.fromiter(map(str.isspace, sources), dtype=bool, count=count)
    plain = (source_lengths > 0) & ~blank
    # The length ratio, as _piece_check works it out (a true division, the same floats).
    measured = source_lengths >= _RATIO_SHORTEST
    ratio = np.divide(lengths, source_lengths, out=np.zeros(count), where=measured)
    in_bounds = (pair.ratio_low <= ratio) & (ratio <= pair.ratio_high) & (ratio < _REPEATS_RATIO)
    plain &= ~measured | in_bounds
    close = np.flatnonzero(plain & present & (np.abs(source_lengths - lengths) <= _SPACING_SLACK))
    for index in close.tolist():
        source, translation = sources[index], translations[index]
        # _identical's own first test, where neither text starts with white space (which
        # it would strip): most translations differ in their first letter.
        first, other = source[:1], translation[:1]
        if first.lower() != other.lower() and not first.isspace() and not other.isspace():
            continue
        if _identical(source, translation):
            plain[index] = False
    short = lengths <= _PLACEHOLDER_LONGEST
    for index in np.flatnonzero(plain & present & short).tolist():
        translation = translations[index]
        if (not translation[:1].isalpha() or translation in _PLACEHOLDER_WORDS) and _placeholder(
            sources[index], translation
        ):
            plain[index] = False
    return plain


def _plain_numbers_many(sources: list[str], translations: list[str]) -> list[bool]:
    """_plain_numbers of many records (each one's pieces joined by _PIECE_BREAK), at once.

    All records' texts are joined, a _RECORD_BREAK before each, and scanned once: records
    whose originals hold a sign, a link or a digit by a capital, and records whose numbers
    do not come out the same, are then looked at one by one by _plain_numbers itself.
    """
    count = len(sources)
    every_source = _RECORD_BREAK + _RECORD_BREAK.join(sources)
    every_translation = _RECORD_BREAK + _RECORD_BREAK.join(translations)
    if (
        every_source.count(_RECORD_BREAK) != count
        or every_translation.count(_RECORD_BREAK) != count
    ):
        # A text holds the break itself: no telling the records apart.
        return [
            _plain_numbers(source, (text,))
            for source, text in zip(sources, translations, strict=True)
        ]
    starts = list(accumulate((len(source) + 1 for source in sources), initial=0))
    doubtful: set[int] = set()
    for mark in (*_SIGNS, "://", "www."):
        position = every_source.find(mark)
        while position >= 0:
            doubtful.add(bisect_right(starts, position) - 1)
            position = every_source.find(mark, position + 1)
    for match in _DIGIT_BY_CAPITAL.finditer(every_source):
        doubtful.add(bisect_right(starts, match.start()) - 1)
    source_numbers = _NUMBERS_BY_RECORD.findall(every_source)
    translation_numbers = _NUMBERS_BY_RECORD.findall(every_translation)
    if source_numbers != translation_numbers:
        for record, (mine, theirs) in enumerate(
            zip(_by_record(source_numbers), _by_record(translation_numbers), strict=True)
        ):
            if mine != theirs:
                doubtful.add(record)
    plain = [True] * count
    for record in doubtful:
        plain[record] = _plain_numbers(sources[record], (translations[record],))
    return plain


def _by_record(numbers: list[str]) -> list[list[str]]:
    """Numbers found in joined records, split where each record starts."""
    starts = [index for index, number in enumerate(numbers) if number[0] == _RECORD_BREAK]
    return [numbers[start:end] for start, end in pairwise([*starts, len(numbers)])]


def _words_plain(translations: tuple[str, ...], options: list[int], pair: _Pair) -> bool:
    """Whether _triage's word and option checks find nothing, every piece being translated."""
    words = "\n".join(translations).split()
    if not pair.foreign.isdisjoint(words) or pair.native.isdisjoint(words):
        return False
    if _consecutive_phrase(words) is not None:
        return False
    shown = [
        translations[slot].rstrip(_OPTION_EDGES) for slot in options if slot < len(translations)
    ]
    return len(set(shown)) == len(shown)
