"""Backups as docs/backup.md describes them: a restored database recomputes identical counters.

The whole database goes through scripts/backup.sh (pg_dump) and scripts/restore.sh (pg_restore)
into a scratch database; one campaign goes through campaign_backup and campaign_restore.
"""

from __future__ import annotations

import os
import random
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from annotation.models import Response
from annotation.recount import counters_recompute
from annotation.services import response_save_draft, response_skip, response_submit
from campaigns.importers.sources import Source
from campaigns.models import Campaign, Record
from campaigns.samples import SAMPLE_DATA
from campaigns.services import campaign_create, campaign_status_change, records_import
from dashboards.models import CampaignCounter, CampaignDay, ContributorCounter, ContributorDay
from tests.factories import UserFactory

pytestmark = [pytest.mark.faults, pytest.mark.django_db(transaction=True)]

ROOT = Path(__file__).resolve().parents[2]
COUNTED = (CampaignCounter, ContributorCounter, CampaignDay, ContributorDay)


def _url(name: str) -> str:
    db = connection.settings_dict
    password = f":{db['PASSWORD']}" if db["PASSWORD"] else ""
    return f"postgres://{db['USER']}{password}@{db['HOST']}:{db['PORT']}/{name}"


def _workload(campaign: Campaign, seed: int) -> None:
    """Answer, correct, edit, skip and draft through the services, as volunteers would."""
    chooser = random.Random(seed)
    volunteers = [UserFactory() for _ in range(5)]
    records = list(Record.objects.filter(campaign=campaign).order_by("id"))
    for _step in range(60):
        user, record = chooser.choice(volunteers), chooser.choice(records)
        action = chooser.random()
        if action < 0.5:
            response_submit(record=record, user=user, values={"verdict": "correct"})
        elif action < 0.75:
            corrected = record.fields[0]["translation"] + " (corregida)"
            values = {"verdict": "minor_fixes", "question_corrected": corrected}
            response_submit(record=record, user=user, values=values)
        elif action < 0.9:
            response_skip(record=record, user=user)
        else:
            response_save_draft(record=record, user=user, values={"verdict": "wrong"})


def _counters(cursor) -> dict[str, list[tuple]]:
    """Read every counter row, and each record's count and status, in a stable order."""
    tables = {model._meta.db_table: model for model in COUNTED}
    figures = {}
    for table in tables:
        cursor.execute(f"SELECT * FROM {table} ORDER BY 1, 2")  # noqa: S608 (model tables)
        figures[table] = cursor.fetchall()
    cursor.execute(
        f"SELECT id, submitted_count, status FROM {Record._meta.db_table} ORDER BY id"  # noqa: S608
    )
    figures["records"] = cursor.fetchall()
    return figures


def _answers(cursor) -> list[tuple]:
    cursor.execute(
        f"SELECT id, record_id, user_id, status, values::text, corrections"  # noqa: S608
        f" FROM {Response._meta.db_table} ORDER BY id"
    )
    return cursor.fetchall()


@pytest.fixture
def scratch_database() -> Iterator[str]:
    """A new, empty database for the restore (createdb, as docs/backup.md says); dropped after."""
    db = connection.settings_dict
    name = f"{db['NAME']}_restore"
    options = ["--host", db["HOST"], "--port", str(db["PORT"]), "--username", db["USER"]]
    env = {**os.environ, "PGPASSWORD": db["PASSWORD"] or ""}
    subprocess.run(["dropdb", *options, "--if-exists", name], check=True, env=env)
    subprocess.run(["createdb", *options, name], check=True, env=env)
    yield name
    subprocess.run(["dropdb", *options, "--if-exists", "--force", name], check=True, env=env)


@pytest.fixture
def two_campaigns(arc_campaign, organizer) -> list[Campaign]:
    """Two active campaigns with answers, corrections, skips and drafts, counted as they came."""
    other = campaign_create(
        slug="arc-other", name="ARC other", preset="okapi_arc", organizers=[organizer]
    )
    records_import(
        campaign=other,
        source=Source(path=SAMPLE_DATA / "arc_challenge_validation_en.jsonl"),
        translation=Source(path=SAMPLE_DATA / "okapi_arc_challenge_validation_es.jsonl"),
    )
    other = campaign_status_change(campaign=other, status=Campaign.Status.ACTIVE)
    _workload(arc_campaign, seed=9)
    _workload(other, seed=10)
    return [arc_campaign, other]


def test_backup_and_restore_scripts_give_a_database_that_recomputes_identical_counters(
    two_campaigns, scratch_database, tmp_path
):
    with connection.cursor() as cursor:
        original, answers = _counters(cursor), _answers(cursor)
    assert CampaignCounter.objects.get(campaign=two_campaigns[0]).responses_submitted > 10
    env = {**os.environ, "DATABASE_URL": _url(connection.settings_dict["NAME"])}
    dump = tmp_path / "somos.dump"

    written = subprocess.run(
        ["bash", "scripts/backup.sh", str(dump)],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    assert written.stdout.strip() == str(dump)
    env["DATABASE_URL"] = _url(scratch_database)
    subprocess.run(
        ["bash", "scripts/restore.sh", str(dump)], cwd=ROOT, env=env, check=True, text=True
    )
    recompute = subprocess.run(
        [sys.executable, "manage.py", "recompute_counters", "--fix", "--locale", "en"],
        cwd=ROOT,
        env={**env, "DJANGO_SETTINGS_MODULE": "somos_site.settings"},
        check=True,
        capture_output=True,
        text=True,
    )

    # Recomputed from the restored rows, the counters did not move: they are the original ones.
    assert "arc-test: no drift" in recompute.stdout, recompute.stdout
    assert "arc-other: no drift" in recompute.stdout, recompute.stdout
    assert "campaigns_with_drift=0" in recompute.stdout
    with psycopg.connect(env["DATABASE_URL"]) as restored, restored.cursor() as cursor:
        assert _counters(cursor) == original
        assert _answers(cursor) == answers
        # New rows get new ids, not ids the backup holds.
        cursor.execute("SELECT last_value FROM annotation_response_id_seq")
        assert cursor.fetchone()[0] >= max(row[0] for row in answers)


def test_restore_script_refuses_a_database_with_tables(tmp_path):
    env = {**os.environ, "DATABASE_URL": _url(connection.settings_dict["NAME"])}
    dump = tmp_path / "somos.dump"
    subprocess.run(["bash", "scripts/backup.sh", str(dump)], cwd=ROOT, env=env, check=True)

    refused = subprocess.run(
        ["bash", "scripts/restore.sh", str(dump)], cwd=ROOT, env=env, capture_output=True, text=True
    )

    assert refused.returncode == 1
    assert "restore into a new one" in refused.stderr
    assert not (tmp_path / "somos.dump.partial").exists()


def test_campaign_restore_brings_back_a_deleted_campaign_with_identical_counters(
    two_campaigns, tmp_path
):
    campaign, other = two_campaigns
    with connection.cursor() as cursor:
        original, answers = _counters(cursor), _answers(cursor)
    backup = tmp_path / "arc-test.json"
    call_command("campaign_backup", "--slug", campaign.slug, "--out", str(backup))

    pk, organizers = campaign.pk, set(campaign.organizers.all())
    campaign.delete()  # the mistake the backup is for
    call_command("campaign_restore", str(backup))

    restored = Campaign.objects.get(slug=campaign.slug)
    assert restored.pk == pk
    assert set(restored.organizers.all()) == organizers
    assert restored.guide is not None
    assert counters_recompute(campaign=restored).clean
    assert counters_recompute(campaign=other).clean
    with connection.cursor() as cursor:
        assert _counters(cursor) == original
        assert _answers(cursor) == answers


def test_campaign_restore_replaces_later_answers_only_when_told(two_campaigns, tmp_path):
    campaign, other = two_campaigns
    with connection.cursor() as cursor:
        original, answers = _counters(cursor), _answers(cursor)
    backup = tmp_path / "arc-test.json"
    call_command("campaign_backup", "--slug", campaign.slug, "--out", str(backup))
    _workload(campaign, seed=11)  # answers given after the backup

    with pytest.raises(CommandError, match="--replace"):
        call_command("campaign_restore", str(backup))
    call_command("campaign_restore", str(backup), "--replace")

    # The campaign is as it was at the backup; the other one was never touched.
    with connection.cursor() as cursor:
        assert _counters(cursor) == original
        assert _answers(cursor) == answers
    assert counters_recompute(campaign=Campaign.objects.get(slug=campaign.slug)).clean
    assert counters_recompute(campaign=other).clean


def test_campaign_restore_refuses_ids_that_other_rows_hold(two_campaigns, tmp_path):
    campaign, _other = two_campaigns
    backup = tmp_path / "arc-test.json"
    call_command("campaign_backup", "--slug", campaign.slug, "--out", str(backup))
    Campaign.objects.filter(pk=campaign.pk).update(slug="arc-renamed")

    with pytest.raises(CommandError, match="Los identificadores de la copia ya están ocupados"):
        call_command("campaign_restore", str(backup))

    assert not Campaign.objects.filter(slug=campaign.slug).exists()
    assert counters_recompute(campaign=Campaign.objects.get(slug="arc-renamed")).clean


def test_campaign_restore_refuses_a_backup_naming_people_who_are_gone(two_campaigns, tmp_path):
    campaign, _other = two_campaigns
    backup = tmp_path / "arc-test.json"
    call_command("campaign_backup", "--slug", campaign.slug, "--out", str(backup))
    gone = Response.objects.filter(campaign=campaign).order_by("id").first().user
    campaign.delete()
    gone.delete()

    with pytest.raises(CommandError, match="La copia no encaja en esta base de datos"):
        call_command("campaign_restore", str(backup))

    assert not Campaign.objects.filter(slug="arc-test").exists()
