"""Builders the tests share: users, and campaigns made from the shipped samples."""

from __future__ import annotations

import factory
from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model

from campaigns.importers.sources import Source
from campaigns.models import Campaign
from campaigns.samples import SAMPLE_DATA
from campaigns.services import (
    campaign_create,
    campaign_settings_update,
    campaign_status_change,
    records_import,
)

PASSWORD = "una-clave-segura-2024"
ARC_SOURCE = SAMPLE_DATA / "arc_challenge_validation_en.jsonl"
ARC_TRANSLATION = SAMPLE_DATA / "okapi_arc_challenge_validation_es.jsonl"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.Sequence(lambda n: f"user{n}@example.org")
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def verified_email(self, create, extracted, **kwargs):
        if create:
            self.save()
            EmailAddress.objects.create(user=self, email=self.email, verified=True, primary=True)


def arc_campaign_build(
    *,
    slug: str,
    name: str | None = None,
    organizers=(),
    records: bool = True,
    launch: bool = True,
    public: bool = True,
) -> Campaign:
    """An okapi_arc campaign, with the 25 shipped ARC-Challenge records unless told not to."""
    campaign = campaign_create(
        slug=slug, name=name or slug.title(), preset="okapi_arc", organizers=list(organizers)
    )
    if records:
        records_import(
            campaign=campaign,
            source=Source(path=ARC_SOURCE),
            translation=Source(path=ARC_TRANSLATION),
        )
    if launch:
        campaign = campaign_status_change(campaign=campaign, status=Campaign.Status.ACTIVE)
    if not public:
        campaign = campaign_settings_update(campaign=campaign, is_public=False)
    return campaign


# The statuses a campaign passes through to reach each one (campaigns.services' lifecycle).
_WALK = {
    Campaign.Status.DRAFT: (),
    Campaign.Status.ACTIVE: (Campaign.Status.ACTIVE,),
    Campaign.Status.PAUSED: (Campaign.Status.ACTIVE, Campaign.Status.PAUSED),
    Campaign.Status.CLOSED: (Campaign.Status.ACTIVE, Campaign.Status.CLOSED),
}


def campaign_build(
    *,
    slug: str,
    name: str | None = None,
    preset: str = "okapi_arc",
    target_language: str = "es",
    status: Campaign.Status = Campaign.Status.ACTIVE,
    public: bool = True,
    organizers=(),
) -> Campaign:
    """A campaign without records into target_language, taken through its lifecycle to status."""
    campaign = campaign_create(
        slug=slug, name=name or slug.title(), preset=preset, organizers=list(organizers)
    )
    campaign = campaign_settings_update(
        campaign=campaign, target_language=target_language, is_public=public
    )
    for step in _WALK[status]:
        campaign = campaign_status_change(campaign=campaign, status=step)
    return campaign
