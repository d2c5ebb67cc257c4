from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from somos_site.accounts.models import OtherLanguage, Profile
from somos_site.accounts.names import display_name_key, display_name_normalise
from somos_site.accounts.services import HUGGINGFACE_USERNAME


class ProfileForm(forms.ModelForm):
    other_languages = forms.MultipleChoiceField(
        label=_("Other languages you speak"),
        choices=OtherLanguage.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple(attrs={"class": "checkboxes"}),
    )

    class Meta:
        model = Profile
        fields = [
            "display_name",
            "country",
            "spanish_variety",
            "other_languages",
            "public_ranking",
            "huggingface_username",
            "email_notifications",
        ]
        help_texts = {
            "display_name": _(
                "How your name appears in rankings and credits if you choose to be shown."
            ),
            "spanish_variety": _("The Spanish you speak natively or best."),
            "public_ranking": _(
                "If unticked you are still counted, but shown as an anonymous volunteer."
            ),
            "huggingface_username": _("Links your answers made in Argilla to you."),
        }

    def clean_display_name(self) -> str:
        name = display_name_normalise(self.cleaned_data["display_name"])
        if name and self._display_name_taken(name):
            raise forms.ValidationError(
                _("Another volunteer already uses this display name: choose a different one."),
                code="display_name_taken",
            )
        return name

    def clean_huggingface_username(self) -> str:
        username = self.cleaned_data["huggingface_username"].strip()
        if username and not HUGGINGFACE_USERNAME.match(username):
            raise forms.ValidationError(
                _("Use only letters, digits, hyphens, dots and underscores.")
            )
        return username

    def _display_name_taken(self, name: str) -> bool:
        # Compared as names are read (case, width and accents composed alike), against other
        # volunteers' display names and the Hugging Face usernames they show. Inactive users
        # (Argilla placeholders named after an Argilla username) hold no name: the person
        # behind a placeholder must be able to take their own.
        key = display_name_key(name)
        others = Profile.objects.filter(user__is_active=True).exclude(user_id=self.instance.user_id)
        return (
            others.filter(display_name_key=key).exists()
            or others.filter(huggingface_verified_username__iexact=key).exists()
        )


class ApiTokenForm(forms.Form):
    # Its fields' ids stay apart from the profile form's on the same page.
    prefix = "token"

    name = forms.CharField(
        label=_("Token name"),
        max_length=100,
        help_text=_("What it is for, such as “import script”: it helps you tell tokens apart."),
    )
