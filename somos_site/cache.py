"""The one caching helper: Django's cache (Redis through django-redis) and a process-local copy.

Pages read a few things on every request that change once in a while: a campaign by slug, its
questions, the current guide version and its HTML, the signed-in user's row. `cached` keeps
such a value in the shared cache and, for LOCAL_SECONDS, in this process too, so most requests
ask neither Redis nor PostgreSQL. Two rules keep it easy to reason about:

- Forget after commit, never before: `forget` waits for the transaction that changed the data,
  or another request of this process could cache the old row again in between.
- Other processes may serve their local copy for up to LOCAL_SECONDS after a change; whatever
  must not wait that long (an answer's validation, a permission check that protects data) reads
  the database again inside its own transaction.

While Redis is down the shared cache misses and drops writes (django-redis's IGNORE_EXCEPTIONS),
so pages keep working on PostgreSQL alone.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Hashable
from typing import Any, TypeVar

from django.core.cache import cache
from django.db import transaction
from django.db.models import Model
from django_redis.pool import ConnectionFactory

T = TypeVar("T")

LOCAL_SECONDS = 5.0
# A bound on this process's copies: a flood of distinct keys cannot grow memory for good.
LOCAL_LIMIT = 10_000

_local: dict[Hashable, tuple[float, Any]] = {}


def cached(
    key: str,
    build: Callable[[], T],
    *,
    timeout: float | None,
    shared: bool = True,
    local: bool | Callable[[T], bool] = True,
) -> T:
    """Return the value kept under key, building and keeping it when missing.

    timeout: seconds in the shared cache (None: only while the process copy lasts).
    shared: also keep it in Redis, for every process (never for secrets such as password hashes).
    local: keep a process copy for LOCAL_SECONDS; a callable decides from the value.
    None and False are values like any other: a missing campaign is remembered as missing.
    """
    held = _local.get(key)
    if held is not None and held[0] > time.monotonic():
        return held[1]
    boxed = cache.get(key) if shared else None
    if boxed is None:
        value = build()
        if shared:
            # Boxed, so that a cached None is told apart from a miss.
            cache.set(key, (value,), timeout)
    else:
        (value,) = boxed
    if local is True or (callable(local) and local(value)):
        if len(_local) >= LOCAL_LIMIT:
            _local.clear()
        _local[key] = (time.monotonic() + LOCAL_SECONDS, value)
    return value


def forget(*keys: str) -> None:
    """Drop the keys here and in the shared cache once the current transaction commits."""
    transaction.on_commit(lambda: _forget_now(keys))


def _forget_now(keys: tuple[str, ...]) -> None:
    for key in keys:
        _local.pop(key, None)
    cache.delete_many(list(keys))


def set_and_add(set_key: str, set_timeout: int, add_key: str, add_timeout: int) -> bool:
    """Set set_key to 1, then add add_key (1) if missing; say whether it was added.

    One round trip to Redis (a pipeline) where the shared cache is Redis, since this runs on
    every answer; two cache calls elsewhere.
    """
    client = getattr(cache, "client", None)
    if client is None or not hasattr(client, "get_client"):
        cache.set(set_key, 1, timeout=set_timeout)
        return cache.add(add_key, 1, timeout=add_timeout)
    pipe = client.get_client(write=True).pipeline(transaction=False)
    # django-redis keeps integers unserialised, so cache.get reads these as 1.
    pipe.set(cache.make_key(set_key), 1, ex=set_timeout)
    pipe.set(cache.make_key(add_key), 1, ex=add_timeout, nx=True)
    return bool(pipe.execute()[1])


class SharedClientConnectionFactory(ConnectionFactory):
    """django-redis's factory, handing out one Redis client per connection pool.

    Django makes a cache object per thread and per async context, so under ASGI every request
    got a new client over the shared pool; building one costs more than the GET it then sends.
    A client is thread-safe (each command borrows a pooled connection), so one serves them all.
    """

    _clients: dict[int, Any] = {}

    def get_connection(self, params: dict[str, Any]) -> Any:
        pool = self.get_or_create_connection_pool(params)
        client = self._clients.get(id(pool))
        if client is None:
            client = self._clients[id(pool)] = super().get_connection(params)
        return client


def forget_local_copies() -> None:
    """Drop every copy this process keeps (tests, after emptying the shared cache)."""
    _local.clear()


def model_row(instance: Model) -> tuple:
    """Return the instance's concrete field values, to keep as a copy."""
    return tuple(getattr(instance, name) for name in _field_names(type(instance)))


def model_from_row(model: type[Model], row: tuple) -> Model:
    """Return a new instance from a kept row: nothing one request caches on it reaches another."""
    return model.from_db("default", _field_names(model), row)


def _field_names(model: type[Model]) -> list[str]:
    return [field.attname for field in model._meta.concrete_fields]


class OnceAMinute(logging.Filter):
    """Let one record a minute through: an outage is reported, not every call it fails."""

    def __init__(self) -> None:
        super().__init__()
        self._next = 0.0

    def filter(self, record: logging.LogRecord) -> bool:
        now = time.monotonic()
        if now < self._next:
            return False
        self._next = now + 60
        return True
