"""Reading rows from JSONL, JSON, CSV, Parquet, saved datasets and the hub (no database)."""

from __future__ import annotations

import json
import sys
import tracemalloc
import types

import pytest
from django.utils import translation

from campaigns.importers.records import ImportRejected, Problem, ProblemLog
from campaigns.importers.sources import (
    Source,
    hub_name_config,
    reader_open,
    source_format,
    source_rows,
)
from campaigns.samples import SAMPLE_DATA
from tests.campaigns.files import write_jsonl

SAMPLES = SAMPLE_DATA


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


def rejection(source: Source) -> ImportRejected:
    with pytest.raises(ImportRejected) as caught:
        list(source_rows(source))
    return caught.value


def test_source_format_detects_extension_directory_and_hub(tmp_path):
    assert source_format(Source("a/b.jsonl")) == "jsonl"
    assert source_format(Source("b.JSON")) == "json"
    assert source_format(Source("b.csv")) == "csv"
    assert source_format(Source("b.parquet")) == "parquet"
    assert source_format(Source(tmp_path)) == "saved"
    assert source_format(Source("hf://allenai/ai2_arc:ARC-Challenge")) == "hub"
    assert source_format(Source("b.txt")) is None


def test_source_format_honours_explicit_override():
    assert source_format(Source("upload.tmp", format="csv")) == "csv"
    assert source_format(Source("allenai/ai2_arc", format="hub")) == "hub"
    assert source_format(Source("b.csv", format="excel")) is None


def test_source_name_is_file_name_unless_given():
    assert Source(SAMPLES / "mmlu_validation_en.jsonl").name == "mmlu_validation_en.jsonl"
    assert Source("/tmp/x1y2.csv", display_name="subida.csv").name == "subida.csv"
    assert Source("hf://cais/mmlu:all").name == "cais/mmlu:all"


def test_hub_name_config_reads_prefix_and_prefers_explicit_config():
    assert hub_name_config(Source("hf://allenai/ai2_arc:ARC-Challenge")) == (
        "allenai/ai2_arc",
        "ARC-Challenge",
    )
    assert hub_name_config(Source("hf://Rowan/hellaswag")) == ("Rowan/hellaswag", None)
    assert hub_name_config(Source("cais/mmlu", format="hub", config="all")) == (
        "cais/mmlu",
        "all",
    )


def test_source_rows_reads_sample_jsonl_with_line_numbers():
    rows = list(source_rows(Source(SAMPLES / "arc_challenge_validation_en.jsonl")))
    assert [number for number, _row in rows] == list(range(1, 26))
    assert rows[0][1]["id"] == "Mercury_7099103"


def test_source_rows_ignores_blank_lines_and_bom(tmp_path):
    path = tmp_path / "rows.jsonl"
    path.write_bytes(b'\xef\xbb\xbf{"a": 1}\n\n{"a": 2}\n\n  \n')
    assert list(source_rows(Source(path))) == [(1, {"a": 1}), (3, {"a": 2})]


def test_source_rows_reports_truncated_json_line_and_keeps_reading(tmp_path):
    path = tmp_path / "cut.jsonl"
    path.write_text('{"a": 1}\n{"a": "tru\n{"a": 3}\n{"a": 4', encoding="utf-8")
    problems = ProblemLog()
    rows = list(source_rows(Source(path), problems))
    assert [number for number, _row in rows] == [1, 3]
    assert [(p.file, p.row) for p in problems.problems] == [("cut.jsonl", 2), ("cut.jsonl", 4)]
    assert "invalid JSON" in problems.problems[0].message


def test_source_rows_reports_line_that_is_not_an_object(tmp_path):
    path = write_jsonl(tmp_path / "list.jsonl", [{"a": 1}])
    with path.open("a") as handle:
        handle.write("[1, 2]\n")
    problem = rejection(Source(path)).problems[0]
    assert (problem.file, problem.row) == ("list.jsonl", 2)
    assert problem.message == "expected a JSON object, not a list"


def test_source_rows_rejects_non_utf8_jsonl_naming_the_line(tmp_path):
    path = tmp_path / "latin1.jsonl"
    path.write_bytes('{"a": "ok"}\n{"a": "año"}\n'.encode() + '{"a": "niño"}\n'.encode("latin-1"))
    problem = rejection(Source(path)).problems[0]
    assert (problem.file, problem.row) == ("latin1.jsonl", 3)
    assert "not valid UTF-8 (byte 0xf1" in problem.message


def test_source_rows_rejects_non_utf8_csv_naming_the_row(tmp_path):
    path = tmp_path / "latin1.csv"
    path.write_bytes(b"id,text\n1,ok\n" + "2,canción\n".encode("latin-1"))
    problem = rejection(Source(path)).problems[0]
    assert (problem.file, problem.row) == ("latin1.csv", 2)
    assert str(problem).startswith("latin1.csv, row 2: not valid UTF-8")


def test_source_rows_rejects_non_utf8_json_array_naming_the_line(tmp_path):
    path = tmp_path / "latin1.json"
    path.write_bytes(b'[\n{"a": "ok"},\n{"a": "' + "é".encode("latin-1") + b'"}\n]')
    problem = rejection(Source(path)).problems[0]
    assert (problem.file, problem.row) == ("latin1.json", 3)
    assert "byte 0xe9 at position 8" in problem.message


@pytest.mark.parametrize(
    ("name", "content"),
    [("empty.jsonl", b""), ("blank.jsonl", b"\n\n"), ("header.csv", b"id,text\n"), ("e.csv", b"")],
)
def test_source_rows_rejects_file_without_rows(tmp_path, name, content):
    (tmp_path / name).write_bytes(content)
    problems = rejection(Source(tmp_path / name)).problems
    assert problems == [Problem(name, None, None, "the file has no rows")]


def test_source_rows_rejects_missing_file(tmp_path):
    problems = rejection(Source(tmp_path / "nowhere.jsonl")).problems
    assert problems == [Problem("nowhere.jsonl", None, None, "file not found")]


def test_source_rows_rejects_unknown_format(tmp_path):
    (tmp_path / "data.xlsx").write_bytes(b"PK")
    problem = rejection(Source(tmp_path / "data.xlsx")).problems[0]
    assert problem.file == "data.xlsx" and "unknown format" in problem.message


def test_source_rows_reads_csv_with_bom_and_quoted_newlines(tmp_path):
    path = tmp_path / "bom.csv"
    path.write_bytes(b'\xef\xbb\xbfid,text\n1,"dos\nl\xc3\xadneas"\n2,"con ""comillas"""\n')
    assert list(source_rows(Source(path))) == [
        (1, {"id": "1", "text": "dos\nlíneas"}),
        (2, {"id": "2", "text": 'con "comillas"'}),
    ]


def test_source_rows_reports_csv_rows_with_wrong_number_of_values(tmp_path):
    path = tmp_path / "ragged.csv"
    path.write_text("id,text\n1,a\n2,b,extra\n3\n", encoding="utf-8")
    problems = rejection(Source(path)).problems
    assert [(p.row, p.message) for p in problems] == [
        (2, "the row has more values than the header has columns"),
        (3, "the row has fewer values than the header has columns"),
    ]


def test_source_rows_rejects_csv_header_repeating_a_column(tmp_path):
    path = tmp_path / "twice.csv"
    path.write_text("id,text,text\n1,a,b\n", encoding="utf-8")
    assert rejection(Source(path)).problems == [
        Problem("twice.csv", None, "text", "the header repeats this column")
    ]


def test_source_rows_reads_json_array_and_json_lines_named_json(tmp_path):
    array = tmp_path / "array.json"
    array.write_text(json.dumps([{"a": 1}, {"a": 2}]), encoding="utf-8")
    lines = write_jsonl(tmp_path / "lines.json", [{"a": 1}, {"a": 2}])
    expected = [(1, {"a": 1}), (2, {"a": 2})]
    assert list(source_rows(Source(array))) == expected
    assert list(source_rows(Source(lines))) == expected


def test_source_rows_reports_json_array_items_that_are_not_objects(tmp_path):
    path = tmp_path / "mixed.json"
    path.write_text('[{"a": 1}, "b", {"a": 3}]', encoding="utf-8")
    assert rejection(Source(path)).problems == [
        Problem("mixed.json", 2, None, "expected a JSON object, not text")
    ]


def test_source_rows_reads_parquet_across_batches(tmp_path):
    import pyarrow
    import pyarrow.parquet

    rows = [{"id": str(n), "text": f"fila {n}"} for n in range(5000)]
    path = tmp_path / "rows.parquet"
    pyarrow.parquet.write_table(pyarrow.Table.from_pylist(rows), path, row_group_size=1000)
    read = list(source_rows(Source(path)))
    assert len(read) == 5000
    assert read[4999] == (5000, {"id": "4999", "text": "fila 4999"})


def test_source_rows_rejects_file_that_is_not_parquet(tmp_path):
    path = tmp_path / "fake.parquet"
    path.write_text("not parquet", encoding="utf-8")
    problem = rejection(Source(path)).problems[0]
    assert problem.file == "fake.parquet" and "not a readable Parquet file" in problem.message


def test_source_rows_reads_saved_dataset_split(tmp_path):
    import datasets

    datasets.DatasetDict(
        {
            "train": datasets.Dataset.from_list([{"q": "a"}]),
            "validation": datasets.Dataset.from_list([{"q": "b"}, {"q": "c"}]),
        }
    ).save_to_disk(tmp_path / "arc")
    rows = list(source_rows(Source(tmp_path / "arc", split="validation")))
    assert rows == [(1, {"q": "b"}), (2, {"q": "c"})]
    problem = rejection(Source(tmp_path / "arc")).problems[0]
    assert problem.message == "choose a split among: train, validation"


def test_source_rows_reads_saved_single_dataset(tmp_path):
    import datasets

    datasets.Dataset.from_list([{"q": "a"}, {"q": "b"}]).save_to_disk(tmp_path / "one")
    assert list(source_rows(Source(tmp_path / "one"))) == [(1, {"q": "a"}), (2, {"q": "b"})]


def test_source_rows_rejects_directory_that_is_not_a_dataset(tmp_path):
    (tmp_path / "junk").mkdir()
    problem = rejection(Source(tmp_path / "junk")).problems[0]
    assert "not a dataset saved with save_to_disk" in problem.message


def test_row_reader_row_at_rereads_rows_by_position(tmp_path):
    import datasets

    rows = [{"id": str(n), "text": f"línea {n}\ncon salto"} for n in range(5)]
    write_jsonl(tmp_path / "r.jsonl", rows)
    (tmp_path / "r.json").write_text(json.dumps(rows), encoding="utf-8")
    csv_lines = ["id,text"] + [f'{row["id"]},"{row["text"]}"' for row in rows]
    (tmp_path / "r.csv").write_text("\ufeff" + "\n".join(csv_lines) + "\n", encoding="utf-8")
    datasets.Dataset.from_list(rows).save_to_disk(tmp_path / "r")
    for name in ("r.jsonl", "r.json", "r.csv", "r"):
        problems = ProblemLog()
        with reader_open(Source(tmp_path / name), problems) as reader:
            positions = [position for _number, _row, position in reader.rows()]
            assert [reader.row_at(position) for position in reversed(positions)] == rows[::-1]
        assert not problems


def test_hub_reader_streams_named_dataset(monkeypatch):
    calls = []

    def load_dataset(name, config, *, split, streaming):
        calls.append((name, config, split, streaming))
        return iter([{"q": "a"}, {"q": "b"}])

    monkeypatch.setitem(sys.modules, "datasets", types.SimpleNamespace(load_dataset=load_dataset))
    source = Source("hf://allenai/ai2_arc:ARC-Challenge", split="validation")
    assert list(source_rows(source)) == [(1, {"q": "a"}), (2, {"q": "b"})]
    list(source_rows(Source("Rowan/hellaswag", format="hub")))
    assert calls == [
        ("allenai/ai2_arc", "ARC-Challenge", "validation", True),
        ("Rowan/hellaswag", None, "train", True),
    ]


def test_hub_reader_reports_a_dataset_it_cannot_reach(monkeypatch):
    def load_dataset(*args, **kwargs):
        raise ConnectionError("no network")

    monkeypatch.setitem(sys.modules, "datasets", types.SimpleNamespace(load_dataset=load_dataset))
    problem = rejection(Source("hf://cais/mmlu:all", split="test")).problems[0]
    assert problem.file == "cais/mmlu:all"
    assert problem.message == "could not read the dataset from the hub (no network)"


def test_problem_log_keeps_fifty_and_counts_the_rest():
    log = ProblemLog()
    for row in range(1, 61):
        log.add("f.jsonl", row, "id", "bad")
    error = log.rejection()
    assert (len(error.problems), error.omitted) == (50, 10)
    assert str(error).splitlines()[-1] == "… and 10 more problems"


def test_import_rejected_prints_one_line_per_problem():
    error = ImportRejected(
        [
            Problem("okapi_es.jsonl", 12, "answer", 'expected a letter A–E, not "7"'),
            Problem("en.jsonl", 3, None, "invalid JSON"),
            Problem("en.jsonl", None, None, "file not found"),
        ]
    )
    assert str(error).splitlines() == [
        'okapi_es.jsonl, row 12, field «answer»: expected a letter A–E, not "7"',
        "en.jsonl, row 3: invalid JSON",
        "en.jsonl: file not found",
    ]


def test_source_rows_keeps_memory_flat_on_large_jsonl(tmp_path):
    row = {"id": "x", "text": "una frase de prueba bastante larga " * 8}
    path = write_jsonl(tmp_path / "big.jsonl", [row] * 20_000)
    tracemalloc.start()
    count = sum(1 for _ in source_rows(Source(path)))
    _current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert count == 20_000
    assert peak < path.stat().st_size / 10
