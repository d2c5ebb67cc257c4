"""Bring stored profiles under the public-name rule; keep public only who evidently chose it.

Until 0003 every profile was created with public_ranking=True, and nothing records whether a
volunteer chose that or never saw the box. The history (accounts since the first commit) shows
how profiles were created and written:

- opening the profile page created the profile (profile_get_or_create on GET), box pre-ticked;
- a Hugging Face login created it too, and copied the account's full name to display_name;
- an Argilla placeholder (an inactive user) got one named after its Argilla username;
- only saving the profile form writes country, Spanish variety, other languages and e-mail
  notifications, and only there does a volunteer type a display name.

A pre-ticked box is not a choice, so True is kept only where the owner evidently saved the form
and saw it: an active user whose profile holds a country, a variety, other languages, e-mail
notifications on, or a display name that is not the one copied from Hugging Face. Everyone else
becomes private (they are still counted, shown as an anonymous volunteer) and can tick the box.
The rule errs on the private side: someone who saved the form with every field empty, or kept
the name Hugging Face gave them and nothing else, cannot be told from someone who only opened
the page. An explicit False is kept as it is.

On the way, every stored display name is cleaned as the form now requires (NFC, no control,
format or bidi characters, no flood of combining marks, not an e-mail address, not a lookalike
of the anonymous label or a pseudonym; blank when nothing showable is left), its comparison key
is filled, and the Hugging Face username proved by signing in is copied from the social account.
Nothing here can be undone: migrating back leaves the rows as they are.
"""

from __future__ import annotations

from django.db import migrations

from somos_site.accounts.names import (
    display_name_clean,
    display_name_key,
    display_name_normalise,
)
from somos_site.accounts.services import HUGGINGFACE_USERNAME

HUGGINGFACE_PROVIDER_ID = "huggingface"


def _claims_by_user(apps) -> dict[int, dict]:
    SocialAccount = apps.get_model("socialaccount", "SocialAccount")
    found: dict[int, dict] = {}
    accounts = SocialAccount.objects.filter(provider=HUGGINGFACE_PROVIDER_ID).order_by("pk")
    for user_id, data in accounts.values_list("user_id", "extra_data"):
        data = data or {}
        # As allauth's OpenID Connect provider reads them: userinfo, else the ID token.
        claims = data.get("userinfo") or data.get("id_token") or data
        if isinstance(claims, dict):
            found.setdefault(user_id, claims)
    return found


def _chose_to_be_public(profile, name: str, copied_name: str) -> bool:
    if not profile.user.is_active:
        return False
    return bool(
        profile.country
        or profile.spanish_variety
        or profile.other_languages
        or profile.email_notifications
        or (name and name != copied_name)
    )


def forwards(apps, schema_editor) -> None:
    Profile = apps.get_model("accounts", "Profile")
    claims_by_user = _claims_by_user(apps)
    for profile in Profile.objects.select_related("user").order_by("pk").iterator():
        claims = claims_by_user.get(profile.user_id, {})
        name = display_name_clean(profile.display_name)
        copied_name = display_name_clean(display_name_normalise(str(claims.get("name") or ""))[:80])
        username = str(claims.get("preferred_username") or "")
        profile.public_ranking = profile.public_ranking and _chose_to_be_public(
            profile, name, copied_name
        )
        profile.display_name = name
        profile.display_name_key = display_name_key(name)
        profile.huggingface_verified_username = (
            username if HUGGINGFACE_USERNAME.match(username) else ""
        )
        profile.save(
            update_fields=[
                "public_ranking",
                "display_name",
                "display_name_key",
                "huggingface_verified_username",
            ]
        )


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0003_public_names"),
        ("socialaccount", "0006_alter_socialaccount_extra_data"),
    ]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
