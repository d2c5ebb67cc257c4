"""Public names: what a volunteer may be called, and what everyone else sees of them.

The rule (docs/architecture.md, "Privacy"): a volunteer is named in public only if they opted in,
and then by the display name they chose, else by the Hugging Face username they proved by
signing in with it, else by a stable pseudonym ("Voluntario/a 1234"). Nothing is ever derived
from the e-mail address or the Django username (allauth makes that one from the e-mail).
Volunteers who did not opt in are shown as "Voluntario/a anónimo/a": their row stays, with no
handle that could follow them across campaigns or time.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import translation
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

ANONYMOUS = gettext_lazy("Anonymous volunteer")
# Four digits keep the pseudonym short to read; collisions are told apart where names are listed.
PSEUDONYM_DIGITS = 4
# Spanish needs at most one combining mark after NFC; some scripts stack two or three.
# Longer runs are the "Zalgo" floods that spill over neighbouring rows.
MAX_COMBINING_RUN = 3
# Where the key of a name is stored (Profile.display_name_key).
KEY_LENGTH = 255

_ZERO_WIDTH_JOINER = "\u200d"
# Categories never allowed in a name: controls, format characters (bidi marks, overrides and
# isolates, zero-width spaces and joiners, soft hyphens, tags), surrogates, private use,
# unassigned code points, and line or paragraph separators.
_FORBIDDEN = {"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"}
_COMBINING = {"Mn", "Me"}
_EMAIL = re.compile(r"[^\s@]+@[^\s@]+\.[^\s@]+")
# What may follow "Voluntario/a" in a name that reads as a pseudonym: a number, maybe in marks.
_NUMBERED = re.compile(r"[\W_]*\d+[\W_]*")


def display_name_normalise(value: str) -> str:
    """Return the name in NFC with its whitespace collapsed to single spaces and trimmed."""
    return " ".join(unicodedata.normalize("NFC", str(value)).split())


def display_name_key(value: str) -> str:
    """Return the form two names are compared in: NFKC, case-folded, whitespace collapsed."""
    folded = unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", value).casefold())
    return " ".join(folded.split())[:KEY_LENGTH]


def display_name_problem(value: str) -> str | None:
    """Return why the name cannot be shown, in the visitor's language, or None if it can."""
    name = display_name_normalise(value)
    if not name:
        return None
    if any(_forbidden_at(name, index) for index in range(len(name))):
        return _("The display name cannot contain invisible, control or text-direction characters.")
    if _longest_combining_run(name) > MAX_COMBINING_RUN:
        return _("The display name has too many accents or marks stacked on one letter.")
    if not any(
        unicodedata.category(char)[0] in "LN" or unicodedata.category(char) == "So" for char in name
    ):
        return _("The display name needs at least one letter or digit.")
    if _EMAIL.search(name):
        return _("The display name cannot be an e-mail address: it would be shown in public.")
    if _reserved(display_name_key(name)):
        return _("The display name cannot look like the names Somos gives unnamed volunteers.")
    return None


def validate_display_name(value: str) -> None:
    """Refuse a display name that cannot be shown safely (the model field's validator)."""
    problem = display_name_problem(value)
    if problem is not None:
        raise ValidationError(problem, code="display_name")


def display_name_clean(value: str) -> str:
    """Return the name with what cannot be shown dropped, or "" if nothing showable is left."""
    # For names already stored (the data migration): dropping beats refusing when there is
    # nobody to ask.
    name = display_name_normalise(value)
    kept: list[str] = []
    run = 0
    for index, char in enumerate(name):
        if _forbidden_at(name, index):
            continue
        run = run + 1 if unicodedata.category(char) in _COMBINING else 0
        if run > MAX_COMBINING_RUN:
            continue
        kept.append(char)
    cleaned = display_name_normalise("".join(kept))
    return "" if display_name_problem(cleaned) else cleaned


def pseudonym(*, user_id: int) -> str:
    """Return the volunteer's stable pseudonym, e.g. "Voluntario/a 0421"."""
    return _("Volunteer %(number)s") % {"number": pseudonym_number(user_id=user_id)}


def pseudonym_number(*, user_id: int) -> str:
    """Return the pseudonym's digits: keyed on SECRET_KEY, so ids cannot be read back from it."""
    digest = salted_hmac("somos.accounts.pseudonym", str(user_id)).hexdigest()
    return f"{int(digest, 16) % 10**PSEUDONYM_DIGITS:0{PSEUDONYM_DIGITS}d}"


def known_as(*, user_id: int, display_name: str | None, huggingface_username: str | None) -> str:
    """Return what the volunteer is called where only organizers look (opt-in aside)."""
    return display_name or huggingface_username or pseudonym(user_id=user_id)


def public_name(
    *,
    user_id: int,
    display_name: str | None,
    huggingface_username: str | None,
    public: bool | None,
) -> str:
    """Return what the public sees of the volunteer: a name only if they opted in."""
    if not public:
        return str(ANONYMOUS)
    return known_as(
        user_id=user_id, display_name=display_name, huggingface_username=huggingface_username
    )


def names_disambiguate(names: Iterable[tuple[int, str]]) -> dict[int, str]:
    """Return the names by user id, any two equal ones told apart by " (2)", " (3)" …"""
    # The earliest account keeps the bare name; the anonymous label is shared on purpose.
    pairs = sorted(names)
    anonymous = str(ANONYMOUS)
    taken = {display_name_key(name) for _user_id, name in pairs}
    seen: set[str] = set()
    result: dict[int, str] = {}
    for user_id, name in pairs:
        key = display_name_key(name)
        if name == anonymous or key not in seen:
            seen.add(key)
            result[user_id] = name
            continue
        number = 2
        while display_name_key(f"{name} ({number})") in taken | seen:
            number += 1
        result[user_id] = f"{name} ({number})"
        seen.add(display_name_key(result[user_id]))
    return result


def _forbidden_at(name: str, index: int) -> bool:
    char = name[index]
    if unicodedata.category(char) not in _FORBIDDEN:
        return False
    # A joiner inside an emoji sequence (👩‍💻) draws one picture; elsewhere it only hides.
    return not (
        char == _ZERO_WIDTH_JOINER
        and 0 < index < len(name) - 1
        and unicodedata.category(name[index - 1]) in {"So", "Sk", "Mn"}
        and unicodedata.category(name[index + 1]) == "So"
    )


def _longest_combining_run(name: str) -> int:
    longest = run = 0
    for char in name:
        run = run + 1 if unicodedata.category(char) in _COMBINING else 0
        longest = max(longest, run)
    return longest


def _reserved(key: str) -> bool:
    """Say whether the name reads as the anonymous label or a pseudonym, in any language."""
    for code, _label in settings.LANGUAGES:
        with translation.override(code):
            if key == display_name_key(str(ANONYMOUS)):
                return True
            prefix = display_name_key(_("Volunteer %(number)s") % {"number": ""})
        if key.startswith(prefix) and _NUMBERED.fullmatch(key[len(prefix) :]):
            return True
    return False
