"""`manage.py import_campaign` draws its progress on stderr while it reads; --quiet draws none."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import translation

from campaigns.models import Campaign
from tests.campaigns.files import MMLU_EN, MMLU_ES, mmlu_pair_write

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


def _import(slug: str, english, spanish, *options: str) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command(
        "import_campaign",
        "--slug",
        slug,
        "--preset",
        "okapi_mmlu",
        "--source",
        str(english),
        "--translation",
        str(spanish),
        *options,
        stdout=out,
        stderr=err,
    )
    return out.getvalue(), err.getvalue()


def test_import_campaign_shows_progress_of_200000_rows_on_stderr(tmp_path, progress_frames):
    english, spanish = mmlu_pair_write(tmp_path, 200_000)

    out, err = _import("mmlu-big", english, spanish)

    frames = progress_frames(err)
    assert len(frames) >= 3, err
    # The rows read so far out of the file's, with the rate and the time left.
    assert all(frame.startswith("Importing: ") and "/200000" in frame for frame in frames)
    assert "200000/200000" in frames[-1] and "records/s" in frames[-1]
    assert any("<" in frame and "%" in frame for frame in frames[:-1])
    # stdout holds the results alone, as scripts read them.
    assert "200000 created, 0 updated; the campaign has 200000 records." in out
    assert "Importing" not in out
    assert Campaign.objects.get(slug="mmlu-big").records.count() == 200_000


def test_import_campaign_quiet_draws_no_progress():
    out, err = _import("mmlu-quiet", MMLU_EN, MMLU_ES, "--quiet")

    assert err == ""
    assert "35 created, 0 updated; the campaign has 35 records." in out


def test_import_campaign_draws_its_last_progress_even_when_quick(progress_frames):
    out, err = _import("mmlu-quick", MMLU_EN, MMLU_ES)

    assert progress_frames(err)[-1].startswith("Importing: 100%")
    assert "35/35" in progress_frames(err)[-1]
    assert "35 created, 0 updated; the campaign has 35 records." in out
