"""Read Okapi's multiple-choice benchmarks (ARC-Challenge, MMLU) in any of its languages."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from campaigns.importers.presets.align import AlignedPreset, KeyReader, Pair
from campaigns.importers.presets.base import RowCheck
from campaigns.importers.presets.options import LETTERS, OPTION_FIELDS
from campaigns.importers.records import Piece, RecordColumns, RecordDraft
from campaigns.importers.sources import Source, source_format

_ARC_ID = re.compile(r"ARC-[^/]+/(?P<split>[^/]+)/(?P<id>.+)")


def options_counted(check: RowCheck, field: str, count: int) -> bool:
    """Check that an English row has between 2 and 5 options."""
    if 2 <= count <= len(LETTERS):
        return True
    check.fail(
        field,
        _("expected between 2 and %(most)s options, not %(count)s")
        % {"most": len(LETTERS), "count": count},
    )
    return False


def _translated_options(target: RowCheck, row: dict) -> list[str]:
    """Return option_a.. up to the last non-empty one; record gaps and non-text."""
    options: list[str] = []
    empty: str | None = None
    for field in OPTION_FIELDS:
        value = row.get(field)
        if value is None or value == "":
            empty = empty or field
        elif not isinstance(value, str):
            target.text(row, field)
        elif empty:
            target.fail(empty, _("empty, but a later option is not"))
            return options
        else:
            options.append(value)
    return options


def _translated_answer(target: RowCheck, row: dict) -> str | None:
    if "answer" not in row:
        target.fail("answer", _("the field is missing"))
        return None
    value = row["answer"]
    letter = value.strip().upper() if isinstance(value, str) else ""
    if len(letter) == 1 and letter in LETTERS:
        return letter
    target.fail("answer", _('expected a letter A–E, not "%(value)s"') % {"value": value})
    return None


def _option_of(metadata: dict) -> str | None:
    letter = metadata.get("answer")
    return f"option_{letter.lower()}" if isinstance(letter, str) and letter else None


def choice_pieces(
    pair: Pair,
    english: RowCheck,
    target: RowCheck,
    question: str | None,
    options: list[str] | None,
    answer: int | None,
) -> tuple[list[Piece], str] | None:
    """Check the translated side against the English one; return pieces and answer letter."""
    row = pair.translation
    instruction = target.text(row, "instruction")
    translated = _translated_options(target, row)
    letter = _translated_answer(target, row)
    if english.failed or target.failed:
        return None
    assert question is not None and options is not None and answer is not None
    assert instruction is not None and letter is not None
    english_row = {"row": pair.source_row, "count": len(options)}
    if len(translated) < len(options):
        target.fail(
            OPTION_FIELDS[len(translated)],
            _("missing, but English row %(row)s has %(count)s options") % english_row,
        )
    elif len(translated) > len(options):
        target.fail(
            OPTION_FIELDS[len(options)],
            _("present, but English row %(row)s has only %(count)s options") % english_row,
        )
    elif letter != LETTERS[answer]:
        target.fail(
            "answer",
            _('"%(letter)s" does not match the answer "%(english)s" of English row %(row)s')
            % {"letter": letter, "english": LETTERS[answer], "row": pair.source_row},
        )
    if target.failed:
        return None
    pieces = [Piece("question", question, instruction)]
    pieces += [
        Piece(field, text, translation)
        for field, text, translation in zip(OPTION_FIELDS, options, translated, strict=False)
    ]
    return pieces, letter


class OkapiArcPreset(AlignedPreset):
    """ARC-Challenge: `allenai/ai2_arc` English joined with its Okapi translation by id."""

    name = "okapi_arc"
    title = gettext_lazy("ARC-Challenge (Okapi translation)")
    piece_names = ("question", *OPTION_FIELDS)
    key_fields = ("id", "id")

    def correct_piece(self, metadata: dict) -> str | None:
        return _option_of(metadata)

    def _keys(self) -> tuple[KeyReader, KeyReader]:
        def translation_key(check: RowCheck, row: dict) -> str | None:
            identifier = check.identifier(row, "id")
            match = _ARC_ID.fullmatch(identifier or "")
            return match["id"] if match else identifier

        return (lambda check, row: check.identifier(row, "id")), translation_key

    def _draft(self, pair: Pair, english: RowCheck, target: RowCheck) -> RecordDraft | None:
        row = pair.source
        question = english.text(row, "question")
        options, answer = self._english_choices(english, row)
        checked = choice_pieces(pair, english, target, question, options, answer)
        if checked is None:
            return None
        pieces, letter = checked
        external_id = str(pair.translation["id"]).strip()
        match = _ARC_ID.fullmatch(external_id)
        return RecordDraft(
            external_id=external_id,
            pieces=pieces,
            source_row={"source": pair.source, "translation": pair.translation},
            metadata={"answer": letter, "split": match["split"] if match else ""},
        )

    def _english_choices(self, english: RowCheck, row: dict) -> tuple[list[str] | None, int | None]:
        choices = english.nested(row, "choices")
        if choices is None:
            return None, None
        texts = english.texts(choices, "text", name="choices.text")
        labels = english.texts(choices, "label", name="choices.label")
        key = english.identifier(row, "answerKey")
        if texts is None or labels is None or key is None:
            return None, None
        if len(labels) != len(texts):
            english.fail(
                "choices.label",
                _("%(labels)s labels for %(texts)s options")
                % {"labels": len(labels), "texts": len(texts)},
            )
            return None, None
        if not options_counted(english, "choices.text", len(texts)):
            return None, None
        if key not in labels:
            english.fail(
                "answerKey",
                _('"%(key)s" is not one of the labels %(labels)s')
                % {"key": key, "labels": ", ".join(labels)},
            )
            return None, None
        return texts, labels.index(key)


class OkapiMmluPreset(AlignedPreset):
    """MMLU: `cais/mmlu` English joined with its Okapi translation by subject and row index."""

    name = "okapi_mmlu"
    title = gettext_lazy("MMLU (Okapi translation)")
    piece_names = ("question", *OPTION_FIELDS)
    key_fields = ("_row_index", "id")

    def correct_piece(self, metadata: dict) -> str | None:
        return _option_of(metadata)

    def read_columns(
        self,
        source: Source,
        translation: Source | None = None,
        mapping: dict | None = None,
    ) -> Iterator[RecordColumns] | None:
        if translation is None or {source_format(source), source_format(translation)} != {"jsonl"}:
            return None
        # Imported here: the column reader needs numpy, which the row path does not.
        from campaigns.importers.presets.choice_columns import mmlu_columns

        return mmlu_columns(Path(source.path), Path(translation.path))

    def _keys(self) -> tuple[KeyReader, KeyReader]:
        counters: dict[str, int] = {}

        def english_key(check: RowCheck, row: dict) -> str | None:
            subject = check.identifier(row, "subject")
            if subject is None:
                return None
            # Without `_row_index` the file is the subject's split in its own order.
            position = counters.get(subject, 0)
            counters[subject] = position + 1
            if "_row_index" in row:
                index = check.integer(row, "_row_index")
                return None if index is None else f"{subject}/{index}"
            return f"{subject}/{position}"

        def translation_key(check: RowCheck, row: dict) -> str | None:
            identifier = check.identifier(row, "id")
            parts = (identifier or "").split("/")
            if len(parts) == 3 and parts[2].isdecimal():
                return f"{parts[0]}/{int(parts[2])}"
            if identifier is not None:
                check.fail(
                    "id",
                    _('expected "<subject>/<split>/<row index>", not "%(id)s"')
                    % {"id": identifier},
                )
            return None

        return english_key, translation_key

    def _draft(self, pair: Pair, english: RowCheck, target: RowCheck) -> RecordDraft | None:
        row = pair.source
        question = english.text(row, "question")
        options = english.texts(row, "choices")
        answer = english.integer(row, "answer")
        if options is not None and not options_counted(english, "choices", len(options)):
            options = None
        if options is not None and answer is not None and answer >= len(options):
            english.fail(
                "answer",
                _("%(answer)s is not the index of one of the %(count)s choices")
                % {"answer": answer, "count": len(options)},
            )
        checked = choice_pieces(pair, english, target, question, options, answer)
        if checked is None:
            return None
        pieces, letter = checked
        external_id = str(pair.translation["id"]).strip()
        return RecordDraft(
            external_id=external_id,
            pieces=pieces,
            source_row={"source": pair.source, "translation": pair.translation},
            metadata={
                "subject": row["subject"],
                "split": external_id.split("/")[1],
                "answer": letter,
            },
        )
