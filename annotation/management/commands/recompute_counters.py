"""`manage.py recompute_counters [--slug SLUG] [--fix]`: find, and mend, counters that drifted."""

from __future__ import annotations

from django.core.management.base import CommandParser
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from annotation.recount import counters_recompute
from campaigns.models import Campaign
from somos_site.commands import LocalizedCommand


class Command(LocalizedCommand):
    reports_progress = True

    @property
    def help(self) -> str:
        # A property, not a class attribute: argparse cannot format lazy strings.
        return _("Recompute every counter from the responses and report (or --fix) any drift.")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--slug", help=_("only this campaign"))
        parser.add_argument("--fix", action="store_true", help=_("overwrite counters that drifted"))

    def handle(self, *args, slug: str | None = None, fix: bool = False, **options) -> None:
        campaigns = Campaign.objects.filter(slug=slug) if slug else Campaign.objects.all()
        drifted = 0
        for campaign in campaigns.order_by("slug"):
            # A bar per campaign, closed before its results go to stdout.
            with self.progress_bar(campaign.slug, unit=_("steps")) as progress:
                drift = counters_recompute(campaign=campaign, fix=fix, progress=progress)
            if drift.clean:
                self.stdout.write(_("%(slug)s: no drift") % {"slug": campaign.slug})
                continue
            drifted += 1
            self.stdout.write(
                self.style.WARNING(
                    ngettext(
                        "%(slug)s: %(count)d difference",
                        "%(slug)s: %(count)d differences",
                        len(drift.differences),
                    )
                    % {"slug": campaign.slug, "count": len(drift.differences)}
                )
            )
            for difference in drift.differences:
                self.stdout.write(f"  {difference}")
        # The last line is for scripts and monitors: the same words in every language.
        self.stdout.write(f"campaigns_with_drift={drifted} fixed={'yes' if fix else 'no'}")
