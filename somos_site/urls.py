from __future__ import annotations

from django.contrib import admin
from django.urls import include, path

from somos_site.accounts import views as account_views

urlpatterns = [
    path("", include("dashboards.urls")),
    path("", include("campaigns.urls")),
    path("", include("guides.urls")),
    path("", include("annotation.urls")),
    path("", include("annotation.argilla_urls")),
    path("", include("leaderboard.urls")),
    path("django_plotly_dash/", include("django_plotly_dash.urls")),
    path("accounts/profile/", account_views.profile_edit, name="profile"),
    path("accounts/", include("allauth.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
]
