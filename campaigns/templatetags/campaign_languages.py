"""Template filters that name languages by campaigns.languages, in the visitor's language."""

from __future__ import annotations

from django import template

from campaigns.languages import language_name as name_of_language

register = template.Library()


@register.filter
def language_label(code: str) -> str:
    """Return the language's name in the UI's language ("catalán"), or the code if unknown."""
    # Unlike Django's language_name_translated, a code Django does not know shows as itself.
    # Not called language_name: i18n has a filter of that name (the English name), and the
    # library loaded last would decide which one a template gets.
    return name_of_language(code)
