"""Public pages are kept a moment for visitors who are not signed in, and only for them."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import reverse

from campaigns.models import Campaign
from campaigns.services import campaign_create, campaign_status_change

pytestmark = pytest.mark.django_db

TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


def _public_pages(campaign: Campaign) -> list[str]:
    return [
        reverse("home"),
        reverse("campaign_list"),
        reverse("campaign_detail", args=[campaign.slug]),
        reverse("campaign_dashboard", args=[campaign.slug]),
        reverse("global_dashboard"),
        reverse("guide", args=[campaign.slug]),
    ]


def test_anonymous_page_cached_serves_a_kept_page_without_the_database(
    client, arc_campaign, guide, django_assert_num_queries
):
    for path in _public_pages(arc_campaign):
        first = client.get(path)
        assert first.status_code == 200
        with django_assert_num_queries(0):
            again = client.get(path)
        assert again.status_code == 200
        assert TOKEN.sub("", again.content.decode()) == TOKEN.sub("", first.content.decode())


def test_anonymous_page_cached_gives_each_visitor_a_token_for_their_own_cookie(arc_campaign):
    path = reverse("campaign_detail", args=[arc_campaign.slug])
    first, second = Client(enforce_csrf_checks=True), Client(enforce_csrf_checks=True)
    first_token = TOKEN.search(first.get(path).content.decode())[1]
    second_token = TOKEN.search(second.get(path).content.decode())[1]
    assert first_token != second_token
    # Each visitor's token goes with the CSRF cookie that visitor got: the language switch works.
    for visitor, token in ((first, first_token), (second, second_token)):
        switched = visitor.post(
            reverse("set_language"),
            {"language": "en", "next": path, "csrfmiddlewaretoken": token},
        )
        assert switched.status_code == 302
    # Someone else's token is refused.
    refused = Client(enforce_csrf_checks=True)
    refused.get(path)
    answer = refused.post(
        reverse("set_language"), {"language": "en", "csrfmiddlewaretoken": first_token}
    )
    assert answer.status_code == 403


def test_anonymous_page_cached_never_serves_or_keeps_a_signed_in_page(
    client, arc_campaign, volunteer
):
    path = reverse("campaign_detail", args=[arc_campaign.slug])
    signed_in = Client()
    signed_in.force_login(volunteer)
    assert "Start validating" not in client.get(path, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    # The kept page is not theirs, and theirs is not kept for anyone.
    theirs = signed_in.get(path, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Start validating" in theirs and "Sign out" in theirs
    anonymous = Client().get(path, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Sign out" not in anonymous and "Join to validate" in anonymous


def test_anonymous_page_cached_keeps_each_language_apart(client, arc_campaign, language_restored):
    path = reverse("home")
    assert 'lang="es"' in client.get(path).content.decode()
    assert 'lang="en"' in client.get(path, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert 'lang="ca"' in client.get(path, HTTP_ACCEPT_LANGUAGE="ca").content.decode()


def test_anonymous_page_cached_shows_waiting_messages_to_their_visitor_only(
    client, arc_campaign, volunteer
):
    path = reverse("home")
    english = {"HTTP_ACCEPT_LANGUAGE": "en"}
    assert client.get(path, **english).status_code == 200
    client.force_login(volunteer)
    client.post(reverse("account_logout"), **english)
    # Signed out now, with allauth's message waiting: their page carries it.
    assert "You have signed out." in client.get(path, **english).content.decode()
    assert "You have signed out." not in Client().get(path, **english).content.decode()


def test_anonymous_page_cached_keeps_neither_failures_nor_query_strings(client, organizer):
    draft = campaign_create(slug="borrador", name="Borrador", preset="okapi_arc")
    path = reverse("campaign_detail", args=[draft.slug])
    assert client.get(path).status_code == 404
    campaign_status_change(campaign=draft, status=Campaign.Status.ACTIVE)
    # The 404 was not kept: the campaign shows as soon as it is launched.
    assert client.get(path).status_code == 200
    # Filtered lists are rendered for each visitor.
    client.get(reverse("campaign_list"), {"language": "es"})
    assert client.get(reverse("campaign_list"), {"language": "es"}).context is not None


def test_anonymous_page_cached_forgets_a_campaign_hidden_meanwhile(
    client, arc_campaign, django_capture_on_commit_callbacks
):
    slug = arc_campaign.slug
    paths = [
        reverse("campaign_detail", args=[slug]),
        reverse("campaign_dashboard", args=[slug]),
        reverse("guide", args=[slug]),
        reverse("api_progress", args=[slug]),
        reverse("api_ranking", args=[slug]),
    ]
    assert [client.get(path).status_code for path in paths] == [200] * len(paths)
    assert "ARC test" in client.get(reverse("home")).content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        arc_campaign.is_public = False
        arc_campaign.save()
    assert [client.get(path).status_code for path in paths] == [404] * len(paths)
    assert "ARC test" not in client.get(reverse("home")).content.decode()
