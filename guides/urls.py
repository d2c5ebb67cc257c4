from __future__ import annotations

from django.urls import path

from guides import views

urlpatterns = [
    path("campaigns/<slug:slug>/guide/", views.guide_page, name="guide"),
    path(
        "campaigns/<slug:slug>/guide/diff/<int:older>/<int:newer>/",
        views.guide_diff,
        name="guide_diff",
    ),
    path(
        "campaigns/<slug:slug>/guide/acknowledge/",
        views.guide_acknowledge_view,
        name="guide_acknowledge",
    ),
    path("campaigns/<slug:slug>/guide/ask/", views.guide_ask, name="guide_ask"),
    path("organize/<slug:slug>/guide/", views.guide_edit, name="guide_edit"),
    path("organize/<slug:slug>/questions/", views.guide_inbox, name="guide_inbox"),
    path(
        "organize/<slug:slug>/questions/<int:question_id>/",
        views.guide_question_act,
        name="guide_question_act",
    ),
]
