from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from guides.rendering import video_embed


class GuideDraftForm(forms.Form):
    body = forms.CharField(
        label=_("Guide (Markdown)"),
        widget=forms.Textarea(attrs={"rows": 22, "class": "markdown"}),
        help_text=_(
            "Use ## headings for sections (each gets a link), lists, tables and worked "
            "examples: a translation, its right verdict and why."
        ),
    )
    video_url = forms.URLField(
        label=_("Instructional video"),
        required=False,
        assume_scheme="https",
        help_text=_("A YouTube or Vimeo link, or an .mp4/.webm file on HTTPS."),
    )
    changelog = forms.CharField(
        label=_("What changed"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    important = forms.BooleanField(
        label=_("Important: volunteers must read it again before annotating"), required=False
    )

    def clean_video_url(self) -> str:
        url = self.cleaned_data["video_url"]
        if url and video_embed(url) is None:
            raise forms.ValidationError(
                _("Use a YouTube or Vimeo link, or an .mp4/.webm file on HTTPS.")
            )
        return url


class QuestionForm(forms.Form):
    text = forms.CharField(
        label=_("Your question or what is unclear"),
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    section = forms.ChoiceField(label=_("About the section"), required=False)
    record = forms.IntegerField(required=False, widget=forms.HiddenInput)
    next = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, sections: list[tuple[str, str]] = (), **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["section"].choices = [("", _("The whole guide")), *sections]


class AnswerForm(forms.Form):
    answer = forms.CharField(label=_("Answer"), widget=forms.Textarea(attrs={"rows": 3}))
    resolve = forms.BooleanField(label=_("Mark as resolved"), required=False)
