"""Writes on volunteer profiles."""

from __future__ import annotations

import re
from datetime import timedelta

from django.contrib.auth.models import AbstractBaseUser
from django.db import OperationalError, transaction
from django.db.models import Q
from django.utils import timezone

from somos_site.accounts.models import ApiToken, Profile
from somos_site.accounts.names import display_name_normalise
from somos_site.accounts.tokens import TOKEN_START, token_generate, token_hash

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


# How stale a token's last use may be before a request writes it again.
LAST_USED_EVERY = timedelta(minutes=1)


def api_token_create(*, user: AbstractBaseUser, name: str) -> tuple[ApiToken, str]:
    """Create an API token for the user; return it and its value, which is stored nowhere."""
    raw, prefix = token_generate()
    token = ApiToken.objects.create(user=user, name=name, prefix=prefix, key_hash=token_hash(raw))
    return token, raw


def api_tokens_revoke(
    *, user: AbstractBaseUser, prefix: str | None = None, token_id: int | None = None
) -> int:
    """Revoke the user's live tokens, or only the one with this prefix or id; return how many."""
    tokens = ApiToken.objects.filter(user=user, revoked_at__isnull=True)
    if prefix is not None:
        tokens = tokens.filter(
            prefix=prefix if prefix.startswith(TOKEN_START) else TOKEN_START + prefix
        )
    if token_id is not None:
        tokens = tokens.filter(pk=token_id)
    return tokens.update(revoked_at=timezone.now())


def api_token_used(*, token: ApiToken) -> None:
    """Note that the token was just used; at most once a minute, so polling writes little."""
    now = timezone.now()
    if token.last_used_at is not None and now - token.last_used_at < LAST_USED_EVERY:
        return
    try:
        # Conditional: of simultaneous requests, one writes.
        ApiToken.objects.filter(pk=token.pk).filter(
            Q(last_used_at__isnull=True) | Q(last_used_at__lt=now - LAST_USED_EVERY)
        ).update(last_used_at=now)
    except OperationalError:
        # The note is informational: on embedded SQLite a long import holds the one writer's
        # lock, and a poll must not fail for it; the next use writes it.
        return
    token.last_used_at = now
