"""An organizer watches a big import and an export run in the background, in the browser."""

from __future__ import annotations

import re
import time

import pytest
from django.contrib.auth.models import Permission
from playwright.sync_api import Error as PlaywrightError

from campaigns.models import Campaign, Job
from tests.campaigns.files import mmlu_pair_write
from tests.e2e.pages import screenshot, sign_in
from tests.factories import UserFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

ROWS = 60_000


@pytest.fixture(autouse=True)
def thread_runner(settings, tmp_path):
    # The live server runs in this process: its jobs go to the embedded default's thread.
    settings.SOMOS_JOBS_RUNNER = "thread"
    settings.MEDIA_ROOT = tmp_path / "media"


def _bar_values(page, selector: str, *, until, timeout: float) -> list[str]:
    """Read the progress bar's value every 100 ms until `until()` holds; return what it showed."""
    seen: list[str] = []
    deadline = time.monotonic() + timeout
    while not until():
        assert time.monotonic() < deadline, f"still waiting; the bar showed {seen}"
        try:
            value = page.evaluate(
                "(selector) => document.querySelector(selector)?.getAttribute('aria-valuenow')",
                selector,
            )
        except PlaywrightError:
            # The page moved on (to the preview) while being read.
            continue
        if value is not None and (not seen or seen[-1] != value):
            seen.append(value)
        page.wait_for_timeout(100)
    return seen


def test_an_import_shows_its_progress_then_the_preview_and_an_export_its_download(
    page, live_server, tmp_path
):
    organizer = UserFactory()
    organizer.user_permissions.add(Permission.objects.get(codename="add_campaign"))
    english, spanish = mmlu_pair_write(tmp_path, ROWS)
    sign_in(page, live_server.url, organizer.email)

    page.goto(live_server.url + "/organize/new/")
    page.get_by_label("Nombre", exact=True).fill("MMLU grande")
    page.get_by_label("Formato del dataset").select_option("okapi_mmlu")
    page.get_by_label("Archivo original").set_input_files(str(english))
    page.get_by_label("Archivo de traducción").set_input_files(str(spanish))
    page.get_by_role("button", name="Crear e importar").click()

    page.wait_for_url(re.compile(r"/jobs/\d+/$"))
    page.wait_for_function(
        "() => Number(document.querySelector('.job .progress')?.getAttribute('aria-valuenow')) > 0"
    )
    screenshot(page, "jobs_import_running")
    seen = _bar_values(
        page,
        ".job .progress",
        until=lambda: "/preview/" in page.url,
        timeout=240,
    )
    # The bar showed the import on its way (a value between the ends), never going back. At
    # tens of thousands of records a second the import may be done within two polls.
    moving = [value for value in seen if value not in ("0", "100")]
    assert moving, seen
    assert [int(value) for value in seen] == sorted(int(value) for value in seen)

    page.wait_for_load_state()
    assert page.get_by_role("heading", name="Vista previa").is_visible()
    campaign = Campaign.objects.get(slug="mmlu-grande")
    assert campaign.records.count() == ROWS
    screenshot(page, "jobs_import_preview")

    page.goto(live_server.url + f"/organize/{campaign.slug}/export/")
    page.get_by_label("Registros que exportar").select_option("pending")
    page.get_by_role("button", name="Exportar dataset (zip)").click()
    page.wait_for_selector(".job .progress")
    screenshot(page, "jobs_export_running")
    download_link = page.get_by_role("link", name=re.compile(r"\.zip"))
    download_link.wait_for(timeout=240_000)
    job = Job.objects.get(kind=Job.Kind.EXPORT, campaign=campaign)
    assert job.status == Job.Status.SUCCEEDED
    assert job.done == job.total
    screenshot(page, "jobs_export_done")
    with page.expect_download() as download:
        download_link.click()
    assert download.value.suggested_filename == job.result["filename"]
