"""Authentication backends that spare the user query on most requests."""

from __future__ import annotations

from allauth.account.auth_backends import AuthenticationBackend
from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend

from somos_site.cache import cached, forget, model_from_row, model_row

# Every signed-in request loads its user; volunteers make one or two a second. Each process
# keeps the row for the cache's LOCAL_SECONDS, so a change made in another process
# (deactivation, a new password that ends other sessions, staff rights) takes effect within
# those seconds; the process that saves the user forgets its copy when the save commits.
# Process memory only: password hashes never go to the shared cache.


def _user_key(user_id: object) -> str:
    return f"user-row:{user_id}"


def user_row_forget(user_id: object) -> None:
    """Drop this process's copy of the user once the change commits."""
    forget(_user_key(user_id))


class _RecentUserMixin:
    def get_user(self, user_id):
        user_model = get_user_model()
        try:
            key = user_model._meta.pk.to_python(user_id)
        except Exception:
            return None

        def load() -> tuple | None:
            user = super(_RecentUserMixin, self).get_user(user_id)
            return model_row(user) if user is not None else None

        row = cached(_user_key(key), load, timeout=None, shared=False, local=bool)
        if row is None:
            return None
        user = model_from_row(user_model, row)
        return user if self.user_can_authenticate(user) else None


class RecentUserModelBackend(_RecentUserMixin, ModelBackend):
    """Django's ModelBackend, with the user row kept briefly per process."""


class RecentUserAllauthBackend(_RecentUserMixin, AuthenticationBackend):
    """django-allauth's backend, with the user row kept briefly per process."""
