from __future__ import annotations

from django.urls import path

from annotation import review_views, views

urlpatterns = [
    path("campaigns/<slug:slug>/join/", views.join, name="campaign_join"),
    path("campaigns/<slug:slug>/annotate/", views.annotate_next, name="annotate"),
    path(
        "campaigns/<slug:slug>/annotate/<int:record_id>/",
        views.annotate_record,
        name="annotate_record",
    ),
    path("me/contributions/", views.my_contributions, name="my_contributions"),
    path("campaigns/<slug:slug>/review/", review_views.review_queue, name="campaign_review_queue"),
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
]
