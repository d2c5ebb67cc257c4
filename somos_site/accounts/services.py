"""Writes on volunteer profiles."""

from __future__ import annotations

import re

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction

from somos_site.accounts.models import Profile
from somos_site.accounts.names import display_name_normalise

# Hugging Face usernames: what the profile form accepts, and what a login may show in public.
HUGGINGFACE_USERNAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,95}$")


def profile_get_or_create(*, user: AbstractBaseUser) -> Profile:
    """Return the user's profile, creating an empty one on first use."""
    profile, _created = Profile.objects.get_or_create(user=user)
    return profile


@transaction.atomic
def profile_update(*, user: AbstractBaseUser, **fields: object) -> Profile:
    """Set the given profile fields for the user, refusing a display name unfit to show."""
    # Every caller lands here (the profile form, the demo, Argilla placeholders named after
    # their Argilla username): full_clean runs the display name's validator, and its
    # ValidationError names the field.
    if "display_name" in fields:
        fields["display_name"] = display_name_normalise(str(fields["display_name"] or ""))
    profile = profile_get_or_create(user=user)
    for name, value in fields.items():
        setattr(profile, name, value)
    profile.full_clean()
    profile.save()
    return profile


def profile_link_huggingface(*, user: AbstractBaseUser, claims: dict) -> Profile:
    """Record the Hugging Face identity from an OpenID Connect login."""
    # The claims' full name is not copied to the display name any more: it is whatever the
    # account holder typed on Hugging Face, often their legal name, never chosen for Somos.
    # Their public name is the username they just proved, once they opt in.
    profile = profile_get_or_create(user=user)
    username = str(claims.get("preferred_username") or "")
    if not HUGGINGFACE_USERNAME.match(username):
        return profile
    changed = []
    if profile.huggingface_username != username:
        profile.huggingface_username = username
        changed.append("huggingface_username")
    if profile.huggingface_verified_username != username:
        profile.huggingface_verified_username = username
        changed.append("huggingface_verified_username")
    if changed:
        profile.save(update_fields=[*changed, "updated_at"])
    return profile
