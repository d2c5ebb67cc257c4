"""Rate limits for the site's own endpoints, counted in the shared cache.

Each scope of settings.SOMOS_RATE_LIMITS allows "count/period" requests per user (per IP
address for anonymous requests), e.g. "120/m" or "10/m,60/h". The window slides: the count of
the current fixed window plus the previous window's count weighted by how much of it still
lies within one period, so a burst across a window boundary gets no double allowance. Counters
are raised with INCR in Redis (atomic, shared by every web process); while Redis is unreachable
every request is let through, since a limit is not worth an outage.
"""

from __future__ import annotations

import functools
import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from http import HTTPStatus

from allauth.account.adapter import get_adapter
from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ImproperlyConfigured
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django_redis import get_redis_connection
from redis.exceptions import RedisError

PERIOD_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


@dataclass(frozen=True)
class Rate:
    count: int
    seconds: int


@functools.lru_cache(maxsize=64)
def rates_parse(text: str) -> tuple[Rate, ...]:
    """Read "120/m", "5/10m" or "10/m,60/h" (units s, m, h, d); an empty text means no limit."""
    rates = []
    for part in (piece.strip() for piece in text.split(",")):
        if not part:
            continue
        count, _slash, period = part.partition("/")
        number, unit = period[:-1] or "1", period[-1:]
        if not (count.isdigit() and number.isdigit() and unit in PERIOD_SECONDS):
            raise ImproperlyConfigured(
                f"Rate limit {part!r} is not count/period, e.g. 120/m, 5/10m or 60/h."
            )
        rates.append(Rate(int(count), int(number) * PERIOD_SECONDS[unit]))
    return tuple(rates)


def rates_for(scope: str) -> tuple[Rate, ...]:
    """Return the rates of one scope of settings.SOMOS_RATE_LIMITS."""
    try:
        return rates_parse(settings.SOMOS_RATE_LIMITS[scope])
    except KeyError:
        raise ImproperlyConfigured(f"SOMOS_RATE_LIMITS has no scope {scope!r}.") from None


def rate_limit_hit(*, scope: str, who: str, now: float | None = None) -> int | None:
    """Count one request of `who` in `scope`: None if allowed, else seconds to wait."""
    now = time.time() if now is None else now
    wait = None
    for rate in rates_for(scope):
        window, into = divmod(now, rate.seconds)
        key = f"ratelimit:{scope}:{who}:{rate.seconds}:{int(window)}"
        previous_key = f"ratelimit:{scope}:{who}:{rate.seconds}:{int(window) - 1}"
        # Kept for two periods: the next window weighs this one's count.
        timeout = 2 * rate.seconds + 1
        counts = _count_in_window(key, previous_key, timeout)
        if counts is None:
            continue  # Redis is down, or the key expired this instant: let the request through.
        current, previous = counts
        if previous * (1 - into / rate.seconds) + current > rate.count:
            wait = max(wait or 0, math.ceil(rate.seconds - into))
    return wait


def _count_in_window(key: str, previous_key: str, timeout: int) -> tuple[int, int] | None:
    """Add one to key (kept `timeout` seconds) and read previous_key; None when unknown."""
    try:
        client = get_redis_connection("default")
    except NotImplementedError:
        # Not Redis (the embedded in-memory cache): three calls through the cache API.
        cache.add(key, 0, timeout=timeout)
        try:
            current = cache.incr(key)
        except ValueError:
            return None
        return current, cache.get(previous_key, 0)
    # Redis: one round trip on every submit instead of three.
    key, previous_key = cache.make_and_validate_key(key), cache.make_and_validate_key(previous_key)
    try:
        pipeline = client.pipeline(transaction=False)
        pipeline.incr(key)
        pipeline.expire(key, timeout, nx=True)
        pipeline.get(previous_key)
        count, _expiry, previous = pipeline.execute()
    except RedisError:
        return None
    return int(count), int(previous or 0)


def _who(request: HttpRequest) -> str:
    if request.user.is_authenticated:
        return f"user:{request.user.pk}"
    # allauth's reading of the client address, which honours ALLAUTH_TRUSTED_PROXY_COUNT.
    return f"ip:{get_adapter().get_client_ip(request)}"


def too_many_requests(request: HttpRequest, retry_after: int | None = None) -> HttpResponse:
    """Answer 429: the site's page for browsers, a short JSON body for scripts."""
    if request.accepts("text/html"):
        response = render(
            request, "429.html", {"retry_after": retry_after}, status=HTTPStatus.TOO_MANY_REQUESTS
        )
    else:
        response = JsonResponse(
            {"error": _("Too many requests: please wait a moment and try again.")},
            status=HTTPStatus.TOO_MANY_REQUESTS,
        )
    if retry_after:
        response.headers["Retry-After"] = str(retry_after)
    return response


def rate_limited(scope: str, *, methods: tuple[str, ...] = ("POST",)) -> Callable:
    """Answer 429 once a user (or an anonymous IP address) exceeds the rates of `scope`."""
    # A missing scope or a malformed rate stops the site at start, not at the first request.
    rates_for(scope)

    def decorator(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @functools.wraps(view)
        def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
            if request.method in methods:
                wait = rate_limit_hit(scope=scope, who=_who(request))
                if wait is not None:
                    return too_many_requests(request, wait)
            return view(request, *args, **kwargs)

        return wrapper

    return decorator
