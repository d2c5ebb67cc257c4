"""Read jobs with their live progress."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.contrib.humanize.templatetags.humanize import intcomma
from django.db.models import QuerySet
from django.utils.translation import gettext as _

from campaigns.jobs import live
from campaigns.models import Campaign, Job


@dataclass(frozen=True, slots=True)
class JobState:
    """A job as pages and the API show it: its row, with the live progress while it runs."""

    job: Job
    done: int
    total: int | None
    rate: float | None
    seconds_left: float | None

    @property
    def percent(self) -> int | None:
        if self.job.status == Job.Status.SUCCEEDED:
            return 100
        if not self.total:
            return None
        return min(100, int(100 * self.done / self.total))

    def summary(self) -> str:
        """How far it got, in words: rows done of the total, rows per second, time left."""
        if self.job.kind in (Job.Kind.EXPORT, Job.Kind.RECOMPUTE) and self.total is not None:
            # Exports and recounts count their steps, not rows.
            return _("step %(done)s of %(total)s") % {"done": self.done, "total": self.total}
        if self.total is not None:
            text = _("%(done)s of %(total)s records") % {
                "done": intcomma(self.done),
                "total": intcomma(self.total),
            }
        else:
            text = _("%(done)s records") % {"done": intcomma(self.done)}
        if self.job.status == Job.Status.RUNNING and self.rate:
            text += " · " + _("%(rate)s per second") % {"rate": intcomma(round(self.rate))}
            if self.seconds_left is not None:
                text += " · " + _("about %(seconds)s s left") % {
                    "seconds": intcomma(round(self.seconds_left))
                }
        return text

    def as_json(self) -> dict:
        """The job for JSON readers (the page's script and the API)."""
        job = self.job
        return {
            "id": job.pk,
            "kind": job.kind,
            "status": job.status,
            "campaign": job.campaign.slug if job.campaign is not None else None,
            "done": self.done,
            "total": self.total,
            "percent": self.percent,
            "rows_per_s": round(self.rate, 1) if self.rate is not None else None,
            "seconds_left": round(self.seconds_left) if self.seconds_left is not None else None,
            "status_display": job.get_status_display(),
            "summary": self.summary(),
            "messages": job.messages,
            "result": job.result,
            "created_at": _iso(job.created_at),
            "started_at": _iso(job.started_at),
            "finished_at": _iso(job.finished_at),
        }


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None


def job_state(job: Job) -> JobState:
    """Return the job with its progress: live while it runs, as recorded once it ended."""
    if job.status == Job.Status.RUNNING:
        progress = live.progress_read(job.pk)
        if progress is not None:
            return JobState(
                job=job,
                done=progress.done,
                total=progress.total,
                rate=progress.rate,
                seconds_left=progress.seconds_left,
            )
    return JobState(job=job, done=job.done, total=job.total, rate=None, seconds_left=None)


def campaign_jobs(
    *, campaign: Campaign, kind: str | None = None, limit: int = 10
) -> list[JobState]:
    """The campaign's latest jobs (of one kind if given), running ones first."""
    jobs: QuerySet[Job] = campaign.jobs.select_related("campaign", "created_by__profile")
    if kind is not None:
        jobs = jobs.filter(kind=kind)
    running = list(jobs.filter(status__in=[Job.Status.QUEUED, Job.Status.RUNNING]))
    ended = list(jobs.exclude(status__in=[Job.Status.QUEUED, Job.Status.RUNNING])[:limit])
    return [job_state(job) for job in running + ended]
