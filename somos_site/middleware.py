"""Site-wide middleware."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

DASH_PREFIX = "/django_plotly_dash/"


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
