"""The campaign dashboard's charts have a table twin: answers per day and people by country."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import timezone

from annotation.services import response_submit
from somos_site.accounts.models import Profile
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_campaign_dashboard_shows_the_charts_figures_as_tables(client, arc_campaign):
    records = list(arc_campaign.records.order_by("id")[:3])
    for country, answered in (("AR", records[:2]), ("ES", records[2:])):
        user = UserFactory()
        Profile.objects.update_or_create(user=user, defaults={"country": country})
        for record in answered:
            response_submit(record=record, user=user, values={"verdict": "correct"})

    page = client.get(reverse("campaign_dashboard", args=[arc_campaign.slug]))

    assert page.context["by_day"] == [(timezone.localdate(), 3, 3)]
    assert page.context["by_country"] == [("Argentina", 1, 2), ("España", 1, 1)]
    body = page.content.decode()
    assert "Los gráficos en tablas" in body
    assert '<th scope="row">Argentina</th><td>1</td><td>2</td>' in body
