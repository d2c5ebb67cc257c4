"""Volunteers find their languages: the campaign list, its filters, the overview by language."""

from __future__ import annotations

import pytest
from django.urls import reverse

from annotation.services import response_submit
from campaigns.access import public_campaigns
from campaigns.models import Campaign
from campaigns.services import campaign_settings_update
from dashboards import views
from dashboards.selectors import LanguageFigures, figures_by_language
from tests.factories import UserFactory, arc_campaign_build, campaign_build

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("language_restored")]

Status = Campaign.Status
# Page texts whose Spanish the catalogues may not have yet: asserted as English pages show them.
IN_ENGLISH = {"HTTP_ACCEPT_LANGUAGE": "en"}


def _listed(client, **filters) -> list[str]:
    response = client.get(reverse("campaign_list"), filters)
    assert response.status_code == 200
    return [campaign.slug for campaign in response.context["page"]]


def test_campaign_list_shows_public_campaigns_open_first(client, organizer):
    campaign_build(slug="cerrada", status=Status.CLOSED)
    campaign_build(slug="pausada", status=Status.PAUSED)
    campaign_build(slug="activa", status=Status.ACTIVE)
    campaign_build(slug="borrador", status=Status.DRAFT, organizers=[organizer])
    campaign_build(slug="privada", public=False, organizers=[organizer])

    assert _listed(client) == ["activa", "pausada", "cerrada"]
    page = client.get(reverse("campaign_list")).content.decode()
    assert "Borrador" not in page and "Privada" not in page
    assert reverse("campaign_detail", args=["pausada"]) in page
    assert reverse("campaign_dashboard", args=["activa"]) in page
    # Not even to their organizer: the list is what anyone may see.
    client.force_login(organizer)
    assert _listed(client) == ["activa", "pausada", "cerrada"]


def test_campaign_list_shows_progress_from_the_counters(client, arc_campaign):
    page = client.get(reverse("campaign_list")).content.decode()
    assert "0 de 25 registros completados" in page
    assert "Inglés → Español" in page


def test_campaign_list_filters_by_language_and_kind(client):
    campaign_build(slug="arc-es", target_language="es")
    campaign_build(slug="arc-ca", target_language="ca")
    campaign_build(slug="prompts-ca", target_language="ca", preset="dibt_prompts")
    campaign_build(slug="arc-eu", target_language="eu", status=Status.CLOSED)

    assert set(_listed(client, language="ca")) == {"arc-ca", "prompts-ca"}
    assert _listed(client, language="ca", kind="prompt_translation") == ["prompts-ca"]
    assert _listed(client, kind="translation_validation") == ["arc-ca", "arc-es", "arc-eu"]
    assert _listed(client, language="eu") == ["arc-eu"]
    assert len(_listed(client, language="", kind="")) == 4
    # The language menu offers the languages campaigns are in, the project's order.
    choices = client.get(reverse("campaign_list")).context["form"].fields["language"].choices
    assert [code for code, _name in choices] == ["", "es", "ca", "eu"]


def test_campaign_list_ignores_bad_filter_values_and_says_so(client):
    campaign_build(slug="arc-es", target_language="es")
    campaign_build(slug="arc-ca", target_language="ca")

    response = client.get(
        reverse("campaign_list"),
        {"language": "<b>xx</b>", "kind": "nope", "page": "abc"},
        **IN_ENGLISH,
    )
    assert response.status_code == 200
    assert {campaign.slug for campaign in response.context["page"]} == {"arc-es", "arc-ca"}
    page = response.content.decode()
    assert page.count('class="errorlist"') == 2
    assert "&lt;b&gt;xx&lt;/b&gt; is not one of the available choices" in page
    assert "<b>xx</b>" not in page
    # A valid filter still applies beside a bad one.
    assert _listed(client, language="ca", kind="nope") == ["arc-ca"]


def test_campaign_list_says_when_nothing_matches(client):
    campaign_build(slug="arc-es", target_language="es")
    page = client.get(reverse("campaign_list"), {"kind": "generic"}, **IN_ENGLISH)
    assert "No campaign matches these filters." in page.content.decode()
    Campaign.objects.all().delete()
    assert (
        "No campaigns yet." in client.get(reverse("campaign_list"), **IN_ENGLISH).content.decode()
    )


def test_campaign_list_pages_keep_the_filters(client, monkeypatch):
    monkeypatch.setattr(views, "CAMPAIGNS_PAGE_SIZE", 2)
    for number in range(3):
        campaign_build(slug=f"ca-{number}", target_language="ca")
    campaign_build(slug="es-0", target_language="es")

    first = client.get(reverse("campaign_list"), {"language": "ca"})
    assert [campaign.slug for campaign in first.context["page"]] == ["ca-2", "ca-1"]
    assert "?language=ca&amp;page=2" in first.content.decode()
    assert _listed(client, language="ca", page="2") == ["ca-0"]
    # Beyond the last page is the last page.
    assert _listed(client, language="ca", page="99") == ["ca-0"]


def test_campaign_list_names_languages_in_the_visitors_language(client):
    campaign_build(slug="arc-ca", name="ARC en catalán", target_language="ca")

    in_catalan = client.get(reverse("campaign_list"), HTTP_ACCEPT_LANGUAGE="ca").content.decode()
    assert 'lang="ca"' in in_catalan
    assert "Anglès → Català" in in_catalan
    assert '<option value="ca">Català</option>' in in_catalan
    in_spanish = client.get(reverse("campaign_list")).content.decode()
    assert "Inglés → Catalán" in in_spanish


def test_menu_campaigns_item_opens_the_list(client):
    page = client.get(reverse("home")).content.decode()
    assert f'<a href="{reverse("campaign_list")}">' in page


def _answer(campaign: Campaign, user, count: int = 1) -> None:
    for record in campaign.records.order_by("id")[:count]:
        response_submit(record=record, user=user, values={"verdict": "correct"})


def test_overview_counts_campaigns_validated_records_and_people_by_language(
    client, arc_campaign, organizer
):
    second_es = arc_campaign_build(slug="arc-dos")
    catalan = campaign_settings_update(
        campaign=arc_campaign_build(slug="arc-ca"), target_language="ca"
    )
    hidden = campaign_settings_update(
        campaign=arc_campaign_build(slug="arc-eu", public=False), target_language="eu"
    )
    campaign_build(slug="draft-gl", target_language="gl", status=Status.DRAFT)
    both, other, catalan_speaker = UserFactory(), UserFactory(), UserFactory()
    # Two agreeing answers validate the first record of the first campaign.
    _answer(arc_campaign, both, 2)
    _answer(arc_campaign, other, 1)
    # Someone answering in two Spanish campaigns is one Spanish contributor.
    _answer(second_es, both, 1)
    _answer(catalan, catalan_speaker, 1)
    _answer(hidden, UserFactory(), 1)

    response = client.get(reverse("global_dashboard"), **IN_ENGLISH)
    assert response.context["by_language"] == [
        LanguageFigures(language="es", campaigns=2, records_validated=1, contributors=2),
        LanguageFigures(language="ca", campaigns=1, records_validated=0, contributors=1),
    ]
    page = response.content.decode()
    assert "<caption>" in page
    assert '<th scope="col">Records validated</th>' in page
    assert f'<a href="{reverse("campaign_list")}?language=ca">Catalan</a>' in page


def test_overview_counts_people_by_language_in_one_query(arc_campaign, django_assert_num_queries):
    _answer(arc_campaign, UserFactory(), 1)
    campaigns = list(public_campaigns().select_related("counter"))
    with django_assert_num_queries(1):
        figures = figures_by_language(campaigns)
    assert figures == [
        LanguageFigures(language="es", campaigns=1, records_validated=0, contributors=1)
    ]
