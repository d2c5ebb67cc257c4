from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


def _campaign_cache_forget(sender, instance, **kwargs) -> None:
    # Cache upkeep, not a business rule: any save, the admin's included, must be seen.
    from campaigns.selectors import campaign_forget

    campaign_forget(slug=instance.slug)


class CampaignsConfig(AppConfig):
    name = "campaigns"
    verbose_name = _("Campaigns")

    def ready(self) -> None:
        from django.db.models.signals import post_delete, post_save

        from campaigns.models import Campaign

        post_save.connect(_campaign_cache_forget, sender=Campaign)
        post_delete.connect(_campaign_cache_forget, sender=Campaign)
