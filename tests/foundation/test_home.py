"""The home page lists active campaigns with their progress, in Spanish first."""

from __future__ import annotations

import pytest
from django.urls import reverse

from annotation.services import response_submit
from campaigns.models import Campaign
from campaigns.services import campaign_create, campaign_settings_update, campaign_status_change
from somos_site.accounts.services import profile_update
from tests.factories import UserFactory, arc_campaign_build, campaign_build

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


def _home_order(client, **headers) -> list[str]:
    return [
        campaign.slug for campaign in client.get(reverse("home"), **headers).context["campaigns"]
    ]


def test_home_shows_campaigns_in_the_volunteers_languages_first(client, volunteer):
    # Launched in this order: without languages the newest comes first.
    for slug, language in (("arc-es", "es"), ("arc-ca", "ca"), ("arc-eu", "eu")):
        campaign_build(slug=slug, target_language=language)
    client.force_login(volunteer)
    profile_update(user=volunteer, other_languages=["ca"])
    assert _home_order(client) == ["arc-ca", "arc-eu", "arc-es"]
    # A Spanish variety says they speak Spanish too.
    profile_update(user=volunteer, spanish_variety="rioplatense")
    assert _home_order(client) == ["arc-ca", "arc-es", "arc-eu"]


def test_home_shows_the_page_languages_campaigns_first_to_anyone_else(
    client, volunteer, language_restored
):
    for slug, language in (("arc-es", "es"), ("arc-ca", "ca"), ("arc-eu", "eu")):
        campaign_build(slug=slug, target_language=language)
    assert _home_order(client) == ["arc-es", "arc-eu", "arc-ca"]
    assert _home_order(client, HTTP_ACCEPT_LANGUAGE="ca") == ["arc-ca", "arc-eu", "arc-es"]
    # A profile naming no language: the page's language too.
    client.force_login(volunteer)
    profile_update(user=volunteer, display_name="Sin idiomas")
    assert _home_order(client) == ["arc-es", "arc-eu", "arc-ca"]


def test_home_offers_a_returning_volunteer_their_campaigns_to_go_on_with(
    client, arc_campaign, volunteer
):
    for record in arc_campaign.records.order_by("id")[:2]:
        response_submit(record=record, user=volunteer, values={"verdict": "correct"})
    paused = arc_campaign_build(slug="en-pausa", name="Campaña en pausa")
    closed_to_them = arc_campaign_build(slug="privada", name="Campaña privada")
    for campaign in (paused, closed_to_them):
        response_submit(
            record=campaign.records.first(), user=volunteer, values={"verdict": "correct"}
        )
    campaign_status_change(campaign=paused, status=Campaign.Status.PAUSED)
    campaign_settings_update(campaign=closed_to_them, is_public=False)

    client.force_login(volunteer)
    page = client.get(reverse("home")).content.decode()
    mine = page[page.index("Sigue donde lo dejaste") : page.index('id="campaigns"')]
    assert "ARC test" in mine and "Has validado 2 registros" in mine
    assert reverse("annotate", args=[arc_campaign.slug]) in mine
    # Only campaigns still taking answers from them.
    assert "Campaña en pausa" not in mine and "Campaña privada" not in mine

    client.force_login(UserFactory())
    assert "Sigue donde lo dejaste" not in client.get(reverse("home")).content.decode()
    client.logout()
    assert "Sigue donde lo dejaste" not in client.get(reverse("home")).content.decode()
