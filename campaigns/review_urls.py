from __future__ import annotations

from django.urls import path

from campaigns import registry_views, review_views

urlpatterns = [
    path(
        "campaigns/<slug:slug>/review/",
        review_views.review_queue,
        name="campaign_review_queue",
    ),
    path(
        "campaigns/<slug:slug>/review/<int:record_id>/",
        review_views.review_record,
        name="campaign_review_record",
    ),
    path(
        "organize/<slug:slug>/agreement/",
        review_views.campaign_agreement_view,
        name="campaign_agreement",
    ),
    path(
        "organize/<slug:slug>/export/",
        review_views.campaign_export_download,
        name="campaign_export",
    ),
    path("leaderboard/", registry_views.leaderboard_registry, name="leaderboard_registry"),
    path(
        "leaderboard/<slug:slug>/",
        registry_views.leaderboard_dataset,
        name="leaderboard_dataset",
    ),
]
