"""`manage.py campaign_restore FILE.json [--replace]`: put a campaign backup back."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import CommandError, CommandParser
from django.utils.translation import gettext as _

from somos_site.commands import LocalizedCommand
from somos_site.operations.backup import RestoreRefused, campaign_restore


class Command(LocalizedCommand):
    """Load a campaign_backup file in one transaction and check its counters against its rows."""

    @property
    def help(self) -> str:
        # A property, not a class attribute: argparse cannot format lazy strings.
        return _(
            "Restore a campaign from a campaign_backup file, all or nothing; with --replace the"
            " campaign of that slug is deleted first."
        )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help=_("a file written by campaign_backup"))
        parser.add_argument(
            "--replace",
            action="store_true",
            help=_("delete the campaign of the same slug, and whatever it holds now, first"),
        )

    def handle(self, *args: object, file: str, replace: bool, **options: object) -> None:
        """Restore, then report whether the restored counters agree with the restored rows."""
        try:
            campaign, drift = campaign_restore(path=Path(file), replace=replace)
        except RestoreRefused as refusal:
            raise CommandError(str(refusal)) from None
        self.stdout.write(
            _("Restored %(slug)s: %(records)s records, %(responses)s answers.")
            % {
                "slug": campaign.slug,
                "records": campaign.records.count(),
                "responses": campaign.responses.count(),
            }
        )
        if not drift.clean:
            # The backup's counters disagree with its own rows: mend them from the rows.
            self.stdout.write(
                self.style.WARNING(
                    _(
                        "Counters differ from the rows; run recompute_counters --slug %(slug)s"
                        " --fix."
                    )
                    % {"slug": campaign.slug}
                )
            )
