"""Read Okapi's HellaSwag in any of its languages: the English layout, strings translated."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from campaigns.importers.presets.align import AlignedPreset, KeyReader, Pair
from campaigns.importers.presets.base import RowCheck
from campaigns.importers.records import Piece, RecordDraft

MAX_ENDINGS = 4
TEXT_FIELDS = ("activity_label", "ctx_a", "ctx_b")


@dataclass(frozen=True, slots=True)
class _Item:
    texts: tuple[str, ...]
    endings: list[str]
    label: str


def _item(check: RowCheck, row: dict, *, english: bool) -> _Item | None:
    """Read one row in the `Rowan/hellaswag` layout; check the label on the English side."""
    texts = [check.text(row, field) for field in TEXT_FIELDS]
    endings = check.texts(row, "endings")
    label = row.get("label")
    if isinstance(label, int) and not isinstance(label, bool):
        label = str(label)
    if not isinstance(label, str):
        check.text(row, "label")
    if endings is not None and not 1 <= len(endings) <= MAX_ENDINGS:
        check.fail(
            "endings",
            _("expected between 1 and %(most)s endings, not %(count)s")
            % {"most": MAX_ENDINGS, "count": len(endings)},
        )
    elif (
        english
        and endings is not None
        and isinstance(label, str)
        # The test split has no answers: an empty label is fine there.
        and label.strip()
        and not (label.strip().isdecimal() and int(label) < len(endings))
    ):
        check.fail(
            "label",
            _('"%(label)s" is not the index of one of the %(count)s endings')
            % {"label": label, "count": len(endings)},
        )
    if check.failed:
        return None
    return _Item(tuple(texts), endings, label.strip())


class OkapiHellaswagPreset(AlignedPreset):
    """HellaSwag: `Rowan/hellaswag` English joined with its Okapi translation by `ind`."""

    name = "okapi_hellaswag"
    title = gettext_lazy("HellaSwag (Okapi translation)")
    piece_names = (*TEXT_FIELDS, *(f"ending_{index}" for index in range(MAX_ENDINGS)))
    key_fields = ("ind", "ind")

    def correct_piece(self, metadata: dict) -> str | None:
        # A string of digits as read; the test split has none.
        label = str(metadata.get("label") or "")
        return f"ending_{label}" if label.isdigit() else None

    def _keys(self) -> tuple[KeyReader, KeyReader]:
        def key(check: RowCheck, row: dict) -> str | None:
            ind = check.integer(row, "ind")
            return None if ind is None else str(ind)

        return key, key

    def _draft(self, pair: Pair, english: RowCheck, target: RowCheck) -> RecordDraft | None:
        source = _item(english, pair.source, english=True)
        translation = _item(target, pair.translation, english=False)
        if source is None or translation is None:
            return None
        english_row = pair.source_row
        if len(translation.endings) != len(source.endings):
            target.fail(
                "endings",
                _("%(count)s endings, but English row %(row)s has %(english)s")
                % {
                    "count": len(translation.endings),
                    "row": english_row,
                    "english": len(source.endings),
                },
            )
        elif translation.label != source.label:
            target.fail(
                "label",
                _('"%(label)s" does not match the label "%(english)s" of English row %(row)s')
                % {"label": translation.label, "english": source.label, "row": english_row},
            )
        if target.failed:
            return None
        pieces = [
            Piece(field, text, translated)
            for field, text, translated in zip(
                TEXT_FIELDS, source.texts, translation.texts, strict=True
            )
        ]
        pieces += [
            Piece(f"ending_{index}", text, translated)
            for index, (text, translated) in enumerate(
                zip(source.endings, translation.endings, strict=True)
            )
        ]
        return RecordDraft(
            external_id=pair.key,
            pieces=pieces,
            source_row={"source": pair.source, "translation": pair.translation},
            metadata={
                "label": source.label,
                "split": pair.translation.get("split", ""),
                "split_type": pair.source.get("split_type", ""),
                "source_id": pair.source.get("source_id", ""),
            },
        )
