"""The public campaign list's filters."""

from __future__ import annotations

from collections.abc import Sequence

from django import forms
from django.utils.translation import gettext_lazy as _

from campaigns.languages import language_choices
from campaigns.models import Campaign


class CampaignFilterForm(forms.Form):
    """Filters sent by GET; a value not offered is left out of the filters and named in an error."""

    language = forms.ChoiceField(label=_("Language"), required=False)
    kind = forms.ChoiceField(
        label=_("Kind"),
        required=False,
        choices=[("", _("All kinds")), *Campaign.Kind.choices],
    )

    def __init__(self, data=None, *, languages: Sequence[str]) -> None:
        super().__init__(data)
        # Only languages some campaign is in: a choice that always lists nothing helps nobody.
        self.fields["language"].choices = [("", _("All languages")), *language_choices(languages)]

    def filters(self) -> dict[str, str]:
        """The valid filters chosen, as campaigns_listed takes them."""
        if not self.is_bound:
            return {}
        self.is_valid()
        return {name: value for name, value in self.cleaned_data.items() if value}
