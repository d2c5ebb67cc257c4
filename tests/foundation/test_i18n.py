"""Spanish first: the Spanish catalogue is complete and its compiled form is current."""

from __future__ import annotations

from pathlib import Path

import polib

LOCALE = Path(__file__).resolve().parents[2] / "locale"


def _entries(path: Path) -> dict[tuple[str, str], polib.POEntry]:
    """Every live entry by (context, msgid): one msgid may be translated in several contexts."""
    catalogue = polib.pofile(str(path)) if path.suffix == ".po" else polib.mofile(str(path))
    return {(entry.msgctxt or "", entry.msgid): entry for entry in catalogue if not entry.obsolete}


def test_i18n_spanish_catalogue_translates_every_string():
    untranslated = [
        msgid
        for msgid, entry in _entries(LOCALE / "es/LC_MESSAGES/django.po").items()
        if "fuzzy" in entry.flags
        or (entry.msgid_plural and not all(entry.msgstr_plural.values()))
        or (not entry.msgid_plural and not entry.msgstr)
    ]
    assert untranslated == []


def test_i18n_compiled_catalogues_match_their_sources():
    for language in ("es", "en"):
        source = _entries(LOCALE / language / "LC_MESSAGES/django.po")
        compiled = _entries(LOCALE / language / "LC_MESSAGES/django.mo")
        translated = {m: e for m, e in source.items() if e.msgstr or any(e.msgstr_plural.values())}
        assert set(compiled) - {("", "")} == set(translated), f"run `make messages` ({language})"
        for msgid, entry in translated.items():
            assert compiled[msgid].msgstr == entry.msgstr, msgid
