"""Public pages as visitors who are not signed in see them, kept a moment in the shared cache.

A launch brings crowds who are not signed in, and they all see the same page in their
language: it is rendered once per PAGE_SECONDS, path and language, and served from Redis
meanwhile (no view, no template, no database). Only such visitors' GETs without a query string
and without a message waiting are served or kept; a signed-in visitor's page never is. The
page's forms carry a CSRF token (the language switch on every page): the kept copy is cut at
the token and joined with this visitor's own, freshly masked as Django masks each response's.
Whatever changes what a page shows beyond its figures (a campaign's name or visibility, a new
guide version) forgets its pages once it commits.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import wraps

from django.conf import settings
from django.contrib.messages import get_messages
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import get_token
from django.utils.translation import get_language

from somos_site.cache import forget

# As long as the JSON figures are kept (dashboards.views.API_CACHE_SECONDS): the live feed
# moves the numbers on from there.
PAGE_SECONDS = 2
# What {% csrf_token %} writes.
_FORM_TOKEN = re.compile(rb'name="csrfmiddlewaretoken" value="([^"]+)"')


def anonymous_page_cached(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Serve the view's page from the shared cache to visitors who are not signed in."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not _same_for_everyone(request):
            return view(request, *args, **kwargs)
        key = _page_key(get_language(), request.path)
        kept = cache.get(key)
        if kept is None:
            response = view(request, *args, **kwargs)
            kept = _keepable(request, response)
            if kept is not None:
                cache.set(key, kept, PAGE_SECONDS)
            return response
        content_type, parts = kept
        token = get_token(request).encode() if len(parts) > 1 else b""
        return HttpResponse(token.join(parts), content_type=content_type)

    return wrapper


def anonymous_pages_forget(*paths: str) -> None:
    """Forget the kept copies of these pages, in every language, once the change commits."""
    forget(*(_page_key(code, path) for code, _name in settings.LANGUAGES for path in paths))


def _page_key(language: str, path: str) -> str:
    return f"somos:page:{language}:{path}"


def _same_for_everyone(request: HttpRequest) -> bool:
    # A visitor without a session cookie costs no session or user lookup here.
    return (
        request.method == "GET"
        and not request.META.get("QUERY_STRING")
        and not request.user.is_authenticated
        # Counting the waiting messages reads them without marking them shown.
        and not len(get_messages(request))
    )


def _keepable(request: HttpRequest, response: HttpResponse) -> tuple[str, list[bytes]] | None:
    """The page cut at this visitor's CSRF token, or None if it must not be kept."""
    if (
        response.status_code != 200
        or response.streaming
        or response.cookies
        or set(response.headers) != {"Content-Type"}
    ):
        return None
    content = response.content
    tokens = {found[1] for found in _FORM_TOKEN.finditer(content)}
    if len(tokens) > 1 or (request.META.get("CSRF_COOKIE_NEEDS_UPDATE") and not tokens):
        # A token written anywhere but in a form, or two different ones: this visitor's
        # token could not be told from the page, so the page is not kept.
        return None
    parts = content.split(tokens.pop()) if tokens else [content]
    return response["Content-Type"], parts
