"""Triage in the running site: stored at import, followed by the queue, shown to people.

A campaign of 50 Okapi MMLU records with 8 broken translations (tests/triage/broken.py): the
`triage` command names the broken ones first, a fresh volunteer is offered them first, the
annotate page says why and which option is correct, the dashboard and the export card count
them.
"""

from __future__ import annotations

import json
from io import StringIO

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import translation

from annotation.assignment import next_record_for
from annotation.services import campaign_join, response_skip, response_submit
from campaigns.importers.sources import Source
from campaigns.models import Campaign, Record
from campaigns.services import (
    campaign_create,
    campaign_settings_update,
    campaign_status_change,
    records_import,
)
from leaderboard.export.services import campaign_export
from tests.factories import UserFactory
from tests.triage.broken import broken_rows_files

pytestmark = pytest.mark.django_db

RECORDS, BROKEN = 50, 8


def _campaign(folder, *, seed: int = 7, slug: str = "mmlu-triage") -> tuple[Campaign, set[str]]:
    english, spanish, broken = broken_rows_files(folder, seed, RECORDS, BROKEN)
    campaign = campaign_create(slug=slug, name="MMLU triage", preset="okapi_mmlu")
    records_import(campaign=campaign, source=Source(path=english), translation=Source(path=spanish))
    return campaign_status_change(campaign=campaign, status=Campaign.Status.ACTIVE), broken


def _triage_lines(campaign: Campaign, top: int) -> list[list[str]]:
    out = StringIO()
    call_command("triage", "--slug", campaign.slug, "--top", str(top), stdout=out)
    return [line.split("\t") for line in out.getvalue().splitlines()]


def _first_offered(campaign: Campaign, count: int) -> list[str]:
    volunteer = UserFactory()
    campaign_join(campaign=campaign, user=volunteer)
    offered = []
    for _ in range(count):
        record = next_record_for(campaign=campaign, user=volunteer)
        offered.append(record.external_id)
        response_skip(record=record, user=volunteer)
    return offered


@pytest.mark.parametrize("seed", [7, 21, 2024])
def test_triage_command_names_the_broken_translations_first(tmp_path, seed):
    campaign, broken = _campaign(tmp_path, seed=seed)
    lines = _triage_lines(campaign, BROKEN)
    assert len(lines) <= BROKEN
    assert all(len(line) == 3 and float(line[1]) > 0 and line[2] for line in lines)
    scores = [float(line[1]) for line in lines]
    assert scores == sorted(scores, reverse=True)
    assert len({line[0] for line in lines} & broken) >= 6


def test_a_fresh_volunteer_is_offered_the_broken_translations_first(tmp_path):
    campaign, broken = _campaign(tmp_path)
    assert len(set(_first_offered(campaign, 3)) & broken) >= 2


def test_ordering_can_be_turned_off_per_campaign(tmp_path):
    campaign, _broken = _campaign(tmp_path)
    campaign = campaign_settings_update(campaign=campaign, triage_first=False)
    in_id_order = list(campaign.records.order_by("id").values_list("external_id", flat=True)[:3])
    assert _first_offered(campaign, 3) == in_id_order


def test_an_upsert_checks_the_new_translations_again(tmp_path):
    campaign, _broken = _campaign(tmp_path)
    english, spanish, _ = broken_rows_files(tmp_path, 7, RECORDS, BROKEN)
    clean = Record.objects.filter(campaign=campaign, suspicion=0).order_by("id").first()
    rows = [json.loads(line) for line in spanish.read_text(encoding="utf-8").splitlines()]
    for row in rows:
        if row["id"] == clean.external_id:
            row["instruction"] = clean.fields[0]["source"]  # left in English this time
    spanish.write_text("\n".join(json.dumps(row, ensure_ascii=False) for row in rows), "utf-8")

    records_import(campaign=campaign, source=Source(path=english), translation=Source(path=spanish))

    clean.refresh_from_db()
    assert clean.suspicion > 0
    assert {flag["piece"] for flag in clean.triage_flags} >= {"question"}


def test_annotate_page_shows_reasons_and_the_correct_answer(client, tmp_path):
    campaign, broken = _campaign(tmp_path)
    volunteer = UserFactory()
    client.force_login(volunteer)
    with translation.override("es"):
        page = client.get(reverse("annotate", args=[campaign.slug]), HTTP_ACCEPT_LANGUAGE="es")
    record = page.context["record"]
    html = page.content.decode()
    assert record.external_id in broken
    assert html.count("Respuesta correcta") == 1
    correct = f"option_{record.metadata['answer'].lower()}"
    shown = next(piece for piece in page.context["pieces"] if piece["is_correct_answer"])
    assert shown["name"] == correct
    reasons = [reason for piece in page.context["pieces"] for reason in piece["reasons"]]
    reasons += page.context["record_reasons"]
    assert reasons and all(reason in html for reason in reasons)


def test_dashboard_and_export_card_count_suspects_and_their_corrections(client, tmp_path):
    campaign, _broken = _campaign(tmp_path)
    campaign = campaign_settings_update(campaign=campaign, overlap=1)
    suspect = Record.objects.filter(campaign=campaign, suspicion__gt=0).order_by("id")
    fixed = suspect.first()
    question = fixed.fields[0]
    response_submit(
        record=fixed,
        user=UserFactory(),
        values={"verdict": "wrong", "question_corrected": question["translation"] + " (arreglada)"},
    )
    response_submit(record=suspect[1], user=UserFactory(), values={"verdict": "correct"})

    page = client.get(reverse("campaign_dashboard", args=[campaign.slug]))
    figures = page.context["triage"]
    assert figures == {
        "suspect": suspect.count(),
        "suspect_waiting": suspect.count() - 2,
        "suspect_fixed": 1,
    }
    card = campaign_export(campaign=campaign, folder=tmp_path / "out").folder / "README.md"
    text = card.read_text(encoding="utf-8")
    assert f"| flagged as suspect translations at import | {suspect.count()} |" in text
    assert "| of which corrected by the community | 1 |" in text
