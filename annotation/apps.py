from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


def _records_imported(sender, campaign, settled_retexted=(), **kwargs) -> None:
    if settled_retexted:
        from annotation.consensus.services import consensus_settle_retexted

        consensus_settle_retexted(record_ids=settled_retexted)


def _suspect_fixed_asked(sender, campaign, **kwargs) -> int:
    from annotation.consensus.selectors import suspect_fixed_count

    return suspect_fixed_count(campaign=campaign)


class AnnotationConfig(AppConfig):
    name = "annotation"
    verbose_name = _("Annotation")

    def ready(self) -> None:
        from annotation.argilla import receivers
        from campaigns.signals import records_imported
        from dashboards.signals import suspect_fixed_asked

        receivers.connect()

        from campaigns.jobs.handlers import job_handler_register
        from campaigns.models import Job

        job_handler_register(Job.Kind.ARGILLA_SYNC, "annotation.jobs.argilla_sync_job_run")
        job_handler_register(Job.Kind.RECOMPUTE, "annotation.jobs.recompute_job_run")
        records_imported.connect(_records_imported, dispatch_uid="consensus-settle-retexted")
        suspect_fixed_asked.connect(_suspect_fixed_asked, dispatch_uid="suspect-fixed-count")
