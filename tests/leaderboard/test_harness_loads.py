"""lm-evaluation-harness itself loads and runs a Catalan ARC export (its `dummy` model).

No weights and no download: the dummy model answers with random numbers, and the harness reads
the export's own JSON Lines files (`dataset_path: json`, data_files relative to the root).
"""

from __future__ import annotations

import datasets
import huggingface_hub
import lm_eval
import pytest
import yaml
from django.core.management import call_command
from lm_eval.tasks import TaskManager

from annotation.services import response_submit
from campaigns.models import Campaign, Record
from campaigns.samples import SAMPLE_DATA
from campaigns.services import campaign_status_change
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

SLUG = "arc-ca-harness"
TASK = "arc_ca_somos_arc_ca_harness"


def test_harness_runs_a_catalan_arc_export_with_the_dummy_model(tmp_path, monkeypatch):
    # Offline, with caches under tmp_path. datasets and huggingface_hub read these variables
    # when first imported (already done by the site's code), so their constants are set too.
    monkeypatch.setenv("HF_DATASETS_OFFLINE", "1")
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf-home"))
    monkeypatch.setenv("HF_DATASETS_CACHE", str(tmp_path / "hf-datasets"))
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_OFFLINE", True)
    monkeypatch.setattr(datasets.config, "HF_HUB_OFFLINE", True)
    monkeypatch.setattr(datasets.config, "HF_DATASETS_OFFLINE", True)
    monkeypatch.setattr(datasets.config, "HF_DATASETS_CACHE", tmp_path / "hf-datasets")
    call_command(
        "import_campaign",
        "--slug",
        SLUG,
        "--preset",
        "okapi_arc",
        "--target-language",
        "ca",
        "--source",
        str(SAMPLE_DATA / "arc_challenge_validation_en_ca_subset.jsonl"),
        "--translation",
        str(SAMPLE_DATA / "okapi_arc_challenge_validation_ca_somos.jsonl"),
    )
    campaign = campaign_status_change(
        campaign=Campaign.objects.get(slug=SLUG), status=Campaign.Status.ACTIVE
    )
    first, second = UserFactory(), UserFactory()
    validated = list(campaign.records.order_by("id")[:3])
    for record in validated:
        response_submit(record=record, user=first, values={"verdict": "correct"})
        response_submit(record=record, user=second, values={"verdict": "correct"})
        record.refresh_from_db()
        assert record.status == Record.Status.VALIDATED

    root = tmp_path / "export"
    call_command("export_campaign", "--slug", SLUG, "--out", str(root), "--include", "pending")

    card = (root / "README.md").read_text(encoding="utf-8")
    front_matter = yaml.safe_load(card.split("---\n")[1])
    languages = front_matter["language"]
    assert "ca" in (languages if isinstance(languages, list) else [languages])
    assert (root / "lm_eval" / f"{TASK}.yaml").is_file()

    monkeypatch.chdir(root)
    results = lm_eval.simple_evaluate(
        model="dummy",
        tasks=[TASK],
        # Only the export's task: indexing the ~15,000 built-in ones takes ~20 s.
        task_manager=TaskManager(include_path=str(root / "lm_eval"), include_defaults=False),
        limit=5,
    )
    metrics = results["results"][TASK]
    assert 0.0 <= metrics["acc,none"] <= 1.0
    assert "acc_norm,none" in metrics
    assert results["n-samples"][TASK]["effective"] == 5
