"""A second click on a form's button while its page waits sends nothing: one export, not two."""

from __future__ import annotations

import pytest

from campaigns.models import Job
from leaderboard.models import LeaderboardDatasetVersion
from tests.e2e.pages import sign_in
from tests.factories import arc_campaign_build

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    # The test suite's inline runner: the export runs inside the request, so the page waits.
    settings.MEDIA_ROOT = tmp_path / "media"


def test_a_second_click_while_the_export_runs_starts_no_second_export(page, live_server, organizer):
    campaign = arc_campaign_build(slug="arc-doble", name="ARC doble", organizers=[organizer])
    sign_in(page, live_server.url, organizer.email)
    page.goto(live_server.url + f"/organize/{campaign.slug}/export/")
    page.get_by_label("Registros que exportar").select_option("pending")
    button = page.get_by_role("button", name="Exportar dataset (zip)")
    with page.expect_download(timeout=30_000):
        button.click()
        page.wait_for_timeout(300)
        button.click(no_wait_after=True)
    # A second export would have reached the server while the first ran.
    page.wait_for_timeout(1500)
    assert Job.objects.filter(campaign=campaign).count() == 1
    assert LeaderboardDatasetVersion.objects.filter(campaign=campaign).count() == 1
