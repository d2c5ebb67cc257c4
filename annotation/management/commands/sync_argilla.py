"""`manage.py sync_argilla --slug SLUG [--workspace W --dataset D] [--push] [--pull] [--force]`.

Links the campaign to an Argilla workspace and dataset when they are given (as its settings page
does), then syncs it now. A pull into a campaign that is not active is refused unless forced.
"""

from __future__ import annotations

import time

from django.core.exceptions import ValidationError
from django.core.management.base import CommandError, CommandParser
from django.utils.translation import gettext as _

from annotation.argilla.gateway import ArgillaRejected, ArgillaUnavailable
from annotation.argilla.models import ArgillaSyncRun
from annotation.argilla.sync import (
    ArgillaNotLinked,
    CampaignNotActive,
    SyncAlreadyRunning,
    argilla_sync,
    pull_check,
)
from campaigns.models import Campaign
from campaigns.services import campaign_settings_update
from somos_site.commands import LocalizedCommand


class Command(LocalizedCommand):
    reports_progress = True

    @property
    def help(self) -> str:
        # A property, not a class attribute: argparse cannot format lazy strings.
        return _("Push a campaign's records to Argilla and pull its answers (both unless told).")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--slug", required=True, help=_("campaign slug"))
        parser.add_argument("--workspace", help=_("Link the campaign to this Argilla workspace."))
        parser.add_argument("--dataset", help=_("Link the campaign to this Argilla dataset."))
        parser.add_argument("--push", action="store_true", help=_("Push records and settings."))
        parser.add_argument("--pull", action="store_true", help=_("Pull and reconcile answers."))
        parser.add_argument(
            "--force",
            action="store_true",
            help=_("Pull answers even into a draft, paused or closed campaign."),
        )
        parser.add_argument(
            "--retries", type=int, default=5, help=_("Attempts more while Argilla is down.")
        )

    def handle(
        self,
        *args,
        slug: str,
        workspace: str | None,
        dataset: str | None,
        push: bool,
        pull: bool,
        force: bool,
        retries: int,
        **options,
    ):
        campaign = Campaign.objects.filter(slug=slug).first()
        if campaign is None:
            raise CommandError(_("No campaign with the slug «%(slug)s».") % {"slug": slug})
        if not push and not pull:
            push = pull = True
        if pull:
            # Before linking: a refused command changes nothing.
            try:
                pull_check(campaign=campaign, force=force)
            except CampaignNotActive as exc:
                raise CommandError(
                    _(
                        "%(campaign)s is %(status)s: answers are pulled only into an active"
                        " campaign. Give --force to pull them anyway, or --push to send records"
                        " only."
                    )
                    % {"campaign": campaign, "status": campaign.get_status_display().lower()}
                ) from exc
        campaign = self._link(campaign, workspace=workspace, dataset=dataset)
        run = self._sync(campaign, push=push, pull=pull, force=force, retries=retries)
        self.stdout.write(
            _(
                "%(status)s: %(records)s records pushed, %(pushed)s answers pushed,"
                " %(pulled)s pulled, %(withdrawn)s withdrawn, %(errors)s errors,"
                " %(warnings)s warnings"
            )
            % {
                "status": run.get_status_display(),
                "records": run.records_pushed,
                "pushed": run.responses_pushed,
                "pulled": run.responses_pulled,
                "withdrawn": run.responses_withdrawn,
                "errors": len(run.errors),
                "warnings": len(run.warnings),
            }
        )
        for error in run.errors:
            self.stdout.write(f"  {error}")
        for warning in run.warnings:
            self.stdout.write(f"  {warning}")

    def _link(self, campaign: Campaign, *, workspace: str | None, dataset: str | None) -> Campaign:
        changes = {
            name: value
            for name, value in (("argilla_workspace", workspace), ("argilla_dataset", dataset))
            if value is not None and getattr(campaign, name) != value
        }
        if not changes:
            return campaign
        try:
            return campaign_settings_update(campaign=campaign, **changes)
        except ValidationError as exc:
            problems = "; ".join(
                f"{name}: {' '.join(messages)}" for name, messages in exc.message_dict.items()
            )
            raise CommandError(
                _("The campaign was not linked: %(problems)s") % {"problems": problems}
            ) from exc

    def _sync(
        self, campaign: Campaign, *, push: bool, pull: bool, force: bool, retries: int
    ) -> ArgillaSyncRun:
        delay, attempt = 2.0, 0
        while True:
            try:
                # One bar per attempt, closed before the retry's message is written.
                with self.progress_bar(_("Syncing with Argilla"), unit=_("records")) as progress:
                    return argilla_sync(
                        campaign=campaign,
                        push=push,
                        pull=pull,
                        force=force,
                        trigger=ArgillaSyncRun.Trigger.COMMAND,
                        progress=progress,
                    )
            except ArgillaUnavailable as exc:
                if attempt >= retries:
                    raise CommandError(
                        _("Argilla is unavailable: %(error)s") % {"error": exc}
                    ) from exc
                self.stderr.write(
                    _("Argilla is unavailable (%(error)s); trying again in %(seconds).0f s")
                    % {"error": exc, "seconds": delay}
                )
                time.sleep(delay)
                delay, attempt = min(delay * 2, 60), attempt + 1
            except (
                ArgillaNotLinked,
                ArgillaRejected,
                CampaignNotActive,
                SyncAlreadyRunning,
            ) as exc:
                raise CommandError(str(exc)) from exc
