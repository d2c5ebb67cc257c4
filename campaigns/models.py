from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

# Answers each record needs: more than 20 volunteers on one record helps nobody, and the
# dashboards' pace and estimates are sized for it.
OVERLAP_MIN, OVERLAP_MAX = 1, 20


class StoredJSONField(models.JSONField):
    """A JSONField that PostgreSQL stores as `json`: checked and kept as written, not parsed.

    For values the database never looks inside and hands back whole: `jsonb` parses every
    value into its binary form on the way in, a third of an import's writing time for the
    original rows. Equality and containment queries need `jsonb`; `->` works on both.
    """

    def db_type(self, connection) -> str:
        if connection.vendor == "postgresql":
            return "json"
        return super().db_type(connection)

    def from_db_value(self, value, expression, connection):
        # psycopg decodes `json` itself (Django keeps only `jsonb` as text to decode).
        if connection.vendor == "postgresql":
            return value
        return super().from_db_value(value, expression, connection)


class Campaign(models.Model):
    class Kind(models.TextChoices):
        TRANSLATION_VALIDATION = "translation_validation", _("Translation validation")
        PROMPT_TRANSLATION = "prompt_translation", _("Prompt translation")
        GENERIC = "generic", _("Generic")

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        ACTIVE = "active", _("Active")
        PAUSED = "paused", _("Paused")
        CLOSED = "closed", _("Closed")

    slug = models.SlugField(_("slug"), max_length=80, unique=True)
    name = models.CharField(_("name"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    kind = models.CharField(
        _("kind"), max_length=32, choices=Kind.choices, default=Kind.TRANSLATION_VALIDATION
    )
    source_language = models.CharField(_("source language"), max_length=12, default="en")
    target_language = models.CharField(_("target language"), max_length=12, default="es")
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.DRAFT, db_index=True
    )
    overlap = models.PositiveSmallIntegerField(
        _("overlap"),
        default=2,
        validators=[MinValueValidator(OVERLAP_MIN), MaxValueValidator(OVERLAP_MAX)],
        help_text=_("Submitted responses each record needs."),
    )
    is_public = models.BooleanField(_("public dashboard"), default=True)
    # How many records the triage checks flagged (set by every import): the queue looks for
    # suspect records first only where there are some.
    suspect_records = models.PositiveIntegerField(_("suspect records"), default=0)
    triage_first = models.BooleanField(
        _("suspect translations first"),
        default=True,
        help_text=_(
            "Offer volunteers first the records whose machine translation looks broken "
            "(text left in English, numbers changed, cut short...)."
        ),
    )
    organizers = models.ManyToManyField(
        settings.AUTH_USER_MODEL, related_name="organized_campaigns", blank=True
    )
    reviewers = models.ManyToManyField(
        settings.AUTH_USER_MODEL, related_name="reviewed_campaigns", blank=True
    )
    preset = models.CharField(_("preset"), max_length=40, blank=True)
    field_mapping = models.JSONField(_("field mapping"), default=dict, blank=True)
    argilla_workspace = models.CharField(_("Argilla workspace"), max_length=120, blank=True)
    argilla_dataset = models.CharField(_("Argilla dataset"), max_length=120, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    launched_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("campaign")
        verbose_name_plural = _("campaigns")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(overlap__gte=OVERLAP_MIN, overlap__lte=OVERLAP_MAX),
                name="campaign_overlap_range",
            )
        ]

    def __str__(self) -> str:
        return self.name


class Question(models.Model):
    class Kind(models.TextChoices):
        LABEL = "label", _("Single choice")
        MULTI_LABEL = "multi_label", _("Multiple choice")
        TEXT = "text", _("Text")
        RATING = "rating", _("Rating")

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="questions")
    name = models.SlugField(_("name"), max_length=80)
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    options = models.JSONField(_("options"), default=list, blank=True)
    required = models.BooleanField(_("required"), default=True)
    field = models.CharField(
        _("translated field"),
        max_length=80,
        blank=True,
        help_text=_("For a text question: the translated piece it corrects."),
    )
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["campaign", "position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["campaign", "name"], name="question_name_unique")
        ]

    def __str__(self) -> str:
        return self.title


# What organizers may change on the settings page, in the order the page shows them.
CAMPAIGN_SETTINGS = (
    "name",
    "description",
    "overlap",
    "source_language",
    "target_language",
    "is_public",
    "triage_first",
    "argilla_workspace",
    "argilla_dataset",
)


class Record(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        COMPLETED = "completed", _("Completed")
        VALIDATED = "validated", _("Validated")
        DISPUTED = "disputed", _("Disputed")

    # No index of its own: the unique (campaign, external_id) index starts with it.
    campaign = models.ForeignKey(
        Campaign, on_delete=models.CASCADE, related_name="records", db_index=False
    )
    external_id = models.CharField(_("external id"), max_length=255)
    # [{"name": ..., "source": ..., "translation": ...}] in display order.
    fields = models.JSONField(_("fields"), default=list)
    # The original row(s) as read, so export can write them back in the same layout.
    # Read whole (export), never queried inside: `json`, which an import writes cheaply.
    source_row = StoredJSONField(_("original row"), default=dict)
    metadata = models.JSONField(_("metadata"), default=dict, blank=True)
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.PENDING
    )
    submitted_count = models.PositiveIntegerField(_("submitted responses"), default=0)
    # How likely the machine translation is broken (campaigns.triage.checks), and why:
    # [{"piece", "check", "weight", "detail"}]. Set at import, again on every upsert.
    suspicion = models.FloatField(_("suspicion"), default=0)
    triage_flags = models.JSONField(_("triage flags"), default=list, blank=True)
    argilla_id = models.UUIDField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["campaign", "id"]
        verbose_name = _("record")
        verbose_name_plural = _("records")
        constraints = [
            models.UniqueConstraint(
                fields=["campaign", "external_id"], name="record_external_id_unique"
            )
        ]
        indexes = [
            models.Index(
                fields=["campaign", "submitted_count", "id"], name="record_assignment_idx"
            ),
            # Only the suspect records (a few in a hundred): imports keep it up cheaply.
            models.Index(
                "campaign",
                F("suspicion").desc(),
                "submitted_count",
                "id",
                name="record_suspect_idx",
                condition=Q(suspicion__gt=0),
            ),
        ]

    def __str__(self) -> str:
        return self.external_id


class ImportRun(models.Model):
    """One attempt to import a source into a campaign, kept with its errors."""

    class Status(models.TextChoices):
        RUNNING = "running", _("Running")
        SUCCEEDED = "succeeded", _("Succeeded")
        FAILED = "failed", _("Failed")

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="import_runs")
    preset = models.CharField(_("preset"), max_length=40)
    source_name = models.CharField(_("source"), max_length=500)
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.RUNNING
    )
    records_created = models.PositiveIntegerField(_("records created"), default=0)
    records_updated = models.PositiveIntegerField(_("records updated"), default=0)
    errors = models.JSONField(_("errors"), default=list, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    started_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-started_at"]
        verbose_name = _("import run")
        verbose_name_plural = _("import runs")

    def __str__(self) -> str:
        return f"{self.campaign} ← {self.source_name}"


class Job(models.Model):
    """Long work run in the background (an import, an export, a sync, a recount), watched live.

    The row says what was asked and how it ended; while the job runs its progress lives in the
    cache (`campaigns.jobs`), since the work's own transaction cannot show it to anyone.
    """

    class Kind(models.TextChoices):
        IMPORT = "import", _("Import")
        EXPORT = "export", _("Export")
        ARGILLA_SYNC = "argilla_sync", _("Argilla sync")
        RECOMPUTE = "recompute", _("Counters recount")

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        SUCCEEDED = "succeeded", _("Succeeded")
        FAILED = "failed", _("Failed")
        CANCELLED = "cancelled", _("Cancelled")

    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    # Null while an import that creates its campaign runs, and after a failed one.
    campaign = models.ForeignKey(
        Campaign, on_delete=models.CASCADE, null=True, blank=True, related_name="jobs"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.QUEUED
    )
    done = models.PositiveBigIntegerField(_("done"), default=0)
    total = models.PositiveBigIntegerField(_("total"), null=True, blank=True)
    # What the handler needs (files, options); never shown as is.
    parameters = models.JSONField(default=dict, blank=True)
    messages = models.JSONField(_("messages"), default=list, blank=True)
    result = models.JSONField(_("result"), default=dict, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("job")
        verbose_name_plural = _("jobs")
        indexes = [
            models.Index(fields=["campaign", "-created_at"]),
            models.Index(fields=["status"]),
        ]

    def __str__(self) -> str:
        return f"{self.kind} #{self.pk} ({self.status})"

    @property
    def finished(self) -> bool:
        """True once the job ended, well or not."""
        return self.status in (self.Status.SUCCEEDED, self.Status.FAILED, self.Status.CANCELLED)
