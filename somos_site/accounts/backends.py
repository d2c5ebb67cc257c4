"""Authentication backends that spare the user query on most requests."""

from __future__ import annotations

from allauth.account.auth_backends import AuthenticationBackend
from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend

from somos_site.cache import ProcessCopies, model_from_row, model_row

# Every signed-in request loads its user; volunteers make one or two a second. Each process
# keeps the row this long, so a change made in another process (deactivation, a new
# password that ends other sessions, staff rights) takes effect within these seconds; the
# process that saves the user forgets its copy at once. Process memory only: password
# hashes never go to the shared cache.
RECENT_SECONDS = 5.0
_recent = ProcessCopies(RECENT_SECONDS)


def recent_user_forget(user_id: int) -> None:
    """Drop this process's copy of the user (after it changed)."""
    _recent.forget(user_id)


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
        row = _recent.get(key)
        if row is None:
            user = super().get_user(user_id)
            if user is not None:
                _recent.keep(key, model_row(user))
            return user
        user = model_from_row(user_model, row)
        return user if self.user_can_authenticate(user) else None


class RecentUserModelBackend(_RecentUserMixin, ModelBackend):
    """Django's ModelBackend, with the user row kept briefly per process."""


class RecentUserAllauthBackend(_RecentUserMixin, AuthenticationBackend):
    """django-allauth's backend, with the user row kept briefly per process."""
