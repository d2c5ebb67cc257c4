"""Versions gain `published`: the ones already in the registry stay published; from now on an
organizer's export is a proposal until staff publish it."""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("leaderboard", "0001_initial"),
    ]

    operations = [
        # Existing versions were public: they keep being shown.
        migrations.AddField(
            model_name="leaderboarddatasetversion",
            name="published",
            field=models.BooleanField(default=True, verbose_name="published"),
        ),
        migrations.AlterField(
            model_name="leaderboarddatasetversion",
            name="published",
            field=models.BooleanField(default=False, verbose_name="published"),
        ),
    ]
