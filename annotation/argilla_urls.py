from __future__ import annotations

from django.urls import path

from annotation.argilla import views

urlpatterns = [
    path("argilla/webhook/", views.webhook, name="argilla_webhook"),
    path("argilla/annotator/", views.annotator, name="argilla_annotator"),
    path("organize/<slug:slug>/argilla-sync/", views.sync_start, name="argilla_sync_start"),
]
