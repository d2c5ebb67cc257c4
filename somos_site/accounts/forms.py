from __future__ import annotations

import re

from django import forms
from django.utils.translation import gettext_lazy as _

from somos_site.accounts.models import OtherLanguage, Profile

_HF_USERNAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,95}$")


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
            "display_name": _("How your name appears in rankings and credits."),
            "spanish_variety": _("The Spanish you speak natively or best."),
            "public_ranking": _("If unticked you are still counted, but never named."),
            "huggingface_username": _("Links your answers made in Argilla to you."),
        }

    def clean_huggingface_username(self) -> str:
        username = self.cleaned_data["huggingface_username"].strip()
        if username and not _HF_USERNAME.match(username):
            raise forms.ValidationError(
                _("Use only letters, digits, hyphens, dots and underscores.")
            )
        return username
