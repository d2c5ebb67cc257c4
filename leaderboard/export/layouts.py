"""Write records back in their source's layout, with the validated text in place.

One layout per preset: which original row to start from, the columns and their types
(what lm-evaluation-harness's okapi tasks read), the split each record goes to, and the
dataset's source and license for the card. Flat layouts (every column a text) are built
column by column from the records' columns; the others row by row, since their JSON Lines
keep each row's Python values as they are.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

REVIEW_USER = "somos:review"
CONSENSUS_USER = "somos:consensus"
_LETTERS = "abcde"
_SPLIT_NAME = re.compile(r"\W+")


class ExportRecord(NamedTuple):
    """One record to write: its original row, metadata and final text per piece."""

    external_id: str
    metadata: dict
    original: dict
    text: dict[str, str]
    validated: bool
    reviewed: bool


@dataclass(frozen=True, slots=True)
class ExportRecords:
    """The records to write, as columns in record order."""

    external_ids: pa.Array
    # Per piece, the final text (the machine translation where not validated), null where
    # the record has no such piece.
    texts: Mapping[str, pa.Array]
    # Each distinct metadata once, and per record the index of its own.
    metadata: Sequence[dict]
    metadata_of: np.ndarray
    # Per record, its original row (read only for layouts that rebuild it).
    originals: Sequence[dict] | None
    validated: np.ndarray
    reviewed: np.ndarray
    # By position, the machine translation of records not validated: their whole text.
    machine: Mapping[int, dict[str, str]]

    def __len__(self) -> int:
        return len(self.external_ids)

    def text(self, name: str) -> pa.Array:
        """Return one piece's text per record, empty where the record has none."""
        column = self.texts.get(name)
        if column is None:
            return pa.array([""] * len(self), pa.string())
        return pc.fill_null(column, "")

    def per_metadata(self, value_of: Callable[[Mapping], object]) -> list:
        """Return value_of(metadata) for each distinct metadata (index with metadata_of)."""
        return [value_of(metadata) for metadata in self.metadata]

    def rows(self) -> Iterator[ExportRecord]:
        """Yield the records one by one, for the layouts written row by row."""
        names = list(self.texts)
        texts = [self.texts[name].to_pylist() for name in names]
        for position, external_id in enumerate(self.external_ids.to_pylist()):
            validated = bool(self.validated[position])
            if validated:
                text = {
                    name: column[position]
                    for name, column in zip(names, texts, strict=True)
                    if column[position] is not None
                }
            else:
                text = self.machine[position]
            yield ExportRecord(
                external_id=external_id,
                metadata=self.metadata[self.metadata_of[position]],
                original=self.originals[position] if self.originals is not None else {},
                text=text,
                validated=validated,
                reviewed=bool(self.reviewed[position]),
            )


@dataclass(frozen=True, slots=True)
class Layout:
    """How one preset's records are written back: row by row, or column by column."""

    preset: str
    # Which part of Record.source_row holds the row to rebuild; None when the record's
    # external id and metadata hold all the layout needs (saves reading every row back).
    original_key: str | None
    # The columns of the flat layouts, plain Arrow: the writer makes `datasets` features of
    # them, so that nothing imports `datasets` (~0.5 s) before an export runs.
    schema: pa.Schema | None
    # The split of a record, from its metadata.
    split_of: Callable[[Mapping], str]
    default_split: str
    harness: str | None
    license: str
    source: str
    row_of: Callable[[ExportRecord], dict] | None = None
    # Flat layouts: every column at once, in the features' order.
    columns_of: Callable[[ExportRecords], dict[str, pa.Array]] | None = None


def split_name(value: object, default: str) -> str:
    """Return a split name `datasets` accepts (letters, digits, underscores)."""
    name = _SPLIT_NAME.sub("_", str(value or "")).strip("_")
    return name or default


def _answer(metadata: Mapping) -> str:
    # The importer keeps the Okapi answer letter in the metadata and the Okapi id as the
    # external id.
    return str(metadata.get("answer") or "")


def _okapi_columns(records: ExportRecords, letters: str) -> dict[str, pa.Array]:
    answers = pa.array(records.per_metadata(_answer), pa.string())
    return {
        "id": records.external_ids,
        "instruction": records.text("question"),
        # option_e stays a column even for four options: the harness reads it directly.
        **{f"option_{letter}": records.text(f"option_{letter}") for letter in letters},
        "answer": answers.take(pa.array(records.metadata_of)),
    }


def _mmlu_split(metadata: Mapping) -> str:
    # Okapi names MMLU's few-shot split "dev"; the harness's m_mmlu takes few-shot from "train".
    split = split_name(metadata.get("split"), "test")
    return "train" if split == "dev" else split


def _hellaswag_split(metadata: Mapping) -> str:
    split = split_name(metadata.get("split"), "val")
    return "val" if split == "validation" else split


def _hellaswag_row(record: ExportRecord) -> dict:
    text = record.text
    endings = [
        text[name]
        for name in sorted(
            (name for name in text if name.startswith("ending_")),
            key=lambda name: int(name.removeprefix("ending_")),
        )
    ]
    ctx_a, ctx_b = text.get("ctx_a", ""), text.get("ctx_b", "")
    metadata = record.metadata
    # The importer keys HellaSwag records by `ind` and keeps label, split, split_type and
    # source_id in the metadata.
    return {
        "ind": int(record.external_id),
        "activity_label": text.get("activity_label", ""),
        "ctx_a": ctx_a,
        "ctx_b": ctx_b,
        # HellaSwag's ctx is ctx_a and ctx_b joined; rebuilt so it carries the validated text.
        "ctx": f"{ctx_a} {ctx_b}" if ctx_b else ctx_a,
        "endings": endings,
        "source_id": str(metadata.get("source_id") or ""),
        "split": _hellaswag_split(metadata),
        "split_type": str(metadata.get("split_type") or ""),
        "label": str(metadata.get("label", "")).strip(),
    }


def _dibt_row(record: ExportRecord) -> dict:
    original = record.original
    metadata = original.get("metadata")
    suggestion_metadata = original.get("target-suggestion-metadata") or {}
    target = []
    if record.validated:
        target.append(
            {
                "user_id": REVIEW_USER if record.reviewed else CONSENSUS_USER,
                "value": record.text.get("prompt", ""),
                "status": "submitted",
            }
        )
    return {
        "source": original.get("source", ""),
        "target": target,
        "target-suggestion": original.get("target-suggestion", ""),
        "target-suggestion-metadata": {
            "type": suggestion_metadata.get("type"),
            "score": suggestion_metadata.get("score"),
            "agent": suggestion_metadata.get("agent"),
        },
        "external_id": str(original.get("external_id") or record.external_id),
        "metadata": metadata
        if isinstance(metadata, str) or metadata is None
        else json.dumps(metadata, ensure_ascii=False),
    }


def _generic_row(record: ExportRecord) -> dict:
    row = dict(record.original)
    row.update(record.text)
    return row


def _string_fields(*names: str) -> list[tuple[str, pa.DataType]]:
    return [(name, pa.string()) for name in names]


_OKAPI_LICENSE = "cc-by-nc-4.0"

LAYOUTS: dict[str, Layout] = {
    layout.preset: layout
    for layout in (
        Layout(
            preset="okapi_arc",
            original_key=None,
            schema=pa.schema(
                _string_fields(
                    "id", "instruction", *(f"option_{letter}" for letter in _LETTERS), "answer"
                )
            ),
            split_of=lambda metadata: split_name(metadata.get("split"), "validation"),
            columns_of=lambda records: _okapi_columns(records, _LETTERS),
            default_split="validation",
            harness="arc",
            license=_OKAPI_LICENSE,
            source=(
                "Okapi's ARC-Challenge (CC BY-NC 4.0), a machine translation of AI2's ARC"
                " (CC BY-SA 4.0)"
            ),
        ),
        Layout(
            preset="okapi_mmlu",
            original_key=None,
            schema=pa.schema(
                _string_fields(
                    "id", "instruction", *(f"option_{letter}" for letter in _LETTERS[:4]), "answer"
                )
            ),
            split_of=_mmlu_split,
            columns_of=lambda records: _okapi_columns(records, _LETTERS[:4]),
            default_split="test",
            harness="mmlu",
            license=_OKAPI_LICENSE,
            source="Okapi's MMLU (CC BY-NC 4.0), a machine translation of MMLU (MIT)",
        ),
        Layout(
            preset="okapi_hellaswag",
            original_key=None,
            schema=pa.schema(
                [
                    ("ind", pa.int64()),
                    *_string_fields("activity_label", "ctx_a", "ctx_b", "ctx"),
                    ("endings", pa.list_(pa.string())),
                    *_string_fields("source_id", "split", "split_type", "label"),
                ]
            ),
            split_of=_hellaswag_split,
            row_of=_hellaswag_row,
            default_split="val",
            harness="hellaswag",
            license=_OKAPI_LICENSE,
            source="Okapi's HellaSwag (CC BY-NC 4.0), a machine translation of HellaSwag (MIT)",
        ),
        Layout(
            preset="dibt_prompts",
            original_key="row",
            schema=pa.schema(
                [
                    ("source", pa.string()),
                    ("target", pa.list_(pa.struct(_string_fields("user_id", "value", "status")))),
                    ("target-suggestion", pa.string()),
                    (
                        "target-suggestion-metadata",
                        pa.struct(
                            [("type", pa.string()), ("score", pa.float64()), ("agent", pa.string())]
                        ),
                    ),
                    ("external_id", pa.string()),
                    ("metadata", pa.string()),
                ]
            ),
            split_of=lambda metadata: "train",
            row_of=_dibt_row,
            default_split="train",
            harness=None,
            license="other",
            source=(
                "Data Is Better Together's Multilingual Prompt Evaluation Project prompts"
                " (see DIBT/MPEP_SPANISH for their terms)"
            ),
        ),
        Layout(
            preset="generic",
            original_key="row",
            schema=None,
            split_of=lambda metadata: "train",
            row_of=_generic_row,
            default_split="train",
            harness=None,
            license="unknown",
            source="A dataset imported with a column mapping",
        ),
    )
}


def layout_get(preset: str) -> Layout:
    """Return the export layout of a preset."""
    return LAYOUTS[preset]
