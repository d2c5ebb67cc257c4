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
    from guides.views import guide_page_forget

    campaign = (
        Guide.objects.filter(pk=instance.guide_id).values_list("campaign_id", "campaign__slug")
    ).first()
    if campaign is not None:
        guide_cache_forget(campaign_id=campaign[0], version_id=instance.pk)
        guide_page_forget(slug=campaign[1])


def _question_changed(sender, instance, **kwargs) -> None:
    # The FAQ is on the guide page.
    from guides.models import Guide
    from guides.views import guide_page_forget

    slug = Guide.objects.filter(pk=instance.guide_id).values_list("campaign__slug").first()
    if slug is not None:
        guide_page_forget(slug=slug[0])


def _campaign_changed(sender, instance, created=False, **kwargs) -> None:
    from campaigns.access import on_no_public_page_yet
    from guides.views import guide_page_forget

    if on_no_public_page_yet(instance, created=created):
        return

    guide_page_forget(slug=instance.slug)


class GuidesConfig(AppConfig):
    name = "guides"
    verbose_name = _("Guides")

    def ready(self) -> None:
        from django.db.models.signals import post_delete, post_save

        from campaigns.models import Campaign
        from guides.models import GuideQuestion, GuideVersion

        post_save.connect(_campaign_saved, sender=Campaign, dispatch_uid="guide-for-campaign")
        for name, signal in (("saved", post_save), ("deleted", post_delete)):
            signal.connect(_version_changed, sender=GuideVersion, dispatch_uid=f"guide-{name}")
            signal.connect(_question_changed, sender=GuideQuestion, dispatch_uid=f"faq-{name}")
            signal.connect(_campaign_changed, sender=Campaign, dispatch_uid=f"guide-page-{name}")
