"""`manage.py sync_argilla`: links a campaign, refuses to pull into one that is not active."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from annotation.argilla.models import ArgillaDatasetLink, ArgillaSyncRun
from annotation.argilla.sync import argilla_sync
from annotation.models import Response
from campaigns.models import Campaign, Record
from campaigns.services import campaign_status_change
from dashboards.models import CampaignCounter
from tests.argilla.conftest import hf_volunteer
from tests.factories import arc_campaign_build


def _sync(**options) -> str:
    out = io.StringIO()
    call_command("sync_argilla", stdout=out, stderr=io.StringIO(), locale="en", **options)
    return out.getvalue()


def _campaign_in(status: str, organizer) -> Campaign:
    campaign = arc_campaign_build(
        slug=f"arc-{status}", organizers=[organizer], launch=status != "draft"
    )
    if status != "draft":
        campaign = campaign_status_change(campaign=campaign, status=Campaign.Status(status))
    return campaign


@pytest.mark.django_db
@pytest.mark.parametrize("status", ["draft", "paused", "closed"])
@pytest.mark.parametrize("flags", [{"pull": True}, {}], ids=["--pull", "no flags"])
def test_sync_argilla_refuses_to_pull_into_a_campaign_that_is_not_active(
    settings, organizer, status, flags
):
    settings.ARGILLA_API_URL, settings.ARGILLA_API_KEY = "http://127.0.0.1:9", "key"
    campaign = _campaign_in(status, organizer)

    with pytest.raises(CommandError) as refused:
        _sync(slug=campaign.slug, workspace="ws-refused", dataset="arc-refused", **flags)

    assert refused.value.returncode == 1  # manage.py exits with it
    message = str(refused.value)
    assert campaign.name in message and "--force" in message and "--push" in message
    # Refused before anything: not linked, nothing run, Argilla never called (port 9).
    campaign.refresh_from_db()
    assert (campaign.argilla_workspace, campaign.argilla_dataset) == ("", "")
    assert not ArgillaSyncRun.objects.exists()


@pytest.mark.django_db
def test_sync_argilla_refuses_a_link_the_settings_would_refuse(settings, arc_campaign):
    settings.ARGILLA_API_URL, settings.ARGILLA_API_KEY = "http://127.0.0.1:9", "key"

    with pytest.raises(CommandError) as refused:
        _sync(slug=arc_campaign.slug, workspace="w" * 121, dataset="arc", push=True)

    assert "argilla_workspace" in str(refused.value)
    arc_campaign.refresh_from_db()
    assert (arc_campaign.argilla_workspace, arc_campaign.argilla_dataset) == ("", "")
    assert not ArgillaSyncRun.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_sync_argilla_links_a_draft_campaign_and_pushes_it(argilla_on, argilla_owner, organizer):
    campaign = _campaign_in("draft", organizer)

    out = _sync(slug=campaign.slug, workspace="ws-cli-link", dataset="arc-cli", push=True)

    assert out.startswith("Succeeded: 25 records pushed")
    campaign.refresh_from_db()
    assert (campaign.argilla_workspace, campaign.argilla_dataset) == ("ws-cli-link", "arc-cli")
    link = ArgillaDatasetLink.objects.get(campaign=campaign)
    assert len(argilla_owner.records(link.dataset_id)) == 25
    run = ArgillaSyncRun.objects.get(campaign=campaign)
    assert (run.push, run.pull, run.trigger) == (True, False, ArgillaSyncRun.Trigger.COMMAND)


@pytest.mark.django_db(transaction=True)
def test_sync_argilla_force_pulls_answers_into_a_closed_campaign(linked_campaign, annotator):
    argilla_sync(campaign=linked_campaign, push=True, pull=False)
    link = ArgillaDatasetLink.objects.get(campaign=linked_campaign)
    records = list(Record.objects.filter(campaign=linked_campaign).order_by("id")[:2])
    wen = hf_volunteer("wen-closed")
    _user, as_wen = annotator(link.workspace_id, username="wen-closed")
    for record in records:
        as_wen.answer(record.argilla_id, {"verdict": "correct"})
    campaign = campaign_status_change(campaign=linked_campaign, status=Campaign.Status.CLOSED)

    with pytest.raises(CommandError):
        _sync(slug=campaign.slug, pull=True)
    assert not Response.objects.exists()

    out = _sync(slug=campaign.slug, pull=True, force=True)

    assert out.startswith("Succeeded: 0 records pushed, 0 answers pushed, 2 pulled")
    assert Response.objects.filter(user=wen, status="submitted").count() == 2
    assert CampaignCounter.objects.get(campaign=campaign).responses_submitted == 2
    campaign.refresh_from_db()
    assert campaign.status == Campaign.Status.CLOSED
