from __future__ import annotations

from django.core.management.base import BaseCommand

from annotation.recount import counters_recompute
from campaigns.models import Campaign


class Command(BaseCommand):
    help = "Recompute every counter from the responses and report (or --fix) any drift."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--slug", help="only this campaign")
        parser.add_argument("--fix", action="store_true", help="overwrite counters that drifted")

    def handle(self, *args, slug: str | None = None, fix: bool = False, **options) -> None:
        campaigns = Campaign.objects.filter(slug=slug) if slug else Campaign.objects.all()
        drifted = 0
        for campaign in campaigns.order_by("slug"):
            drift = counters_recompute(campaign=campaign, fix=fix)
            if drift.clean:
                self.stdout.write(f"{campaign.slug}: no drift")
                continue
            drifted += 1
            self.stdout.write(
                self.style.WARNING(f"{campaign.slug}: {len(drift.differences)} differences")
            )
            for difference in drift.differences:
                self.stdout.write(f"  {difference}")
        self.stdout.write(f"campaigns_with_drift={drifted} fixed={'yes' if fix else 'no'}")
