from __future__ import annotations

from django.urls import path

from annotation import views

urlpatterns = [
    path("campaigns/<slug:slug>/join/", views.join, name="campaign_join"),
    path("campaigns/<slug:slug>/annotate/", views.annotate_next, name="annotate"),
    path(
        "campaigns/<slug:slug>/annotate/<int:record_id>/",
        views.annotate_record,
        name="annotate_record",
    ),
    path("me/contributions/", views.my_contributions, name="my_contributions"),
]
