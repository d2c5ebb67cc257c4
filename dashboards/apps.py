from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


def _campaign_saved(sender, instance, created, raw, **kwargs) -> None:
    # A new campaign starts with its counter at zero (a restored backup brings its own).
    if created and not raw:
        from dashboards.counters import campaign_counter_create

        campaign_counter_create(campaign_id=instance.pk)


def _campaign_changed(sender, instance, created=False, **kwargs) -> None:
    # Cache upkeep: a campaign renamed, hidden or closed anywhere, the admin included, is seen.
    from campaigns.access import on_no_public_page_yet
    from dashboards.views import campaign_pages_forget

    if on_no_public_page_yet(instance, created=created):
        return

    campaign_pages_forget(slug=instance.slug)


def _records_imported(sender, campaign, records_total, **kwargs) -> None:
    from dashboards.counters import records_total_set

    records_total_set(campaign_id=campaign.pk, total=records_total)


class DashboardsConfig(AppConfig):
    name = "dashboards"
    verbose_name = _("Dashboards")

    def ready(self) -> None:
        from django.db.models.signals import post_delete, post_save

        from campaigns.models import Campaign
        from campaigns.signals import records_imported

        post_save.connect(_campaign_saved, sender=Campaign, dispatch_uid="counter-for-campaign")
        for name, signal in (("saved", post_save), ("deleted", post_delete)):
            signal.connect(_campaign_changed, sender=Campaign, dispatch_uid=f"pages-{name}")
        records_imported.connect(_records_imported, dispatch_uid="counter-records-total")
