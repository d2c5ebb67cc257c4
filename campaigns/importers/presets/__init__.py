"""Register the presets an organizer can pick when importing a campaign's records."""

from __future__ import annotations

from campaigns.importers.presets.base import KINDS, Preset, QuestionSpec, piece_label
from campaigns.importers.presets.choice import OkapiArcPreset, OkapiMmluPreset
from campaigns.importers.presets.generic import ColumnMapping, GenericPreset, mapping_parse
from campaigns.importers.presets.hellaswag import OkapiHellaswagPreset
from campaigns.importers.presets.prompts import DibtPromptsPreset

PRESETS: dict[str, Preset] = {
    preset.name: preset
    for preset in (
        OkapiArcPreset(),
        OkapiMmluPreset(),
        OkapiHellaswagPreset(),
        DibtPromptsPreset(),
        GenericPreset(),
    )
}


def preset_get(name: str) -> Preset:
    """Return the preset registered under name; raise KeyError for an unknown one."""
    try:
        return PRESETS[name]
    except KeyError:
        raise KeyError(f"unknown preset {name!r}; known: {', '.join(PRESETS)}") from None


__all__ = [
    "KINDS",
    "PRESETS",
    "ColumnMapping",
    "Preset",
    "QuestionSpec",
    "mapping_parse",
    "piece_label",
    "preset_get",
]
