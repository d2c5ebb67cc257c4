from __future__ import annotations

from collections.abc import Iterable

from django import forms
from django.utils.translation import gettext_lazy as _

from campaigns.languages import language_choices
from leaderboard.models import LeaderboardDataset


class CampaignTargetForm(forms.Form):
    dataset = forms.ModelChoiceField(
        label=_("Leaderboard dataset"),
        queryset=LeaderboardDataset.objects.order_by("name"),
        help_text=_("Each export of the campaign becomes a new version of this dataset."),
    )


class DatasetFilterForm(forms.Form):
    """The registry's language filter, sent by GET; a value not offered is named in an error."""

    language = forms.ChoiceField(label=_("Language"), required=False)

    def __init__(self, data=None, *, languages: Iterable[str]) -> None:
        super().__init__(data)
        self.fields["language"].choices = [("", _("All languages")), *language_choices(languages)]

    def language_chosen(self) -> str:
        """The language chosen, or "" for none or one not offered."""
        if not self.is_bound or not self.is_valid():
            return ""
        return self.cleaned_data["language"]
