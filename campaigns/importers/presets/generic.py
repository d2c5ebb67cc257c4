"""Read any single file whose columns an organizer maps to id, text pairs and metadata."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from campaigns.importers.presets.base import RowCheck, RowDrafter, SingleFilePreset
from campaigns.importers.records import Piece, ProblemLog, RecordDraft
from campaigns.importers.sources import Source

_COLUMNS_SHOWN = 20


@dataclass(frozen=True, slots=True)
class ColumnMapping:
    """Say which column holds the id, which pairs are source/translation, and metadata."""

    id: str
    pairs: tuple[tuple[str, str], ...]
    metadata: tuple[str, ...]

    @property
    def columns(self) -> tuple[str, ...]:
        """Return every mapped column once, in mapping order."""
        names = [self.id, *(name for pair in self.pairs for name in pair), *self.metadata]
        return tuple(dict.fromkeys(names))


def mapping_parse(mapping: object) -> ColumnMapping:
    """Validate `{"id": col, "pairs": [[source, translation], ...], "metadata": [cols]}`."""
    if not isinstance(mapping, dict):
        raise ValueError(_("the column mapping is missing"))
    identifier = mapping.get("id")
    if not isinstance(identifier, str) or not identifier:
        raise ValueError(_("the column mapping names no id column"))
    pairs = mapping.get("pairs")
    if not isinstance(pairs, list | tuple) or not pairs:
        raise ValueError(_("the column mapping names no source/translation pair"))
    for pair in pairs:
        if not (
            isinstance(pair, list | tuple)
            and len(pair) == 2
            and all(isinstance(name, str) and name for name in pair)
        ):
            raise ValueError(
                _("each pair must name a source and a translation column, not %(pair)r")
                % {"pair": pair}
            )
    translations = [pair[1] for pair in pairs]
    if len(set(translations)) != len(translations):
        raise ValueError(_("two pairs share a translation column"))
    metadata = mapping.get("metadata") or []
    if not isinstance(metadata, list | tuple) or not all(
        isinstance(name, str) and name for name in metadata
    ):
        raise ValueError(_("the metadata must be a list of column names"))
    return ColumnMapping(
        id=identifier,
        pairs=tuple((source, translation) for source, translation in pairs),
        metadata=tuple(metadata),
    )


class GenericPreset(SingleFilePreset):
    """Read one file through an organizer's column mapping."""

    name = "generic"
    title = gettext_lazy("Any file (map the columns)")
    kind = "generic"

    def pieces_for(self, mapping: dict | None = None) -> tuple[str, ...]:
        try:
            columns = mapping_parse(mapping)
        except ValueError:
            return ()
        return tuple(translation for _source, translation in columns.pairs)

    def _drafter(
        self, source: Source, mapping: dict | None, problems: ProblemLog
    ) -> tuple[str, RowDrafter]:
        try:
            columns = mapping_parse(mapping)
        except ValueError as exc:
            problems.reject(source.name, None, "mapping", str(exc))
        first = True

        def draft(check: RowCheck, row: dict) -> RecordDraft | None:
            nonlocal first
            if first:
                first = False
                _columns_check(check, row, columns)
            external_id = check.identifier(row, columns.id)
            pieces = []
            for source_column, translation_column in columns.pairs:
                text = check.text(row, source_column)
                translated = check.text(row, translation_column)
                if text is not None and translated is not None:
                    pieces.append(Piece(translation_column, text, translated))
            metadata = {}
            for column in columns.metadata:
                if column in row:
                    metadata[column] = row[column]
                else:
                    check.fail(column, _("the field is missing"))
            if check.failed:
                return None
            assert external_id is not None
            return RecordDraft(external_id, pieces, {"row": row}, metadata)

        return columns.id, draft


def _columns_check(check: RowCheck, row: dict, columns: ColumnMapping) -> None:
    """Stop at the first row if a mapped column is not in the file at all."""
    missing = [column for column in columns.columns if column not in row]
    if not missing:
        return
    present = list(row)
    shown = ", ".join(present[:_COLUMNS_SHOWN]) + (", …" if len(present) > _COLUMNS_SHOWN else "")
    for column in missing:
        check.fail(column, _("no such column; the file has: %(columns)s") % {"columns": shown})
    raise check.problems.rejection()
