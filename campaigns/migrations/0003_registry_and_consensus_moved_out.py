"""The registry went to leaderboard and consensus to annotation (their tables stay as they are);
the campaign's target dataset is now leaderboard's CampaignTarget, filled from this column."""

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ("campaigns", "0002_consensus_and_registry_coverage"),
        ("leaderboard", "0001_initial"),
        ("annotation", "0006_consensus"),
    ]

    operations = [
        migrations.RemoveField(model_name="campaign", name="target_leaderboard"),
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.DeleteModel(name="Consensus"),
                migrations.DeleteModel(name="LeaderboardDatasetVersion"),
                migrations.DeleteModel(name="LeaderboardDataset"),
            ],
            database_operations=[],
        ),
    ]
