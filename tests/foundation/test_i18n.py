"""Spanish first, then Catalan, Basque and Galician: complete catalogues, compiled and current."""

from __future__ import annotations

from pathlib import Path

import polib
import pytest
from django.utils import translation
from django.utils.html import escape
from django.utils.translation import gettext

LOCALE = Path(__file__).resolve().parents[2] / "locale"


def _entries(path: Path) -> dict[tuple[str, str], polib.POEntry]:
    """Every live entry by (context, msgid): one msgid may be translated in several contexts."""
    catalogue = polib.pofile(str(path)) if path.suffix == ".po" else polib.mofile(str(path))
    return {(entry.msgctxt or "", entry.msgid): entry for entry in catalogue if not entry.obsolete}


COMPLETE = ("es", "ca", "eu", "gl")


@pytest.mark.parametrize("language", COMPLETE)
def test_i18n_catalogue_translates_every_string(language):
    untranslated = [
        msgid
        for msgid, entry in _entries(LOCALE / language / "LC_MESSAGES/django.po").items()
        if "fuzzy" in entry.flags
        or (entry.msgid_plural and not all(entry.msgstr_plural.values()))
        or (not entry.msgid_plural and not entry.msgstr)
    ]
    assert untranslated == []


def test_i18n_compiled_catalogues_match_their_sources():
    for language in (*COMPLETE, "en"):
        source = _entries(LOCALE / language / "LC_MESSAGES/django.po")
        compiled = _entries(LOCALE / language / "LC_MESSAGES/django.mo")
        translated = {m: e for m, e in source.items() if e.msgstr or any(e.msgstr_plural.values())}
        assert set(compiled) - {("", "")} == set(translated), f"run `make messages` ({language})"
        for msgid, entry in translated.items():
            assert compiled[msgid].msgstr == entry.msgstr, msgid


@pytest.mark.django_db
@pytest.mark.parametrize("language", ["ca", "eu", "gl", "es", "en"])
def test_i18n_home_page_follows_the_browser_language(client, language):
    # The middleware activates the browser's language in this thread; the override puts the
    # previous one back afterwards, so later tests still run in Spanish.
    with translation.override(None):
        page = client.get("/", HTTP_ACCEPT_LANGUAGE=f"{language},en;q=0.5").content.decode()
    assert f'<html lang="{language}">' in page
    with translation.override(language):
        expected = [gettext("Sign in"), gettext("Join"), gettext("Show the site in this language")]
    if language != "en":
        with translation.override("en"):
            assert gettext("Sign in") not in expected
    for text in expected:
        assert escape(text) in page, text
