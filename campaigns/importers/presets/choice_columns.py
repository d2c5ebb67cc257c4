"""Read Okapi MMLU's two JSONL files in columns: the import's fast path for its usual input.

The row readers (`align`, `choice`) build a checked object per row and per piece, which
costs more than storing the record. Here a batch of lines of each file is parsed by the
same parser (orjson), then every check of the row path runs once per column: types,
counts, answers, keys in the same order in both files, no key twice. The original rows go
to the database as the lines hold them (`source_row` is stored as `json`, so as written).

Only input the row path would take exactly so is taken; at the first thing it would judge
otherwise (a bad row, keys out of order, a line it skips, text PostgreSQL cannot store)
the reader raises ColumnsDeclined and the import reads the files row by row instead, which
stores the same records or names every problem.
"""

from __future__ import annotations

from collections.abc import Iterator
from itertools import chain, islice, repeat, zip_longest
from operator import eq, lt, methodcaller
from pathlib import Path
from typing import BinaryIO

import numpy as np
import orjson
from django.conf import settings

from campaigns.importers.presets.options import LETTERS, OPTION_FIELDS
from campaigns.importers.records import ColumnsDeclined, RecordColumns
from campaigns.importers.sources.base import BOM, HEAD_BYTES, text_head_message

# About 2,500 MMLU rows at a time, some 5 MB to COPY: the size of the row path's batches.
# Far larger batches keep the server waiting while they are read, then this process while
# they are sent (the socket holds a few MB).
BATCH_BYTES = 1 << 20
PIECE_NAMES = ("question", *OPTION_FIELDS)
_MAX_ID_LENGTH = 255
# A key is a subject's number and a row index packed into one integer, to find repeats
# among millions of keys in a few bytes each.
_INDEX_BITS = 40


def mmlu_columns(english: Path, spanish: Path) -> Iterator[RecordColumns]:
    """Yield the records of an English MMLU file and its Okapi translation, in batches."""
    try:
        yield from _batches(english, spanish)
    except OSError as error:
        # A file missing or unreadable: the row readers say which, in the import's words.
        raise ColumnsDeclined(str(error)) from error


def _batches(english: Path, spanish: Path) -> Iterator[RecordColumns]:
    with english.open("rb") as english_file, spanish.open("rb") as spanish_file:
        _text_head_check(english_file)
        _text_head_check(spanish_file)
        subjects: dict[str, int] = {}
        keys: list[np.ndarray] = []
        total = 0
        while english_lines := english_file.readlines(BATCH_BYTES):
            spanish_lines = list(islice(spanish_file, len(english_lines)))
            if len(spanish_lines) != len(english_lines):
                raise ColumnsDeclined("the translation has fewer lines")
            if not total:
                english_lines[0] = english_lines[0].removeprefix(BOM)
                spanish_lines[0] = spanish_lines[0].removeprefix(BOM)
            total += len(english_lines)
            if total > settings.SOMOS_IMPORT_MAX_ROWS:
                raise ColumnsDeclined("more rows than one import takes")
            batch, batch_keys = _batch(english_lines, spanish_lines, subjects)
            keys.append(batch_keys)
            yield batch
        if not total or spanish_file.read(1):
            raise ColumnsDeclined("a file is empty or the translation has more lines")
        every_key = np.concatenate(keys)
        if len(np.unique(every_key)) != len(every_key):
            raise ColumnsDeclined("a key repeats")


def _text_head_check(handle: BinaryIO) -> None:
    if text_head_message(handle.read(HEAD_BYTES)) is not None:
        raise ColumnsDeclined("not UTF-8 text")
    handle.seek(0)


def _batch(
    english_lines: list[bytes], spanish_lines: list[bytes], subjects: dict[str, int]
) -> tuple[RecordColumns, np.ndarray]:
    count = len(english_lines)
    english = _objects(english_lines)
    spanish = _objects(spanish_lines)

    subject = _texts(english, "subject")
    for name in set(subject):
        if name != name.strip() or not 0 < len(name) <= _MAX_ID_LENGTH:
            raise ColumnsDeclined("a subject the row path would strip or refuse")
        subjects.setdefault(name, len(subjects))
    index = _column(english, "_row_index")
    _whole_numbers(index)
    if max(index) >> _INDEX_BITS:
        raise ColumnsDeclined("a row index too large to pack")
    question = _texts(english, "question")
    choices = _column(english, "choices")
    if set(map(type, choices)) != {list} or set(map(type, chain.from_iterable(choices))) != {str}:
        raise ColumnsDeclined("choices that are not a list of texts")
    option_counts = list(map(len, choices))
    if min(option_counts) < 2 or max(option_counts) > len(LETTERS):
        raise ColumnsDeclined("a row without 2 to 5 choices")
    answer = _column(english, "answer")
    _whole_numbers(answer)
    if not all(map(lt, answer, option_counts)):
        raise ColumnsDeclined("an answer past the choices")

    identifier = _texts(spanish, "id")
    if max(map(len, identifier)) > _MAX_ID_LENGTH or not all(
        map(eq, identifier, map(str.strip, identifier))
    ):
        raise ColumnsDeclined("an id the row path would strip or refuse")
    parts = list(map(methodcaller("split", "/"), identifier))
    if set(map(len, parts)) != {3}:
        raise ColumnsDeclined("an id not made of subject, split and index")
    id_subject, split, id_index = map(list, zip(*parts, strict=True))
    # The row path's keys are "<subject>/<int(index)>" on both sides; written digits that
    # are not the index's own (leading zeros) are compared as numbers.
    if id_subject != subject or "" in identifier:
        raise ColumnsDeclined("keys out of order or malformed")
    if id_index != list(map(str, index)) and (
        not all(map(str.isdecimal, id_index)) or list(map(int, id_index)) != index
    ):
        raise ColumnsDeclined("keys out of order or malformed")
    instruction = _texts(spanish, "instruction")
    translated = _translated_options(spanish, option_counts)
    letter = _column(spanish, "answer")
    if set(map(type, letter)) != {str}:
        raise ColumnsDeclined("an answer letter that is not text")
    letter = [value.strip().upper() for value in letter]
    if letter != [LETTERS[number] for number in answer]:
        raise ColumnsDeclined("an answer letter that does not match")

    options = [list(slot) for slot in zip_longest(*choices)]
    options += [[None] * count] * (len(LETTERS) - len(options))
    metadata = _metadata(subject, split, letter)
    batch = RecordColumns(
        external_ids=identifier,
        piece_names=PIECE_NAMES,
        sources=[question, *options],
        translations=[instruction, *translated],
        piece_counts=[options_count + 1 for options_count in option_counts],
        source_rows=[
            b'{"source":%s,"translation":%s}' % (en.rstrip(), es.rstrip())
            for en, es in zip(english_lines, spanish_lines, strict=True)
        ],
        metadata=metadata,
    )
    key_codes = np.array(list(map(subjects.__getitem__, subject)), dtype=np.int64)
    key_codes = key_codes << _INDEX_BITS | np.array(index, dtype=np.int64)
    return batch, key_codes


def _objects(lines: list[bytes]) -> list[dict]:
    """Parse each line as the row reader's fast path does; decline what it would not vouch for."""
    try:
        rows = list(map(orjson.loads, lines))
    except orjson.JSONDecodeError:
        # Blank or broken lines: the row reader skips or reports them.
        raise ColumnsDeclined("a line that is not one JSON object") from None
    if set(map(type, rows)) != {dict}:
        raise ColumnsDeclined("a line that is not a JSON object")
    if max(map(len, lines)) > settings.SOMOS_IMPORT_MAX_ROW_BYTES:
        raise ColumnsDeclined("a line longer than a row may be")
    if b"\\u0000" in b"".join(lines):
        # A NUL character, which PostgreSQL cannot store: the row reader reports it.
        raise ColumnsDeclined("a NUL character")
    return rows


def _column(rows: list[dict], field: str) -> list:
    return list(map(dict.get, rows, repeat(field)))


def _texts(rows: list[dict], field: str) -> list[str]:
    values = _column(rows, field)
    if set(map(type, values)) != {str}:
        raise ColumnsDeclined(f"a {field} that is missing or not text")
    return values


def _whole_numbers(values: list) -> None:
    # bool is an int to Python, not to the row path.
    if set(map(type, values)) != {int} or min(values) < 0:
        raise ColumnsDeclined("a number that is missing, negative or not whole")


def _translated_options(spanish: list[dict], option_counts: list[int]) -> list[list[str | None]]:
    """The translated options, checked as the row path does: as many as English has, no gap."""
    translated = []
    counts = np.array(option_counts)
    for slot, field in enumerate(OPTION_FIELDS):
        values = _column(spanish, field)
        if not set(map(type, values)) <= {str, type(None)}:
            raise ColumnsDeclined("an option that is not text")
        # Text that is not empty, the types being known.
        if list(map(bool, values)) != (counts > slot).tolist():
            raise ColumnsDeclined("translated options that do not match the English ones")
        # Past a record's options only None or "" is left, which no one reads.
        translated.append(values)
    return translated


def _metadata(subject: list[str], split: list[str], letter: list[str]) -> list[bytes]:
    """Each record's metadata as the row path writes it; few distinct values, each encoded once."""
    encoded: dict[tuple[str, str, str], bytes] = {}
    metadata = []
    for key in zip(subject, split, letter, strict=True):
        value = encoded.get(key)
        if value is None:
            value = encoded[key] = orjson.dumps(
                {"subject": key[0], "split": key[1], "answer": key[2]}
            )
        metadata.append(value)
    return metadata
