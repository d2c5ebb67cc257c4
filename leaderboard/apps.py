from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LeaderboardConfig(AppConfig):
    name = "leaderboard"
    verbose_name = _("Leaderboard")

    def ready(self) -> None:
        from campaigns.jobs.handlers import job_handler_register
        from campaigns.models import Job

        job_handler_register(Job.Kind.EXPORT, "leaderboard.export.jobs.export_job_run")
