"""Export a campaign's validated records as a Hugging Face dataset in its source layout."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import datasets
import huggingface_hub.utils
from django.core.management.base import CommandError, CommandParser
from django.utils.translation import gettext as _

from campaigns.models import Campaign
from leaderboard.export.services import (
    INCLUDE_CHOICES,
    INCLUDE_VALIDATED,
    ExportError,
    campaign_export,
)
from somos_site.commands import LocalizedCommand


class Command(LocalizedCommand):
    """Write the dataset, every answer, the card and the harness task; register the version."""

    reports_progress = True

    @property
    def help(self) -> str:
        # A property, not a class attribute: argparse cannot format lazy strings.
        return _(
            "Export a campaign as a Hugging Face dataset (saved to disk, Parquet and JSON Lines"
            " per split) in its source's layout, with every answer, a dataset card and, for"
            " the Okapi presets, an lm-evaluation-harness task; record it as a new version of"
            " its leaderboard dataset."
        )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--slug", required=True, help=_("campaign slug"))
        parser.add_argument("--out", required=True, help=_("new or empty folder to write into"))
        parser.add_argument(
            "--include",
            choices=INCLUDE_CHOICES,
            default=INCLUDE_VALIDATED,
            help=_(
                "validated: validated records only; pending: also the records still waiting,"
                " with their machine translation"
            ),
        )
        parser.add_argument(
            "--push-to-hub",
            default="",
            metavar="REPO",
            help=_("also upload to this Hugging Face dataset repository (needs HF_TOKEN)"),
        )

    def handle(self, *args: object, **options: object) -> None:
        """Run the export and print where it went and what it holds."""
        campaign = Campaign.objects.filter(slug=options["slug"]).first()
        if campaign is None:
            raise CommandError(_("No campaign has the slug %(slug)s.") % {"slug": options["slug"]})
        started = time.perf_counter()
        try:
            with (
                _library_bars_hidden(),
                self.progress_bar(_("Exporting"), unit=_("steps")) as progress,
            ):
                result = campaign_export(
                    campaign=campaign,
                    folder=Path(str(options["out"])),
                    include=str(options["include"]),
                    push_to_hub=str(options["push_to_hub"] or ""),
                    progress=progress,
                )
        except ExportError as error:
            raise CommandError(str(error)) from None
        seconds = time.perf_counter() - started
        splits = ", ".join(f"{split}: {rows}" for split, rows in result.splits.items())
        self.stdout.write(
            self.style.SUCCESS(
                _(
                    "Exported %(records)s records of %(slug)s (%(splits)s) and %(responses)s"
                    " answers into %(folder)s in %(seconds).2f s."
                )
                % {
                    "records": result.counts.exported,
                    "slug": campaign.slug,
                    "splits": splits,
                    "responses": result.counts.responses,
                    "folder": result.folder,
                    "seconds": seconds,
                }
            )
        )
        if result.task:
            self.stdout.write(
                _("Harness task %(task)s: lm_eval --include_path %(path)s --tasks %(task)s")
                % {"task": result.task, "path": result.folder / "lm_eval"}
            )
        if result.hub_url:
            self.stdout.write(_("Pushed to %(url)s.") % {"url": result.hub_url})
        self.stdout.write(_("Registered as %(version)s.") % {"version": result.version})


@contextmanager
def _library_bars_hidden() -> Iterator[None]:
    """Hide the bars of datasets (saving to disk) and of the Hub (uploading) for the block.

    The export's own bar stands for them: theirs would break it on a terminal, and draw even
    with --quiet.
    """
    hidden = datasets.are_progress_bars_disabled()
    datasets.disable_progress_bars()
    try:
        with huggingface_hub.utils.disable_progress_bars():
            yield
    finally:
        if not hidden:
            datasets.enable_progress_bars()
