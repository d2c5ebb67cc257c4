from __future__ import annotations

from django.urls import path

from dashboards.consumers import CampaignProgressConsumer

websocket_urlpatterns = [
    path("ws/campaigns/<slug:slug>/progress/", CampaignProgressConsumer.as_asgi()),
]
