"""Argilla answers that do not fit: run warnings, pending deliveries, kept answer problems."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("annotation", "0006_consensus"),
        ("campaigns", "0003_registry_and_consensus_moved_out"),
    ]

    operations = [
        migrations.AddField(
            model_name="argillasyncrun",
            name="warnings",
            field=models.JSONField(blank=True, default=list, verbose_name="warnings"),
        ),
        migrations.AlterField(
            model_name="webhookdelivery",
            name="status",
            field=models.CharField(
                choices=[("applied", "Applied"), ("ignored", "Ignored"), ("pending", "Pending")],
                max_length=12,
            ),
        ),
        migrations.CreateModel(
            name="ArgillaAnswerProblem",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("argilla_user_id", models.UUIDField()),
                ("who", models.CharField(max_length=200, verbose_name="annotator")),
                (
                    "kind",
                    models.CharField(
                        choices=[("pending", "Not applied yet"), ("partial", "Applied in part")],
                        max_length=12,
                        verbose_name="kind",
                    ),
                ),
                ("detail", models.CharField(max_length=1000, verbose_name="detail")),
                ("argilla_updated_at", models.DateTimeField(blank=True, null=True)),
                ("attempts", models.PositiveIntegerField(default=1, verbose_name="attempts")),
                (
                    "first_seen_at",
                    models.DateTimeField(auto_now_add=True, verbose_name="first seen"),
                ),
                ("seen_at", models.DateTimeField(auto_now=True, verbose_name="last seen")),
                (
                    "campaign",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="argilla_answer_problems",
                        to="campaigns.campaign",
                    ),
                ),
                (
                    "record",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="campaigns.record",
                    ),
                ),
            ],
            options={
                "verbose_name": "Argilla answer problem",
                "verbose_name_plural": "Argilla answer problems",
                "indexes": [
                    models.Index(fields=["campaign", "kind"], name="argilla_problem_kind_idx")
                ],
                "constraints": [
                    models.UniqueConstraint(
                        fields=("record", "argilla_user_id"), name="argilla_problem_one_per_answer"
                    )
                ],
            },
        ),
    ]
