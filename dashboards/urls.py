from __future__ import annotations

from django.urls import path

# Importing the Dash apps registers them with django-plotly-dash; here rather than at start-up
# so that management commands and workers do not pay for loading Dash.
from dashboards import dash_apps, views  # noqa: F401

urlpatterns = [
    path("", views.home, name="home"),
    path("campaigns/", views.campaign_list, name="campaign_list"),
    path("campaigns/<slug:slug>/", views.campaign_detail, name="campaign_detail"),
    path("dashboard/", views.global_dashboard, name="global_dashboard"),
    path("campaigns/<slug:slug>/dashboard/", views.campaign_dashboard, name="campaign_dashboard"),
    path("api/campaigns/<slug:slug>/progress", views.api_progress, name="api_progress"),
    path("api/campaigns/<slug:slug>/ranking", views.api_ranking, name="api_ranking"),
]
