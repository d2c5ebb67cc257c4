"""The registry moves from campaigns to leaderboard, keeping its tables and rows.

LeaderboardDataset and LeaderboardDatasetVersion enter this app's state over their existing
tables (campaigns_leaderboarddataset, campaigns_leaderboarddatasetversion). A campaign's target
dataset, a column of campaigns_campaign until now, becomes a CampaignTarget row: the table is
made and filled here, and campaigns 0003 drops the column. Content types are renamed so that
permissions and admin history follow the models.
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


def targets_copy(apps, schema_editor):
    Campaign = apps.get_model("campaigns", "Campaign")
    CampaignTarget = apps.get_model("leaderboard", "CampaignTarget")
    CampaignTarget.objects.bulk_create(
        CampaignTarget(campaign_id=campaign_id, dataset_id=dataset_id)
        for campaign_id, dataset_id in Campaign.objects.filter(
            target_leaderboard__isnull=False
        ).values_list("pk", "target_leaderboard_id")
    )


def targets_restore(apps, schema_editor):
    Campaign = apps.get_model("campaigns", "Campaign")
    CampaignTarget = apps.get_model("leaderboard", "CampaignTarget")
    for target in CampaignTarget.objects.all():
        Campaign.objects.filter(pk=target.campaign_id).update(target_leaderboard=target.dataset_id)


def content_types_move(apps, schema_editor, *, old="campaigns", new="leaderboard"):
    ContentType = apps.get_model("contenttypes", "ContentType")
    for model in ("leaderboarddataset", "leaderboarddatasetversion"):
        if not ContentType.objects.filter(app_label=new, model=model).exists():
            ContentType.objects.filter(app_label=old, model=model).update(app_label=new)


def content_types_back(apps, schema_editor):
    content_types_move(apps, schema_editor, old="leaderboard", new="campaigns")


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ("campaigns", "0002_consensus_and_registry_coverage"),
        ("contenttypes", "0002_remove_content_type_name"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="LeaderboardDataset",
                    fields=[
                        ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                        ("name", models.CharField(max_length=120, unique=True, verbose_name="name")),
                        ("slug", models.SlugField(max_length=120, unique=True, verbose_name="slug")),
                        ("description", models.TextField(blank=True, verbose_name="description")),
                        ("languages", models.JSONField(default=list, verbose_name="languages")),
                        ("domain", models.CharField(blank=True, max_length=80, verbose_name="domain")),
                        ("task", models.CharField(blank=True, max_length=120, verbose_name="task")),
                        ("donor", models.CharField(blank=True, max_length=200, verbose_name="donor or source")),
                        ("license", models.CharField(blank=True, max_length=80, verbose_name="license")),
                        ("hf_repo", models.CharField(blank=True, max_length=200, verbose_name="Hugging Face repository")),
                        ("created_at", models.DateTimeField(auto_now_add=True)),
                    ],
                    options={
                        "verbose_name": "leaderboard dataset",
                        "verbose_name_plural": "leaderboard datasets",
                        "db_table": "campaigns_leaderboarddataset",
                        "ordering": ["name"],
                    },
                ),
                migrations.CreateModel(
                    name="LeaderboardDatasetVersion",
                    fields=[
                        ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                        ("number", models.PositiveIntegerField(verbose_name="version")),
                        ("records", models.PositiveIntegerField(default=0, verbose_name="records")),
                        ("records_validated", models.PositiveIntegerField(default=0, verbose_name="records validated")),
                        ("records_total", models.PositiveIntegerField(default=0, verbose_name="records in the campaign")),
                        ("include", models.CharField(default="validated", max_length=12, verbose_name="records included")),
                        ("location", models.CharField(blank=True, max_length=500, verbose_name="location")),
                        ("notes", models.TextField(blank=True, verbose_name="notes")),
                        ("created_at", models.DateTimeField(auto_now_add=True)),
                        ("campaign", models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name="+", to="campaigns.campaign")),
                        ("created_by", models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name="+", to=settings.AUTH_USER_MODEL)),
                        ("dataset", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name="versions", to="leaderboard.leaderboarddataset")),
                    ],
                    options={
                        "db_table": "campaigns_leaderboarddatasetversion",
                        "ordering": ["dataset", "-number"],
                        "constraints": [models.UniqueConstraint(fields=("dataset", "number"), name="leaderboard_version_unique")],
                    },
                ),
            ],
            database_operations=[],
        ),
        migrations.CreateModel(
            name="CampaignTarget",
            fields=[
                ("campaign", models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, primary_key=True, related_name="leaderboard_target", serialize=False, to="campaigns.campaign")),
                ("dataset", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name="targets", to="leaderboard.leaderboarddataset", verbose_name="leaderboard dataset")),
            ],
            options={
                "verbose_name": "campaign's leaderboard dataset",
                "verbose_name_plural": "campaigns' leaderboard datasets",
            },
        ),
        migrations.RunPython(targets_copy, targets_restore),
        migrations.RunPython(content_types_move, content_types_back),
    ]
