"""Print a campaign's most suspect records, most suspect first; check them again if asked."""

from __future__ import annotations

from django.core.management.base import CommandError, CommandParser
from django.utils.translation import gettext as _

from campaigns.models import Campaign
from campaigns.selectors import most_suspect_records
from campaigns.services import records_triage_refresh
from campaigns.triage.checks import reason_text
from somos_site.commands import LocalizedCommand


class Command(LocalizedCommand):
    """One line per record: external id, score and reasons, separated by tabs."""

    requires_system_checks: list[str] = []

    @property
    def help(self) -> str:
        return _(
            "Print the campaign's most suspect records, one per line: external id, score and"
            " reasons separated by tabs, most suspect first."
        )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--slug", required=True, help=_("campaign slug"))
        parser.add_argument("--top", type=int, default=20, help=_("how many records to print"))
        parser.add_argument(
            "--recompute",
            action="store_true",
            help=_("run the checks again on every record first (records imported before them)"),
        )

    def handle(self, *args, slug: str, top: int, recompute: bool, **options):
        campaign = Campaign.objects.filter(slug=slug).first()
        if campaign is None:
            raise CommandError(_("No campaign with slug %(slug)s.") % {"slug": slug})
        if top < 1:
            raise CommandError(_("--top must be at least 1."))
        if recompute:
            changed = records_triage_refresh(campaign=campaign)
            self.stderr.write(_("Checked again: %(count)d records changed.") % {"count": changed})
        # The reasons are written in the command's language (--locale).
        for record in most_suspect_records(campaign=campaign, top=top):
            reasons = "; ".join(_piece_reason(flag) for flag in record.triage_flags)
            self.stdout.write(f"{record.external_id}\t{record.suspicion:g}\t{reasons}")


def _piece_reason(flag: dict) -> str:
    return f"{flag['piece']}: {reason_text(flag)}" if flag.get("piece") else reason_text(flag)
