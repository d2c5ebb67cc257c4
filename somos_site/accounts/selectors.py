"""Reads on volunteer profiles."""

from __future__ import annotations

from collections.abc import Iterable

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import QuerySet

from somos_site.accounts.models import ApiToken, Profile
from somos_site.accounts.names import names_disambiguate, public_name
from somos_site.accounts.tokens import token_hash


def public_names(*, user_ids: Iterable[int]) -> dict[int, str]:
    """Return what the public sees of each user, no two named alike, in one query."""
    ids = list(user_ids)
    profiles = {
        user_id: (display_name, huggingface_username, public)
        for user_id, display_name, huggingface_username, public in Profile.objects.filter(
            user_id__in=ids
        ).values_list("user_id", "display_name", "huggingface_verified_username", "public_ranking")
    }
    # Someone without a profile never opted in.
    nobody = ("", "", False)
    names = []
    for user_id in ids:
        display_name, huggingface_username, public = profiles.get(user_id, nobody)
        names.append(
            (
                user_id,
                public_name(
                    user_id=user_id,
                    display_name=display_name,
                    huggingface_username=huggingface_username,
                    public=public,
                ),
            )
        )
    return names_disambiguate(names)


def languages_spoken(*, user: AbstractBaseUser | AnonymousUser) -> list[str]:
    """Return the language codes the volunteer's profile names: Spanish if a variety, then others.

    Empty for anonymous visitors and for profiles that name no language.
    """
    if not user.is_authenticated:
        return []
    row = (
        Profile.objects.filter(user=user).values_list("spanish_variety", "other_languages").first()
    )
    if row is None:
        return []
    spanish_variety, other_languages = row
    # The profile asks for a Spanish variety and, apart, for the "other" languages spoken.
    spoken = ["es"] if spanish_variety else []
    return [*spoken, *(code for code in other_languages or () if code not in spoken)]


def api_token_find(*, raw: str) -> ApiToken | None:
    """Return the live token with this value, with its user, if that user is active."""
    return (
        ApiToken.objects.select_related("user")
        .filter(key_hash=token_hash(raw), revoked_at__isnull=True, user__is_active=True)
        .first()
    )


def api_tokens_of(*, user: AbstractBaseUser) -> QuerySet[ApiToken]:
    """Return the user's live tokens, newest first."""
    return ApiToken.objects.filter(user=user, revoked_at__isnull=True).order_by(
        "-created_at", "-id"
    )
