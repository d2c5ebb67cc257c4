"""Presets: benchmark layouts to record drafts, alignment of English and Spanish (no database)."""

from __future__ import annotations

import csv
import random
import tracemalloc
from pathlib import Path

import pytest
from django.utils import translation
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from campaigns.importers.presets import PRESETS, piece_label, preset_get
from campaigns.importers.records import ImportRejected, Piece, Problem
from campaigns.importers.sources import Source
from tests.campaigns.files import (
    ARC_EN,
    ARC_ES,
    HELLASWAG_EN,
    MMLU_EN,
    MMLU_ES,
    MPEP,
    hellaswag_spanish,
    load,
    write_jsonl,
)


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


def write_csv(path: Path, header: list[str], rows: list[list[str]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def read(preset: str, source: Path, translation: Path | None = None, mapping=None) -> list:
    second = Source(translation) if translation else None
    return list(preset_get(preset).read(Source(source), second, mapping))


def problems_of(preset: str, source: Path, translation: Path | None = None, mapping=None):
    with pytest.raises(ImportRejected) as caught:
        read(preset, source, translation, mapping)
    return caught.value.problems


def arc_pair(item_id: str, count: int, answer: int, numeric: bool = False) -> tuple[dict, dict]:
    letters = "ABCDE"[:count]
    labels = [str(n) for n in range(1, count + 1)] if numeric else list(letters)
    english_row = {
        "id": item_id,
        "question": f"Question {item_id}?",
        "choices": {"text": [f"choice {label}" for label in labels], "label": labels},
        "answerKey": labels[answer],
    }
    spanish_row = {
        "id": f"ARC-Challenge/test/{item_id}",
        "answer": letters[answer],
        "instruction": f"¿Pregunta {item_id}?",
        **{f"option_{letter.lower()}": f"opción {letter}" for letter in letters},
    }
    return english_row, spanish_row


def arc_files(tmp_path: Path, pairs: list[tuple[dict, dict]]) -> tuple[Path, Path]:
    return (
        write_jsonl(tmp_path / "arc_en.jsonl", [pair[0] for pair in pairs]),
        write_jsonl(tmp_path / "arc_es.jsonl", [pair[1] for pair in pairs]),
    )


def test_preset_get_returns_registered_presets():
    assert set(PRESETS) == {"okapi_arc", "okapi_mmlu", "okapi_hellaswag", "dibt_prompts", "generic"}
    assert preset_get("okapi_arc") is PRESETS["okapi_arc"]
    with pytest.raises(KeyError, match="unknown preset"):
        preset_get("squad")


def test_presets_declare_kind_and_whether_they_need_a_translation_file():
    declared = {
        name: (preset.kind, preset.needs_translation_source) for name, preset in PRESETS.items()
    }
    assert declared == {
        "okapi_arc": ("translation_validation", True),
        "okapi_mmlu": ("translation_validation", True),
        "okapi_hellaswag": ("translation_validation", True),
        "dibt_prompts": ("prompt_translation", False),
        "generic": ("generic", False),
    }
    assert all(str(preset.title) for preset in PRESETS.values())


def test_preset_questions_are_a_required_verdict_and_optional_corrections():
    questions = preset_get("okapi_hellaswag").questions()
    verdict, *corrections = questions
    assert (verdict.name, verdict.kind, verdict.required) == ("verdict", "label", True)
    assert [(option["value"], option["text"]) for option in verdict.options] == [
        ("correct", "Correct"),
        ("minor_fixes", "Needs minor fixes"),
        ("wrong", "Wrong"),
    ]
    assert [(q.name, q.kind, q.required, q.field) for q in corrections] == [
        (f"{name}_corrected", "text", False, name)
        for name in ("activity_label", "ctx_a", "ctx_b", *(f"ending_{n}" for n in range(4)))
    ]
    assert corrections[3].title == "Ending 1: corrected translation"


def test_preset_questions_of_generic_follow_the_mapping():
    mapping = {"id": "id", "pairs": [["en", "es"], ["en_b", "es_b"]]}
    names = [question.name for question in preset_get("generic").questions(mapping)]
    assert names == ["verdict", "es_corrected", "es_b_corrected"]
    assert [q.name for q in preset_get("generic").questions()] == ["verdict"]


def test_piece_label_names_known_pieces_and_keeps_generic_columns():
    labels = [
        piece_label(name)
        for name in ("question", "option_c", "ending_0", "ctx_b", "activity_label", "prompt")
    ]
    assert labels == ["Question", "Option C", "Ending 1", "Context B", "Activity", "Instruction"]
    assert piece_label("texto_es") == "texto_es"
    assert preset_get("okapi_arc").piece_label("option_e") == "Option E"


def test_okapi_arc_aligns_every_shipped_pair():
    drafts = read("okapi_arc", ARC_EN, ARC_ES)
    english_rows, spanish_rows = load(ARC_EN), load(ARC_ES)
    assert len(drafts) == 25
    for draft, english_row, spanish_row in zip(drafts, english_rows, spanish_rows, strict=True):
        assert draft.external_id == spanish_row["id"]
        assert draft.metadata == {"answer": english_row["answerKey"], "split": "validation"}
        assert draft.source_row == {"source": english_row, "translation": spanish_row}
        assert draft.pieces[0] == Piece(
            "question", english_row["question"], spanish_row["instruction"]
        )
        assert [piece.source for piece in draft.pieces[1:]] == english_row["choices"]["text"]


def test_okapi_mmlu_aligns_every_shipped_pair():
    drafts = read("okapi_mmlu", MMLU_EN, MMLU_ES)
    assert len(drafts) == 35
    for draft, english_row in zip(drafts, load(MMLU_EN), strict=True):
        assert draft.external_id == f"{english_row['subject']}/val/{english_row['_row_index']}"
        assert draft.metadata["answer"] == "ABCD"[english_row["answer"]]
        assert [piece.name for piece in draft.pieces] == [
            "question",
            *(f"option_{letter}" for letter in "abcd"),
        ]
        assert [piece.source for piece in draft.pieces[1:]] == english_row["choices"]


def test_dibt_prompts_imports_the_shipped_rows():
    drafts = read("dibt_prompts", MPEP)
    first = load(MPEP)[0]
    assert [draft.external_id for draft in drafts] == ["1", "2", "3"]
    assert drafts[0].pieces == [Piece("prompt", first["source"], first["target-suggestion"])]
    assert drafts[0].metadata == {
        "evolved_from": None,
        "kind": "synthetic",
        "source": "synthetic-example",
    }
    assert drafts[0].source_row == {"row": first}


def test_okapi_arc_reads_three_and_five_options_with_numeric_labels(tmp_path):
    pairs = [arc_pair("three", 3, 2), arc_pair("five", 5, 4, numeric=True)]
    pairs[0][1]["option_d"] = None
    pairs[0][1]["option_e"] = ""
    drafts = read("okapi_arc", *arc_files(tmp_path, pairs))
    assert [len(draft.pieces) for draft in drafts] == [4, 6]
    assert [draft.metadata["answer"] for draft in drafts] == ["C", "E"]
    assert drafts[1].pieces[5] == Piece("option_e", "choice 5", "opción E")


def test_okapi_arc_aligns_translation_in_another_order(tmp_path):
    english_rows, spanish_rows = load(ARC_EN), load(ARC_ES)
    random.Random(7).shuffle(spanish_rows)
    spanish = write_jsonl(tmp_path / "shuffled.jsonl", spanish_rows)
    drafts = read("okapi_arc", ARC_EN, spanish)
    assert [draft.source_row["source"] for draft in drafts] == english_rows
    assert all(draft.external_id.endswith(draft.source_row["source"]["id"]) for draft in drafts)


@pytest.mark.parametrize("kind", ["parquet", "saved", "csv"])
def test_okapi_arc_aligns_shuffled_translation_in_other_formats(tmp_path, kind):
    import datasets
    import pyarrow
    import pyarrow.parquet

    spanish_rows = load(ARC_ES)[::-1]
    if kind == "parquet":
        path = tmp_path / "es.parquet"
        pyarrow.parquet.write_table(pyarrow.Table.from_pylist(spanish_rows), path)
    elif kind == "saved":
        path = tmp_path / "es"
        datasets.Dataset.from_list(spanish_rows).save_to_disk(path)
    else:
        header = list(spanish_rows[0])
        path = write_csv(
            tmp_path / "es.csv", header, [[r[h] for h in header] for r in spanish_rows]
        )
    drafts = read("okapi_arc", ARC_EN, path)
    assert [draft.external_id for draft in drafts] == [row["id"] for row in load(ARC_ES)]


def test_okapi_arc_reports_rows_missing_on_either_side(tmp_path):
    english_rows, spanish_rows = load(ARC_EN), load(ARC_ES)
    english = write_jsonl(tmp_path / "en.jsonl", english_rows[:3] + english_rows[4:])
    spanish = write_jsonl(tmp_path / "es.jsonl", spanish_rows[:10] + spanish_rows[11:])
    problems = problems_of("okapi_arc", english, spanish)
    assert problems == [
        Problem("en.jsonl", 10, "id", 'no row with key "Mercury_7145513" in es.jsonl'),
        Problem("es.jsonl", 4, "id", 'no row with key "Mercury_7130883" in en.jsonl'),
    ]


def test_okapi_arc_reports_duplicate_ids_on_both_sides(tmp_path):
    english_rows, spanish_rows = load(ARC_EN)[:4], load(ARC_ES)[:4]
    english = write_jsonl(tmp_path / "en.jsonl", [*english_rows, english_rows[1]])
    spanish = write_jsonl(tmp_path / "es.jsonl", [spanish_rows[0], *spanish_rows])
    problems = problems_of("okapi_arc", english, spanish)
    assert Problem("es.jsonl", 2, "id", 'duplicate key "Mercury_7099103"') in problems
    assert Problem("en.jsonl", 5, "id", 'duplicate key "MCAS_2006_9_31-v1"') in problems
    assert len(problems) == 2


def test_okapi_arc_reports_option_count_mismatch(tmp_path):
    pairs = [arc_pair("a", 4, 0), arc_pair("b", 4, 1), arc_pair("c", 5, 1)]
    del pairs[1][1]["option_d"]
    pairs[2][1]["option_e"] = None
    assert problems_of("okapi_arc", *arc_files(tmp_path, pairs)) == [
        Problem("arc_es.jsonl", 2, "option_d", "missing, but English row 2 has 4 options"),
        Problem("arc_es.jsonl", 3, "option_e", "missing, but English row 3 has 5 options"),
    ]
    pairs = [arc_pair("a", 3, 0)]
    pairs[0][1]["option_d"] = "de más"
    assert problems_of("okapi_arc", *arc_files(tmp_path, pairs)) == [
        Problem("arc_es.jsonl", 1, "option_d", "present, but English row 1 has only 3 options")
    ]


def test_okapi_arc_reports_mismatched_and_malformed_answers(tmp_path):
    pairs = [arc_pair("a", 4, 2, numeric=True), arc_pair("b", 4, 1), arc_pair("c", 4, 0)]
    pairs[0][1]["answer"] = "D"
    pairs[1][1]["answer"] = 7
    pairs[2][0]["answerKey"] = "F"
    problems = problems_of("okapi_arc", *arc_files(tmp_path, pairs))
    assert [str(problem) for problem in problems] == [
        'arc_es.jsonl, row 1, field «answer»: "D" does not match the answer "C" of English row 1',
        'arc_es.jsonl, row 2, field «answer»: expected a letter A–E, not "7"',
        'arc_en.jsonl, row 3, field «answerKey»: "F" is not one of the labels A, B, C, D',
    ]


def test_okapi_arc_reports_wrong_types(tmp_path):
    pairs = [arc_pair("a", 4, 0), arc_pair("b", 4, 0), arc_pair("c", 4, 0), arc_pair("d", 4, 0)]
    pairs[0][0]["choices"] = ["not", "an", "object"]
    pairs[1][0]["choices"]["text"][2] = 3.5
    pairs[2][1]["instruction"] = None
    pairs[3][1]["option_b"] = 12
    problems = problems_of("okapi_arc", *arc_files(tmp_path, pairs))
    assert [(p.file, p.row, p.field, p.message) for p in problems] == [
        ("arc_en.jsonl", 1, "choices", "expected an object, not a list"),
        ("arc_en.jsonl", 2, "choices.text[2]", "expected text, not a number"),
        ("arc_es.jsonl", 3, "instruction", "expected text, not null"),
        ("arc_es.jsonl", 4, "option_b", "expected text, not a number"),
    ]


def test_okapi_mmlu_reports_answers_ids_and_types(tmp_path):
    english_rows, spanish_rows = load(MMLU_EN)[:4], load(MMLU_ES)[:4]
    spanish_rows[0]["answer"] = "C"
    english_rows[1]["answer"] = "B"
    english_rows[2]["choices"] = "17, 35, 52, 70"
    spanish_rows[3]["id"] = "security_studies-val-21"
    english = write_jsonl(tmp_path / "mmlu_en.jsonl", english_rows)
    spanish = write_jsonl(tmp_path / "mmlu_es.jsonl", spanish_rows)
    problems = problems_of("okapi_mmlu", english, spanish)
    assert problems == [
        Problem("mmlu_es.jsonl", 1, "answer", '"C" does not match the answer "A" of English row 1'),
        Problem("mmlu_en.jsonl", 2, "answer", "expected a whole number, not text"),
        Problem("mmlu_en.jsonl", 3, "choices", "expected a list of texts, not text"),
        Problem(
            "mmlu_es.jsonl",
            4,
            "id",
            'expected "<subject>/<split>/<row index>", not "security_studies-val-21"',
        ),
        Problem(
            "mmlu_en.jsonl",
            4,
            "_row_index",
            'no row with key "security_studies/21" in mmlu_es.jsonl',
        ),
    ]


def test_okapi_mmlu_counts_rows_per_subject_without_row_index(tmp_path):
    english_rows = [
        {"question": f"q{n}", "subject": subject, "choices": ["a", "b", "c", "d"], "answer": n % 4}
        for n, subject in enumerate(["astronomy", "virology", "astronomy"])
    ]
    spanish_rows = [
        {
            "id": f"{subject}/test/{index}",
            "instruction": f"p{n}",
            **{f"option_{letter}": letter for letter in "abcd"},
            "answer": "ABCD"[n % 4],
        }
        for n, (subject, index) in enumerate([("astronomy", 0), ("astronomy", 1), ("virology", 0)])
    ]
    spanish_rows[1], spanish_rows[2] = spanish_rows[2], spanish_rows[1]
    spanish_rows[1]["answer"], spanish_rows[2]["answer"] = "B", "C"
    english = write_jsonl(tmp_path / "en.jsonl", english_rows)
    spanish = write_jsonl(tmp_path / "es.jsonl", spanish_rows)
    drafts = read("okapi_mmlu", english, spanish)
    assert [draft.external_id for draft in drafts] == [
        "astronomy/test/0",
        "virology/test/0",
        "astronomy/test/1",
    ]


def test_okapi_hellaswag_aligns_a_tagged_spanish_file(tmp_path):
    english_rows = load(HELLASWAG_EN)
    spanish = write_jsonl(tmp_path / "hellaswag_es.jsonl", hellaswag_spanish(english_rows))
    drafts = read("okapi_hellaswag", HELLASWAG_EN, spanish)
    assert len(drafts) == 30
    first, row = drafts[0], english_rows[0]
    assert first.external_id == str(row["ind"])
    assert [piece.name for piece in first.pieces] == list(preset_get("okapi_hellaswag").piece_names)
    assert first.pieces[1] == Piece("ctx_a", row["ctx_a"], f"[es] {row['ctx_a']}")
    assert first.pieces[6] == Piece("ending_3", row["endings"][3], f"[es] {row['endings'][3]}")
    assert first.metadata["label"] == row["label"] and first.metadata["split"] == "val"


def test_okapi_hellaswag_reports_label_and_endings_mismatch(tmp_path):
    english_rows = load(HELLASWAG_EN)[:4]
    spanish_rows = hellaswag_spanish(english_rows)
    spanish_rows[0]["label"] = "0"
    spanish_rows[1]["endings"] = spanish_rows[1]["endings"][:3]
    spanish_rows[2]["ctx_b"] = 4
    english_rows[3]["label"] = "9"
    english = write_jsonl(tmp_path / "hs_en.jsonl", english_rows)
    spanish = write_jsonl(tmp_path / "hs_es.jsonl", spanish_rows)
    assert problems_of("okapi_hellaswag", english, spanish) == [
        Problem("hs_es.jsonl", 1, "label", '"0" does not match the label "3" of English row 1'),
        Problem("hs_es.jsonl", 2, "endings", "3 endings, but English row 2 has 4"),
        Problem("hs_es.jsonl", 3, "ctx_b", "expected text, not a number"),
        Problem("hs_en.jsonl", 4, "label", '"9" is not the index of one of the 4 endings'),
    ]


def test_dibt_prompts_reports_bad_metadata_and_duplicate_ids(tmp_path):
    rows = load(MPEP)
    rows[1]["metadata"] = '{"kind": "human"'
    rows[2]["external_id"] = "1"
    rows.append(dict(rows[0], external_id=" ", **{"target-suggestion": None}))
    problems = problems_of("dibt_prompts", write_jsonl(tmp_path / "mpep.jsonl", rows))
    assert [(p.row, p.field) for p in problems] == [
        (2, "metadata"),
        (3, "external_id"),
        (4, "external_id"),
        (4, "target-suggestion"),
    ]
    assert problems[0].message.startswith("invalid JSON")
    assert problems[1].message == 'duplicate id "1"'
    assert problems[2].message == "the id is empty"


def test_generic_reads_a_mapped_csv(tmp_path):
    path = write_csv(
        tmp_path / "pares.csv",
        ["clave", "en", "es", "tema"],
        [["1", "Hello", "Hola", "saludo"], ["2", "Bye", "Adiós", "despedida"]],
    )
    mapping = {"id": "clave", "pairs": [["en", "es"]], "metadata": ["tema"]}
    drafts = read("generic", path, mapping=mapping)
    assert [(d.external_id, d.pieces, d.metadata) for d in drafts] == [
        ("1", [Piece("es", "Hello", "Hola")], {"tema": "saludo"}),
        ("2", [Piece("es", "Bye", "Adiós")], {"tema": "despedida"}),
    ]
    assert drafts[0].source_row == {
        "row": {"clave": "1", "en": "Hello", "es": "Hola", "tema": "saludo"}
    }


def test_generic_reports_missing_mapped_columns(tmp_path):
    path = write_csv(tmp_path / "g.csv", ["id", "en", "es"], [["1", "a", "b"]])
    mapping = {"id": "id", "pairs": [["en", "es"], ["en2", "es2"]]}
    assert problems_of("generic", path, mapping=mapping) == [
        Problem("g.csv", 1, column, "no such column; the file has: id, en, es")
        for column in ("en2", "es2")
    ]


def test_generic_reports_empty_ids_duplicates_and_wrong_types(tmp_path):
    rows = [
        {"id": "1", "en": "a", "es": "b"},
        {"id": "", "en": "a", "es": "b"},
        {"id": "1", "en": "a", "es": "b"},
        {"id": "4", "en": 5, "es": None},
        {"id": "5", "en": "a"},
    ]
    path = write_jsonl(tmp_path / "g.jsonl", rows)
    problems = problems_of("generic", path, mapping={"id": "id", "pairs": [["en", "es"]]})
    assert [(p.row, p.field, p.message) for p in problems] == [
        (2, "id", "the id is empty"),
        (3, "id", 'duplicate id "1"'),
        (4, "en", "expected text, not a number"),
        (4, "es", "expected text, not null"),
        (5, "es", "the field is missing"),
    ]


@pytest.mark.parametrize(
    "mapping",
    [None, {"pairs": [["en", "es"]]}, {"id": "id", "pairs": []}, {"id": "id", "pairs": [["en"]]}],
)
def test_generic_rejects_an_incomplete_mapping(tmp_path, mapping):
    path = write_csv(tmp_path / "g.csv", ["id", "en", "es"], [["1", "a", "b"]])
    [problem] = problems_of("generic", path, mapping=mapping)
    assert (problem.file, problem.row, problem.field) == ("g.csv", None, "mapping")


def test_read_needs_a_translation_file_only_for_aligned_presets():
    [problem] = problems_of("okapi_arc", ARC_EN)
    assert problem.message == "this preset needs a translation file"
    [problem] = problems_of("dibt_prompts", MPEP, ARC_ES)
    assert problem.file == ARC_ES.name


def test_read_raises_after_the_last_row_and_stops_yielding_after_a_problem(tmp_path):
    pairs = [arc_pair(str(n), 4, 0) for n in range(5)]
    pairs[2][1]["answer"] = "B"
    drafts = preset_get("okapi_arc").read(*map(Source, arc_files(tmp_path, pairs)))
    assert [next(drafts).external_id for _ in range(2)] == [
        "ARC-Challenge/test/0",
        "ARC-Challenge/test/1",
    ]
    with pytest.raises(ImportRejected) as caught:
        next(drafts)
    assert [problem.row for problem in caught.value.problems] == [3]


def test_read_lists_fifty_problems_and_counts_the_rest(tmp_path):
    pairs = [arc_pair(str(n), 4, 0) for n in range(60)]
    for _english, spanish in pairs:
        spanish["answer"] = "Z"
    with pytest.raises(ImportRejected) as caught:
        read("okapi_arc", *arc_files(tmp_path, pairs))
    assert len(caught.value.problems) == 50 and caught.value.omitted == 10
    assert str(caught.value).splitlines()[-1] == "… and 10 more problems"


def test_okapi_arc_keeps_memory_flat_when_the_translation_order_differs(tmp_path):
    pairs = [arc_pair(f"item-{n}", 4, n % 4) for n in range(8_000)]
    for english_row, spanish_row in pairs:
        english_row["question"] = spanish_row["instruction"] = "texto de relleno " * 40
    english_path, _ = arc_files(tmp_path, pairs)
    spanish_rows = [pair[1] for pair in pairs]
    random.Random(3).shuffle(spanish_rows)
    spanish_path = write_jsonl(tmp_path / "shuffled.jsonl", spanish_rows)
    tracemalloc.start()
    count = sum(1 for _ in preset_get("okapi_arc").read(Source(english_path), Source(spanish_path)))
    _current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert count == 8_000
    assert peak < spanish_path.stat().st_size / 3


_cells = st.text(st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=12)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    pair_count=st.integers(min_value=1, max_value=3),
    rows=st.lists(st.lists(_cells, min_size=7, max_size=7), max_size=8),
)
def test_generic_reads_one_draft_per_csv_row_or_rejects(tmp_path, pair_count, rows):
    header = ["id", *(f"{side}{n}" for n in range(pair_count) for side in ("en", "es"))]
    table = [row[: len(header)] for row in rows]
    path = write_csv(tmp_path / "random.csv", header, table)
    mapping = {"id": "id", "pairs": [[f"en{n}", f"es{n}"] for n in range(pair_count)]}
    ids = [row[0].strip() for row in table]
    valid = (
        bool(table)
        and all(ids)
        and len(set(ids)) == len(ids)
        # PostgreSQL cannot store NUL characters: such rows are rejected, never stored.
        and not any("\x00" in cell for row in table for cell in row)
    )
    try:
        drafts = read("generic", path, mapping=mapping)
    except ImportRejected:
        assert not valid
        return
    assert valid
    assert [draft.external_id for draft in drafts] == ids
    assert [draft.pieces for draft in drafts] == [
        [Piece(f"es{n}", row[1 + 2 * n], row[2 + 2 * n]) for n in range(pair_count)]
        for row in table
    ]
