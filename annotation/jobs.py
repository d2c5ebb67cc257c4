"""The jobs annotation does: an Argilla sync started by an organizer, and a counters recount."""

from __future__ import annotations

from django.utils.translation import gettext as _

from annotation.argilla import gateway
from annotation.argilla.sync import (
    ArgillaNotLinked,
    CampaignNotActive,
    SyncAlreadyRunning,
    argilla_sync,
)
from annotation.recount import counters_recompute
from campaigns.jobs.handlers import JobFailed
from campaigns.models import Campaign, Job
from campaigns.progress import Progress


def argilla_sync_job_run(job: Job, progress: Progress) -> dict:
    """Push the campaign's records to Argilla and, when it is active, pull the answers."""
    campaign = job.campaign
    pull = job.parameters.get("pull", campaign.status == Campaign.Status.ACTIVE)
    try:
        run = argilla_sync(
            campaign=campaign,
            push=job.parameters.get("push", True),
            pull=pull,
            trigger="organizer",
            progress=progress,
        )
    except (ArgillaNotLinked, CampaignNotActive, SyncAlreadyRunning) as refusal:
        raise JobFailed([str(refusal)]) from None
    except (gateway.ArgillaUnavailable, gateway.ArgillaRejected) as error:
        raise JobFailed(
            [
                _(
                    "Argilla did not answer (%(error)s). Nothing is lost: the next sync goes on"
                    " where this one stopped."
                )
                % {"error": str(error).splitlines()[0] if str(error) else type(error).__name__}
            ]
        ) from None
    return {
        "records_pushed": run.records_pushed,
        "responses_pushed": run.responses_pushed,
        "responses_pulled": run.responses_pulled,
        "responses_withdrawn": run.responses_withdrawn,
        "errors": len(run.errors),
        "warnings": len(run.warnings),
    }


def recompute_job_run(job: Job, progress: Progress) -> dict:
    """Recount the campaign's counters from its answers; mend them if asked."""
    drift = counters_recompute(
        campaign=job.campaign, fix=bool(job.parameters.get("fix")), progress=progress
    )
    return {"differences": drift.differences[:100], "drifted": not drift.clean}
