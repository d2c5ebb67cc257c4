"""Migrations are complete, apply on SQLite and PostgreSQL, and upgrade the previous main's data.

The upgrade tests take the test database back to the previous main's migrations, fill it through
that main's historical models, migrate it forward (and back, and forward again) and compare rows.
"""

from __future__ import annotations

import datetime
import subprocess
import sys
from collections.abc import Iterator
from types import SimpleNamespace

import pytest
from django.apps import apps as django_apps
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.contrib.contenttypes.models import ContentType
from django.core.management import call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.db.migrations.state import StateApps
from django.db.models import Model

from annotation.models import Consensus
from campaigns.models import Campaign
from guides.models import GuideQuestion
from leaderboard.models import CampaignTarget, LeaderboardDatasetVersion
from tests.foundation.test_settings_modes import ROOT, _clean_env


def test_migrations_match_the_models(db):
    call_command("makemigrations", "--check", "--dry-run", verbosity=0)


def test_migrations_applied_on_postgresql(db):
    assert connection.vendor == "postgresql"
    tables = set(connection.introspection.table_names())
    assert {"campaigns_record", "annotation_response", "dashboards_contributorcounter"} <= tables


def test_migrations_apply_on_a_fresh_sqlite_file(tmp_path):
    env = _clean_env(SOMOS_SQLITE_PATH=str(tmp_path / "fresh.sqlite3"))
    result = subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "fresh.sqlite3").stat().st_size > 0


# Upgrading a database the previous main made: consensus moved from campaigns to annotation,
# the leaderboard registry to its own app and a campaign's target to leaderboard.CampaignTarget.

# Where the previous main's migrations stopped; other apps were at the leaves they are at now.
PREVIOUS_MAIN = {
    "campaigns": "0002_consensus_and_registry_coverage",
    "annotation": "0005_argilla_sync",
    "dashboards": "0003_remove_contributorcounter_contributor_rank_idx_and_more",
    "guides": "0002_guidequestion_answer_seen",
}
# Apps the previous main did not have.
NEW_APPS = ("leaderboard",)
# Each model whose rows must come through unchanged: its label then, its label now.
KEPT = {
    "auth.User": "auth.User",
    "campaigns.LeaderboardDataset": "leaderboard.LeaderboardDataset",
    "campaigns.LeaderboardDatasetVersion": "leaderboard.LeaderboardDatasetVersion",
    "campaigns.Campaign": "campaigns.Campaign",
    "campaigns.Question": "campaigns.Question",
    "campaigns.Record": "campaigns.Record",
    "campaigns.Consensus": "annotation.Consensus",
    "annotation.Response": "annotation.Response",
    "dashboards.CampaignCounter": "dashboards.CampaignCounter",
    "dashboards.ContributorCounter": "dashboards.ContributorCounter",
    "dashboards.CampaignDay": "dashboards.CampaignDay",
    "dashboards.ContributorDay": "dashboards.ContributorDay",
    "guides.Guide": "guides.Guide",
    "guides.GuideVersion": "guides.GuideVersion",
}
AT = datetime.datetime(2026, 11, 20, 9, 30, 15, 123456, tzinfo=datetime.UTC)


def _previous_main_nodes() -> list[tuple[str, str]]:
    """The last migration of each app at the previous main."""
    leaves = MigrationExecutor(connection).loader.graph.leaf_nodes()
    return [(app, PREVIOUS_MAIN.get(app, name)) for app, name in leaves if app not in NEW_APPS]


def _migrate_to_previous_main() -> StateApps:
    """Unapply this main's migrations; return the previous main's historical models."""
    nodes = _previous_main_nodes()
    MigrationExecutor(connection).migrate([*nodes, *((app, None) for app in NEW_APPS)])
    return MigrationExecutor(connection).loader.project_state(nodes).apps


def _migrate_to_latest() -> None:
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())


def _rows(models_by_label: dict[str, type[Model]]) -> dict[str, list[dict]]:
    """Every row of each model, as its field values, by the model's label then."""
    return {
        label: list(model._default_manager.order_by("pk").values())
        for label, model in models_by_label.items()
    }


def _rows_then(old: StateApps) -> dict[str, list[dict]]:
    return _rows({label: old.get_model(label) for label in KEPT})


def _rows_now() -> dict[str, list[dict]]:
    return _rows({label: django_apps.get_model(now) for label, now in KEPT.items()})


def _as_then(now: dict[str, list[dict]], then: dict[str, list[dict]]) -> dict[str, list[dict]]:
    """The rows now, with only the columns the previous main had (later columns are checked
    on their own)."""
    columns = {label: set(rows[0]) for label, rows in then.items()}
    return {
        label: [
            {name: value for name, value in row.items() if name in columns[label]} for row in rows
        ]
        for label, rows in now.items()
    }


def _without_target(rows: dict[str, list[dict]]) -> dict[str, list[dict]]:
    """The rows as the current models see them: campaigns no longer have the target column."""
    campaigns = [
        {name: value for name, value in row.items() if name != "target_leaderboard_id"}
        for row in rows["campaigns.Campaign"]
    ]
    return {**rows, "campaigns.Campaign": campaigns}


def _previous_main_fill(old: StateApps) -> SimpleNamespace:
    """Rows of every kind the move touches, written through the previous main's models."""
    User = old.get_model("auth", "User")
    ContentType = old.get_model("contenttypes", "ContentType")
    Permission = old.get_model("auth", "Permission")
    Dataset = old.get_model("campaigns", "LeaderboardDataset")
    Version = old.get_model("campaigns", "LeaderboardDatasetVersion")
    Campaign = old.get_model("campaigns", "Campaign")
    Question = old.get_model("campaigns", "Question")
    Record = old.get_model("campaigns", "Record")
    Consensus = old.get_model("campaigns", "Consensus")
    Response = old.get_model("annotation", "Response")
    Guide = old.get_model("guides", "Guide")
    GuideVersion = old.get_model("guides", "GuideVersion")

    organizer = User.objects.create(username="olga", email="olga@example.org", password="!")
    ana = User.objects.create(username="ana", email="ana@example.org", password="!")
    ben = User.objects.create(username="ben", email="ben@example.org", password="!")
    dataset = Dataset.objects.create(
        name="ARC-Challenge (es)",
        slug="arc-challenge-es",
        description="Preguntas de ciencias de primaria.",
        languages=["es", "en"],
        domain="ciencias",
        task="opción múltiple",
        donor="Okapi",
        license="CC-BY-SA-4.0",
        hf_repo="somosnlp/arc-challenge-es",
    )
    spare = Dataset.objects.create(name="HellaSwag (es)", slug="hellaswag-es")
    targeted = Campaign.objects.create(
        slug="arc-old",
        name="ARC old",
        status="active",
        preset="okapi_arc",
        field_mapping={"question": "question"},
        launched_at=AT,
        target_leaderboard=dataset,
    )
    targeted.organizers.add(organizer)
    untargeted = Campaign.objects.create(slug="plain-old", name="Plain old")
    Question.objects.create(
        campaign=targeted,
        name="verdict",
        title="¿Es correcta la traducción?",
        kind="label",
        options=["correct", "minor_fixes", "wrong"],
    )
    Question.objects.create(
        campaign=targeted,
        name="question_corrected",
        title="Corrige la pregunta",
        kind="text",
        required=False,
        field="question",
        position=1,
    )
    fields = [{"name": "question", "source": "What is water?", "translation": "¿Qué es agua?"}]
    validated, disputed, _pending = (
        Record.objects.create(
            campaign=targeted,
            external_id=f"arc-{n}",
            fields=fields,
            source_row={"id": n},
            status=status,
            submitted_count=count,
        )
        for n, (status, count) in enumerate((("validated", 2), ("disputed", 2), ("pending", 0)))
    )
    Record.objects.create(campaign=untargeted, external_id="plain-0", fields=fields)
    guide = Guide.objects.create(campaign=targeted)
    guide_version = GuideVersion.objects.create(
        guide=guide, number=1, body="## Reglas\n\nUna.", published_at=AT, created_by=organizer
    )
    # Questions named a guide section by its heading's anchor before anchors had a prefix.
    about_rules, about_all = (
        old.get_model("guides", "GuideQuestion").objects.create(
            guide=guide, version=guide_version, section=section, asked_by=ana, text="¿Y esto?"
        )
        for section in ("reglas", "")
    )
    answers = {
        ana: {"verdict": "correct"},
        ben: {"verdict": "minor_fixes", "question_corrected": "¿Qué es el agua?"},
    }
    for record in (validated, disputed):
        for user, values in answers.items():
            Response.objects.create(
                record=record,
                campaign=targeted,
                user=user,
                values=values,
                status="submitted",
                corrections=int("question_corrected" in values),
                guide_version=guide_version,
                submitted_at=AT,
                first_submitted_at=AT,
                duration_ms=4200,
            )
    inputs = {
        "answers": [{"user": user.pk, "values": values} for user, values in answers.items()],
        "translations": {"question": "¿Qué es agua?"},
    }
    Consensus.objects.create(
        record=validated,
        rule="majority",
        rule_version=2,
        inputs=inputs,
        verdict="minor_fixes",
        pieces={"question": "¿Qué es el agua?"},
        agreement=0.5,
        status="validated",
        decided_at=AT,
    )
    Consensus.objects.create(
        record=disputed,
        rule="majority",
        rule_version=2,
        inputs=inputs,
        verdict="correct",
        pieces={"question": None},
        agreement=0.5,
        status="validated",
        reason="verdict_tie",
        reviewed=True,
        decided_by=organizer,
        decided_at=AT,
        note="La traducción original basta.",
    )
    for number, include in ((1, "validated"), (2, "all")):
        Version.objects.create(
            dataset=dataset,
            number=number,
            campaign=targeted,
            records=number,
            records_validated=1,
            records_total=3,
            include=include,
            location=f"hf://somosnlp/arc-challenge-es@v{number}",
            notes=f"Versión {number}.",
            created_by=organizer,
        )
    old.get_model("dashboards", "CampaignCounter").objects.create(
        campaign=targeted,
        records_total=3,
        records_completed=2,
        records_validated=1,
        records_disputed=1,
        responses_submitted=4,
        corrections=2,
        contributors=2,
    )
    for user in answers:
        old.get_model("dashboards", "ContributorCounter").objects.create(
            campaign=targeted,
            user=user,
            submitted=2,
            corrections=2 if user == ben else 0,
            agreements=1,
            agreement_checks=2,
            first_submitted_at=AT,
            last_submitted_at=AT,
        )
        old.get_model("dashboards", "ContributorDay").objects.create(
            campaign=targeted, user=user, day=AT.date(), submitted=2, last_submitted_at=AT
        )
    old.get_model("dashboards", "CampaignDay").objects.create(
        campaign=targeted, day=AT.date(), submitted=4, corrections=2
    )
    # Permissions on the registry were given under its old app label.
    registry_type, _ = ContentType.objects.get_or_create(
        app_label="campaigns", model="leaderboarddataset"
    )
    publish = Permission.objects.create(
        content_type=registry_type, codename="publish_leaderboarddataset", name="Can publish"
    )
    organizer.user_permissions.add(publish)
    consensus_type, _ = ContentType.objects.get_or_create(app_label="campaigns", model="consensus")
    return SimpleNamespace(
        organizer=organizer.pk,
        dataset=dataset.pk,
        spare=spare.pk,
        targeted=targeted.pk,
        untargeted=untargeted.pk,
        permission=publish.pk,
        registry_type=registry_type.pk,
        consensus_type=consensus_type.pk,
        questions=(about_rules.pk, about_all.pk),
    )


def _campaign_columns() -> set[str]:
    with connection.cursor() as cursor:
        description = connection.introspection.get_table_description(cursor, "campaigns_campaign")
    return {column.name for column in description}


@pytest.fixture
def previous_main(transactional_db) -> Iterator[tuple[SimpleNamespace, dict[str, list[dict]]]]:
    """The test database back at the previous main with its rows; the ids and rows made.

    Whatever happens, the database is migrated to the latest again afterwards: later tests of
    the session reuse it (and pytest-django flushes the rows this made).
    """
    try:
        old = _migrate_to_previous_main()
        assert "target_leaderboard_id" in _campaign_columns()
        made = _previous_main_fill(old)
        yield made, _rows_then(old)
    finally:
        _migrate_to_latest()
        ContentType.objects.clear_cache()


def test_migrations_upgrade_a_previous_main_database_keeping_every_row(previous_main):
    made, before = previous_main
    assert all(before.values()), "every kept model has rows to compare"

    _migrate_to_latest()

    assert _as_then(_rows_now(), before) == _without_target(before)
    # A question's section names the heading's anchor as the guide renders it now.
    assert [GuideQuestion.objects.get(pk=pk).section for pk in made.questions] == [
        "section-reglas",
        "",
    ]
    # Versions in the registry before proposals existed stay published.
    assert all(LeaderboardDatasetVersion.objects.values_list("published", flat=True))
    reviewed = Consensus.objects.get(record__campaign_id=made.targeted, reviewed=True)
    assert (reviewed.verdict, reviewed.pieces, reviewed.decided_by_id) == (
        "correct",
        {"question": None},
        made.organizer,
    )
    versions = LeaderboardDatasetVersion.objects.filter(dataset_id=made.dataset)
    assert [(v.number, v.records_validated, v.records_total) for v in versions] == [
        (2, 1, 3),
        (1, 1, 3),
    ]
    # The target column became a CampaignTarget row, and only where it was set.
    assert "target_leaderboard_id" not in _campaign_columns()
    assert CampaignTarget.objects.get(campaign_id=made.targeted).dataset_id == made.dataset
    assert not CampaignTarget.objects.filter(campaign_id=made.untargeted).exists()
    assert Campaign.objects.get(pk=made.targeted).leaderboard_target.dataset.slug == (
        "arc-challenge-es"
    )
    # Content types kept their ids and moved with their models, permissions with them.
    registry_type = ContentType.objects.get(pk=made.registry_type)
    assert registry_type.natural_key() == ("leaderboard", "leaderboarddataset")
    assert Permission.objects.get(pk=made.permission).content_type == registry_type
    organizer = get_user_model().objects.get(pk=made.organizer)
    assert organizer.has_perm("leaderboard.publish_leaderboarddataset")
    consensus_type = ContentType.objects.get(pk=made.consensus_type)
    assert consensus_type.natural_key() == ("annotation", "consensus")
    assert not ContentType.objects.filter(app_label="campaigns", model="consensus").exists()


def test_migrations_go_back_to_the_previous_main_and_up_again(previous_main):
    made, before = previous_main
    _migrate_to_latest()
    # A target set after the upgrade goes back into the column too.
    CampaignTarget.objects.create(campaign_id=made.untargeted, dataset_id=made.spare)

    old = _migrate_to_previous_main()

    assert "leaderboard_campaigntarget" not in connection.introspection.table_names()
    Campaign = old.get_model("campaigns", "Campaign")
    targets = dict(Campaign.objects.values_list("pk", "target_leaderboard_id"))
    assert targets == {made.targeted: made.dataset, made.untargeted: made.spare}
    Campaign.objects.filter(pk=made.untargeted).update(target_leaderboard=None)
    assert _rows_then(old) == before
    ContentType = old.get_model("contenttypes", "ContentType")
    assert ContentType.objects.get(pk=made.registry_type).app_label == "campaigns"
    assert ContentType.objects.get(pk=made.consensus_type).app_label == "campaigns"

    _migrate_to_latest()

    assert _as_then(_rows_now(), before) == _without_target(before)
    # Versions in the registry before proposals existed stay published.
    assert all(LeaderboardDatasetVersion.objects.values_list("published", flat=True))
    assert CampaignTarget.objects.get(campaign_id=made.targeted).dataset_id == made.dataset
    assert not CampaignTarget.objects.filter(campaign_id=made.untargeted).exists()
    assert ContentType.objects.get(pk=made.registry_type).app_label == "leaderboard"
    assert ContentType.objects.get(pk=made.consensus_type).app_label == "annotation"
