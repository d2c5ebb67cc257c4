from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


def _campaign_changed(sender, instance, **kwargs) -> None:
    # Cache upkeep, not a business rule: any save, the admin's included, must be seen.
    from campaigns.selectors import campaign_cache_forget

    campaign_cache_forget(slug=instance.slug, campaign_id=instance.pk)


def _campaign_renamed(sender, instance, raw, **kwargs) -> None:
    # A new slug leaves the old one's cached copy behind: forget that one too.
    if raw or instance.pk is None:
        return
    old_slug = sender.objects.filter(pk=instance.pk).values_list("slug", flat=True).first()
    if old_slug is not None and old_slug != instance.slug:
        from campaigns.selectors import campaign_cache_forget

        campaign_cache_forget(slug=old_slug, campaign_id=instance.pk)


def _question_changed(sender, instance, **kwargs) -> None:
    from campaigns.selectors import campaign_cache_forget

    campaign = instance.campaign
    campaign_cache_forget(slug=campaign.slug, campaign_id=campaign.pk)


class CampaignsConfig(AppConfig):
    name = "campaigns"
    verbose_name = _("Campaigns")

    def ready(self) -> None:
        from django.db.models.signals import post_delete, post_save, pre_save

        from campaigns.models import Campaign, Question

        for name, signal in (("saved", post_save), ("deleted", post_delete)):
            signal.connect(_campaign_changed, sender=Campaign, dispatch_uid=f"campaign-{name}")
            signal.connect(_question_changed, sender=Question, dispatch_uid=f"question-{name}")
        pre_save.connect(_campaign_renamed, sender=Campaign, dispatch_uid="campaign-renamed")

        from campaigns.jobs.handlers import job_handler_register
        from campaigns.jobs.imports import import_job_run
        from campaigns.models import Job

        job_handler_register(Job.Kind.IMPORT, import_job_run)
