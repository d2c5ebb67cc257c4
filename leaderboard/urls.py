from __future__ import annotations

from django.urls import path

from leaderboard import views

urlpatterns = [
    path("leaderboard/", views.leaderboard_registry, name="leaderboard_registry"),
    path("leaderboard/<slug:slug>/", views.leaderboard_dataset, name="leaderboard_dataset"),
    path(
        "leaderboard/<slug:slug>/versions/<int:number>/publish/",
        views.leaderboard_version_publish,
        name="leaderboard_version_publish",
    ),
    path("organize/<slug:slug>/export/", views.campaign_export_page, name="campaign_export"),
    path("jobs/<int:job_id>/download/", views.job_result_download, name="job_result_download"),
    path(
        "organize/<slug:slug>/export/target/",
        views.campaign_export_target,
        name="campaign_export_target",
    ),
]
