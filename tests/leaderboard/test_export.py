"""End to end: import, annotate (a dispute settled in review included), export, load, prompt.

The prompts are built the way lm-evaluation-harness's okapi tasks build them:
- arc_es (`lm_eval/tasks/okapi/arc_multilingual/utils.py`, `_process_doc`): query
  "Question: " + instruction + "\\nAnswer:", choices option_a..option_e without empty ones,
  gold the index of the answer letter;
- m_mmlu_es (`mmlu_multilingual/_default_yaml`): doc_to_text
  "{{instruction.strip()}}\\nA. {{option_a}}\\nB. {{option_b}}\\nC. {{option_c}}\\nD.
  {{option_d}}\\nAnswer:" (one line in the YAML).
"""

from __future__ import annotations

import importlib.util
import json
import shutil
from io import StringIO

import datasets
import jinja2
import pytest
import yaml
from django.core.management import CommandError, call_command

from annotation.consensus.services import consensus_decide
from annotation.models import Consensus
from annotation.services import response_submit
from campaigns.importers.sources import Source
from campaigns.models import Campaign, Record
from campaigns.samples import SAMPLE_DATA
from campaigns.services import campaign_create, campaign_status_change, records_import
from leaderboard.export.harness import task_name
from leaderboard.export.services import campaign_export
from leaderboard.models import LeaderboardDataset
from leaderboard.services import leaderboard_registry_seed
from somos_site.accounts.models import Profile
from tests.campaigns.files import ARC_EN, ARC_ES
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

ARC_COLUMNS = ["id", "instruction", *(f"option_{c}" for c in "abcde"), "answer"]
MMLU_COLUMNS = ["id", "instruction", *(f"option_{c}" for c in "abcd"), "answer"]
ARC_CORRECTED = "ARC-Challenge/validation/Mercury_7246995"
ARC_REVIEWED = "ARC-Challenge/validation/Mercury_7099103"
QUESTION_FIX = (
    "Algunas células vegetales necesitan energía para llevar nutrientes a través de la membrana"
    " celular. ¿Qué transformación de energía usan para meter la molécula de nutrientes?"
)


class _TaskLoader(yaml.SafeLoader):
    """Read harness YAML, where `!function` names a Python function."""


_TaskLoader.add_constructor("!function", lambda loader, node: ("function", node.value))


def _task(folder):
    (path,) = (folder / "lm_eval").glob("*.yaml")
    return yaml.load(path.read_text(encoding="utf-8"), Loader=_TaskLoader)  # noqa: S506


def _front_matter(folder) -> dict:
    """The Hub metadata at the top of the export's dataset card."""
    card = (folder / "README.md").read_text(encoding="utf-8")
    return yaml.safe_load(card.split("---\n")[1])


def _utils(folder):
    spec = importlib.util.spec_from_file_location("exported_utils", folder / "lm_eval" / "utils.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _record(campaign, external_id: str) -> Record:
    return campaign.records.get(external_id=external_id)


def _translations(record: Record) -> dict[str, str]:
    return {piece["name"]: piece["translation"] for piece in record.fields}


@pytest.fixture
def people():
    credited, private, plain, reviewer = (UserFactory() for _ in range(4))
    Profile.objects.create(user=credited, display_name="Alicia Pérez", public_ranking=True)
    Profile.objects.create(user=private, display_name="Bruno Oculto", public_ranking=False)
    return credited, private, plain, reviewer


def _campaign(slug: str, preset: str, source: str, translation: str | None = None) -> Campaign:
    campaign = campaign_create(slug=slug, name=slug.upper(), preset=preset)
    records_import(
        campaign=campaign,
        source=Source(path=SAMPLE_DATA / source if "/" not in source else source),
        translation=(
            Source(path=SAMPLE_DATA / translation if "/" not in translation else translation)
            if translation
            else None
        ),
    )
    return campaign_status_change(campaign=campaign, status=Campaign.Status.ACTIVE)


def test_export_arc_end_to_end_loads_in_the_harness_layout(
    arc_campaign, people, tmp_path, monkeypatch
):
    leaderboard_registry_seed()
    credited, private, plain, reviewer = people
    arc_campaign.reviewers.add(reviewer)
    records = list(arc_campaign.records.order_by("id"))
    corrected = _record(arc_campaign, ARC_CORRECTED)
    disputed_for_review = _record(arc_campaign, ARC_REVIEWED)
    settled = [r for r in records if r.pk not in (corrected.pk, disputed_for_review.pk)][:6]
    for record in settled:
        response_submit(record=record, user=credited, values={"verdict": "correct"})
        response_submit(record=record, user=private, values={"verdict": "correct"})
    response_submit(
        record=corrected,
        user=credited,
        values={"verdict": "minor_fixes", "question_corrected": QUESTION_FIX},
    )
    response_submit(
        record=corrected,
        user=plain,
        values={"verdict": "minor_fixes", "question_corrected": QUESTION_FIX.replace(" ", "  ")},
    )
    response_submit(record=disputed_for_review, user=credited, values={"verdict": "correct"})
    response_submit(
        record=disputed_for_review,
        user=plain,
        values={"verdict": "wrong", "question_corrected": "¿Por qué se reproducen así?"},
    )
    consensus_decide(
        record=disputed_for_review,
        reviewer=reviewer,
        verdict="minor_fixes",
        pieces={**_translations(disputed_for_review), "question": "Texto decidido en revisión."},
    )
    waiting = [r for r in records if r not in settled and r not in (corrected, disputed_for_review)]
    response_submit(record=waiting[0], user=credited, values={"verdict": "correct"})
    response_submit(record=waiting[1], user=credited, values={"verdict": "correct"})
    response_submit(record=waiting[1], user=plain, values={"verdict": "wrong"})
    assert _record(arc_campaign, waiting[1].external_id).status == Record.Status.DISPUTED

    folder = tmp_path / "arc"
    result = campaign_export(campaign=arc_campaign, folder=folder)
    assert result.splits == {"validation": 8}

    saved = datasets.load_from_disk(str(folder / "disk" / "validated"))
    assert list(saved) == ["validation"]
    parquet = datasets.load_dataset(
        "parquet",
        data_files={"validation": str(folder / "data" / "validation.parquet")},
        cache_dir=str(tmp_path / "cache"),
    )
    task = _task(folder)
    # The export runs wherever it is unzipped: no path of this machine in the task, and the
    # harness (run from the export's root) finds the files in a moved copy.
    assert str(tmp_path) not in (folder / "lm_eval").joinpath(f"{result.task}.yaml").read_text()
    elsewhere = tmp_path / "another-machine" / "export"
    shutil.copytree(folder, elsewhere)
    monkeypatch.chdir(elsewhere)
    as_harness_reads = datasets.load_dataset(
        task["dataset_path"], cache_dir=str(tmp_path / "cache"), **task["dataset_kwargs"]
    )
    for loaded in (saved, parquet, as_harness_reads):
        split = loaded["validation"]
        assert split.column_names == ARC_COLUMNS
        assert all(split.features[name] == datasets.Value("string") for name in ARC_COLUMNS)
        assert split.num_rows == 8
        assert set(split["option_e"]) == {""}

    rows = {row["id"]: row for row in saved["validation"]}
    assert rows[ARC_CORRECTED]["instruction"] == QUESTION_FIX
    assert rows[ARC_REVIEWED]["instruction"] == "Texto decidido en revisión."
    assert rows[ARC_CORRECTED]["answer"] == "C"
    expected = (
        "Question: Algunas células vegetales necesitan energía para llevar nutrientes a través"
        " de la membrana celular. ¿Qué transformación de energía usan para meter la molécula de"
        " nutrientes?\nAnswer:"
    )
    assert "Question: " + rows[ARC_CORRECTED]["instruction"] + "\nAnswer:" == expected

    assert task["dataset_path"] == "json"
    assert task["validation_split"] == "validation"
    assert task["test_split"] is None and task["training_split"] is None
    assert task["process_docs"] == ("function", "utils.process_docs")
    assert (task["doc_to_text"], task["doc_to_target"]) == ("query", "gold")
    docs = _utils(folder).process_docs(as_harness_reads["validation"])
    doc = next(doc for doc in docs if doc["id"] == ARC_CORRECTED)
    assert doc["query"] == expected
    assert doc["choices"] == [
        "energía térmica a energía cinética",
        "energía potencial a energía lumínica",
        "energía química a energía cinética",
        "energía cinética a energía potencial",
    ]
    assert doc["gold"] == 2

    responses = datasets.load_dataset(
        "parquet",
        data_files=str(folder / "responses" / "train.parquet"),
        split="train",
        cache_dir=str(tmp_path / "cache"),
    )
    assert responses.num_rows == 6 * 2 + 2 + 2 + 1 + 2
    names = set(responses["contributor"])
    assert "Alicia Pérez" in names
    assert all(name.startswith("annotator-") for name in names - {"Alicia Pérez"})
    assert len(names) == 3
    everything = json.dumps(responses.to_list(), default=str) + (folder / "README.md").read_text()
    for hidden in (private.username, private.email, plain.email, "Bruno Oculto"):
        assert hidden not in everything

    card = (folder / "README.md").read_text(encoding="utf-8")
    assert "license: cc-by-nc-4.0" in card
    assert "| validated | 8 |" in card and "| of which settled by a reviewer | 1 |" in card
    assert "| disputed, waiting for review | 1 |" in card
    assert "Krippendorff's alpha" in card and "| verdict |" in card
    assert "Rule: `majority`, version 1." in card
    assert "With thanks to Alicia Pérez." in card and "2 more people" in card
    assert "--tasks arc_es_somos_arc_test" in card
    # A Spanish campaign keeps the task name exports have always had.
    assert result.task == "arc_es_somos_arc_test"
    assert _task(folder)["task"] == "arc_es_somos_arc_test"
    assert (folder / "lm_eval" / "arc_es_somos_arc_test.yaml").exists()
    assert _front_matter(folder)["language"] == ["es"]
    assert card.count("Spanish text validated by the #Somos600M community") == 1

    version = result.version
    assert version.dataset == LeaderboardDataset.objects.get(name="ARC-C_es")
    assert (version.number, version.records, version.records_validated) == (1, 8, 8)
    assert version.records_total == 25 and version.coverage == pytest.approx(8 / 25)
    assert arc_campaign.leaderboard_target.dataset == version.dataset

    everything_folder = tmp_path / "arc-pending"
    pending = campaign_export(campaign=arc_campaign, folder=everything_folder, include="pending")
    assert pending.splits == {"validation": 25} and pending.version.number == 2
    rows = {
        row["id"]: row
        for row in datasets.load_from_disk(str(everything_folder / "disk" / "validated"))[
            "validation"
        ]
    }
    assert rows[waiting[1].external_id]["instruction"] == _translations(waiting[1])["question"]
    assert rows[ARC_REVIEWED]["instruction"] == "Texto decidido en revisión."


def test_export_mmlu_command_writes_the_harness_layout(people, tmp_path):
    credited, private, _plain, _reviewer = people
    campaign = _campaign(
        "mmlu-test", "okapi_mmlu", "mmlu_validation_en.jsonl", "okapi_mmlu_val_es.jsonl"
    )
    marquis = _record(campaign, "moral_disputes/val/7")
    fixed = "Se ofrece un análisis creíble de la personalidad."
    for user in (credited, private):
        response_submit(
            record=marquis,
            user=user,
            values={"verdict": "minor_fixes", "option_b_corrected": fixed},
        )
    other = campaign.records.exclude(pk=marquis.pk).order_by("id").first()
    response_submit(record=other, user=credited, values={"verdict": "correct"})
    response_submit(record=other, user=private, values={"verdict": "correct"})

    folder = tmp_path / "mmlu"
    call_command("export_campaign", "--slug", "mmlu-test", "--out", str(folder))
    saved = datasets.load_from_disk(str(folder / "disk" / "validated"))
    assert list(saved) == ["val"]
    assert saved["val"].column_names == MMLU_COLUMNS
    assert all(saved["val"].features[name] == datasets.Value("string") for name in MMLU_COLUMNS)
    row = next(row for row in saved["val"] if row["id"] == "moral_disputes/val/7")
    assert row["option_b"] == fixed

    task = _task(folder)
    assert task["test_split"] == "val" and "fewshot_split" not in task
    prompt = jinja2.Template(task["doc_to_text"]).render(**row)
    assert prompt == (
        "Según Marquis, ¿cuáles son los beneficios de su posición sobre el aborto?\n"
        "A. Se evitan problemas con cuentas de personalidad como qué pasa con el infanticidio"
        " siendo incorrecto.\n"
        "B. Se ofrece un análisis creíble de la personalidad.\n"
        "C. ambos de los anteriores\n"
        "D. ninguno de los anteriores\n"
        "Answer:"
    )
    assert jinja2.Template(task["doc_to_target"]).render(**row) == "0"

    with pytest.raises(CommandError, match=str(folder)):
        call_command("export_campaign", "--slug", "mmlu-test", "--out", str(folder))


def test_export_push_to_hub_without_a_token_says_so(arc_campaign, tmp_path, monkeypatch):
    monkeypatch.setattr("huggingface_hub.get_token", lambda: None)
    with pytest.raises(CommandError, match="HF_TOKEN"):
        call_command(
            "export_campaign",
            "--slug",
            arc_campaign.slug,
            "--out",
            str(tmp_path / "hub"),
            "--push-to-hub",
            "somos/arc-es",
        )
    assert not (tmp_path / "hub").exists()


def test_export_hellaswag_keeps_its_layout_and_val_split(people, tmp_path):
    credited, private, _plain, _reviewer = people
    english = (SAMPLE_DATA / "hellaswag_validation_en.jsonl").read_text().splitlines()[:3]
    spanish = []
    for line in english:
        row = json.loads(line)
        for field in ("activity_label", "ctx_a", "ctx_b", "ctx"):
            row[field] = f"ES {row[field]}"
        row["endings"] = [f"ES {ending}" for ending in row["endings"]]
        spanish.append(json.dumps(row, ensure_ascii=False))
    (tmp_path / "en.jsonl").write_text("\n".join(english) + "\n")
    (tmp_path / "es.jsonl").write_text("\n".join(spanish) + "\n")
    campaign = _campaign(
        "hellaswag-test", "okapi_hellaswag", str(tmp_path / "en.jsonl"), str(tmp_path / "es.jsonl")
    )
    first = campaign.records.order_by("id").first()
    for user in (credited, private):
        response_submit(
            record=first,
            user=user,
            values={"verdict": "minor_fixes", "ctx_b_corrected": "el hombre"},
        )
    folder = tmp_path / "out"
    result = campaign_export(campaign=campaign, folder=folder, include="pending")
    assert result.splits == {"val": 3}
    split = datasets.load_from_disk(str(folder / "disk" / "validated"))["val"]
    assert split.column_names == [
        "ind",
        "activity_label",
        "ctx_a",
        "ctx_b",
        "ctx",
        "endings",
        "source_id",
        "split",
        "split_type",
        "label",
    ]
    assert split.features["ind"] == datasets.Value("int64")
    assert split.features["label"] == datasets.Value("string")
    assert split.features["endings"] == datasets.List(datasets.Value("string"))
    row = split[0]
    assert (row["ind"], row["label"], row["split"]) == (24, "3", "val")
    assert row["ctx_b"] == "el hombre"
    assert row["ctx"] == "ES A man is sitting on a roof. el hombre"
    doc = _utils(folder).process_docs(split)[0]
    assert doc["query"] == "ES Roof shingle removal: ES A man is sitting on a roof. El hombre"
    assert doc["gold"] == 3
    assert _task(folder)["validation_split"] == "val"


def test_export_dibt_prompts_in_the_mpep_layout(people, tmp_path):
    credited, private, _plain, _reviewer = people
    campaign = _campaign("dibt-test", "dibt_prompts", "mpep_spanish_schema_example.jsonl")
    first = campaign.records.order_by("id").first()
    fixed = "Escribe un haiku corto sobre las hojas de otoño."
    for user in (credited, private):
        response_submit(
            record=first, user=user, values={"verdict": "minor_fixes", "prompt_corrected": fixed}
        )
    folder = tmp_path / "out"
    campaign_export(campaign=campaign, folder=folder, include="pending")
    split = datasets.load_from_disk(str(folder / "disk" / "validated"))["train"]
    assert split.column_names == [
        "source",
        "target",
        "target-suggestion",
        "target-suggestion-metadata",
        "external_id",
        "metadata",
    ]
    rows = split.to_list()
    assert rows[0]["target"] == [
        {"user_id": "somos:consensus", "value": fixed, "status": "submitted"}
    ]
    assert rows[0]["target-suggestion"] == "Escribe un breve haiku sobre las hojas de otoño."
    assert [row["target"] for row in rows[1:]] == [[], []]
    assert json.loads(rows[0]["metadata"])["kind"] == "synthetic"
    assert not (folder / "lm_eval").exists()


def _answered(campaign, state: str) -> None:
    """Give the campaign no answer, one answer, or every answer its overlap asks for."""
    records = list(campaign.records.order_by("id"))
    if state == "one":
        response_submit(record=records[0], user=UserFactory(), values={"verdict": "correct"})
    elif state == "all":
        people = [UserFactory() for _ in range(campaign.overlap)]
        for record in records:
            for person in people:
                response_submit(record=record, user=person, values={"verdict": "correct"})


@pytest.mark.parametrize(
    ("state", "validated", "responses"), [("none", 0, 0), ("one", 0, 1), ("all", 25, 50)]
)
@pytest.mark.parametrize("include", ["validated", "pending"])
def test_export_with_no_one_or_every_answer(
    arc_campaign, tmp_path, state, validated, responses, include
):
    _answered(arc_campaign, state)
    result = campaign_export(campaign=arc_campaign, folder=tmp_path / "out", include=include)
    assert (result.counts.validated, result.counts.responses) == (validated, responses)
    assert result.counts.exported == (25 if include == "pending" else validated)
    assert sum(result.splits.values()) == result.counts.exported


def test_export_settles_records_completed_before_consensus_then_exports_them(
    arc_campaign, tmp_path
):
    _answered(arc_campaign, "all")
    # As records answered before consensus existed, or loaded in bulk, stand: completed,
    # with their answers, and nothing settled.
    Consensus.objects.filter(record__campaign=arc_campaign).delete()
    arc_campaign.records.update(status=Record.Status.COMPLETED)

    result = campaign_export(campaign=arc_campaign, folder=tmp_path / "out")

    assert (result.counts.validated, result.counts.waiting, result.counts.exported) == (25, 0, 25)
    assert result.splits == {"validation": 25}
    assert Consensus.objects.filter(record__campaign=arc_campaign).count() == 25
    assert set(arc_campaign.records.values_list("status", flat=True)) == {Record.Status.VALIDATED}


def test_export_of_a_catalan_campaign_names_its_language_and_task(tmp_path):
    leaderboard_registry_seed()
    # The Spanish sample stands in for Okapi's Catalan file: the layout is the same.
    call_command(
        "import_campaign",
        *("--slug", "arc-ca", "--preset", "okapi_arc", "--target-language", "ca"),
        *("--source", str(ARC_EN), "--translation", str(ARC_ES)),
        stdout=StringIO(),
    )
    campaign = Campaign.objects.get(slug="arc-ca")
    assert (campaign.source_language, campaign.target_language) == ("en", "ca")
    folder = tmp_path / "arc-ca"
    call_command(
        "export_campaign",
        *("--slug", "arc-ca", "--out", str(folder), "--include", "pending"),
        stdout=StringIO(),
    )
    assert _front_matter(folder)["language"] == ["ca"]
    card = (folder / "README.md").read_text(encoding="utf-8")
    assert "Catalan text validated by the #Somos600M community" in card
    assert "Spanish" not in card
    assert "--tasks arc_ca_somos_arc_ca" in card
    assert [path.name for path in (folder / "lm_eval").glob("*.yaml")] == [
        "arc_ca_somos_arc_ca.yaml"
    ]
    assert _task(folder)["task"] == "arc_ca_somos_arc_ca"
    # Table 5's ARC-C_es is Spanish: a Catalan campaign feeds a dataset of its own.
    dataset = campaign.leaderboard_target.dataset
    assert (dataset.name, dataset.languages) == (campaign.name, ["ca"])


@pytest.mark.parametrize(
    ("harness", "language", "slug", "task"),
    [
        ("arc", "es", "arc-es", "arc_es_somos_arc_es"),
        ("arc", "ca", "arc-ca", "arc_ca_somos_arc_ca"),
        ("mmlu", "eu", "mmlu-eu", "m_mmlu_eu_somos_mmlu_eu"),
        ("hellaswag", "gl", "hs", "hellaswag_gl_somos_hs"),
        ("mmlu", "pt-br", "mmlu", "m_mmlu_pt_br_somos_mmlu"),
    ],
)
def test_task_name_follows_the_target_language(harness, language, slug, task):
    assert task_name(harness=harness, language=language, slug=slug) == task


@pytest.mark.django_db(transaction=True)
def test_export_on_its_own_reads_the_answers_beside_the_records_to_the_same_files(
    arc_campaign, people, tmp_path
):
    # Run on its own, the export reads the answers on a second connection that shares its
    # snapshot; inside a caller's transaction, after the records on the one connection.
    import pyarrow.parquet as pq
    from django.db import transaction

    credited, private, plain, _ = people
    records = list(arc_campaign.records.order_by("id"))
    for record in records[:10]:
        response_submit(record=record, user=credited, values={"verdict": "correct"})
        response_submit(record=record, user=private, values={"verdict": "correct"})
    response_submit(
        record=records[10],
        user=plain,
        values={"verdict": "minor_fixes", "question_corrected": QUESTION_FIX},
    )

    beside = campaign_export(campaign=arc_campaign, folder=tmp_path / "beside", include="pending")
    with transaction.atomic():
        after = campaign_export(campaign=arc_campaign, folder=tmp_path / "after", include="pending")

    assert (beside.counts.responses, beside.counts.validated) == (21, 10)
    assert beside.counts == after.counts
    assert beside.splits == after.splits
    for split in beside.splits:
        path = f"data/{split}.jsonl"
        assert (tmp_path / "beside" / path).read_text() == (tmp_path / "after" / path).read_text()
    answers = [
        pq.read_table(tmp_path / name / "responses" / "train.parquet").to_pylist()
        for name in ("beside", "after")
    ]
    assert len(answers[0]) == 21
    assert answers[0] == answers[1]
