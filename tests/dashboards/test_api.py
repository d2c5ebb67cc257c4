"""JSON endpoints and rankings: counted, named only with consent, ties to whoever came first."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from annotation.services import response_save_draft, response_submit
from campaigns.models import Campaign
from campaigns.services import campaign_create
from dashboards.selectors import ranking_for_campaign, top_share
from somos_site.accounts.services import profile_update
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def _answer(campaign, user, count: int) -> None:
    for record in campaign.records.order_by("id")[:count]:
        response_submit(record=record, user=user, values={"verdict": "correct"})


def test_api_progress_reports_counters(client, arc_campaign, volunteer):
    _answer(arc_campaign, volunteer, 2)
    response_save_draft(
        record=arc_campaign.records.order_by("id")[5], user=volunteer, values={"verdict": "wrong"}
    )
    payload = client.get(reverse("api_progress", args=[arc_campaign.slug])).json()
    assert payload == {
        "records_total": 25,
        "records_completed": 0,
        "records_validated": 0,
        "records_disputed": 0,
        "responses_submitted": 2,
        "contributors": 1,
    }


def test_api_ranking_orders_by_count_then_who_came_first(client, arc_campaign):
    early, late, busy = UserFactory(), UserFactory(), UserFactory()
    profile_update(user=early, display_name="Temprana", public_ranking=True)
    profile_update(user=late, display_name="Tardía", public_ranking=True)
    profile_update(user=busy, display_name="Oculta", public_ranking=False)
    _answer(arc_campaign, early, 2)
    _answer(arc_campaign, late, 2)
    _answer(arc_campaign, busy, 3)
    for window in ("all", "7d", "30d"):
        payload = client.get(
            reverse("api_ranking", args=[arc_campaign.slug]), {"window": window}
        ).json()
        names = [row["display_name"] for row in payload["ranking"]]
        assert names == ["Voluntario/a anónimo/a", "Temprana", "Tardía"], window
        assert [row["rank"] for row in payload["ranking"]] == [1, 2, 3]
    assert (
        "Oculta"
        not in client.get(reverse("campaign_dashboard", args=[arc_campaign.slug])).content.decode()
    )


def test_api_ranking_rejects_unknown_windows(client, arc_campaign):
    response = client.get(reverse("api_ranking", args=[arc_campaign.slug]), {"window": "1y"})
    assert response.status_code == 400
    assert "window" in response.json()["error"]


def test_api_hides_draft_campaigns_from_the_public(client, organizer):
    draft = campaign_create(
        slug="privada", name="Privada", preset="okapi_arc", organizers=[organizer]
    )
    assert draft.status == Campaign.Status.DRAFT
    assert client.get(reverse("api_progress", args=[draft.slug])).status_code == 404
    assert client.get(reverse("campaign_dashboard", args=[draft.slug])).status_code == 404
    client.force_login(organizer)
    assert client.get(reverse("api_progress", args=[draft.slug])).status_code == 200


def test_api_keeps_nothing_an_organizer_sees_of_a_draft_for_the_public(client, organizer):
    draft = campaign_create(
        slug="privada", name="Privada", preset="okapi_arc", organizers=[organizer]
    )
    as_organizer = Client()
    as_organizer.force_login(organizer)
    for name in ("api_progress", "api_ranking"):
        assert as_organizer.get(reverse(name, args=[draft.slug])).status_code == 200
        assert client.get(reverse(name, args=[draft.slug])).status_code == 404


def test_api_answers_from_the_cache_without_the_database(
    client, arc_campaign, volunteer, django_assert_num_queries
):
    _answer(arc_campaign, volunteer, 3)
    for name in ("api_progress", "api_ranking"):
        first = client.get(reverse(name, args=[arc_campaign.slug])).json()
        with django_assert_num_queries(0):
            assert client.get(reverse(name, args=[arc_campaign.slug])).json() == first


def test_top_share_of_the_most_active_tenth(arc_campaign):
    people = [UserFactory() for _ in range(10)]
    _answer(arc_campaign, people[0], 10)
    for person in people[1:]:
        _answer(arc_campaign, person, 1)
    assert top_share(campaign=arc_campaign) == pytest.approx(10 / 19)
    assert len(ranking_for_campaign(campaign=arc_campaign, window="7d")) == 10


def test_global_dashboard_lists_benchmarks(client, arc_campaign, volunteer):
    _answer(arc_campaign, volunteer, 1)
    page = client.get(reverse("global_dashboard"))
    assert page.context["people"] == 1 and page.context["answers"] == 1
    assert "ARC test" in page.content.decode()
