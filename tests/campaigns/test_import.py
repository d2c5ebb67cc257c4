"""Importing records into campaigns on PostgreSQL: aligned pairs, all-or-nothing, upserts."""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Callable
from pathlib import Path
from unittest import mock

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from annotation.models import Response
from campaigns import record_writer
from campaigns.importers.presets import preset_get
from campaigns.importers.records import ImportRejected
from campaigns.importers.sources import Source
from campaigns.models import Campaign, ImportRun, Record
from campaigns.services import campaign_create, records_import
from dashboards.models import CampaignCounter
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
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

MAPPING = {"id": "clave", "pairs": [["en", "es"]], "metadata": ["tema"]}


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


def write_csv(path: Path, rows: list[list[str]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows(rows)
    return path


def new_campaign(preset: str, mapping: dict | None = None) -> Campaign:
    return campaign_create(
        slug=preset.replace("_", "-"), name=preset, preset=preset, field_mapping=mapping
    )


def run_import(campaign: Campaign, source: Path, translation: Path | None = None) -> ImportRun:
    return records_import(
        campaign=campaign,
        source=Source(path=source),
        translation=Source(path=translation) if translation else None,
    )


def records_total(campaign: Campaign) -> int:
    return CampaignCounter.objects.get(campaign=campaign).records_total


def stored_rows(campaign: Campaign) -> list[tuple]:
    """Return every record as PostgreSQL stores it, JSON as its exact text."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT external_id, fields::text, source_row::text, metadata::text, status,"
            " submitted_count, created_at, updated_at FROM campaigns_record"
            " WHERE campaign_id = %s ORDER BY id",
            [campaign.pk],
        )
        return cursor.fetchall()


def test_records_import_okapi_arc_aligns_every_shipped_pair():
    campaign = new_campaign("okapi_arc")
    run = run_import(campaign, ARC_EN, ARC_ES)
    assert (run.status, run.records_created, run.records_updated, run.errors) == (
        ImportRun.Status.SUCCEEDED,
        25,
        0,
        [],
    )
    assert run.source_name == f"{ARC_EN.name}, {ARC_ES.name}"
    records = list(campaign.records.order_by("id"))
    assert records_total(campaign) == len(records) == 25
    for record, english_row, spanish_row in zip(records, load(ARC_EN), load(ARC_ES), strict=True):
        assert record.external_id == spanish_row["id"]
        assert record.source_row == {"source": english_row, "translation": spanish_row}
        assert record.fields[0] == {
            "name": "question",
            "source": english_row["question"],
            "translation": spanish_row["instruction"],
        }
        for piece, text, letter in zip(
            record.fields[1:], english_row["choices"]["text"], "abcde", strict=False
        ):
            assert piece == {
                "name": f"option_{letter}",
                "source": text,
                "translation": spanish_row[f"option_{letter}"],
            }
        assert record.metadata == {"answer": english_row["answerKey"], "split": "validation"}
        assert (record.status, record.submitted_count) == (Record.Status.PENDING, 0)


def test_records_import_okapi_mmlu_aligns_every_shipped_pair():
    campaign = new_campaign("okapi_mmlu")
    assert run_import(campaign, MMLU_EN, MMLU_ES).records_created == 35
    english_rows = {f"{row['subject']}/val/{row['_row_index']}": row for row in load(MMLU_EN)}
    spanish_rows = {row["id"]: row for row in load(MMLU_ES)}
    records = list(campaign.records.all())
    assert {record.external_id for record in records} == set(english_rows) == set(spanish_rows)
    for record in records:
        english_row = english_rows[record.external_id]
        spanish_row = spanish_rows[record.external_id]
        assert record.source_row == {"source": english_row, "translation": spanish_row}
        assert [piece["source"] for piece in record.fields] == [
            english_row["question"],
            *english_row["choices"],
        ]
        assert [piece["translation"] for piece in record.fields] == [
            spanish_row[field] for field in ("instruction", *(f"option_{x}" for x in "abcd"))
        ]
        assert record.metadata == {
            "subject": english_row["subject"],
            "split": "val",
            "answer": "ABCD"[english_row["answer"]],
        }


def test_records_import_okapi_arc_stores_three_and_five_options(tmp_path):
    english_rows = [
        {
            "id": "three",
            "question": "Which state?",
            "choices": {"text": ["solid", "liquid", "gas"], "label": ["1", "2", "3"]},
            "answerKey": "3",
        },
        {
            "id": "five",
            "question": "Which planet?",
            "choices": {"text": ["Mars", "Venus", "Earth", "Moon", "Sun"], "label": list("ABCDE")},
            "answerKey": "E",
        },
    ]
    spanish_rows = [
        {
            "id": "ARC-Challenge/test/three",
            "instruction": "¿Qué estado?",
            "option_a": "sólido",
            "option_b": "líquido",
            "option_c": "gas",
            "option_d": None,
            "option_e": "",
            "answer": "C",
        },
        {
            "id": "ARC-Challenge/test/five",
            "instruction": "¿Qué planeta?",
            "option_a": "Marte",
            "option_b": "Venus",
            "option_c": "Tierra",
            "option_d": "Luna",
            "option_e": "Sol",
            "answer": "E",
        },
    ]
    campaign = new_campaign("okapi_arc")
    run_import(
        campaign,
        write_jsonl(tmp_path / "arc_en.jsonl", english_rows),
        write_jsonl(tmp_path / "arc_es.jsonl", spanish_rows),
    )
    three, five = campaign.records.order_by("id")
    assert [piece["translation"] for piece in three.fields] == [
        "¿Qué estado?",
        "sólido",
        "líquido",
        "gas",
    ]
    assert three.metadata == {"answer": "C", "split": "test"}
    assert three.source_row["translation"]["option_e"] == ""
    assert [piece["name"] for piece in five.fields][-1] == "option_e"
    assert five.fields[-1] == {"name": "option_e", "source": "Sun", "translation": "Sol"}


def test_records_import_okapi_hellaswag_reads_a_spanish_file(tmp_path):
    english_rows = load(HELLASWAG_EN)
    spanish = write_jsonl(tmp_path / "hellaswag_es.jsonl", hellaswag_spanish(english_rows))
    campaign = new_campaign("okapi_hellaswag")
    assert run_import(campaign, HELLASWAG_EN, spanish).records_created == 30
    record = campaign.records.get(external_id=str(english_rows[0]["ind"]))
    names = list(preset_get("okapi_hellaswag").piece_names)
    assert [piece["name"] for piece in record.fields] == names
    assert record.fields[1] == {
        "name": "ctx_a",
        "source": english_rows[0]["ctx_a"],
        "translation": f"[es] {english_rows[0]['ctx_a']}",
    }
    assert record.fields[6]["translation"] == f"[es] {english_rows[0]['endings'][3]}"
    assert record.source_row["source"] == english_rows[0]
    assert record.metadata["label"] == english_rows[0]["label"]
    assert record.metadata["split"] == "val"


def test_records_import_dibt_prompts_reads_its_layout():
    campaign = new_campaign("dibt_prompts")
    run_import(campaign, MPEP)
    rows = load(MPEP)
    records = list(campaign.records.order_by("id"))
    assert [record.external_id for record in records] == ["1", "2", "3"]
    assert records[0].fields == [
        {"name": "prompt", "source": rows[0]["source"], "translation": rows[0]["target-suggestion"]}
    ]
    assert records[0].source_row == {"row": rows[0]}
    assert records[0].metadata == json.loads(rows[0]["metadata"])
    assert campaign.kind == Campaign.Kind.PROMPT_TRANSLATION


def test_records_import_generic_maps_a_csv(tmp_path):
    path = write_csv(
        tmp_path / "pares.csv",
        [
            ["clave", "en", "es", "tema"],
            ["1", "Hello", "Hola", "saludo"],
            ["2", "Bye", "Adiós", "x"],
        ],
    )
    campaign = new_campaign("generic", MAPPING)
    run_import(campaign, path)
    record = campaign.records.get(external_id="2")
    assert record.fields == [{"name": "es", "source": "Bye", "translation": "Adiós"}]
    assert record.source_row == {"row": {"clave": "2", "en": "Bye", "es": "Adiós", "tema": "x"}}
    assert record.metadata == {"tema": "x"}
    assert list(campaign.questions.values_list("name", flat=True)) == ["verdict", "es_corrected"]


BadInput = tuple[str, Path, Path | None, dict | None, str]


def _bad_duplicate_ids(tmp_path: Path) -> BadInput:
    english_rows, spanish_rows = load(ARC_EN), load(ARC_ES)
    english = write_jsonl(tmp_path / "arc_en.jsonl", [*english_rows, english_rows[1]])
    spanish = write_jsonl(tmp_path / "arc_es.jsonl", [*spanish_rows, spanish_rows[1]])
    return (
        "okapi_arc",
        english,
        spanish,
        None,
        'arc_en.jsonl, row 26, field «id»: duplicate key "MCAS_2006_9_31-v1"',
    )


def _bad_rows_not_aligned(tmp_path: Path) -> BadInput:
    spanish_rows = load(ARC_ES)
    spanish_rows[24] = dict(spanish_rows[24], id="ARC-Challenge/validation/Elsewhere_1")
    spanish = write_jsonl(tmp_path / "arc_es.jsonl", spanish_rows)
    return (
        "okapi_arc",
        ARC_EN,
        spanish,
        None,
        f'arc_es.jsonl, row 25, field «id»: no row with key "Elsewhere_1" in {ARC_EN.name}',
    )


def _bad_missing_mapped_column(tmp_path: Path) -> BadInput:
    path = write_csv(tmp_path / "pares.csv", [["clave", "en", "tema"], ["1", "Hello", "saludo"]])
    return (
        "generic",
        path,
        None,
        MAPPING,
        "pares.csv, row 1, field «es»: no such column; the file has: clave, en, tema",
    )


def _bad_wrong_type(tmp_path: Path) -> BadInput:
    english_rows = load(MMLU_EN)
    english_rows[34] = dict(english_rows[34], choices="17, 35, 52, 70")
    english = write_jsonl(tmp_path / "mmlu_en.jsonl", english_rows)
    return (
        "okapi_mmlu",
        english,
        MMLU_ES,
        None,
        "mmlu_en.jsonl, row 35, field «choices»: expected a list of texts, not text",
    )


def _bad_non_utf8(tmp_path: Path) -> BadInput:
    lines = ARC_ES.read_bytes().splitlines(keepends=True)
    lines[24] = lines[24].replace(b'"answer"', b'"answ\xe9r"', 1)
    spanish = tmp_path / "arc_es.jsonl"
    spanish.write_bytes(b"".join(lines))
    position = lines[24].index(b"\xe9") + 1
    return (
        "okapi_arc",
        ARC_EN,
        spanish,
        None,
        f"arc_es.jsonl, row 25: not valid UTF-8 (byte 0xe9 at position {position})",
    )


def _bad_empty_file(tmp_path: Path) -> BadInput:
    path = tmp_path / "mpep.jsonl"
    path.write_bytes(b"")
    return "dibt_prompts", path, None, None, "mpep.jsonl: the file has no rows"


def _bad_truncated_json_line(tmp_path: Path) -> BadInput:
    text = MPEP.read_text(encoding="utf-8").rstrip("\n")
    path = tmp_path / "mpep.jsonl"
    path.write_text(text[: text.rindex('"metadata"')], encoding="utf-8")
    return (
        "dibt_prompts",
        path,
        None,
        None,
        "mpep.jsonl, row 3: invalid JSON at column",
    )


BAD_INPUTS: dict[str, Callable[[Path], BadInput]] = {
    "duplicate_ids": _bad_duplicate_ids,
    "rows_not_aligned": _bad_rows_not_aligned,
    "missing_mapped_column": _bad_missing_mapped_column,
    "wrong_type": _bad_wrong_type,
    "non_utf8": _bad_non_utf8,
    "empty_file": _bad_empty_file,
    "truncated_json_line": _bad_truncated_json_line,
}


@pytest.mark.parametrize("case", list(BAD_INPUTS))
def test_records_import_rejects_bad_input_and_stores_nothing(tmp_path, case):
    preset, source, second, mapping, message = BAD_INPUTS[case](tmp_path)
    campaign = new_campaign(preset, mapping)
    with pytest.raises(ImportRejected) as caught:
        run_import(campaign, source, second)
    lines = str(caught.value).splitlines()
    assert any(line.startswith(message) for line in lines), lines
    assert not Record.objects.exists()
    assert records_total(campaign) == 0
    run = ImportRun.objects.get(campaign=campaign)
    assert (run.status, run.records_created, run.records_updated) == (ImportRun.Status.FAILED, 0, 0)
    assert run.errors == lines
    assert run.finished_at is not None


@pytest.mark.django_db(transaction=True)
def test_records_import_rejected_in_autocommit_rolls_back_the_copied_rows(tmp_path):
    preset, source, second, _mapping, message = _bad_wrong_type(tmp_path)
    campaign = new_campaign(preset)
    # Outside any test transaction the import's own atomic block is the real one.
    assert connection.get_autocommit()
    with pytest.raises(ImportRejected, match=re.escape(message)):
        run_import(campaign, source, second)
    assert not Record.objects.exists()
    assert records_total(campaign) == 0
    assert ImportRun.objects.get(campaign=campaign).status == ImportRun.Status.FAILED


@pytest.mark.parametrize("case", ["duplicate_ids", "rows_not_aligned", "non_utf8"])
def test_records_import_rejected_again_leaves_existing_records_untouched(tmp_path, case):
    campaign = new_campaign("okapi_arc")
    run_import(campaign, ARC_EN, ARC_ES)
    before = stored_rows(campaign)
    # The bad file also changes a translation that a partial write would store.
    _preset, source, second, _mapping, message = BAD_INPUTS[case](tmp_path)
    second.write_bytes(second.read_bytes().replace(b"Las zarzamoras", b"Las moras", 1))
    with pytest.raises(ImportRejected, match=re.escape(message)):
        run_import(campaign, source, second)
    assert stored_rows(campaign) == before
    assert records_total(campaign) == 25
    statuses = list(campaign.import_runs.order_by("started_at").values_list("status", flat=True))
    assert statuses == [ImportRun.Status.SUCCEEDED, ImportRun.Status.FAILED]


def test_records_import_again_upserts_and_keeps_responses_and_progress():
    campaign = new_campaign("okapi_mmlu")
    run_import(campaign, MMLU_EN, MMLU_ES)
    first, second = campaign.records.order_by("id")[:2]
    for user in (UserFactory(), UserFactory()):
        Response.objects.create(
            record=first,
            campaign=campaign,
            user=user,
            values={"verdict": "correct"},
            status=Response.Status.SUBMITTED,
        )
    Record.objects.filter(pk=first.pk).update(status=Record.Status.COMPLETED, submitted_count=2)
    Record.objects.filter(pk=second.pk).update(submitted_count=1)
    ids_before = dict(campaign.records.values_list("external_id", "id"))

    run = run_import(campaign, MMLU_EN, MMLU_ES)

    assert (run.records_created, run.records_updated) == (0, 35)
    assert dict(campaign.records.values_list("external_id", "id")) == ids_before
    assert records_total(campaign) == 35
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.status, first.submitted_count) == (Record.Status.COMPLETED, 2)
    assert (second.status, second.submitted_count) == (Record.Status.PENDING, 1)
    assert (
        list(first.responses.values_list("status", "values"))
        == [(Response.Status.SUBMITTED, {"verdict": "correct"})] * 2
    )


def test_records_import_again_updates_changed_translations_and_adds_new_rows(tmp_path):
    campaign = new_campaign("okapi_mmlu")
    run_import(campaign, MMLU_EN, MMLU_ES)
    english_rows, spanish_rows = load(MMLU_EN), load(MMLU_ES)
    changed_id = spanish_rows[2]["id"]
    spanish_rows[2] = dict(spanish_rows[2], instruction="¿Cómo se llama la novia de Tom?")
    english_rows.append(dict(english_rows[0], _row_index=999))
    spanish_rows.append(dict(spanish_rows[0], id="moral_disputes/val/999"))
    unchanged = {
        record.external_id: (record.fields, record.source_row)
        for record in campaign.records.exclude(external_id=changed_id)
    }

    run = run_import(
        campaign,
        write_jsonl(tmp_path / "mmlu_en.jsonl", english_rows),
        write_jsonl(tmp_path / "mmlu_es.jsonl", spanish_rows),
    )

    assert (run.records_created, run.records_updated) == (1, 35)
    assert records_total(campaign) == campaign.records.count() == 36
    changed = campaign.records.get(external_id=changed_id)
    assert changed.fields[0]["translation"] == "¿Cómo se llama la novia de Tom?"
    assert changed.source_row["translation"] == spanish_rows[2]
    for record in campaign.records.filter(external_id__in=unchanged):
        assert (record.fields, record.source_row) == unchanged[record.external_id]
    assert campaign.records.get(external_id="moral_disputes/val/999").status == "pending"


def test_records_write_copies_first_import_and_upserts_through_temp_table():
    campaign = new_campaign("okapi_arc")
    direct = mock.patch.object(
        record_writer, "_copy_into_records", wraps=record_writer._copy_into_records
    )
    upsert = mock.patch.object(
        record_writer, "_copy_and_upsert", wraps=record_writer._copy_and_upsert
    )
    with direct as copy_spy, upsert as upsert_spy, CaptureQueriesContext(connection) as first:
        run_import(campaign, ARC_EN, ARC_ES)
    assert (copy_spy.call_count, upsert_spy.call_count) == (1, 0)
    assert not any("somos_import_rows" in query["sql"] for query in first.captured_queries)

    with direct as copy_spy, upsert as upsert_spy, CaptureQueriesContext(connection) as again:
        run_import(campaign, ARC_EN, ARC_ES)
    assert (copy_spy.call_count, upsert_spy.call_count) == (0, 1)
    assert any("CREATE TEMP TABLE somos_import_rows" in q["sql"] for q in again.captured_queries)
    assert any("ON CONFLICT" in query["sql"] for query in again.captured_queries)
    assert campaign.records.count() == 25


def test_records_import_again_twice_in_one_transaction():
    campaign = new_campaign("dibt_prompts")
    with transaction.atomic():
        run_import(campaign, MPEP)
        run_import(campaign, MPEP)
        run = run_import(campaign, MPEP)
    assert (run.records_created, run.records_updated) == (0, 3)
    assert campaign.records.count() == 3


def test_records_import_rejects_nul_characters_and_overlong_ids(organizer, tmp_path):
    campaign = campaign_create(
        slug="dibt-nul", name="DIBT", preset="dibt_prompts", organizers=[organizer]
    )
    row = {
        "source": "Say hi",
        "target": [],
        "target-suggestion": "Di hola\x00",
        "target-suggestion-metadata": {"type": None, "score": None, "agent": None},
        "external_id": "x" * 300,
        "metadata": "{}",
    }
    path = tmp_path / "nul.jsonl"
    path.write_text(json.dumps(row) + "\n", encoding="utf-8")
    with pytest.raises(ImportRejected) as rejected:
        records_import(campaign=campaign, source=Source(path=path))
    message = str(rejected.value)
    assert "«external_id»" in message and "255" in message
    assert campaign.records.count() == 0
    assert ImportRun.objects.get(campaign=campaign).status == ImportRun.Status.FAILED


@pytest.mark.parametrize("again", [False, True], ids=["first import", "upsert"])
def test_records_import_keeps_tabs_breaks_backslashes_and_long_integers(tmp_path, again):
    # The writer composes COPY's text format itself, and the reader parses with orjson:
    # what either escapes or reads differently must arrive exactly as the file holds it.
    rows = load(MPEP)
    odd = {
        **rows[0],
        "external_id": "a\tb\\c\nd\re",
        "source": 'Tab\there, "quotes", back\\slash \\n and a real\nbreak',
        "target-suggestion": "Tabulador\taquí, barra \\ invertida\ny salto",
        "tally": 12345678901234567890123,
        "ratio": 0.1,
    }
    path = tmp_path / "odd.jsonl"
    path.write_text(
        "".join(json.dumps(row, ensure_ascii=False) + "\n" for row in [odd, *rows[1:]]),
        encoding="utf-8",
    )
    campaign = new_campaign("dibt_prompts")
    if again:
        run_import(campaign, MPEP)
    run_import(campaign, path)
    record = campaign.records.get(external_id="a\tb\\c\nd\re")
    assert record.fields == [
        {"name": "prompt", "source": odd["source"], "translation": odd["target-suggestion"]}
    ]
    assert record.source_row == {"row": odd}
    assert record.source_row["row"]["tally"] == 12345678901234567890123
