"""Sign-up, login and the volunteer profile."""

from __future__ import annotations

import pytest
from allauth.socialaccount.models import SocialAccount
from django.contrib.auth import get_user_model
from django.urls import reverse

from somos_site.accounts.adapters import huggingface_account_linked
from somos_site.accounts.models import Profile
from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db


def test_signup_creates_and_signs_in_a_volunteer(client):
    response = client.post(
        reverse("account_signup"),
        {"email": "ana@example.org", "password1": PASSWORD, "password2": PASSWORD},
    )
    assert response.status_code == 302
    user = get_user_model().objects.get(email="ana@example.org")
    assert client.session["_auth_user_id"] == str(user.pk)


def test_signup_rejects_a_taken_email_with_a_field_error(client, volunteer):
    response = client.post(
        reverse("account_signup"),
        {"email": volunteer.email, "password1": PASSWORD, "password2": PASSWORD},
    )
    assert response.status_code == 200
    assert "email" in response.context["form"].errors
    assert get_user_model().objects.filter(email=volunteer.email).count() == 1


def test_login_with_email_and_password(client, volunteer):
    response = client.post(
        reverse("account_login"), {"login": volunteer.email, "password": PASSWORD}
    )
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(volunteer.pk)


def test_login_with_a_wrong_password_is_refused(client, volunteer):
    response = client.post(reverse("account_login"), {"login": volunteer.email, "password": "x"})
    assert response.status_code == 200
    assert "_auth_user_id" not in client.session


def test_profile_requires_sign_in(client):
    response = client.get(reverse("profile"))
    assert response.status_code == 302
    assert reverse("account_login") in response["Location"]


def test_profile_saves_what_the_volunteer_tells(client, volunteer):
    client.force_login(volunteer)
    response = client.post(
        reverse("profile"),
        {
            "display_name": "Ana <b>López</b>",
            "country": "PE",
            "spanish_variety": "andino",
            "other_languages": ["qu", "en"],
            "public_ranking": "",
            "huggingface_username": "ana-lopez",
        },
    )
    assert response.status_code == 302
    profile = Profile.objects.get(user=volunteer)
    assert profile.display_name == "Ana <b>López</b>"
    assert profile.country.code == "PE"
    assert profile.other_languages == ["qu", "en"]
    assert profile.public_ranking is False
    assert profile.huggingface_username == "ana-lopez"
    page = client.get(reverse("profile")).content.decode()
    assert "Ana &lt;b&gt;López&lt;/b&gt;" in page


def test_profile_rejects_a_bad_huggingface_username(client, volunteer):
    client.force_login(volunteer)
    response = client.post(
        reverse("profile"),
        {
            "display_name": "Ana",
            "huggingface_username": "no spaces/allowed",
            "public_ranking": "on",
        },
    )
    assert response.status_code == 200
    assert "huggingface_username" in response.context["form"].errors
    assert not Profile.objects.filter(user=volunteer, huggingface_username__contains=" ").exists()


def test_huggingface_login_fills_the_profile(settings):
    settings.SOCIALACCOUNT_PROVIDERS = {
        "openid_connect": {
            "APPS": [
                {
                    "provider_id": "huggingface",
                    "name": "Hugging Face",
                    "client_id": "id",
                    "secret": "secret",
                    "settings": {"server_url": "https://huggingface.co"},
                }
            ]
        }
    }
    user = UserFactory()
    account = SocialAccount.objects.create(
        user=user,
        provider="huggingface",
        uid="hf-123",
        extra_data={"userinfo": {"sub": "hf-123", "preferred_username": "anacoder", "name": "Ana"}},
    )
    huggingface_account_linked(account=account)
    profile = Profile.objects.get(user=user)
    assert profile.huggingface_username == "anacoder"
    assert profile.huggingface_verified_username == "anacoder"
    # The account's full name is not theirs to publish for them: the proved username is.
    assert profile.display_name == ""
    assert profile.public_ranking is False
    profile.public_ranking = True
    assert profile.public_name == "anacoder"


def test_signed_in_user_is_reloaded_when_deactivated(
    client, volunteer, django_capture_on_commit_callbacks
):
    # Users are kept a few seconds per process; a save in this process is seen once it commits.
    client.force_login(volunteer)
    page = reverse("my_contributions")
    assert client.get(page).status_code == 200
    assert client.get(page).status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        volunteer.is_active = False
        volunteer.save()
    assert client.get(page).status_code == 302


def test_password_change_ends_other_sessions(client, volunteer, django_capture_on_commit_callbacks):
    client.force_login(volunteer)
    page = reverse("my_contributions")
    assert client.get(page).status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        volunteer.set_password("a-brand-new-password-42")
        volunteer.save()
    assert client.get(page).status_code == 302


# --------------------------------------------------------------------------------------------
# Display names in the profile form


def _save_profile(client, user, **fields):
    client.force_login(user)
    return client.post(reverse("profile"), {"public_ranking": "on", **fields})


@pytest.mark.parametrize(
    "name",
    [
        "\u202eanirak",
        "\u200b\u200b",
        "Z" + "\u0301\u0300\u0302\u0303" * 5,
        "ana.lopez@example.org",
        "Voluntario/a 0421",
    ],
    ids=["bidi override", "zero-width only", "combining flood", "e-mail", "pseudonym"],
)
def test_profile_refuses_display_names_unfit_to_show(client, volunteer, name):
    response = _save_profile(client, volunteer, display_name=name)
    assert response.status_code == 200
    [error] = response.context["form"].errors["display_name"]
    assert error.startswith("El nombre público")
    assert not Profile.objects.filter(user=volunteer, public_ranking=True).exists()


def test_profile_stores_display_names_normalised(client, volunteer):
    assert (
        _save_profile(client, volunteer, display_name="  Ana\u00a0 Lo\u0301pez ").status_code == 302
    )
    assert Profile.objects.get(user=volunteer).display_name == "Ana López"


def test_profile_refuses_a_name_another_volunteer_goes_by(client, volunteer):
    other, placeholder = UserFactory(), UserFactory(email="", is_active=False)
    Profile.objects.create(user=other, display_name="Marta Quispe")
    Profile.objects.create(user=UserFactory(), huggingface_verified_username="quechua-nlp")
    Profile.objects.create(user=placeholder, display_name="ana_01")
    for taken in ("marta  QUISPE", "Ｍａｒｔａ Quispe", "Quechua-NLP"):
        response = _save_profile(client, volunteer, display_name=taken)
        assert response.status_code == 200, taken
        assert response.context["form"].errors["display_name"] == [
            "Otra persona voluntaria ya usa este nombre público: elige otro."
        ]
    # A placeholder's Argilla username is not a name anyone goes by yet: its owner may take it.
    assert _save_profile(client, volunteer, display_name="ana_01").status_code == 302
    # Saving one's own name again is no copy.
    assert _save_profile(client, volunteer, display_name="ANA_01").status_code == 302


def test_a_new_profile_is_private_and_the_page_says_how_its_owner_appears(client, volunteer):
    client.force_login(volunteer)
    page = client.get(reverse("profile")).content.decode()
    assert Profile.objects.get(user=volunteer).public_ranking is False
    assert "apareces como «Voluntario/a anónimo/a»" in page
    _save_profile(client, volunteer, display_name="Marta Quispe")
    page = client.get(reverse("profile")).content.decode()
    assert "apareces como «Marta Quispe»" in page
