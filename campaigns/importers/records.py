"""Define what an importer hands to the database layer and how it reports bad input."""

from __future__ import annotations

from dataclasses import dataclass
from typing import NoReturn

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

PROBLEM_LIMIT = 50


# Not frozen: an import builds millions of pieces, and a frozen dataclass takes twice as long
# to build (every field goes through object.__setattr__). Nothing changes a piece once made.
@dataclass(slots=True)
class Piece:
    """Hold one translated unit that a volunteer validates."""

    name: str
    source: str
    translation: str


@dataclass(slots=True)
class RecordDraft:
    """Hold one record ready to be stored, with its original row(s) kept whole."""

    external_id: str
    pieces: list[Piece]
    source_row: dict
    metadata: dict


@dataclass(slots=True)
class RecordColumns:
    """Hold a batch of records ready to be stored, column by column (a row per record).

    Record r has the first `piece_counts[r]` pieces of `piece_names`; its entries for the
    others are None. `source_rows` and `metadata` are each record's JSON, in UTF-8.
    """

    external_ids: list[str]
    piece_names: tuple[str, ...]
    sources: list[list[str | None]]
    translations: list[list[str | None]]
    piece_counts: list[int]
    source_rows: list[bytes]
    metadata: list[bytes]

    def __len__(self) -> int:
        return len(self.external_ids)


class ColumnsDeclined(Exception):
    """Tell the importer to read the source row by row after all.

    A column reader takes only input it can vouch for exactly as the row readers would;
    for anything else (a bad row, rows out of order) the row readers decide, and say
    what is wrong.
    """


@dataclass(frozen=True, slots=True)
class Problem:
    """Name one defect of the input: file, 1-based row (or line), field and what is wrong."""

    file: str
    row: int | None
    field: str | None
    message: str

    def __str__(self) -> str:
        values = {
            "file": self.file,
            "row": self.row,
            "field": self.field,
            "message": self.message,
        }
        if self.row is not None and self.field is not None:
            text = _("%(file)s, row %(row)s, field «%(field)s»: %(message)s")
        elif self.row is not None:
            text = _("%(file)s, row %(row)s: %(message)s")
        elif self.field is not None:
            text = _("%(file)s, field «%(field)s»: %(message)s")
        else:
            text = _("%(file)s: %(message)s")
        return text % values


class ImportRejected(Exception):
    """Refuse a whole import, listing the problems found (the first ones, then a count)."""

    def __init__(self, problems: list[Problem], omitted: int = 0) -> None:
        super().__init__(problems, omitted)
        self.problems = problems
        self.omitted = omitted

    def __str__(self) -> str:
        lines = [str(problem) for problem in self.problems]
        if self.omitted:
            lines.append(
                ngettext(
                    "… and %(count)s more problem",
                    "… and %(count)s more problems",
                    self.omitted,
                )
                % {"count": self.omitted}
            )
        return "\n".join(lines)


class ProblemLog:
    """Collect the first problems of an import and count the rest."""

    def __init__(self, limit: int = PROBLEM_LIMIT) -> None:
        self.limit = limit
        self.problems: list[Problem] = []
        self.total = 0

    def __bool__(self) -> bool:
        return self.total > 0

    def add(self, file: str, row: int | None, field: str | None, message: str) -> None:
        """Record a problem; past the limit only count it."""
        self.total += 1
        if len(self.problems) < self.limit:
            self.problems.append(Problem(file, row, field, message))

    def reject(self, file: str, row: int | None, field: str | None, message: str) -> NoReturn:
        """Record a problem that makes reading on pointless and stop the import."""
        self.add(file, row, field, message)
        raise self.rejection()

    def rejection(self) -> ImportRejected:
        """Build the exception that reports every problem recorded so far."""
        return ImportRejected(list(self.problems), self.total - len(self.problems))

    def raise_if_any(self) -> None:
        """Raise ImportRejected if any problem was recorded."""
        if self.total:
            raise self.rejection()


def value_kind(value: object) -> str:
    """Describe the JSON type of value for a message, e.g. "a number"."""
    if value is None:
        return _("null")
    if isinstance(value, bool):
        return _("true/false")
    if isinstance(value, int | float):
        return _("a number")
    if isinstance(value, str):
        return _("text")
    if isinstance(value, list | tuple):
        return _("a list")
    if isinstance(value, dict):
        return _("an object")
    return type(value).__name__
