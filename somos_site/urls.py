from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect
from django.template import loader
from django.urls import include, path, reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods

from somos_site.accounts import views as account_views
from somos_site.api.v1 import api as api_v1


@require_http_methods(["GET", "POST"])
def admin_login(request: HttpRequest) -> HttpResponse:
    """Staff: the admin signs in through the site's login page, never a login of its own.

    So every failed password counts against allauth's limits (ACCOUNT_RATE_LIMITS), wherever
    it was tried. Signed-in staff go on to the admin; anyone else signed in is refused, as
    sending them to the login page would send them straight back here.
    """
    next_url = request.GET.get("next", "")
    if not url_has_allowed_host_and_scheme(
        next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        next_url = reverse("admin:index")
    if not request.user.is_authenticated:
        return redirect(f"{reverse('account_login')}?{urlencode({'next': next_url})}")
    if request.user.is_active and request.user.is_staff:
        return redirect(next_url)
    raise PermissionDenied


def bad_request(request: HttpRequest, exception: Exception) -> HttpResponse:
    """Answer 400 with the site's page, rendered without the request.

    A bad Host header is refused before the middleware that set the user has run, and the
    context processors expect one (Django's own handler renders with them).
    """
    return HttpResponseBadRequest(loader.render_to_string("400.html"))


handler400 = bad_request

urlpatterns = [
    path("", include("dashboards.urls")),
    path("", include("campaigns.urls")),
    path("", include("guides.urls")),
    path("", include("annotation.urls")),
    path("", include("annotation.argilla_urls")),
    path("", include("leaderboard.urls")),
    path("api/v1/", api_v1.urls),
    path("django_plotly_dash/", include("django_plotly_dash.urls")),
    path("accounts/profile/", account_views.profile_edit, name="profile"),
    path("accounts/profile/tokens/", account_views.api_token_new, name="api_token_new"),
    path(
        "accounts/profile/tokens/<int:token_id>/revoke/",
        account_views.api_token_revoke,
        name="api_token_revoke",
    ),
    path("accounts/", include("allauth.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    # Before the admin's own, which this replaces (reverse("admin:login") still names it).
    path("admin/login/", admin_login),
    path("admin/", admin.site.urls),
]
