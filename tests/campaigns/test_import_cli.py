"""`manage.py import_campaign`: create or reuse a campaign, import, print counts or problems."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.db import connection
from django.utils import translation

from campaigns.models import Campaign, ImportRun, Record
from campaigns.samples import SAMPLE_DATA
from campaigns.services import campaign_create
from tests.campaigns.files import ARC_EN, ARC_ES

pytestmark = pytest.mark.django_db

MMLU_EN = SAMPLE_DATA / "mmlu_validation_en.jsonl"
MMLU_ES = SAMPLE_DATA / "okapi_mmlu_val_es.jsonl"
MPEP = SAMPLE_DATA / "mpep_spanish_schema_example.jsonl"


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


def import_campaign(*args: str) -> str:
    out = StringIO()
    call_command("import_campaign", *args, stdout=out)
    return out.getvalue()


def mmlu_args(slug: str = "mmlu-es", translation_path: Path = MMLU_ES) -> list[str]:
    return [
        "--slug",
        slug,
        "--preset",
        "okapi_mmlu",
        "--source",
        str(MMLU_EN),
        "--translation",
        str(translation_path),
    ]


def arc_args(slug: str = "arc-ca") -> list[str]:
    # The Spanish sample stands in for Okapi's Catalan file: the layout is the same.
    return [
        "--slug",
        slug,
        "--preset",
        "okapi_arc",
        "--source",
        str(ARC_EN),
        "--translation",
        str(ARC_ES),
    ]


def test_import_campaign_creates_a_draft_campaign_and_prints_counts():
    out = import_campaign(*mmlu_args(), "--name", "MMLU en español", "--overlap", "3")
    campaign = Campaign.objects.get(slug="mmlu-es")
    assert (campaign.name, campaign.preset, campaign.overlap, campaign.status) == (
        "MMLU en español",
        "okapi_mmlu",
        3,
        Campaign.Status.DRAFT,
    )
    assert "Created the draft campaign mmlu-es (okapi_mmlu)." in out
    assert "35 created, 0 updated; the campaign has 35 records." in out
    assert " records/s" in out
    assert campaign.records.count() == 35


def test_import_campaign_reuses_the_campaign_on_a_second_run():
    import_campaign(*mmlu_args())
    out = import_campaign(*mmlu_args())
    assert Campaign.objects.filter(slug="mmlu-es").count() == 1
    assert "Importing into the existing campaign mmlu-es (Draft)." in out
    assert "0 created, 35 updated; the campaign has 35 records." in out
    assert Record.objects.count() == 35
    assert ImportRun.objects.filter(status=ImportRun.Status.SUCCEEDED).count() == 2


def test_import_campaign_reports_every_problem_and_stores_nothing(tmp_path):
    rows = [json.loads(line) for line in MMLU_ES.read_text(encoding="utf-8").splitlines()]
    rows[3]["answer"] = "Z"
    rows[30]["option_b"] = 7
    spanish = tmp_path / "mmlu_es.jsonl"
    spanish.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    with pytest.raises(CommandError) as caught:
        import_campaign(*mmlu_args(translation_path=spanish))
    assert str(caught.value).splitlines() == [
        "Nothing was imported into mmlu-es; the input has these problems:",
        'mmlu_es.jsonl, row 4, field «answer»: expected a letter A–E, not "Z"',
        "mmlu_es.jsonl, row 31, field «option_b»: expected text, not a number",
    ]
    assert not Record.objects.exists()
    assert ImportRun.objects.get().status == ImportRun.Status.FAILED


def test_import_campaign_refuses_an_existing_campaign_with_another_preset():
    campaign_create(slug="mmlu-es", name="MMLU", preset="okapi_arc")
    with pytest.raises(CommandError, match="uses the preset okapi_arc, not okapi_mmlu"):
        import_campaign(*mmlu_args())
    assert not ImportRun.objects.exists()


def test_import_campaign_maps_a_csv_with_the_generic_preset(tmp_path):
    path = tmp_path / "pares.csv"
    path.write_text("clave,en,es,tema\n1,Hello,Hola,saludo\n2,Bye,Adiós,despedida\n")
    mapping = '{"id": "clave", "pairs": [["en", "es"]], "metadata": ["tema"]}'
    args = ["--slug", "pares", "--preset", "generic", "--source", str(path)]
    out = import_campaign(*args, "--mapping", mapping)
    assert "2 created, 0 updated" in out
    campaign = Campaign.objects.get(slug="pares")
    assert campaign.field_mapping == json.loads(mapping)
    assert campaign.records.get(external_id="2").metadata == {"tema": "despedida"}
    with pytest.raises(CommandError, match="created with another column mapping"):
        import_campaign(*args, "--mapping", mapping.replace("tema", "en"))


def test_import_campaign_creates_the_campaign_in_the_languages_given():
    out = import_campaign(*arc_args(), "--target-language", "ca")
    campaign = Campaign.objects.get(slug="arc-ca")
    assert (campaign.source_language, campaign.target_language) == ("en", "ca")
    assert "25 created, 0 updated" in out
    # Question titles are written in the target language and name it.
    assert "català" in campaign.questions.get(name="verdict").title


def test_import_campaign_defaults_to_english_into_spanish():
    import_campaign(*mmlu_args())
    campaign = Campaign.objects.get(slug="mmlu-es")
    assert (campaign.source_language, campaign.target_language) == ("en", "es")
    assert "español" in campaign.questions.get(name="verdict").title


def test_import_campaign_never_changes_an_existing_campaigns_languages():
    import_campaign(*arc_args(), "--target-language", "ca")
    with pytest.raises(
        CommandError, match="--target-language es does not match the campaign arc-ca \\(ca\\)"
    ):
        import_campaign(*arc_args(), "--target-language", "es")
    with pytest.raises(CommandError, match="--source-language fr does not match"):
        import_campaign(*arc_args(), "--source-language", "fr")
    campaign = Campaign.objects.get(slug="arc-ca")
    assert (campaign.source_language, campaign.target_language) == ("en", "ca")
    assert ImportRun.objects.count() == 1
    # Without the options, or with the campaign's own, the import goes on.
    assert "0 created, 25 updated" in import_campaign(*arc_args())
    assert "0 created, 25 updated" in import_campaign(*arc_args(), "--target-language", "ca")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--preset", "generic", "--mapping", "{id: 1}"], "--mapping is not valid JSON"),
        (["--preset", "generic", "--mapping", '{"id": "id"}'], "--mapping: the column mapping"),
        (["--preset", "generic"], "The generic preset needs --mapping."),
        (["--preset", "dibt_prompts", "--mapping", "{}"], "only applies to the generic preset"),
        (["--preset", "okapi_arc"], "The preset okapi_arc needs --translation."),
        (["--preset", "dibt_prompts", "--translation", "x.jsonl"], "reads a single file"),
        (["--preset", "dibt_prompts", "--slug", "no spaces"], "--slug may hold only"),
        (["--preset", "dibt_prompts", "--overlap", "0"], "--overlap must be at least 1."),
        (
            ["--preset", "dibt_prompts", "--target-language", "xx-nope"],
            '--target-language: "xx-nope" is not a language code',
        ),
        (
            ["--preset", "dibt_prompts", "--source-language", "english"],
            '--source-language: "english" is not a language code',
        ),
    ],
)
def test_import_campaign_refuses_bad_arguments_before_creating_anything(args, message):
    with pytest.raises(CommandError, match=message):
        import_campaign("--slug", "prompts", "--source", str(MPEP), *args)
    assert not Campaign.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_import_campaign_exits_non_zero_on_bad_input(tmp_path):
    source = tmp_path / "mpep.jsonl"
    source.write_bytes(MPEP.read_bytes() + b'{"source": "cut sh')
    database = connection.settings_dict
    environment = dict(
        os.environ,
        DJANGO_SETTINGS_MODULE="somos_site.test_settings",
        DATABASE_URL=(
            f"postgres://{database['USER']}@{database['HOST']}:{database['PORT']}"
            f"/{database['NAME']}"
        ),
    )
    args = ["--slug", "prompts", "--preset", "dibt_prompts", "--source", str(source)]
    done = subprocess.run(
        [sys.executable, str(Path(settings.BASE_DIR) / "manage.py"), "import_campaign", *args],
        capture_output=True,
        text=True,
        env=environment,
        timeout=60,
        check=False,
    )
    assert done.returncode == 1
    # The command speaks the site's default language (Spanish once translated).
    assert re.search(r"CommandError: .*\nmpep\.jsonl, (row|fila) 4: ", done.stderr), done.stderr
    assert Campaign.objects.filter(slug="prompts").count() == 1
    assert not Record.objects.exists()
