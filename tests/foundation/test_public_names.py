"""Public names: display names fit to show, stable pseudonyms, the upgrade of stored profiles."""

from __future__ import annotations

import importlib

import pytest
from allauth.socialaccount.models import SocialAccount
from django.apps import apps
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import translation

from guides.models import GuideQuestion
from somos_site.accounts.models import Profile
from somos_site.accounts.names import (
    display_name_clean,
    display_name_key,
    display_name_problem,
    names_disambiguate,
    pseudonym,
    pseudonym_number,
)
from somos_site.accounts.selectors import public_names
from somos_site.accounts.services import profile_update
from tests.factories import UserFactory

ANONYMOUS = "Voluntario/a anónimo/a"
HOSTILE_NAMES = {
    "bidi override": "\u202eanirak",
    "bidi isolate": "Ana\u2066 \u2069",
    "zero-width only": "\u200b\u200b\u200b",
    "zero-width inside": "A\u200bna",
    "joiner between letters": "A\u200dna",
    "control": "Ana\x07",
    "combining flood": "Z" + "\u0301\u0300\u0302\u0303\u0304" * 4 + "algo",
    "punctuation only": "...",
    "e-mail address": "maria.garcia@example.org",
    "pseudonym lookalike": "Voluntario/a 1234",
    "english pseudonym lookalike": "volunteer #77",
    "anonymous lookalike": "voluntario/a ANÓNIMO/A",
    "english anonymous lookalike": "Anonymous volunteer",
}


# --------------------------------------------------------------------------------------------
# The rules


@pytest.mark.parametrize("name", HOSTILE_NAMES.values(), ids=HOSTILE_NAMES.keys())
def test_names_unfit_to_show_are_refused_in_spanish_naming_the_field(name):
    problem = display_name_problem(name)
    assert problem is not None and problem.startswith("El nombre público")


@pytest.mark.parametrize(
    "name",
    ["Ana López", "José Ñúñez-Ibáñez", "Nguyễn Thị", "Ana 👩‍💻", "❤️ Lima", "R2-D2", "李小龙", ""],
)
def test_ordinary_names_are_accepted(name):
    assert display_name_problem(name) is None


def test_names_are_compared_as_they_read():
    assert display_name_key("  Ana\u00a0 Lo\u0301pez ") == display_name_key("ANA LÓPEZ")
    assert display_name_key("Ｍａｒｔａ") == display_name_key("marta")
    assert display_name_key("Ana") != display_name_key("Aná")


def test_stored_names_are_cleaned_when_nobody_can_be_asked():
    assert display_name_clean("\u202eAna\u200b López\x07") == "Ana López"
    assert display_name_clean("Z" + "\u0301" * 9 + "oe") == "\u0179\u0301\u0301\u0301oe"
    assert display_name_clean("\u200b\u200b") == ""
    assert display_name_clean("maria.garcia@example.org") == ""


def test_pseudonyms_are_stable_four_digits_keyed_on_the_secret(settings):
    numbers = [pseudonym_number(user_id=user_id) for user_id in range(1, 200)]
    assert all(len(number) == 4 and number.isdigit() for number in numbers)
    assert numbers == [pseudonym_number(user_id=user_id) for user_id in range(1, 200)]
    # Consecutive accounts do not get consecutive numbers.
    assert len(set(numbers)) > 150 and numbers[:3] != sorted(numbers[:3])
    assert pseudonym(user_id=7) == f"Voluntario/a {pseudonym_number(user_id=7)}"
    with translation.override("en"):
        assert pseudonym(user_id=7) == f"Volunteer {pseudonym_number(user_id=7)}"
    settings.SECRET_KEY = "another-secret-" + "x" * 50
    assert [pseudonym_number(user_id=user_id) for user_id in range(1, 200)] != numbers


def test_equal_names_are_told_apart_and_the_anonymous_label_is_shared():
    names = names_disambiguate(
        [(9, "ana"), (3, "Ana"), (5, ANONYMOUS), (4, "Ana (2)"), (6, ANONYMOUS), (8, "Ana")]
    )
    assert names == {
        3: "Ana",
        4: "Ana (2)",
        5: ANONYMOUS,
        6: ANONYMOUS,
        8: "Ana (3)",
        9: "ana (4)",
    }


# --------------------------------------------------------------------------------------------
# Services and selectors


@pytest.mark.django_db
def test_profile_update_refuses_unfit_names_naming_the_field(volunteer):
    with pytest.raises(ValidationError) as refused:
        profile_update(user=volunteer, display_name=HOSTILE_NAMES["bidi override"])
    assert list(refused.value.message_dict) == ["display_name"]
    assert refused.value.message_dict["display_name"][0].startswith("El nombre público")
    assert not Profile.objects.filter(user=volunteer).exclude(display_name="").exists()


@pytest.mark.django_db
def test_profile_update_normalises_names():
    user = UserFactory()
    profile = profile_update(user=user, display_name="  Ana\u00a0  Lo\u0301pez ")
    assert profile.display_name == "Ana López"
    assert profile.display_name_key == "ana lópez"


@pytest.mark.django_db
def test_new_profiles_are_private_until_their_owner_opts_in(volunteer):
    profile = profile_update(user=volunteer, display_name="Marta Quispe")
    assert profile.public_ranking is False
    assert public_names(user_ids=[volunteer.pk]) == {volunteer.pk: ANONYMOUS}
    profile_update(user=volunteer, public_ranking=True)
    assert public_names(user_ids=[volunteer.pk]) == {volunteer.pk: "Marta Quispe"}


@pytest.mark.django_db
def test_an_argilla_placeholder_is_named_after_its_argilla_user_but_not_in_public():
    # annotation/argilla/users.py: an inactive user whose display name is the Argilla username.
    placeholder = UserFactory(username="argilla-ana_01", email="", is_active=False)
    profile = profile_update(user=placeholder, display_name="ana_01")
    assert profile.display_name == "ana_01" and profile.public_ranking is False
    assert public_names(user_ids=[placeholder.pk]) == {placeholder.pk: ANONYMOUS}
    assert profile.known_as == "ana_01"


@pytest.mark.django_db
def test_someone_without_a_profile_is_anonymous(volunteer):
    assert public_names(user_ids=[volunteer.pk]) == {volunteer.pk: ANONYMOUS}


# --------------------------------------------------------------------------------------------
# The guide inbox shows organizers the same names, never an e-mail


@pytest.mark.django_db
def test_the_guide_inbox_names_askers_without_their_email(client, guide, organizer):
    maria = UserFactory(email="maria.garcia.lopez@example.org", username="maria.garcia.lopez")
    named = UserFactory()
    profile_update(user=named, display_name="Marta Quispe")
    for asker in (maria, named):
        GuideQuestion.objects.create(guide=guide, asked_by=asker, text="¿Y los nombres propios?")
    client.force_login(organizer)
    page = client.get(reverse("guide_inbox", args=[guide.campaign.slug])).content.decode()
    assert "maria" not in page.lower() and "example.org" not in page
    assert pseudonym(user_id=maria.pk) in page
    # Organizers are not the public: they see the name the volunteer goes by.
    assert "Marta Quispe" in page


# --------------------------------------------------------------------------------------------
# The upgrade of stored profiles (migration 0004)


def _backfill() -> None:
    module = importlib.import_module("somos_site.accounts.migrations.0004_public_names_backfill")
    module.forwards(apps, None)


def _stored(user, **fields) -> Profile:
    """A profile as the previous code left it: public by default, fields as given, unchecked."""
    profile = Profile.objects.create(user=user)
    Profile.objects.filter(pk=profile.pk).update(public_ranking=True, **fields)
    return profile


@pytest.mark.django_db
def test_the_upgrade_keeps_public_only_who_evidently_chose_it():
    opened, located, named, copied, notified = (UserFactory() for _ in range(5))
    placeholder = UserFactory(email="", is_active=False)
    refused = UserFactory()
    _stored(opened)
    _stored(located, country="PE", spanish_variety="andino")
    _stored(named, display_name="Ana Chosen")
    _stored(copied, display_name="Juan Pérez", huggingface_username="juanp")
    SocialAccount.objects.create(
        user=copied,
        provider="huggingface",
        uid="hf-9",
        extra_data={"userinfo": {"preferred_username": "juanp", "name": "Juan Pérez"}},
    )
    _stored(notified, email_notifications=True)
    _stored(placeholder, display_name="argilla_user")
    _stored(refused, country="CL")
    Profile.objects.filter(user=refused).update(public_ranking=False)

    _backfill()

    public = {p.user_id: p.public_ranking for p in Profile.objects.all()}
    assert public == {
        opened.pk: False,
        located.pk: True,
        named.pk: True,
        copied.pk: False,
        notified.pk: True,
        placeholder.pk: False,
        refused.pk: False,
    }
    copied_profile = Profile.objects.get(user=copied)
    assert copied_profile.huggingface_verified_username == "juanp"
    assert Profile.objects.get(user=named).display_name_key == "ana chosen"


@pytest.mark.django_db
def test_the_upgrade_cleans_stored_names():
    users = [UserFactory() for _ in range(4)]
    for user, name in zip(
        users,
        ["\u202eAna\u200b", "\u200b\u200b", "maria.garcia@example.org", "Z" + "\u0301" * 12],
        strict=True,
    ):
        _stored(user, display_name=name, country="ES")
    _backfill()
    names = [Profile.objects.get(user=user).display_name for user in users]
    assert names == ["Ana", "", "", "\u0179\u0301\u0301\u0301"]
    assert Profile.objects.get(user=users[0]).display_name_key == "ana"
