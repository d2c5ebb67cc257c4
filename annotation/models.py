from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from campaigns.models import StoredJSONField


class Response(models.Model):
    """A volunteer's answer to one record: one per (record, user), whichever UI it came from."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        SUBMITTED = "submitted", _("Submitted")
        DISCARDED = "discarded", _("Discarded")

    class Origin(models.TextChoices):
        WEB = "web", _("Somos")
        ARGILLA = "argilla", _("Argilla")

    record = models.ForeignKey(
        "campaigns.Record", on_delete=models.CASCADE, related_name="responses"
    )
    # Denormalised from the record so per-campaign reads need no join.
    campaign = models.ForeignKey(
        "campaigns.Campaign", on_delete=models.CASCADE, related_name="responses"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="responses"
    )
    values = models.JSONField(_("values"), default=dict)
    status = models.CharField(_("status"), max_length=12, choices=Status.choices)
    origin = models.CharField(
        _("origin"), max_length=12, choices=Origin.choices, default=Origin.WEB
    )
    corrections = models.PositiveSmallIntegerField(_("corrected pieces"), default=0)
    annotator_variety = models.CharField(
        _("annotator's Spanish variety"), max_length=20, blank=True
    )
    # The guide version the volunteer answered under: is the guide getting clearer?
    guide_version = models.ForeignKey(
        "guides.GuideVersion", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    started_at = models.DateTimeField(null=True, blank=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    # When it first counted: daily counters and rankings date a response by this.
    first_submitted_at = models.DateTimeField(null=True, blank=True)
    duration_ms = models.PositiveIntegerField(null=True, blank=True)
    revision = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("response")
        verbose_name_plural = _("responses")
        constraints = [
            models.UniqueConstraint(fields=["record", "user"], name="response_record_user_unique")
        ]
        indexes = [
            models.Index(
                fields=["campaign", "user", "-updated_at"], name="response_user_recent_idx"
            ),
            # Every next record asks for the volunteer's drafts: without this, PostgreSQL
            # read all their answers in the campaign to find the few drafts among them.
            models.Index(
                fields=["user", "campaign"],
                condition=models.Q(status="draft"),
                name="response_draft_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.record_id}/{self.user_id} ({self.status})"


class ResponseRevision(models.Model):
    """An earlier state of a response: edits never lose the previous answer."""

    response = models.ForeignKey(Response, on_delete=models.CASCADE, related_name="revisions")
    number = models.PositiveIntegerField()
    values = models.JSONField(default=dict)
    status = models.CharField(max_length=12, choices=Response.Status.choices)
    origin = models.CharField(max_length=12, choices=Response.Origin.choices)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["response", "number"]
        constraints = [
            models.UniqueConstraint(fields=["response", "number"], name="response_revision_unique")
        ]

    def __str__(self) -> str:
        return f"{self.response_id} r{self.number}"


class Participation(models.Model):
    """A volunteer who joined a campaign."""

    campaign = models.ForeignKey(
        "campaigns.Campaign", on_delete=models.CASCADE, related_name="participations"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="participations"
    )
    joined_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["campaign", "user"], name="participation_unique")
        ]

    def __str__(self) -> str:
        return f"{self.user_id} ∈ {self.campaign_id}"


class Lease(models.Model):
    """A record held for one volunteer for a few minutes, so a last slot is not given twice."""

    record = models.ForeignKey("campaigns.Record", on_delete=models.CASCADE, related_name="leases")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    expires_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["record", "user"], name="lease_unique")]
        indexes = [models.Index(fields=["user", "expires_at"], name="lease_user_idx")]

    def __str__(self) -> str:
        return f"{self.record_id} → {self.user_id} until {self.expires_at:%H:%M}"


class Consensus(models.Model):
    """What a record's answers settled: verdict and final text per piece, and how.

    The rule, its version and a snapshot of its inputs are kept so the result can be
    recomputed; a reviewer's decision is final and no recomputation replaces it.
    """

    class Status(models.TextChoices):
        VALIDATED = "validated", _("Validated")
        DISPUTED = "disputed", _("Disputed")

    record = models.OneToOneField(
        "campaigns.Record", on_delete=models.CASCADE, related_name="consensus"
    )
    rule = models.CharField(_("rule"), max_length=40)
    rule_version = models.PositiveSmallIntegerField(_("rule version"))
    # {"answers": [{"response", "user", "values"}], "translations": {piece: text}}; the
    # translations only where the rule compared corrections with them (consensus/services.py).
    # Read back whole, never queried inside: `json`, which bulk consensus writes cheaply.
    inputs = StoredJSONField(_("inputs"), default=dict)
    verdict = models.CharField(_("verdict"), max_length=40, blank=True)
    # {piece: final text}; null for a piece the answers left undecided.
    pieces = models.JSONField(_("final text"), default=dict)
    agreement = models.FloatField(_("agreement"), default=0.0)
    status = models.CharField(_("status"), max_length=12, choices=Status.choices)
    reason = models.CharField(_("reason"), max_length=40, blank=True)
    reviewed = models.BooleanField(_("decided by a reviewer"), default=False)
    # Indexed only where a reviewer decided (see Meta): most consensus is the rule's, and
    # a bulk settle would otherwise add one empty entry per record.
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
    )
    decided_at = models.DateTimeField(_("decided at"))
    note = models.TextField(_("reviewer's note"), blank=True)

    class Meta:
        # The table keeps the name it had when consensus lived in campaigns.
        db_table = "campaigns_consensus"
        indexes = [
            models.Index(
                fields=["decided_by"],
                condition=models.Q(decided_by__isnull=False),
                name="consensus_decided_by_idx",
            )
        ]
        verbose_name = _("consensus")
        verbose_name_plural = _("consensus results")

    def __str__(self) -> str:
        return f"{self.record_id}: {self.status}"


# The Argilla sync's models live beside its code; importing them here registers them.
from annotation.argilla.models import (  # noqa: E402, F401
    ArgillaAccount,
    ArgillaDatasetLink,
    ArgillaResponseSeen,
    ArgillaSyncRun,
    ArgillaWebhook,
    WebhookDelivery,
)
