"""Authentication backends that spare the user query on most requests."""

from __future__ import annotations

import time

from allauth.account.auth_backends import AuthenticationBackend
from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend

# Every signed-in request loads its user; volunteers make one or two a second. Each process
# keeps the row this long, so a change made in another process (deactivation, a new
# password that ends other sessions, staff rights) takes effect within these seconds; the
# process that saves the user forgets its copy at once. Process memory only: password
# hashes never go to the shared cache.
RECENT_SECONDS = 5.0
_RECENT_LIMIT = 10_000
_recent: dict[int, tuple[float, tuple]] = {}


def recent_user_forget(user_id: int) -> None:
    """Drop this process's copy of the user (after it changed)."""
    _recent.pop(user_id, None)


def recent_users_clear() -> None:
    """Drop every copy this process keeps (tests)."""
    _recent.clear()


class _RecentUserMixin:
    def get_user(self, user_id):
        user_model = get_user_model()
        try:
            key = user_model._meta.pk.to_python(user_id)
        except Exception:
            return None
        held = _recent.get(key)
        now = time.monotonic()
        if held is None or held[0] <= now:
            user = super().get_user(user_id)
            if user is None:
                return None
            if len(_recent) >= _RECENT_LIMIT:
                _recent.clear()
            _recent[key] = (now + RECENT_SECONDS, _row_of(user))
            return user
        # A new instance per request: nothing one request caches on it reaches another.
        user = user_model.from_db("default", _field_names(), held[1])
        return user if self.user_can_authenticate(user) else None


def _field_names() -> list[str]:
    return [field.attname for field in get_user_model()._meta.concrete_fields]


def _row_of(user) -> tuple:
    return tuple(getattr(user, name) for name in _field_names())


class RecentUserModelBackend(_RecentUserMixin, ModelBackend):
    """Django's ModelBackend, with the user row kept briefly per process."""


class RecentUserAllauthBackend(_RecentUserMixin, AuthenticationBackend):
    """django-allauth's backend, with the user row kept briefly per process."""
