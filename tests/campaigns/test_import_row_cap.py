"""One cap on a row's size, whatever the source: files of every format, saved and hub datasets."""

from __future__ import annotations

import csv
import dataclasses
import json
import sys
import types

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from django.utils import translation

from campaigns.importers.records import ImportRejected, Problem
from campaigns.importers.sources import Source, source_rows

LIMIT = 1000
SMALL = {"id": "1", "text": "hola"}
WIDE = {"id": "2", "text": "a" * 2 * LIMIT}


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


@pytest.fixture(autouse=True)
def row_cap(settings):
    settings.SOMOS_IMPORT_MAX_ROW_BYTES = LIMIT


def _jsonl(path, rows):
    path.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")


def _json(path, rows):
    path.write_text(json.dumps(rows, indent=2), encoding="utf-8")


def _csv(path, rows):
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=["id", "text"])
        writer.writeheader()
        writer.writerows(rows)


def _parquet(path, rows):
    pq.write_table(pa.Table.from_pylist(rows), path)


def _saved(path, rows):
    import datasets

    datasets.Dataset.from_list(rows).save_to_disk(path)


WRITERS = {
    "rows.jsonl": _jsonl,
    "rows.json": _json,
    "rows.csv": _csv,
    "rows.parquet": _parquet,
    "rows": _saved,
}


def _problem(source: Source) -> Problem:
    """Return the one problem reading source met, sizes with plain spaces ("1.0 KB")."""
    with pytest.raises(ImportRejected) as caught:
        list(source_rows(source))
    (problem,) = caught.value.problems
    return dataclasses.replace(problem, message=problem.message.replace("\xa0", " "))


@pytest.mark.parametrize("name", list(WRITERS))
def test_every_format_refuses_a_row_over_the_cap_naming_it(tmp_path, name):
    WRITERS[name](tmp_path / name, [SMALL, WIDE, SMALL])
    problem = _problem(Source(tmp_path / name))
    assert (problem.file, problem.row) == (name, 2)
    assert f"{LIMIT} bytes" in problem.message
    assert "row" in problem.message or "line" in problem.message


@pytest.mark.parametrize("name", list(WRITERS))
def test_every_format_reads_rows_under_the_cap(tmp_path, name):
    near = {"id": "2", "text": "a" * (LIMIT // 2)}
    WRITERS[name](tmp_path / name, [SMALL, near])
    assert [row["id"] for _number, row in source_rows(Source(tmp_path / name))] == ["1", "2"]


def test_json_array_counts_the_bytes_of_its_text(tmp_path):
    # 300 characters of 4 bytes each: within the cap as characters, over it as UTF-8.
    path = tmp_path / "emoji.json"
    path.write_text(json.dumps([{"id": "1", "text": "🙂" * 300}], ensure_ascii=False), "utf-8")
    problem = _problem(Source(path))
    assert problem.row == 1 and problem.message.startswith("the row takes 1.2 KB")


@pytest.mark.parametrize("cap", [40, LIMIT], ids=["measured", "whole"])
def test_json_array_keeps_the_grammar_of_json(tmp_path, settings, cap):
    # A small cap has every item measured; under a quarter of the cap, json.loads reads all.
    settings.SOMOS_IMPORT_MAX_ROW_BYTES = cap
    for text, message in [
        ('[{"id": "1"},]', "invalid JSON (Expecting value)"),
        ('[{"id": "1"} {"id": "2"}]', "invalid JSON (Expecting ',' delimiter)"),
        ('[{"id": "1"}] []', "invalid JSON (Extra data)"),
        ('[{"id": "1"}', "invalid JSON (Expecting ',' delimiter)"),
    ]:
        path = tmp_path / "bad.json"
        path.write_text(text, encoding="utf-8")
        assert _problem(Source(path)).message == message, text
    path = tmp_path / "ok.json"
    path.write_text(' \n[ {"id": "1"} ,\n {"id": "2"} ]\n', encoding="utf-8")
    assert [row["id"] for _number, row in source_rows(Source(path))] == ["1", "2"]
    path.write_text("[]", encoding="utf-8")
    assert _problem(Source(path)).message == "the file has no rows"


def test_csv_row_spread_over_many_short_lines_is_one_row(tmp_path):
    path = tmp_path / "lines.csv"
    path.write_text('id,text\n1,hola\n2,"' + "línea\n" * 300 + '"\n', encoding="utf-8")
    problem = _problem(Source(path))
    assert problem.row == 2 and problem.message.startswith("the row takes")


def test_hub_rows_are_held_to_the_cap(monkeypatch):
    def load_dataset(name, config, *, split, streaming):
        return iter([SMALL, {"id": "2", "text": ["a" * 600, "b" * 600]}])

    monkeypatch.setitem(sys.modules, "datasets", types.SimpleNamespace(load_dataset=load_dataset))
    problem = _problem(Source("hf://somosnlp/wide"))
    assert (problem.file, problem.row) == ("somosnlp/wide", 2)
    assert problem.message == "the row takes 1.2 KB; a row may take 1000 bytes"
