"""Plotly Dash charts of a campaign, served by django-plotly-dash from local assets."""

from __future__ import annotations

import math
from datetime import date, datetime, time, timedelta
from itertools import accumulate

import plotly.graph_objects as go
from dash import Input, Output, dcc, html
from django.utils.formats import get_format
from django.utils.translation import gettext as _
from django_countries import countries
from django_plotly_dash import DjangoDash

from campaigns.access import may_see
from campaigns.models import Campaign
from dashboards.selectors import contributors_by, daily_series

CHART_CONFIG = {"displayModeBar": False, "responsive": True}
# The world map's outlines ship with the site (plotly.js's topojson, public-domain Natural Earth).
MAP_CONFIG = {**CHART_CONFIG, "topojsonURL": "/static/dashboards/topojson/"}
BRAND = "#c2410c"

campaign_charts = DjangoDash("CampaignCharts", serve_locally=True)
campaign_charts.layout = html.Div(
    [
        dcc.Input(id="campaign-slug", type="hidden", value=""),
        dcc.Interval(id="refresh", interval=30_000),
        dcc.Graph(id="daily-chart", config=CHART_CONFIG, style={"height": "320px"}),
        dcc.Graph(id="country-map", config=MAP_CONFIG, style={"height": "360px"}),
    ],
    style={"fontFamily": "system-ui, sans-serif"},
)


@campaign_charts.expanded_callback(
    Output("daily-chart", "figure"),
    Output("country-map", "figure"),
    Input("campaign-slug", "value"),
    Input("refresh", "n_intervals"),
)
def campaign_figures(slug: str, _refreshes: int | None, user=None, **kwargs):
    """Draw the answers-per-day chart and the contributors map of one campaign."""
    campaign = Campaign.objects.filter(slug=slug or "").first()
    if campaign is None or not may_see(user, campaign):
        empty = go.Figure()
        return empty, empty
    return _daily_figure(campaign), _country_figure(campaign)


def _layout(title: str) -> dict:
    return {
        "title": {"text": title, "x": 0, "font": {"size": 15}},
        # Numbers on the axes as the page's language writes them (1.000,5 in Spanish).
        "separators": get_format("DECIMAL_SEPARATOR") + get_format("THOUSAND_SEPARATOR"),
        "margin": {"l": 40, "r": 10, "t": 40, "b": 30},
        "paper_bgcolor": "white",
        "plot_bgcolor": "white",
        "legend": {"orientation": "h", "y": -0.15},
    }


DAY_MS = 86_400_000


def _daily_figure(campaign: Campaign) -> go.Figure:
    series = daily_series(campaign=campaign)
    if not series:
        # Empty axes would show Plotly's default dates (the year 2000): say why instead.
        figure = go.Figure()
        figure.update_layout(
            **_layout(_("Answers per day")),
            xaxis={"visible": False},
            yaxis={"visible": False},
            annotations=[
                {
                    "text": _("No answers yet: the chart starts with the first one."),
                    "showarrow": False,
                    "xref": "paper",
                    "yref": "paper",
                    "x": 0.5,
                    "y": 0.5,
                    "font": {"size": 14, "color": "#4b5563"},
                }
            ],
        )
        return figure
    days = [day.isoformat() for day, _count in series]
    counts = [count for _day, count in series]
    figure = go.Figure()
    # Bars a day wide at most: with one day Plotly would stretch the bar over the whole plot.
    figure.add_bar(
        x=days, y=counts, name=_("Answers per day"), marker_color=BRAND, width=0.8 * DAY_MS
    )
    figure.add_scatter(
        x=days,
        y=list(accumulate(counts)),
        name=_("Cumulative"),
        yaxis="y2",
        mode="lines+markers",
        line={"color": "#1d2433"},
    )
    figure.update_layout(
        **_layout(_("Answers per day")),
        xaxis=_days_axis([day for day, _count in series]),
        yaxis=_count_axis(max(counts)),
        yaxis2={
            **_count_axis(sum(counts)),
            "overlaying": "y",
            "side": "right",
            "showgrid": False,
        },
    )
    return figure


# A campaign's first days are drawn in a week's frame, not as one bar across the whole plot.
SHORTEST_WINDOW_DAYS = 7


def _days_axis(days: list[date]) -> dict:
    """A date axis in whole days, a week at least, half a day of room either side, ~10 ticks."""
    if not days:
        return {"type": "date"}
    first = min(days[0], days[-1] - timedelta(days=SHORTEST_WINDOW_DAYS - 1))
    span = (days[-1] - first).days + 1
    return {
        "type": "date",
        "range": [
            (datetime.combine(first, time()) - timedelta(hours=12)).isoformat(),
            (datetime.combine(days[-1], time()) + timedelta(hours=12)).isoformat(),
        ],
        "tick0": first.isoformat(),
        "dtick": DAY_MS * math.ceil(span / 10),
        "tickformat": "%d/%m",
    }


def _count_axis(highest: int) -> dict:
    """A count axis from zero, in whole numbers: no 0.5 answers on a quiet day."""
    axis = {"rangemode": "tozero", "tickformat": ","}
    if highest <= 5:
        axis["dtick"] = 1
    return axis


def _country_figure(campaign: Campaign) -> go.Figure:
    rows = [row for row in contributors_by(campaign=campaign, field="country") if row[0]]
    figure = go.Figure(
        go.Choropleth(
            locations=[countries.alpha3(code) for code, _people, _answers in rows],
            z=[people for _code, people, _answers in rows],
            text=[countries.name(code) for code, _people, _answers in rows],
            colorscale="Oranges",
            marker_line_color="white",
            colorbar_title=_("People"),
        )
    )
    figure.update_layout(**_layout(_("Contributors by country")))
    figure.update_geos(showframe=False, projection_type="natural earth", showcoastlines=False)
    return figure
