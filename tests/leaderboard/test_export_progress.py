"""The export tells its progress step by step: a bar on stderr, and a stop when cancelled."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command

from campaigns.progress import WorkCancelled
from leaderboard.export.services import campaign_export
from leaderboard.models import LeaderboardDatasetVersion

pytestmark = pytest.mark.django_db


def _export(slug: str, folder, *options: str) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command(
        "export_campaign",
        *("--slug", slug, "--out", str(folder), "--locale", "en", *options),
        stdout=out,
        stderr=err,
    )
    return out.getvalue(), err.getvalue()


def test_export_campaign_draws_its_steps_on_stderr(arc_campaign, tmp_path, progress_frames, capfd):
    out, err = _export(arc_campaign.slug, tmp_path / "out", "--include", "pending")

    # Its bar alone: those of the libraries it writes with are hidden.
    assert capfd.readouterr().err == ""

    frames = progress_frames(err)
    assert frames == [frame for frame in frames if frame.startswith("Exporting: ")], err
    assert frames[-1].startswith("Exporting: 100%") and "| 5/5 [" in frames[-1]
    assert out.startswith("Exported 25 records of arc-test")
    assert "Exporting" not in out


def test_export_campaign_quiet_draws_nothing(arc_campaign, tmp_path, capfd):
    out, err = _export(arc_campaign.slug, tmp_path / "out", "--quiet")

    # Nor do the libraries it writes with, on the process's own stderr.
    assert err == "" and capfd.readouterr().err == ""
    assert "Registered as" in out


def test_export_progress_counts_every_step(arc_campaign, tmp_path):
    heard = []

    campaign_export(
        campaign=arc_campaign,
        folder=tmp_path / "out",
        progress=lambda done, total: heard.append((done, total)),
    )

    assert heard == [(step, 5) for step in range(6)]


@pytest.mark.parametrize("at", [2, 4, 5])
@pytest.mark.parametrize("folder_existed", [False, True])
def test_export_cancelled_removes_its_files_and_registers_nothing(
    arc_campaign, tmp_path, at, folder_existed
):
    folder = tmp_path / "out"
    if folder_existed:
        folder.mkdir()

    def progress(done: int, total: int | None) -> None:
        if done == at:
            raise WorkCancelled

    with pytest.raises(WorkCancelled):
        campaign_export(campaign=arc_campaign, folder=folder, progress=progress)

    # At 5 of 5 the files were all written and the version was being registered.
    assert not LeaderboardDatasetVersion.objects.exists()
    assert folder.exists() == folder_existed
    assert not folder_existed or list(folder.iterdir()) == []
