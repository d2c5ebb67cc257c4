"""`manage.py demo` loads a working demo and can run again without changing anything."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.utils import translation

from annotation.models import Response
from campaigns.models import Campaign, Record
from guides.models import GuideVersion
from leaderboard.models import CampaignTarget, LeaderboardDataset

pytestmark = pytest.mark.django_db


def _snapshot() -> tuple[int, ...]:
    return (
        get_user_model().objects.count(),
        Campaign.objects.count(),
        Record.objects.count(),
        GuideVersion.objects.count(),
        LeaderboardDataset.objects.count(),
        Response.objects.count(),
    )


def test_demo_loads_users_campaigns_and_registry(capsys):
    call_command("demo")
    out = capsys.readouterr().out
    assert "organizadora@somos.local" in out and "voluntario@somos.local" in out
    arc = Campaign.objects.get(slug="arc-c-es-demo")
    assert arc.status == Campaign.Status.ACTIVE
    assert arc.counter.records_total == 25
    assert arc.leaderboard_target.dataset.name == "ARC-C_es"
    assert Campaign.objects.get(slug="mmlu-es-demo").counter.records_total == 35
    assert LeaderboardDataset.objects.count() == 22
    catalan = LeaderboardDataset.objects.get(name="XQUAD_ca")
    assert (catalan.languages, catalan.task) == (["ca"], "Extractive QA")


def test_demo_loads_a_catalan_campaign_next_to_the_spanish_ones():
    call_command("demo")
    catalan = Campaign.objects.get(slug="arc-c-ca-demo")
    assert (catalan.preset, catalan.source_language, catalan.target_language) == (
        "okapi_arc",
        "en",
        "ca",
    )
    assert catalan.status == Campaign.Status.ACTIVE
    assert catalan.counter.records_total == catalan.records.count() == 10
    first = catalan.records.get(external_id="ARC-Challenge/validation/Mercury_7099103")
    question = first.fields[0]
    assert question["source"].startswith("Wild blackberries reproduce asexually")
    assert question["translation"].startswith("Els esbarzers silvestres es reprodueixen")
    assert catalan.guide.versions.get().body.startswith("# Guia de validació")
    # Table 5 has no Catalan ARC-Challenge: its first export chooses the dataset.
    assert not CampaignTarget.objects.filter(campaign=catalan).exists()


def test_demo_twice_changes_nothing():
    call_command("demo")
    first = _snapshot()
    call_command("demo")
    assert _snapshot() == first
    assert Campaign.objects.get(slug="arc-c-ca-demo").records.count() == 10


def test_demo_prints_in_the_language_asked(capsys):
    call_command("demo", locale="eu")
    out = capsys.readouterr().out
    with translation.override("eu"):
        line = translation.gettext("Campaign %(slug)s: %(records)s records") % {
            "slug": "arc-c-ca-demo",
            "records": 10,
        }
    assert line in out.splitlines()
