"""The counters audit tells its progress step by step; cancelled, it mends nothing."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command

from annotation.recount import counters_recompute
from annotation.services import response_submit
from campaigns.progress import WorkCancelled
from dashboards.models import CampaignCounter
from tests.factories import arc_campaign_build

pytestmark = pytest.mark.django_db


def _recompute(*options: str) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("recompute_counters", *options, "--locale", "en", stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_recompute_counters_draws_a_bar_per_campaign_on_stderr(arc_campaign, progress_frames):
    arc_campaign_build(slug="arc-other")

    out, err = _recompute()

    frames = progress_frames(err)
    for slug in ("arc-other", "arc-test"):
        assert any(f.startswith(f"{slug}: 100%") and "| 4/4 [" in f for f in frames), err
    # stdout keeps its lines, the last one for scripts.
    assert out == ("arc-other: no drift\narc-test: no drift\ncampaigns_with_drift=0 fixed=no\n")


@pytest.mark.parametrize("silence", [["--quiet"], ["--verbosity", "0"]])
def test_recompute_counters_quiet_draws_nothing(arc_campaign, silence):
    out, err = _recompute("--slug", arc_campaign.slug, *silence)

    assert err == ""
    assert out.endswith("campaigns_with_drift=0 fixed=no\n")


def test_counters_recompute_reports_four_steps(arc_campaign):
    heard = []

    counters_recompute(campaign=arc_campaign, progress=lambda *report: heard.append(report))

    assert heard == [(step, 4) for step in range(5)]


def test_counters_recompute_cancelled_mends_nothing(arc_campaign, volunteer):
    response_submit(
        record=arc_campaign.records.first(), user=volunteer, values={"verdict": "correct"}
    )
    CampaignCounter.objects.filter(campaign=arc_campaign).update(responses_submitted=7)

    def progress(done: int, total: int | None) -> None:
        if done == 3:
            raise WorkCancelled

    with pytest.raises(WorkCancelled):
        counters_recompute(campaign=arc_campaign, fix=True, progress=progress)

    # The campaign's counter was mended at the first step, and rolled back with the rest.
    assert CampaignCounter.objects.get(campaign=arc_campaign).responses_submitted == 7
