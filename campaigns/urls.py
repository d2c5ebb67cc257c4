from __future__ import annotations

from django.urls import path

from campaigns import job_views, organize_views

urlpatterns = [
    path("jobs/<int:job_id>/", job_views.job_detail, name="job_detail"),
    path("jobs/<int:job_id>/state.json", job_views.job_state_json, name="job_state"),
    path("jobs/<int:job_id>/cancel/", job_views.job_cancel_view, name="job_cancel"),
    path("organize/", organize_views.organize_index, name="organize_index"),
    path("organize/new/", organize_views.campaign_new, name="campaign_new"),
    path("organize/<slug:slug>/", organize_views.campaign_manage, name="campaign_manage"),
    path("organize/<slug:slug>/import/", organize_views.campaign_import, name="campaign_import"),
    path("organize/<slug:slug>/preview/", organize_views.campaign_preview, name="campaign_preview"),
    path(
        "organize/<slug:slug>/settings/", organize_views.campaign_settings, name="campaign_settings"
    ),
    path("organize/<slug:slug>/status/", organize_views.campaign_status, name="campaign_status"),
    path(
        "organize/<slug:slug>/organizers/",
        organize_views.campaign_organizers,
        name="campaign_organizers",
    ),
]
