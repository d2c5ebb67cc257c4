from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from leaderboard.models import LeaderboardDataset


class CampaignTargetForm(forms.Form):
    dataset = forms.ModelChoiceField(
        label=_("Leaderboard dataset"),
        queryset=LeaderboardDataset.objects.order_by("name"),
        help_text=_("Each export of the campaign becomes a new version of this dataset."),
    )
