"""Share what every preset needs: the Preset contract, questions, labels, field checks."""

from __future__ import annotations

import functools
import unicodedata
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from campaigns.importers.records import ProblemLog, RecordColumns, RecordDraft, value_kind
from campaigns.importers.sources import Source, source_rows
from campaigns.languages import language_name_in_sentence

KINDS = ("translation_validation", "prompt_translation", "generic")
# Record.external_id's length.
MAX_ID_LENGTH = 255
_MISSING = object()


@dataclass(frozen=True, slots=True)
class QuestionSpec:
    """Describe one question asked per record (a text question may belong to a piece)."""

    name: str
    kind: str
    title: str
    options: list[dict]
    required: bool
    field: str


def piece_label(name: str) -> str:
    """Return the human label of a piece name, or the name itself for generic columns."""
    # Shown for every piece of every record: worked out once per name and language.
    return _piece_label(name, get_language())


@functools.lru_cache(maxsize=1024)
def _piece_label(name: str, language: str | None) -> str:
    fixed = {
        "question": _("Question"),
        "prompt": _("Instruction"),
        "activity_label": _("Activity"),
        "ctx_a": _("Context A"),
        "ctx_b": _("Context B"),
    }
    if name in fixed:
        return fixed[name]
    letter = name.removeprefix("option_")
    if len(letter) == 1 and letter in "abcde":
        return _("Option %(letter)s") % {"letter": letter.upper()}
    index = name.removeprefix("ending_")
    if index != name and index.isdecimal():
        return _("Ending %(number)s") % {"number": int(index) + 1}
    return name


def verdict_question(target_language: str) -> QuestionSpec:
    """Return the required question every record gets: is the translation right?"""
    return QuestionSpec(
        name="verdict",
        kind="label",
        # Translators: %(language)s is the campaign's target language as written inside a
        # sentence (context "language name inside a sentence"), such as "catalán". Where the
        # grammar inflects it, a form like "Is the translation correct? (Catalan)" is fine.
        title=_("Is the translation into %(language)s correct?")
        % {"language": language_name_in_sentence(target_language)},
        options=[
            {"value": "correct", "text": _("Correct")},
            {"value": "minor_fixes", "text": _("Needs minor fixes")},
            {"value": "wrong", "text": _("Wrong")},
        ],
        required=True,
        field="",
    )


def correction_question(piece: str) -> QuestionSpec:
    """Return the optional text question that holds a piece's corrected translation."""
    return QuestionSpec(
        name=f"{piece}_corrected",
        kind="text",
        title=_("%(piece)s: corrected translation") % {"piece": piece_label(piece)},
        options=[],
        required=False,
        field=piece,
    )


@dataclass(slots=True)
class RowCheck:
    """Read typed fields of one row, recording a problem for each bad one.

    Text PostgreSQL cannot store (NUL characters, halves of surrogate pairs) is reported by
    the source readers, for every column of the row, so it is not checked again here.
    """

    problems: ProblemLog
    file: str
    row: int
    failed: bool = False

    def fail(self, field: str | None, message: str) -> None:
        """Record a problem on this row."""
        self.failed = True
        self.problems.add(self.file, self.row, field, message)

    def _get(self, data: dict, field: str, name: str | None) -> object:
        value = data.get(field, _MISSING)
        if value is _MISSING:
            self.fail(name or field, _("the field is missing"))
        return value

    def _wrong(self, name: str, expected: str, value: object) -> None:
        self.fail(
            name,
            _("expected %(expected)s, not %(kind)s")
            % {"expected": expected, "kind": value_kind(value)},
        )

    def text(self, data: dict, field: str, name: str | None = None) -> str | None:
        """Return a text field, or None if it is missing or not text."""
        value = self._get(data, field, name)
        if isinstance(value, str):
            return value
        if value is not _MISSING:
            self._wrong(name or field, _("text"), value)
        return None

    def texts(self, data: dict, field: str, name: str | None = None) -> list[str] | None:
        """Return a list-of-text field, or None if it is missing or malformed."""
        value = self._get(data, field, name)
        if value is _MISSING:
            return None
        if not isinstance(value, list | tuple):
            self._wrong(name or field, _("a list of texts"), value)
            return None
        for index, item in enumerate(value):
            if not isinstance(item, str):
                self._wrong(f"{name or field}[{index}]", _("text"), item)
                return None
        return list(value)

    def nested(self, data: dict, field: str) -> dict | None:
        """Return an object field, or None if it is missing or not an object."""
        value = self._get(data, field, None)
        if isinstance(value, dict):
            return value
        if value is not _MISSING:
            self._wrong(field, _("an object"), value)
        return None

    def integer(self, data: dict, field: str) -> int | None:
        """Return a field holding a whole number ≥ 0 (or its digits), or None."""
        value = self._get(data, field, None)
        if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
            return value
        if isinstance(value, str) and value.strip().isdecimal():
            return int(value)
        if value is not _MISSING:
            self._wrong(field, _("a whole number"), value)
        return None

    def identifier(self, data: dict, field: str) -> str | None:
        """Return an id (text or whole number) as non-empty stripped text, or None."""
        value = self._get(data, field, None)
        if isinstance(value, int) and not isinstance(value, bool):
            return str(value)
        if isinstance(value, str):
            if len(value.strip()) > MAX_ID_LENGTH:
                self.fail(
                    field,
                    _("the id is longer than %(limit)s characters") % {"limit": MAX_ID_LENGTH},
                )
            elif value.strip():
                return value.strip()
            else:
                self.fail(field, _("the id is empty"))
        elif value is not _MISSING:
            self._wrong(field, _("an id (text or a whole number)"), value)
        return None


class Preset:
    """Turn one source layout (and its translation) into record drafts."""

    name: str
    title: str | Promise
    kind: str
    needs_translation_source: bool
    piece_names: tuple[str, ...] = ()

    def piece_label(self, name: str) -> str:
        """Return the human label of a piece."""
        return piece_label(name)

    def pieces_for(self, mapping: dict | None = None) -> tuple[str, ...]:
        """Return the piece names a record may have (generic: from the mapping)."""
        return self.piece_names

    def correct_piece(self, metadata: dict) -> str | None:
        """Name the piece the dataset marks as the correct answer, if the layout has one."""
        return None

    def questions(
        self, mapping: dict | None = None, *, target_language: str = "es"
    ) -> list[QuestionSpec]:
        """Return the verdict question and one correction question per piece."""
        pieces = self.pieces_for(mapping)
        return [verdict_question(target_language), *(correction_question(name) for name in pieces)]

    def read(
        self,
        source: Source,
        translation: Source | None = None,
        mapping: dict | None = None,
    ) -> Iterator[RecordDraft]:
        """Yield drafts; after the last row raise ImportRejected if any problem was found."""
        problems = ProblemLog()
        if self.needs_translation_source and translation is None:
            problems.reject(source.name, None, None, _("this preset needs a translation file"))
        if not self.needs_translation_source and translation is not None:
            problems.reject(
                translation.name,
                None,
                None,
                _("this preset reads a single file, not a translation file"),
            )
        for draft in self._drafts(source, translation, mapping, problems):
            # The import is all-or-nothing: once it is lost, check on but store nothing.
            if not problems:
                yield draft
        problems.raise_if_any()

    def read_columns(
        self,
        source: Source,
        translation: Source | None = None,
        mapping: dict | None = None,
    ) -> Iterator[RecordColumns] | None:
        """Return batches of the records read in columns, or None where only rows are read.

        The batches may raise ColumnsDeclined: then `read` decides, row by row.
        """
        return None

    def _drafts(
        self,
        source: Source,
        translation: Source | None,
        mapping: dict | None,
        problems: ProblemLog,
    ) -> Iterator[RecordDraft]:
        raise NotImplementedError


RowDrafter = Callable[[RowCheck, dict], RecordDraft | None]


class SingleFilePreset(Preset):
    """Read presets whose English and its translation live in the same row."""

    needs_translation_source = False

    def _drafter(
        self, source: Source, mapping: dict | None, problems: ProblemLog
    ) -> tuple[str, RowDrafter]:
        """Return the id field and the function turning one row into a draft."""
        raise NotImplementedError

    def _drafts(
        self,
        source: Source,
        translation: Source | None,
        mapping: dict | None,
        problems: ProblemLog,
    ) -> Iterator[RecordDraft]:
        id_field, drafter = self._drafter(source, mapping, problems)
        seen: set[str] = set()
        for number, row in source_rows(source, problems):
            check = RowCheck(problems, source.name, number)
            draft = drafter(check, row)
            if draft is None:
                continue
            if draft.external_id in seen:
                check.fail(id_field, _('duplicate id "%(id)s"') % {"id": _shown(draft.external_id)})
                continue
            seen.add(draft.external_id)
            yield draft


def _shown(value: str) -> str:
    """The value as a message may quote it: control characters written as escapes."""
    return "".join(
        f"\\x{ord(char):02x}" if unicodedata.category(char) == "Cc" else char for char in value
    )
