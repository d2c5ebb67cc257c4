"""Site-wide middleware."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.core.exceptions import DisallowedHost
from django.db import DEFAULT_DB_ALIAS, connections
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import gettext_lazy as _

DASH_PREFIX = "/django_plotly_dash/"
API_PREFIX = "/api/"

API_ERRORS = {
    400: _("The request is not valid."),
    403: _("You may not do this."),
    404: _("Not found."),
    405: _("This address does not take this method."),
    413: _("The request is too large."),
    429: _("Too many requests: please wait a moment and try again."),
    500: _("Server error: please try again later."),
}
API_ERROR_OTHER = _("The request failed.")


class DatabasePoolCheckMiddleware:
    """After a server error, have the database pool test its idle connections.

    A PostgreSQL restart ends every session, but the pool learns of it one connection at a
    time, from the request that uses it: each idle connection would fail a request in turn.
    Checking them all after the first failure leaves it at that one request, and costs
    nothing while requests succeed (a check on every checkout would cost a round trip).
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if response.status_code >= 500:
            pool = getattr(connections[DEFAULT_DB_ALIAS], "pool", None)
            if pool is not None and not pool.closed:
                pool.check()
        return response


class DashSameOriginFrameMiddleware:
    """Let the site's own pages frame its Dash charts; all else keeps X-Frame-Options DENY.

    Dash's error pages too, as they keep the site's CSP (frame-ancestors 'none').
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if response.status_code < 400 and request.path.startswith(DASH_PREFIX):
            # Set before XFrameOptionsMiddleware sees the response, which then keeps it.
            response.headers["X-Frame-Options"] = "SAMEORIGIN"
        return response


def _policy_header() -> str:
    if settings.SOMOS_CSP_REPORT_ONLY:
        return "Content-Security-Policy-Report-Only"
    return "Content-Security-Policy"


def csp_header_value(policy: dict[str, list[str]]) -> str:
    """Serialise a {directive: [sources]} policy as a Content-Security-Policy header value."""
    return "; ".join(" ".join([directive, *sources]) for directive, sources in policy.items())


class ContentSecurityPolicyMiddleware:
    """Send the Content-Security-Policy of settings.SOMOS_CSP with every HTML response.

    Error pages included: it stands first in MIDDLEWARE, so it also sees the responses made
    for an exception raised in another middleware. Dash's frames get the directives of
    SOMOS_CSP_DASH instead, the few relaxations its renderer needs; nothing else does, not
    even an error page under Dash's address. With DEBUG, Django's own debug pages (inline
    style and script) get 'unsafe-inline', and only they do.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.header = _policy_header()
        self.site_policy = settings.SOMOS_CSP
        self.dash_policy = {**settings.SOMOS_CSP, **settings.SOMOS_CSP_DASH}
        inline = ["'self'", "'unsafe-inline'"]
        self.debug_page_policy = {**settings.SOMOS_CSP, "script-src": inline, "style-src": inline}

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if self.header in response.headers or not response.get("Content-Type", "").startswith(
            "text/html"
        ):
            return response
        if response.status_code < 400 and request.path.startswith(DASH_PREFIX):
            policy = self.dash_policy
        elif _is_debug_page(response):
            policy = self.debug_page_policy
        else:
            policy = self.site_policy
        response.headers[self.header] = csp_header_value(self._with_websockets(request, policy))
        return response

    @staticmethod
    def _with_websockets(request: HttpRequest, policy: dict[str, list[str]]) -> dict:
        # 'self' covers ws:/wss: of the same host only in newer browsers: name them outright.
        try:
            host = request.get_host()
        except DisallowedHost:
            return policy
        socket = f"{'wss' if request.is_secure() else 'ws'}://{host}"
        return {**policy, "connect-src": [*policy.get("connect-src", ["'self'"]), socket]}


def asgi_security_headers(*, secure: bool) -> list[tuple[bytes, bytes]]:
    """Return the headers the middleware give every page, for answers made outside Django.

    The request-body limit (somos_site/body_limit.py) answers before Django sees the request.
    """
    headers = {
        _policy_header(): csp_header_value(settings.SOMOS_CSP),
        "X-Frame-Options": settings.X_FRAME_OPTIONS,
    }
    if settings.SECURE_CONTENT_TYPE_NOSNIFF:
        headers["X-Content-Type-Options"] = "nosniff"
    if settings.SECURE_REFERRER_POLICY:
        headers["Referrer-Policy"] = settings.SECURE_REFERRER_POLICY
    if settings.SECURE_CROSS_ORIGIN_OPENER_POLICY:
        headers["Cross-Origin-Opener-Policy"] = settings.SECURE_CROSS_ORIGIN_OPENER_POLICY
    if secure and settings.SECURE_HSTS_SECONDS:
        hsts = f"max-age={settings.SECURE_HSTS_SECONDS}"
        if settings.SECURE_HSTS_INCLUDE_SUBDOMAINS:
            hsts += "; includeSubDomains"
        if settings.SECURE_HSTS_PRELOAD:
            hsts += "; preload"
        headers["Strict-Transport-Security"] = hsts
    return [(name.lower().encode(), value.encode()) for name, value in headers.items()]


# Django's technical 404 and 500 pages (and its CSRF failure page) carry this tag near the top.
_DEBUG_PAGE_MARK = b'<meta name="robots" content="NONE,NOARCHIVE">'


def _is_debug_page(response: HttpResponse) -> bool:
    """Say whether response is one of Django's debug pages, which only DEBUG serves."""
    return (
        settings.DEBUG
        and response.status_code >= 400
        and not response.streaming
        and _DEBUG_PAGE_MARK in response.content[:2000]
    )


class ApiErrorMiddleware:
    """Answer every error under /api/ as JSON, as the API's own answers are.

    Not found, a method refused, a server error, whichever layer made the response: scripts
    reading the API get {"error": "..."} with the same status and the headers that matter.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if (
            response.status_code < 400
            or not request.path.startswith(API_PREFIX)
            or response.get("Content-Type", "").startswith("application/json")
        ):
            return response
        answer = JsonResponse(
            {"error": str(API_ERRORS.get(response.status_code, API_ERROR_OTHER))},
            status=response.status_code,
        )
        for name in ("Allow", "Retry-After", "Vary", "Content-Language"):
            if name in response.headers:
                answer.headers[name] = response.headers[name]
        answer.cookies = response.cookies
        return answer
