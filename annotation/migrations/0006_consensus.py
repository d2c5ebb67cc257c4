"""Consensus moves from campaigns to annotation, keeping its table (campaigns_consensus)."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


def content_type_move(apps, schema_editor, *, old="campaigns", new="annotation"):
    ContentType = apps.get_model("contenttypes", "ContentType")
    if not ContentType.objects.filter(app_label=new, model="consensus").exists():
        ContentType.objects.filter(app_label=old, model="consensus").update(app_label=new)


def content_type_back(apps, schema_editor):
    content_type_move(apps, schema_editor, old="annotation", new="campaigns")


class Migration(migrations.Migration):

    dependencies = [
        ("annotation", "0005_argilla_sync"),
        ("campaigns", "0002_consensus_and_registry_coverage"),
        ("contenttypes", "0002_remove_content_type_name"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="Consensus",
                    fields=[
                        ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                        ("rule", models.CharField(max_length=40, verbose_name="rule")),
                        ("rule_version", models.PositiveSmallIntegerField(verbose_name="rule version")),
                        ("inputs", models.JSONField(default=dict, verbose_name="inputs")),
                        ("verdict", models.CharField(blank=True, max_length=40, verbose_name="verdict")),
                        ("pieces", models.JSONField(default=dict, verbose_name="final text")),
                        ("agreement", models.FloatField(default=0.0, verbose_name="agreement")),
                        ("status", models.CharField(choices=[("validated", "Validated"), ("disputed", "Disputed")], max_length=12, verbose_name="status")),
                        ("reason", models.CharField(blank=True, max_length=40, verbose_name="reason")),
                        ("reviewed", models.BooleanField(default=False, verbose_name="decided by a reviewer")),
                        ("decided_at", models.DateTimeField(verbose_name="decided at")),
                        ("note", models.TextField(blank=True, verbose_name="reviewer's note")),
                        ("decided_by", models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name="+", to=settings.AUTH_USER_MODEL)),
                        ("record", models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, related_name="consensus", to="campaigns.record")),
                    ],
                    options={
                        "verbose_name": "consensus",
                        "verbose_name_plural": "consensus results",
                        "db_table": "campaigns_consensus",
                    },
                ),
            ],
            database_operations=[],
        ),
        migrations.RunPython(content_type_move, content_type_back),
    ]
