"""The import's column reader (Okapi MMLU, JSONL): the row path's records, or the row path."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import orjson
import pytest
from django.utils import translation

from campaigns.importers.presets.choice import OkapiMmluPreset
from campaigns.importers.presets.choice_columns import mmlu_columns
from campaigns.importers.records import ColumnsDeclined, ImportRejected, RecordColumns
from campaigns.importers.sources import Source
from campaigns.models import Campaign, Record
from campaigns.record_writer import _fields_json
from campaigns.services import campaign_create, records_import
from tests.campaigns.files import MMLU_EN, MMLU_ES, load, mmlu_pair_write, write_jsonl
from tests.triage.broken import broken_rows_files

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


def _rows_only(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(OkapiMmluPreset, "read_columns", lambda self, *args, **kwargs: None)


def _imported(slug: str, english: Path, spanish: Path) -> list[tuple] | str:
    """Import into a new campaign; return its records as stored, or the rejection."""
    campaign = campaign_create(slug=slug, name=slug, preset="okapi_mmlu")
    try:
        records_import(campaign=campaign, source=Source(english), translation=Source(spanish))
    except ImportRejected as rejection:
        return str(rejection)
    return [
        (r.external_id, r.fields, r.source_row, r.metadata, r.suspicion, r.triage_flags)
        for r in Record.objects.filter(campaign=campaign).order_by("id")
    ]


def _both_ways(monkeypatch, english: Path, spanish: Path) -> tuple[list | str, list | str]:
    by_columns = _imported("by-columns", english, spanish)
    with monkeypatch.context() as patch:
        _rows_only(patch)
        by_rows = _imported("by-rows", english, spanish)
    return by_columns, by_rows


def _read_all(english: Path, spanish: Path) -> list[RecordColumns]:
    return list(mmlu_columns(english, spanish))


def test_mmlu_columns_store_what_the_row_path_stores(monkeypatch):
    assert sum(map(len, _read_all(MMLU_EN, MMLU_ES))) == 35

    by_columns, by_rows = _both_ways(monkeypatch, MMLU_EN, MMLU_ES)

    assert isinstance(by_columns, list) and len(by_columns) == 35
    assert by_columns == by_rows


def test_mmlu_columns_store_the_row_path_triage(monkeypatch, tmp_path):
    english, spanish, broken = broken_rows_files(tmp_path, 5, 60, 20)
    _read_all(english, spanish)

    by_columns, by_rows = _both_ways(monkeypatch, english, spanish)

    assert by_columns == by_rows
    assert broken <= {external_id for external_id, *_, score, _ in by_columns if score > 0}


def test_mmlu_columns_span_batches(monkeypatch, tmp_path):
    monkeypatch.setattr("campaigns.importers.presets.choice_columns.BATCH_BYTES", 2000)
    english, spanish = mmlu_pair_write(tmp_path, 120)
    assert len(_read_all(english, spanish)) > 3

    by_columns, by_rows = _both_ways(monkeypatch, english, spanish)

    assert len(by_columns) == 120
    assert by_columns == by_rows


def _edit(index: int, side: str, change: Callable[[dict], object]):
    def edit(english: list[dict], spanish: list[dict]) -> None:
        change((english if side == "en" else spanish)[index])

    return edit


def _lines(english: Path, spanish: Path, side: str, change: Callable[[str], str]) -> None:
    path = english if side == "en" else spanish
    path.write_text(change(path.read_text(encoding="utf-8")), encoding="utf-8")


ROW_EDITS = {
    "keys out of order": lambda en, es: es.reverse(),
    "a repeated key": lambda en, es: (en.append(dict(en[0])), es.append(dict(es[0]))),
    "an answer that does not match": _edit(
        3, "es", lambda row: row.update(answer="B" if row["answer"] == "A" else "A")
    ),
    "an answer as digits": _edit(2, "en", lambda row: row.update(answer=str(row["answer"]))),
    "a true answer": _edit(2, "en", lambda row: row.update(answer=True)),
    "a padded subject": _edit(4, "en", lambda row: row.update(subject=f" {row['subject']}")),
    "a missing option": _edit(5, "es", lambda row: row.pop("option_d")),
    "an extra option": _edit(5, "es", lambda row: row.update(option_e="más")),
    "an option that is a number": _edit(6, "es", lambda row: row.update(option_b=7)),
    "a choice that is null": _edit(6, "en", lambda row: row["choices"].__setitem__(1, None)),
    "a NUL character": _edit(7, "es", lambda row: row.update(instruction="a\x00b")),
    "a question that is a list": _edit(8, "en", lambda row: row.update(question=["a"])),
    "no row index": _edit(9, "en", lambda row: row.pop("_row_index")),
    "an id of two parts": _edit(10, "es", lambda row: row.update(id="anatomy/3")),
    "one choice": _edit(11, "en", lambda row: row.update(choices=row["choices"][:1])),
}
LINE_EDITS = {
    "a blank line": ("es", lambda text: text.replace("\n", "\n\n", 1)),
    "a trailing blank line": ("es", lambda text: text + "\n"),
    "a broken line": ("en", lambda text: text.replace("}", "", 1)),
    "a byte-order mark": ("en", lambda text: "\ufeff" + text),
    "a NaN": ("en", lambda text: text.replace('"answer"', '"nan": NaN, "answer"', 1)),
    "a translation line too many": ("es", lambda text: text + text.splitlines()[0] + "\n"),
}


def _files(tmp_path: Path) -> tuple[Path, Path]:
    return write_jsonl(tmp_path / "en.jsonl", load(MMLU_EN)), write_jsonl(
        tmp_path / "es.jsonl", load(MMLU_ES)
    )


@pytest.mark.parametrize("edit", ROW_EDITS, ids=list(ROW_EDITS))
def test_mmlu_columns_leave_odd_rows_to_the_row_path(monkeypatch, tmp_path, edit):
    english_rows, spanish_rows = load(MMLU_EN), load(MMLU_ES)
    ROW_EDITS[edit](english_rows, spanish_rows)
    english = write_jsonl(tmp_path / "en.jsonl", english_rows)
    spanish = write_jsonl(tmp_path / "es.jsonl", spanish_rows)

    by_columns, by_rows = _both_ways(monkeypatch, english, spanish)

    assert by_columns == by_rows
    with pytest.raises(ColumnsDeclined):
        _read_all(english, spanish)


def test_mmlu_columns_take_what_the_row_path_reads_alike(monkeypatch, tmp_path):
    english_rows, spanish_rows = load(MMLU_EN), load(MMLU_ES)
    spanish_rows[1]["answer"] = f" {spanish_rows[1]['answer'].lower()} "
    spanish_rows[2]["id"] = spanish_rows[2]["id"].replace("/val/", "/val/00")
    english = write_jsonl(tmp_path / "en.jsonl", english_rows)
    spanish = write_jsonl(tmp_path / "es.jsonl", spanish_rows)
    assert sum(map(len, _read_all(english, spanish))) == 35

    by_columns, by_rows = _both_ways(monkeypatch, english, spanish)

    assert by_columns == by_rows


@pytest.mark.parametrize("edit", LINE_EDITS, ids=list(LINE_EDITS))
def test_mmlu_columns_leave_odd_lines_to_the_row_path(monkeypatch, tmp_path, edit):
    english, spanish = _files(tmp_path)
    side, change = LINE_EDITS[edit]
    _lines(english, spanish, side, change)

    by_columns, by_rows = _both_ways(monkeypatch, english, spanish)

    if edit == "a byte-order mark":
        assert sum(map(len, _read_all(english, spanish))) == 35
    else:
        with pytest.raises(ColumnsDeclined):
            _read_all(english, spanish)
    assert by_columns == by_rows


@pytest.mark.parametrize("missing", ["en", "es"])
def test_mmlu_columns_leave_a_missing_file_to_the_row_path(monkeypatch, tmp_path, missing):
    english, spanish = _files(tmp_path)
    (english if missing == "en" else spanish).unlink()

    by_columns, by_rows = _both_ways(monkeypatch, english, spanish)

    assert isinstance(by_columns, str) and by_columns == by_rows
    with pytest.raises(ColumnsDeclined):
        _read_all(english, spanish)


def test_mmlu_columns_leave_an_empty_translation_to_the_row_path(monkeypatch, tmp_path):
    english, spanish = _files(tmp_path)
    spanish.write_text("", encoding="utf-8")

    by_columns, by_rows = _both_ways(monkeypatch, english, spanish)

    assert isinstance(by_columns, str) and by_columns == by_rows
    with pytest.raises(ColumnsDeclined):
        _read_all(english, spanish)


def test_mmlu_columns_keep_the_original_lines(tmp_path):
    english, spanish = _files(tmp_path)
    first = json.loads(english.read_text(encoding="utf-8").splitlines()[0])

    batch = _read_all(english, spanish)[0]

    assert json.loads(batch.source_rows[0])["source"] == first
    assert Campaign.objects.count() == 0


TRICKY = ["", "a", 'say "hi"', "back\\slash", '","', '\\","', "tab\tnew\nline", "ñ 中 😀", "\x01"]


def test_fields_json_is_what_the_json_encoder_writes():
    names = ("question", "option_a", "option_b")
    count = len(TRICKY)
    batch = RecordColumns(
        external_ids=[str(number) for number in range(count)],
        piece_names=names,
        sources=[TRICKY, TRICKY[::-1], [*TRICKY[:-1], None]],
        translations=[TRICKY[::-1], TRICKY, [*TRICKY[1:], None]],
        piece_counts=[3] * (count - 1) + [2],
        source_rows=[b"{}"] * count,
        metadata=[b"{}"] * count,
    )

    expected = [
        orjson.dumps(
            [
                {"name": name, "source": source, "translation": target}
                for name, source, target in pieces
            ]
        )
        for pieces in (
            list(zip(names, sources, targets, strict=False))[:count]
            for sources, targets, count in zip(
                zip(*batch.sources, strict=True),
                zip(*batch.translations, strict=True),
                batch.piece_counts,
                strict=True,
            )
        )
    ]

    assert _fields_json(batch) == expected
