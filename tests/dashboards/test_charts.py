"""The dashboard's charts: answers per day drawn in whole days, however many days there are."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone, translation

from annotation.services import response_submit
from dashboards.dash_apps import DAY_MS, campaign_figures
from dashboards.models import CampaignDay
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def _daily(campaign):
    daily, _map = campaign_figures(campaign.slug, None)
    return daily


def test_daily_chart_without_answers_says_so_instead_of_empty_axes(arc_campaign):
    with translation.override("es"):
        daily = _daily(arc_campaign)
    assert not daily.data
    assert daily.layout.xaxis.visible is False and daily.layout.yaxis.visible is False
    assert daily.layout.annotations[0].text == (
        "Aún no hay respuestas: el gráfico empieza con la primera."
    )


def test_daily_chart_with_one_day_draws_a_day_wide_bar_in_a_week(arc_campaign):
    response_submit(
        record=arc_campaign.records.first(), user=UserFactory(), values={"verdict": "correct"}
    )
    with translation.override("es"):
        daily = _daily(arc_campaign)
    assert daily.layout.xaxis.type == "date" and daily.layout.xaxis.dtick == DAY_MS
    start, end = daily.layout.xaxis.range
    today = timezone.now().date()
    # The six days before the first answer are in the frame: one bar is not the whole plot.
    assert start.startswith(str(today - timedelta(days=7))) and "T12:00" in start
    assert end.startswith(str(today)) and "T12:00" in end
    assert daily.layout.xaxis.tick0 == str(today - timedelta(days=6))
    assert daily.data[0].width == 0.8 * DAY_MS
    # Both counts start at zero, in whole answers, with the page's separators.
    for axis in (daily.layout.yaxis, daily.layout.yaxis2):
        assert axis.rangemode == "tozero" and axis.dtick == 1
    assert list(daily.data[1].y) == [1]
    assert daily.layout.separators == ",\xa0"
    with translation.override("en"):
        assert _daily(arc_campaign).layout.separators == ".,"


def test_daily_chart_over_two_months_keeps_about_ten_ticks(arc_campaign):
    today = timezone.now().date()
    CampaignDay.objects.bulk_create(
        CampaignDay(campaign=arc_campaign, day=today - timedelta(days=n), submitted=n + 1)
        for n in range(60)
    )
    daily = _daily(arc_campaign)
    assert daily.layout.xaxis.dtick == 6 * DAY_MS
    assert daily.layout.xaxis.tick0 == str(today - timedelta(days=59))
    assert list(daily.data[0].y) == list(range(60, 0, -1))
    # Large counts get Plotly's own steps, still from zero.
    assert daily.layout.yaxis.dtick is None and daily.layout.yaxis.rangemode == "tozero"
