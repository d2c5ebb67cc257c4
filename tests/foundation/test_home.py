"""The home page lists active campaigns with their progress, in Spanish first."""

from __future__ import annotations

import pytest
from django.urls import reverse

from campaigns.models import Campaign
from campaigns.services import campaign_create

pytestmark = pytest.mark.django_db


def test_home_lists_active_campaigns_with_progress(client, arc_campaign):
    campaign_create(slug="borrador", name="Campaña en borrador", preset="okapi_arc")
    page = client.get(reverse("home")).content.decode()
    assert "ARC test" in page
    assert "Campaña en borrador" not in page
    assert "0 de 25 registros completados" in page


def test_home_speaks_spanish_by_default_and_english_on_request(client, arc_campaign):
    assert 'lang="es"' in client.get(reverse("home")).content.decode()
    response = client.post(reverse("set_language"), {"language": "en", "next": "/"})
    assert response.status_code == 302
    page = client.get(reverse("home")).content.decode()
    assert 'lang="en"' in page
    assert "0 of 25 records completed" in page


def test_campaign_page_hides_drafts_from_the_public(client, organizer):
    draft = campaign_create(slug="draft", name="Draft", preset="okapi_arc", organizers=[organizer])
    assert client.get(reverse("campaign_detail", args=[draft.slug])).status_code == 404
    client.force_login(organizer)
    assert client.get(reverse("campaign_detail", args=[draft.slug])).status_code == 200
    assert draft.status == Campaign.Status.DRAFT
