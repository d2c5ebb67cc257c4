"""`manage.py sync_argilla --slug SLUG [--push] [--pull]`: sync one campaign with Argilla now."""

from __future__ import annotations

import time

from django.core.management.base import BaseCommand, CommandError

from annotation.argilla.gateway import ArgillaRejected, ArgillaUnavailable
from annotation.argilla.models import ArgillaSyncRun
from annotation.argilla.sync import ArgillaNotLinked, SyncAlreadyRunning, argilla_sync
from campaigns.models import Campaign


class Command(BaseCommand):
    help = "Push a campaign's records to Argilla and pull its answers (both unless told)."

    def add_arguments(self, parser):
        parser.add_argument("--slug", required=True)
        parser.add_argument("--push", action="store_true", help="Push records and settings.")
        parser.add_argument("--pull", action="store_true", help="Pull and reconcile answers.")
        parser.add_argument(
            "--retries", type=int, default=5, help="Attempts more while Argilla is down."
        )

    def handle(self, *args, slug: str, push: bool, pull: bool, retries: int, **options):
        campaign = Campaign.objects.filter(slug=slug).first()
        if campaign is None:
            raise CommandError(f"no campaign with slug {slug!r}")
        if not push and not pull:
            push = pull = True
        delay = 2.0
        for attempt in range(retries + 1):
            try:
                run = argilla_sync(
                    campaign=campaign, push=push, pull=pull, trigger=ArgillaSyncRun.Trigger.COMMAND
                )
                break
            except ArgillaUnavailable as exc:
                if attempt == retries:
                    raise CommandError(f"Argilla is unavailable: {exc}") from exc
                self.stderr.write(f"Argilla is unavailable ({exc}); trying again in {delay:.0f} s")
                time.sleep(delay)
                delay = min(delay * 2, 60)
            except (ArgillaNotLinked, ArgillaRejected, SyncAlreadyRunning) as exc:
                raise CommandError(str(exc)) from exc
        self.stdout.write(
            f"{run.status}: {run.records_pushed} records pushed, "
            f"{run.responses_pushed} answers pushed, {run.responses_pulled} pulled, "
            f"{run.responses_withdrawn} withdrawn, {len(run.errors)} errors"
        )
        for error in run.errors:
            self.stdout.write(f"  {error}")
