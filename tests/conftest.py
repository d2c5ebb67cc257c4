"""Shared factories and fixtures."""

from __future__ import annotations

import factory
import pytest
from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model
from django.core.cache import cache

from campaigns.demo import SAMPLE_DATA as SAMPLES
from campaigns.importers.sources import Source
from campaigns.models import Campaign
from campaigns.services import campaign_create, campaign_status_change, records_import
from somos_site.accounts.backends import recent_users_clear
from somos_site.cache import local_first_clear

PASSWORD = "una-clave-segura-2024"


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


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Start every test with an empty cache: ids repeat across test databases."""
    cache.clear()
    local_first_clear()
    recent_users_clear()


@pytest.fixture
def volunteer():
    return UserFactory()


@pytest.fixture
def organizer():
    return UserFactory()


@pytest.fixture
def arc_campaign(organizer) -> Campaign:
    """An active campaign with the 25 shipped ARC-Challenge records."""
    campaign = campaign_create(
        slug="arc-test", name="ARC test", preset="okapi_arc", organizers=[organizer]
    )
    records_import(
        campaign=campaign,
        source=Source(path=SAMPLES / "arc_challenge_validation_en.jsonl"),
        translation=Source(path=SAMPLES / "okapi_arc_challenge_validation_es.jsonl"),
    )
    return campaign_status_change(campaign=campaign, status=Campaign.Status.ACTIVE)
