"""Push: workspace, dataset, settings and records reach a real Argilla; again, nothing doubles."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.utils import timezone

from annotation.argilla.models import ArgillaDatasetLink, ArgillaSyncRun
from annotation.argilla.sync import argilla_sync
from campaigns.models import Record
from guides.models import GuideVersion

pytestmark = pytest.mark.django_db(transaction=True)


def _publish_guide(campaign, body: str, number: int = 1) -> None:
    GuideVersion.objects.create(
        guide=campaign.guide, number=number, body=body, published_at=timezone.now()
    )


def test_push_creates_dataset_with_settings_records_and_suggestions(linked_campaign, argilla_owner):
    _publish_guide(linked_campaign, "# Guía\nMarca si la traducción es correcta.")

    run = argilla_sync(campaign=linked_campaign, push=True, pull=False)

    assert run.status == ArgillaSyncRun.Status.SUCCEEDED
    assert run.records_pushed == 25
    link = ArgillaDatasetLink.objects.get(campaign=linked_campaign)
    dataset = argilla_owner.get(f"/api/v1/datasets/{link.dataset_id}")
    assert dataset["name"] == "arc-es"
    assert dataset["status"] == "ready"
    assert dataset["guidelines"].startswith("# Guía")
    assert dataset["distribution"] == {"strategy": "overlap", "min_submitted": 2}
    workspace = argilla_owner.get(f"/api/v1/workspaces/{dataset['workspace_id']}")
    assert workspace["name"] == linked_campaign.argilla_workspace
    fields = {
        f["name"] for f in argilla_owner.get(f"/api/v1/datasets/{link.dataset_id}/fields")["items"]
    }
    assert {"question_source", "question_translation", "option_a_translation"} <= fields
    questions = {
        q["name"]: q["settings"]["type"]
        for q in argilla_owner.get(f"/api/v1/datasets/{link.dataset_id}/questions")["items"]
    }
    assert questions["verdict"] == "label_selection"
    assert questions["question_corrected"] == "text"

    records = argilla_owner.records(link.dataset_id)
    assert len(records) == 25
    somos = Record.objects.get(campaign=linked_campaign, external_id=records[0]["external_id"])
    assert str(somos.argilla_id) == records[0]["id"]
    pieces = {piece["name"]: piece for piece in somos.fields}
    assert records[0]["fields"]["question_translation"] == pieces["question"]["translation"]
    suggested = {s["value"] for s in records[0]["suggestions"]}
    assert pieces["question"]["translation"] in suggested
    assert records[0]["metadata"]["answer"] == somos.metadata["answer"]
    assert not Record.objects.filter(campaign=linked_campaign, argilla_id__isnull=True).exists()


def test_push_again_updates_and_never_duplicates(linked_campaign, argilla_owner):
    argilla_sync(campaign=linked_campaign, push=True, pull=False)
    record = Record.objects.filter(campaign=linked_campaign).order_by("id").first()
    record.fields[0]["translation"] = "Una traducción corregida por la organización."
    record.save()
    linked_campaign.overlap = 3
    linked_campaign.save(update_fields=["overlap"])
    _publish_guide(linked_campaign, "Guía nueva", number=2)

    call_command("sync_argilla", "--slug", linked_campaign.slug, "--push")

    run = ArgillaSyncRun.objects.filter(campaign=linked_campaign).first()
    assert run.status == ArgillaSyncRun.Status.SUCCEEDED
    assert run.records_pushed == 1  # only what changed since the last push
    link = ArgillaDatasetLink.objects.get(campaign=linked_campaign)
    dataset = argilla_owner.get(f"/api/v1/datasets/{link.dataset_id}")
    assert dataset["distribution"]["min_submitted"] == 3
    assert dataset["guidelines"] == "Guía nueva"
    records = argilla_owner.records(link.dataset_id)
    assert len(records) == 25
    changed = next(r for r in records if r["external_id"] == record.external_id)
    assert (
        changed["fields"]["question_translation"] == "Una traducción corregida por la organización."
    )


def test_runs_of_one_campaign_never_overlap(linked_campaign):
    from annotation.argilla.sync import SyncAlreadyRunning, campaign_sync_lock

    # A sync alive in another process: its run row, and its database session holding the lock.
    ArgillaSyncRun.objects.create(campaign=linked_campaign, trigger="command")
    with campaign_sync_lock(campaign_id=linked_campaign.pk) as taken:
        assert taken
        with pytest.raises(SyncAlreadyRunning):
            argilla_sync(campaign=linked_campaign)
    assert ArgillaSyncRun.objects.filter(campaign=linked_campaign).count() == 1


def test_sync_closes_the_run_of_a_dead_process_and_goes_ahead(linked_campaign):
    # Marked running, but no session holds the lock: its process died mid-run.
    dead = ArgillaSyncRun.objects.create(campaign=linked_campaign, trigger="schedule")

    run = argilla_sync(campaign=linked_campaign, push=True, pull=False)

    assert run.status == ArgillaSyncRun.Status.SUCCEEDED
    assert run.records_pushed == 25
    dead.refresh_from_db()
    assert dead.status == ArgillaSyncRun.Status.FAILED
    assert dead.errors == ["abandoned"]
    assert dead.finished_at is not None
