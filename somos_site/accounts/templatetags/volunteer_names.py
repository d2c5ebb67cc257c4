"""Template filters that name volunteers by the accounts' rule, never by their e-mail."""

from __future__ import annotations

from django import template
from django.core.exceptions import ObjectDoesNotExist

from somos_site.accounts.names import pseudonym

register = template.Library()


@register.filter
def known_as(user) -> str:
    """Return what organizers call the volunteer: chosen or proved name, else the pseudonym."""
    if user is None:
        return ""
    try:
        profile = user.profile
    except ObjectDoesNotExist:
        return pseudonym(user_id=user.pk)
    return profile.known_as
