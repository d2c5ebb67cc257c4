"""Campaign backups written before consensus and the registry left campaigns still restore.

Such a backup names consensus rows campaigns.consensus and keeps the campaign's target dataset in
a target_leaderboard field; campaign_restore rewrites it into today's terms before loading it.
"""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from django.core.management import call_command

from annotation.models import Consensus
from annotation.services import response_submit
from campaigns.models import Campaign, Record
from leaderboard.models import CampaignTarget, LeaderboardDataset
from somos_site.operations.backup import campaign_backup, fixture_upgrade
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def dataset() -> LeaderboardDataset:
    return LeaderboardDataset.objects.create(name="ARC-Challenge (es)", slug="arc-challenge-es")


@pytest.fixture
def settled_campaign(arc_campaign, organizer) -> Campaign:
    """The ARC campaign with consensus on its first records, one of them decided by a reviewer."""
    ana, ben = UserFactory(), UserFactory()
    records = list(Record.objects.filter(campaign=arc_campaign).order_by("id")[:3])
    for record in records:
        response_submit(record=record, user=ana, values={"verdict": "correct"})
        response_submit(record=record, user=ben, values={"verdict": "correct"})
    Consensus.objects.filter(record=records[0]).update(
        reviewed=True, decided_by=organizer, note="Revisada."
    )
    return arc_campaign


def _backup(campaign: Campaign) -> list[dict]:
    stream = io.StringIO()
    campaign_backup(campaign=campaign, stream=stream)
    return json.loads(stream.getvalue())


def _written_before_the_move(fixture: list[dict], *, target: int | None) -> list[dict]:
    """The backup the previous main would have written of the same rows."""
    old = []
    for row in fixture:
        if row["model"] == "leaderboard.campaigntarget":
            continue
        if row["model"] == "annotation.consensus":
            row = {**row, "model": "campaigns.consensus"}
        if row["model"] == "campaigns.campaign":
            row = {**row, "fields": {**row["fields"], "target_leaderboard": target}}
        old.append(row)
    return old


def _consensus_rows(campaign: Campaign) -> list[dict]:
    return list(Consensus.objects.filter(record__campaign=campaign).order_by("pk").values())


def _by_model_and_pk(fixture: list[dict]) -> list[dict]:
    return sorted(fixture, key=lambda row: (row["model"], json.dumps(row["pk"])))


def test_fixture_upgrade_gives_the_rows_a_current_backup_holds(settled_campaign, dataset):
    CampaignTarget.objects.create(campaign=settled_campaign, dataset=dataset)
    current = _backup(settled_campaign)
    target = {"model": "leaderboard.campaigntarget", "pk": settled_campaign.pk}
    assert {**target, "fields": {"dataset": dataset.pk}} in current

    upgraded = fixture_upgrade(_written_before_the_move(current, target=dataset.pk))

    assert _by_model_and_pk(upgraded) == _by_model_and_pk(current)
    campaign_at = next(i for i, row in enumerate(upgraded) if row["model"] == "campaigns.campaign")
    assert upgraded[campaign_at + 1]["model"] == "leaderboard.campaigntarget"
    assert fixture_upgrade(current) == current


def test_campaign_restore_replaces_a_campaign_from_a_backup_written_before_the_move(
    settled_campaign, dataset, tmp_path: Path
):
    consensus = _consensus_rows(settled_campaign)
    assert len(consensus) == 3 and sum(row["reviewed"] for row in consensus) == 1
    backup = tmp_path / "arc-test.json"
    old = _written_before_the_move(_backup(settled_campaign), target=dataset.pk)
    backup.write_text(json.dumps(old), encoding="utf-8")
    assert not CampaignTarget.objects.exists()
    Consensus.objects.filter(record__campaign=settled_campaign).delete()  # since the backup

    call_command("campaign_restore", str(backup), "--replace")

    restored = Campaign.objects.get(slug=settled_campaign.slug)
    assert restored.pk == settled_campaign.pk
    assert _consensus_rows(restored) == consensus
    assert restored.leaderboard_target.dataset == dataset


def test_campaign_restore_drops_a_target_this_database_does_not_have(
    settled_campaign, dataset, tmp_path: Path
):
    consensus = _consensus_rows(settled_campaign)
    backup = tmp_path / "arc-test.json"
    old = _written_before_the_move(_backup(settled_campaign), target=dataset.pk)
    backup.write_text(json.dumps(old), encoding="utf-8")
    dataset.delete()

    call_command("campaign_restore", str(backup), "--replace")

    restored = Campaign.objects.get(slug=settled_campaign.slug)
    assert _consensus_rows(restored) == consensus
    assert not CampaignTarget.objects.filter(campaign=restored).exists()
