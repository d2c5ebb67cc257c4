"""Read the Data Is Better Together prompt-translation export (`DIBT/MPEP_SPANISH`)."""

from __future__ import annotations

import json

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from campaigns.importers.presets.base import RowCheck, RowDrafter, SingleFilePreset
from campaigns.importers.records import Piece, ProblemLog, RecordDraft, value_kind
from campaigns.importers.sources import Source


def _metadata(check: RowCheck, row: dict) -> dict:
    """Parse the `metadata` column, a JSON object stored as a string."""
    value = row.get("metadata")
    if value is None or isinstance(value, dict):
        return value or {}
    if not isinstance(value, str):
        check.fail(
            "metadata",
            _("expected a JSON object as text, not %(kind)s") % {"kind": value_kind(value)},
        )
        return {}
    try:
        parsed = json.loads(value) if value.strip() else {}
    except json.JSONDecodeError as exc:
        check.fail("metadata", _("invalid JSON (%(error)s)") % {"error": exc.msg})
        return {}
    if not isinstance(parsed, dict):
        check.fail(
            "metadata",
            _("expected a JSON object, not %(kind)s") % {"kind": value_kind(parsed)},
        )
        return {}
    return parsed


def _draft(check: RowCheck, row: dict) -> RecordDraft | None:
    external_id = check.identifier(row, "external_id")
    prompt = check.text(row, "source")
    suggestion = check.text(row, "target-suggestion")
    metadata = _metadata(check, row)
    if check.failed:
        return None
    assert external_id is not None and prompt is not None and suggestion is not None
    return RecordDraft(
        external_id=external_id,
        pieces=[Piece("prompt", prompt, suggestion)],
        source_row={"row": row},
        metadata=metadata,
    )


class DibtPromptsPreset(SingleFilePreset):
    """One English prompt per row with its machine-translated suggestion."""

    name = "dibt_prompts"
    title = gettext_lazy("Data Is Better Together prompts (MPEP)")
    kind = "prompt_translation"
    piece_names = ("prompt",)

    def _drafter(
        self, source: Source, mapping: dict | None, problems: ProblemLog
    ) -> tuple[str, RowDrafter]:
        return "external_id", _draft
