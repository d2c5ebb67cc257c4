"""The Argilla sync tells the records it pushed and pulled; cancelled, it stops and says so."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.utils import translation

from annotation.argilla.models import ArgillaSyncRun
from annotation.argilla.sync import argilla_sync
from campaigns.progress import WorkCancelled

pytestmark = pytest.mark.django_db(transaction=True)


def _sync(*options: str) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("sync_argilla", *options, "--locale", "en", stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_sync_argilla_draws_records_pushed_and_pulled_on_stderr(linked_campaign, progress_frames):
    out, err = _sync("--slug", linked_campaign.slug)

    frames = progress_frames(err)
    assert frames[-1].startswith("Syncing with Argilla: 100%") and "| 50/50 [" in frames[-1]
    assert out.startswith("Succeeded: 25 records pushed, 0 answers pushed, 0 pulled")

    out, err = _sync("--slug", linked_campaign.slug, "--quiet")

    assert err == ""
    assert out.startswith("Succeeded: 0 records pushed")


def test_argilla_sync_progress_learns_the_pull_total_from_its_first_page(linked_campaign):
    heard = []

    argilla_sync(campaign=linked_campaign, progress=lambda *report: heard.append(report))

    # The push counts its records first; the pull's number comes with its first page.
    assert heard == [(0, None), (25, None), (25, 50), (50, 50), (50, 50)]


def test_argilla_sync_cancelled_stops_and_is_recorded(linked_campaign):
    def progress(done: int, total: int | None) -> None:
        if done:
            raise WorkCancelled

    with pytest.raises(WorkCancelled), translation.override("en"):
        argilla_sync(campaign=linked_campaign, push=True, pull=True, progress=progress)

    run = ArgillaSyncRun.objects.get(campaign=linked_campaign)
    assert run.status == ArgillaSyncRun.Status.FAILED
    assert run.records_pushed == 25 and run.responses_pulled == 0
    assert run.errors == [
        "the sync was cancelled; what it pushed or pulled until then stays, and the next sync"
        " goes on from there"
    ]
    # The next run goes on: the batch pushed before the cancellation is not pushed again.
    again = argilla_sync(campaign=linked_campaign, push=True, pull=False)
    assert (again.status, again.records_pushed) == (ArgillaSyncRun.Status.SUCCEEDED, 0)
