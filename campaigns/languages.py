"""The languages a campaign may pair: Django's list of language codes, named in the UI's language.

Somos speaks Spanish and the co-official languages of Spain first (PROJECT_LANGUAGES), but a
campaign may validate a translation into any language Django knows (`LANG_INFO`: about a
hundred codes, each with its English and native name, translated by Django's catalogues).
"""

from __future__ import annotations

from collections.abc import Iterable

from django.conf.locale import LANG_INFO
from django.utils.translation import get_language_info, pgettext_lazy

# The project's languages, first in every list and menu.
PROJECT_LANGUAGES = ("es", "ca", "eu", "gl", "en")

# Django's names are written for menus ("Catalán"); inside a sentence ("la traducción al
# catalán") Spanish and the other UI languages write most of them in lower case. These are the
# project's languages and the others the triage checks recognise.
_NAMES_IN_SENTENCE = {
    "en": pgettext_lazy("language name inside a sentence", "English"),
    "es": pgettext_lazy("language name inside a sentence", "Spanish"),
    "ca": pgettext_lazy("language name inside a sentence", "Catalan"),
    "eu": pgettext_lazy("language name inside a sentence", "Basque"),
    "gl": pgettext_lazy("language name inside a sentence", "Galician"),
    "pt": pgettext_lazy("language name inside a sentence", "Portuguese"),
    "fr": pgettext_lazy("language name inside a sentence", "French"),
    "it": pgettext_lazy("language name inside a sentence", "Italian"),
    "de": pgettext_lazy("language name inside a sentence", "German"),
}


def language_known(code: str) -> bool:
    """Whether code names a language (not a fallback alias such as zh-cn)."""
    return "name" in LANG_INFO.get(code, {})


def language_codes() -> list[str]:
    """Every code a campaign may use: the project's languages, then the others by code."""
    others = sorted(code for code in LANG_INFO if language_known(code))
    return [*PROJECT_LANGUAGES, *(code for code in others if code not in PROJECT_LANGUAGES)]


def languages_in_order(codes: Iterable[str]) -> list[str]:
    """The codes once each, in language_codes() order; codes it does not know last, by code."""
    wanted = set(codes)
    known = [code for code in language_codes() if code in wanted]
    return [*known, *sorted(wanted.difference(known))]


def language_name(code: str) -> str:
    """The language's name in the active UI language ("catalán" in Spanish), or the code."""
    if not language_known(code):
        return code
    return str(get_language_info(code)["name_translated"])


def language_name_in_sentence(code: str) -> str:
    """The language's name as written inside a sentence of the active UI language ("catalán")."""
    name = _NAMES_IN_SENTENCE.get(code)
    return str(name) if name is not None else language_name(code)


def language_choices(codes: Iterable[str] | None = None) -> list[tuple[str, str]]:
    """(code, name) pairs for a form's select, the project's languages first.

    Every language a campaign may use, or only the given codes.
    """
    ordered = language_codes() if codes is None else languages_in_order(codes)
    return [(code, language_name(code)) for code in ordered]
