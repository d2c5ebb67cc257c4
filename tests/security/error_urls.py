"""The site's URLs and a few views that fail on purpose, for the error-page tests."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, SuspiciousOperation
from django.http import HttpRequest, HttpResponse
from django.urls import include, path

from somos_site import urls as site_urls
from somos_site.ratelimit import too_many_requests

# The site's own error handler, as in production (Django's when the site has none).
handler400 = getattr(site_urls, "handler400", "django.views.defaults.bad_request")


def crash(request: HttpRequest) -> HttpResponse:
    raise RuntimeError("a bug")


def denied(request: HttpRequest) -> HttpResponse:
    raise PermissionDenied


def suspicious(request: HttpRequest) -> HttpResponse:
    raise SuspiciousOperation("a forged request")


def busy(request: HttpRequest) -> HttpResponse:
    return too_many_requests(request, 30)


urlpatterns = [
    path("failing/crash/", crash),
    path("failing/denied/", denied),
    path("failing/suspicious/", suspicious),
    path("failing/busy/", busy),
    path("api/failing/crash", crash),
    path("django_plotly_dash/failing/crash/", crash),
    path("", include("somos_site.urls")),
]
