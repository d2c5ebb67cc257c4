"""The export job: write the campaign's dataset into MEDIA_ROOT and zip it for download."""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.utils import timezone

from campaigns.jobs.handlers import JobFailed
from campaigns.jobs.services import job_start
from campaigns.models import Campaign, Job
from campaigns.progress import Progress
from leaderboard.export.services import ExportError, campaign_export, export_zip


def export_job_start(*, campaign: Campaign, include: str, user: AbstractBaseUser | None) -> Job:
    """Start exporting the campaign in the background; the job's result names the archive."""
    return job_start(
        kind=Job.Kind.EXPORT, user=user, campaign=campaign, parameters={"include": include}
    )


def export_job_run(job: Job, progress: Progress) -> dict:
    """Export into MEDIA_ROOT/exports/<slug>/<stamp>/ and zip it next to the folder."""
    campaign = job.campaign
    stamp = timezone.now().strftime("%Y%m%d-%H%M%S-%f")
    folder = Path(settings.MEDIA_ROOT) / "exports" / campaign.slug / stamp
    try:
        result = campaign_export(
            campaign=campaign,
            folder=folder,
            include=job.parameters.get("include", "validated"),
            user=job.created_by,
            progress=progress,
        )
    except ExportError as error:
        raise JobFailed([str(error)]) from None
    archive = export_zip(folder=folder)
    return {
        "archive": str(archive.relative_to(settings.MEDIA_ROOT)),
        "filename": f"{campaign.slug}-v{result.version.number}.zip",
        "version": result.version.number,
        "records": result.counts.exported,
        "responses": result.counts.responses,
        "splits": result.splits,
        "task": result.task,
    }
