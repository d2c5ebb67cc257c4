from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


def _campaign_saved(sender, instance, created, raw, **kwargs) -> None:
    # Every campaign has a guide from the start (a restored backup brings its own).
    if created and not raw:
        from guides.services import guide_create

        guide_create(campaign=instance)


def _version_changed(sender, instance, **kwargs) -> None:
    # Cache upkeep: a version edited or deleted anywhere, the admin included, is seen.
    from guides.models import Guide
    from guides.selectors import guide_cache_forget

    campaign_id = Guide.objects.filter(pk=instance.guide_id).values_list("campaign_id").first()
    if campaign_id is not None:
        guide_cache_forget(campaign_id=campaign_id[0], version_id=instance.pk)


class GuidesConfig(AppConfig):
    name = "guides"
    verbose_name = _("Guides")

    def ready(self) -> None:
        from django.db.models.signals import post_delete, post_save

        from campaigns.models import Campaign
        from guides.models import GuideVersion

        post_save.connect(_campaign_saved, sender=Campaign, dispatch_uid="guide-for-campaign")
        post_save.connect(_version_changed, sender=GuideVersion, dispatch_uid="guide-saved")
        post_delete.connect(_version_changed, sender=GuideVersion, dispatch_uid="guide-deleted")
