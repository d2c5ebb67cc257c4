"""`manage.py campaign_backup --slug SLUG --out FILE.json`: one campaign's rows as a fixture."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import CommandError, CommandParser
from django.utils.translation import gettext as _

from campaigns.models import Campaign
from somos_site.commands import LocalizedCommand
from somos_site.operations.backup import campaign_backup


class Command(LocalizedCommand):
    """Write every row of one campaign to a JSON file that campaign_restore loads back."""

    @property
    def help(self) -> str:
        # A property, not a class attribute: argparse cannot format lazy strings.
        return _(
            "Back up one campaign's rows (records, answers, counters, guide, history) to a"
            " JSON file; campaign_restore puts them back."
        )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--slug", required=True, help=_("campaign slug"))
        parser.add_argument("--out", required=True, help=_("the JSON file to write"))

    def handle(self, *args: object, slug: str, out: str, **options: object) -> None:
        """Write the backup next to its final name, then move it there."""
        campaign = Campaign.objects.filter(slug=slug).first()
        if campaign is None:
            raise CommandError(_("No campaign has the slug %(slug)s.") % {"slug": slug})
        path = Path(out)
        partial = path.with_name(path.name + ".partial")
        # A backup cut short must never pass for a whole one.
        with partial.open("w", encoding="utf-8") as stream:
            rows = campaign_backup(campaign=campaign, stream=stream)
        partial.replace(path)
        self.stdout.write(
            _("Backed up %(rows)s rows of %(slug)s to %(path)s.")
            % {"rows": rows, "slug": slug, "path": path}
        )
