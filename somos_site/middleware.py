"""Site-wide middleware."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.core.exceptions import DisallowedHost
from django.db import DEFAULT_DB_ALIAS, connections
from django.http import HttpRequest, HttpResponse

DASH_PREFIX = "/django_plotly_dash/"


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
    """Let the site's own pages frame its Dash charts; all else keeps X-Frame-Options DENY."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if request.path.startswith(DASH_PREFIX):
            # Set before XFrameOptionsMiddleware sees the response, which then keeps it.
            response.headers["X-Frame-Options"] = "SAMEORIGIN"
        return response


def csp_header_value(policy: dict[str, list[str]]) -> str:
    """Serialise a {directive: [sources]} policy as a Content-Security-Policy header value."""
    return "; ".join(" ".join([directive, *sources]) for directive, sources in policy.items())


class ContentSecurityPolicyMiddleware:
    """Send the Content-Security-Policy of settings.SOMOS_CSP with every HTML response.

    Dash's frames get the directives of SOMOS_CSP_DASH instead, the few relaxations its
    renderer needs; nothing else does.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.header = (
            "Content-Security-Policy-Report-Only"
            if settings.SOMOS_CSP_REPORT_ONLY
            else "Content-Security-Policy"
        )
        self.site_policy = settings.SOMOS_CSP
        self.dash_policy = {**settings.SOMOS_CSP, **settings.SOMOS_CSP_DASH}

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if self.header in response.headers or not response.get("Content-Type", "").startswith(
            "text/html"
        ):
            return response
        if settings.DEBUG and response.status_code >= 400:
            # Django's technical error pages style and script themselves inline.
            return response
        policy = self.dash_policy if request.path.startswith(DASH_PREFIX) else self.site_policy
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
