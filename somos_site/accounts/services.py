"""Writes on volunteer profiles."""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction

from somos_site.accounts.models import Profile


def profile_get_or_create(*, user: AbstractBaseUser) -> Profile:
    """Return the user's profile, creating an empty one on first use."""
    profile, _created = Profile.objects.get_or_create(user=user)
    return profile


@transaction.atomic
def profile_update(*, user: AbstractBaseUser, **fields: object) -> Profile:
    """Set the given profile fields for the user."""
    profile = profile_get_or_create(user=user)
    for name, value in fields.items():
        setattr(profile, name, value)
    profile.full_clean()
    profile.save()
    return profile


def profile_link_huggingface(*, user: AbstractBaseUser, claims: dict) -> Profile:
    """Record the Hugging Face identity from an OpenID Connect login."""
    profile = profile_get_or_create(user=user)
    username = str(claims.get("preferred_username") or "")[:96]
    changed = False
    if username and profile.huggingface_username != username:
        profile.huggingface_username = username
        changed = True
    if not profile.display_name and claims.get("name"):
        profile.display_name = str(claims["name"])[:80]
        changed = True
    if changed:
        profile.save()
    return profile
