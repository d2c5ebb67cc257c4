"""The Redis cache: one connection pool per process, and pages that outlive a Redis outage."""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

from django.core.cache import cache
from django.core.cache.backends.redis import RedisCache, RedisCacheClient
from django.db.models import Model
from django.utils.functional import cached_property
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)

# After a failure, Redis is left alone this long: a page then costs no connect timeout.
OUTAGE_BACKOFF_S = 5.0

_clients: dict[tuple, RedisCacheClient] = {}
_clients_lock = threading.Lock()


class _Outage:
    """When this process last found Redis down; shared by every cache object of the process."""

    until = 0.0

    @classmethod
    def active(cls) -> bool:
        return time.monotonic() < cls.until

    @classmethod
    def begin(cls, error: Exception) -> None:
        if not cls.active():
            logger.warning("Redis unavailable, caching off for %.0f s: %s", OUTAGE_BACKOFF_S, error)
        cls.until = time.monotonic() + OUTAGE_BACKOFF_S


def _fail_soft(method_name: str, fallback: Any):
    original = getattr(RedisCache, method_name)

    def method(self, *args, **kwargs):
        if _Outage.active():
            return fallback(*args, **kwargs) if callable(fallback) else fallback
        try:
            return original(self, *args, **kwargs)
        except RedisError as error:
            _Outage.begin(error)
            return fallback(*args, **kwargs) if callable(fallback) else fallback

    method.__name__ = method_name
    method.__doc__ = original.__doc__
    return method


class _ReusedClient(RedisCacheClient):
    """Django's client, keeping one redis.Redis per pool instead of building one per call."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._redis_by_pool: dict[int, Any] = {}

    def get_client(self, key=None, *, write=False):
        pool = self._get_connection_pool(write)
        client = self._redis_by_pool.get(id(pool))
        if client is None:
            # redis.Redis() looks up driver metadata on every construction; it is
            # thread-safe once built, since each command borrows a pooled connection.
            client = self._redis_by_pool[id(pool)] = self._client(connection_pool=pool)
        return client


def _default_of_get(key, default=None, version=None):
    return default


_clear = _fail_soft("clear", False)


class SharedRedisCache(RedisCache):
    """Django's RedisCache with a process-wide client, failing soft while Redis is down.

    Django builds a cache object per thread and per async context, so under ASGI each
    request got a new client, a new pool and a new TCP connection (plus its HELLO and
    health check): a fifth of the annotate page's CPU. Here every cache object of the
    process shares one client per configuration, and redis-py's pool is thread-safe.

    A cache is a cache: while Redis is unreachable, reads miss and writes are dropped
    (logged once per outage), so pages keep working on PostgreSQL alone.
    """

    def __init__(self, server, params) -> None:
        super().__init__(server, params)
        self._class = _ReusedClient

    @cached_property
    def _cache(self) -> RedisCacheClient:
        key = (tuple(self._servers), tuple(sorted((k, repr(v)) for k, v in self._options.items())))
        with _clients_lock:
            client = _clients.get(key)
            if client is None:
                client = _clients[key] = self._class(self._servers, **self._options)
            return client

    get = _fail_soft("get", _default_of_get)
    get_many = _fail_soft("get_many", lambda *args, **kwargs: {})
    set = _fail_soft("set", None)
    set_many = _fail_soft("set_many", lambda *args, **kwargs: [])
    add = _fail_soft("add", False)
    touch = _fail_soft("touch", False)
    delete = _fail_soft("delete", False)
    delete_many = _fail_soft("delete_many", None)
    has_key = _fail_soft("has_key", False)

    def clear(self) -> bool:
        """Empty the shared cache and this process's local copies of it."""
        local_first_clear()
        return _clear(self)

    def count_in_window(self, key: str, previous_key: str, timeout: int) -> tuple[int, int] | None:
        """Add one to key (kept `timeout` seconds) and read previous_key, in one round trip.

        Returns (count, previous count), or None while Redis is down.
        """
        if _Outage.active():
            return None
        key, previous_key = (
            self.make_and_validate_key(key),
            self.make_and_validate_key(previous_key),
        )
        try:
            pipeline = self._cache.get_client(key, write=True).pipeline(transaction=False)
            pipeline.incr(key)
            pipeline.expire(key, timeout, nx=True)
            pipeline.get(previous_key)
            count, _expiry, previous = pipeline.execute()
        except RedisError as error:
            _Outage.begin(error)
            return None
        return int(count), int(previous or 0)

    def incr(self, key, delta=1, version=None):
        """Increment the value; while Redis is down this raises, as a missing key does."""
        if _Outage.active():
            raise ValueError(f"Key '{key}' not found (Redis unavailable)")
        try:
            return super().incr(key, delta, version)
        except RedisError as error:
            _Outage.begin(error)
            raise ValueError(f"Key '{key}' not found (Redis unavailable)") from error


class ProcessCopies:
    """Values this process keeps for a few seconds, at most `limit` of them."""

    def __init__(self, seconds: float, limit: int = 10_000) -> None:
        self.seconds = seconds
        self.limit = limit
        self._held: dict[Any, tuple[float, Any]] = {}

    def get(self, key: Any) -> Any:
        """The value if this process kept it within the last `seconds`, else None."""
        held = self._held.get(key)
        return held[1] if held is not None and held[0] > time.monotonic() else None

    def keep(self, key: Any, value: Any) -> None:
        if len(self._held) >= self.limit:
            self._held.clear()
        self._held[key] = (time.monotonic() + self.seconds, value)

    def forget(self, key: Any) -> None:
        self._held.pop(key, None)

    def clear(self) -> None:
        self._held.clear()


def model_row(instance: Model) -> tuple:
    """The instance's concrete field values, to keep as a copy."""
    return tuple(getattr(instance, name) for name in _field_names(type(instance)))


def model_from_row(model: type[Model], row: tuple) -> Model:
    """A new instance from a kept row: nothing one request caches on it reaches another."""
    return model.from_db("default", _field_names(model), row)


def _field_names(model: type[Model]) -> list[str]:
    return [field.attname for field in model._meta.concrete_fields]


# Read on every annotate request and changed by an organizer once in a while: the
# campaign's questions, its current guide version and that version's HTML. Each process
# keeps them this long before asking Redis again, so a change reaches other processes
# within these seconds; the process that makes the change forgets it at once.
LOCAL_SECONDS = 5.0
_local = ProcessCopies(LOCAL_SECONDS)


def local_first_get(key: str, default: Any = None) -> Any:
    """Return the value from this process's copy if fresh, else from the shared cache."""
    value = _local.get(key)
    if value is not None:
        return value
    value = cache.get(key)
    if value is None:
        return default
    _local.keep(key, value)
    return value


def local_first_set(key: str, value: Any, timeout: float, *, locally: bool = True) -> None:
    """Store in the shared cache, and in this process's copy unless told not to."""
    cache.set(key, value, timeout)
    if locally:
        _local.keep(key, value)


def local_first_forget(key: str) -> None:
    """Drop the value here and in the shared cache."""
    _local.forget(key)
    cache.delete(key)


def local_first_clear() -> None:
    """Forget every process-local copy (tests, after clearing the shared cache)."""
    _local.clear()
