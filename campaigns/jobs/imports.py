"""The import job: read the kept uploads (or a hub dataset) into a campaign, all or nothing."""

from __future__ import annotations

from pathlib import Path

from django.conf import settings

from campaigns.importers.records import ImportRejected
from campaigns.importers.sources import Source
from campaigns.jobs.handlers import JobFailed
from campaigns.models import Job
from campaigns.progress import Progress
from campaigns.services import campaign_create_and_import, records_import
from campaigns.uploads import hub_source


def import_job_run(job: Job, progress: Progress) -> dict:
    """Import the job's sources; a new campaign is created with its first source."""
    source, translation = _sources(job.parameters)
    try:
        create = job.parameters.get("create")
        if create is not None:
            campaign, run = campaign_create_and_import(
                **create,
                source=source,
                translation=translation,
                organizers=[job.created_by] if job.created_by else [],
                user=job.created_by,
                progress=progress,
            )
        else:
            campaign = job.campaign
            run = records_import(
                campaign=campaign,
                source=source,
                translation=translation,
                user=job.created_by,
                progress=progress,
            )
    except ImportRejected as rejection:
        raise JobFailed(str(rejection).splitlines()) from None
    return {
        "campaign_id": campaign.pk,
        "campaign": campaign.slug,
        "import_run": run.pk,
        "created": run.records_created,
        "updated": run.records_updated,
        "records": campaign.records.count(),
    }


def _sources(parameters: dict) -> tuple[Source, Source | None]:
    kept = [
        Source(path=Path(settings.MEDIA_ROOT) / item["path"], display_name=item["name"])
        if item
        else None
        for item in parameters.get("files", [])
    ]
    kept += [None] * (2 - len(kept))
    source, translation = kept[0], kept[1]
    if source is None:
        hub = parameters["hub"]
        source = hub_source(
            name=hub["name"], config=hub.get("config", ""), split=hub.get("split", "")
        )
    return source, translation
