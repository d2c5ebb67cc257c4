from __future__ import annotations

import re

from django import forms
from django.conf import settings
from django.contrib.auth import get_user_model
from django.utils.text import slugify
from django.utils.translation import gettext_lazy as _

from campaigns.importers.presets import PRESETS, preset_get
from campaigns.languages import language_choices
from campaigns.models import CAMPAIGN_SETTINGS, OVERLAP_MAX, OVERLAP_MIN, Campaign, Question

_HUB_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*(/[A-Za-z0-9][A-Za-z0-9_.-]*)?$")
_PAIR = re.compile(r"^\s*([^=,>]+?)\s*(?:=|,|->|→)\s*(.+?)\s*$")
FILE_TOO_LARGE = "file_too_large"
# Answers each record needs: past 20 a campaign would never finish, and dashboards count on it.
QUESTIONS_MISMATCH = "questions_mismatch"


class SourceFields(forms.Form):
    """Where the records come from: uploaded files or a Hugging Face dataset."""

    source_file = forms.FileField(
        label=_("Source file"),
        required=False,
        help_text=_("JSONL, JSON, CSV or Parquet. For Okapi presets: the English original."),
    )
    translation_file = forms.FileField(
        label=_("Translation file"),
        required=False,
        help_text=_("For Okapi presets: the translation aligned by id."),
    )
    hub_name = forms.CharField(
        label=_("…or a Hugging Face dataset"),
        required=False,
        max_length=200,
        help_text=_("For example somosnlp/my-dataset (needs network access on the server)."),
    )
    hub_config = forms.CharField(label=_("Configuration"), required=False, max_length=100)
    split = forms.CharField(label=_("Split"), required=False, max_length=100)

    def clean_hub_name(self) -> str:
        name = self.cleaned_data["hub_name"].strip()
        if name and not _HUB_NAME.match(name):
            raise forms.ValidationError(_("Write it as owner/name."))
        return name

    def clean(self):
        cleaned = super().clean()
        for field in ("source_file", "translation_file"):
            upload = cleaned.get(field)
            if upload and upload.size > settings.SOMOS_MAX_UPLOAD_BYTES:
                self.add_error(
                    field,
                    forms.ValidationError(
                        _("The file is larger than %(limit)s MB.")
                        % {"limit": settings.SOMOS_MAX_UPLOAD_BYTES // 2**20},
                        code=FILE_TOO_LARGE,
                    ),
                )
        if not cleaned.get("source_file") and not cleaned.get("hub_name"):
            self.add_error("source_file", _("Upload a file or name a Hugging Face dataset."))
        return cleaned

    def check_translation_for(self, preset_name: str) -> None:
        """Ask for the translation file when the preset needs one, and only then."""
        preset = preset_get(preset_name)
        has_translation = bool(self.cleaned_data.get("translation_file"))
        if preset.needs_translation_source and not has_translation:
            self.add_error("translation_file", _("This preset needs the translation file."))
        if not preset.needs_translation_source and has_translation:
            self.add_error("translation_file", _("This preset reads a single file."))


class CampaignFields(forms.Form):
    """The campaign's own settings, checked the same way when it is created and changed."""

    name = forms.CharField(label=_("Name"), max_length=200)
    description = forms.CharField(label=_("Description"), required=False, widget=forms.Textarea)
    overlap = forms.IntegerField(
        label=_("Answers per record"),
        min_value=OVERLAP_MIN,
        max_value=OVERLAP_MAX,
        initial=2,
        help_text=_("How many volunteers must answer each record before it is complete."),
    )
    # Choices are a callable so the names follow each request's language.
    source_language = forms.ChoiceField(
        label=_("Source language"), choices=language_choices, initial="en"
    )
    target_language = forms.ChoiceField(
        label=_("Target language"), choices=language_choices, initial="es"
    )


class CampaignCreateForm(CampaignFields, SourceFields):
    slug = forms.SlugField(
        label=_("Short name for links"),
        required=False,
        max_length=80,
        help_text=_("Left empty, it is made from the name."),
    )
    preset = forms.ChoiceField(label=_("Dataset layout"))
    id_column = forms.CharField(
        label=_("Id column"), required=False, max_length=100, help_text=_("Generic layout only.")
    )
    pairs = forms.CharField(
        label=_("Source = translation columns"),
        required=False,
        # _PAIR backtracks on long lines: the cap keeps matching cheap.
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Generic layout only: one pair per line, such as text_en = text_es."),
    )
    metadata_columns = forms.CharField(
        label=_("Metadata columns"),
        required=False,
        max_length=500,
        help_text=_("Generic layout only: comma-separated."),
    )

    field_order = [
        "name",
        "slug",
        "preset",
        "description",
        "overlap",
        "source_language",
        "target_language",
        "source_file",
        "translation_file",
        "hub_name",
        "hub_config",
        "split",
        "id_column",
        "pairs",
        "metadata_columns",
    ]

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["preset"].choices = [(name, p.title) for name, p in PRESETS.items()]

    def clean(self):
        cleaned = super().clean()
        slug = cleaned.get("slug") or slugify(cleaned.get("name", ""))[:80]
        if not slug:
            self.add_error("slug", _("Choose a short name made of letters and digits."))
        elif Campaign.objects.filter(slug=slug).exists():
            self.add_error("slug", _("A campaign with this short name exists already."))
        cleaned["slug"] = slug
        preset = cleaned.get("preset")
        if preset:
            self.check_translation_for(preset)
            cleaned["field_mapping"] = self._mapping() if preset == "generic" else {}
        return cleaned

    def _mapping(self) -> dict:
        id_column = self.cleaned_data.get("id_column", "").strip()
        if not id_column:
            self.add_error("id_column", _("Name the column that identifies each row."))
        pairs = []
        for number, line in enumerate(self.cleaned_data.get("pairs", "").splitlines(), start=1):
            if not line.strip():
                continue
            match = _PAIR.match(line)
            if match is None:
                self.add_error(
                    "pairs",
                    _("Line %(number)s: write source_column = translation_column.")
                    % {"number": number},
                )
                continue
            pairs.append([match.group(1), match.group(2)])
        if not pairs:
            self.add_error("pairs", _("Name at least one pair of columns."))
        metadata = [
            column.strip()
            for column in self.cleaned_data.get("metadata_columns", "").split(",")
            if column.strip()
        ]
        return {"id": id_column, "pairs": pairs, "metadata": metadata}


class ImportForm(SourceFields):
    """Import more records, or a new version of the same ones, into an existing campaign."""


class CampaignSettingsForm(CampaignFields, forms.ModelForm):
    """The settings page: the fields of the create form, validated by the same rules."""

    class Meta:
        model = Campaign
        fields = list(CAMPAIGN_SETTINGS)
        help_texts = {
            "argilla_workspace": _(
                "To annotate in Argilla too: the workspace and dataset the campaign is kept in"
                " sync with (made if missing)."
            ),
        }

    def clean(self):
        cleaned = super().clean()
        names = [cleaned.get("argilla_workspace", ""), cleaned.get("argilla_dataset", "")]
        if any(names) and not all(names):
            self.add_error(
                "argilla_dataset" if names[0] else "argilla_workspace",
                _("Give both the Argilla workspace and the dataset, or neither."),
            )
        return cleaned


class _QuestionFormSetBase(forms.BaseModelFormSet):
    """Refuse forms that are not the campaign's own questions: added, forged or repeated."""

    def clean(self) -> None:
        super().clean()
        seen: set[int] = set()
        for form in self.forms:
            pk = form.instance.pk
            if form.instance._state.adding or pk in seen:
                raise forms.ValidationError(
                    _(
                        "The questions sent are not this campaign's questions; nothing was "
                        "saved. Reload the page and try again."
                    ),
                    code=QUESTIONS_MISMATCH,
                )
            seen.add(pk)


QuestionFormSet = forms.modelformset_factory(
    Question,
    formset=_QuestionFormSetBase,
    fields=["title", "description", "required"],
    extra=0,
    widgets={"description": forms.Textarea(attrs={"rows": 2})},
)


class OrganizerAddForm(forms.Form):
    email = forms.EmailField(label=_("E-mail of the new organizer"))

    def clean_email(self):
        email = self.cleaned_data["email"]
        user = get_user_model().objects.filter(email__iexact=email).first()
        if user is None:
            raise forms.ValidationError(_("Nobody has signed up with this e-mail yet."))
        self.cleaned_data["user"] = user
        return email
