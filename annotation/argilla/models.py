"""Argilla sync state: where each campaign lives there, who is who, and what each run did."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class ArgillaDatasetLink(models.Model):
    """Where a campaign lives in Argilla, and how far its record push has got."""

    campaign = models.OneToOneField(
        "campaigns.Campaign", on_delete=models.CASCADE, related_name="argilla_link"
    )
    workspace_id = models.UUIDField(null=True, blank=True)
    dataset_id = models.UUIDField(null=True, blank=True, unique=True)
    # A push pass walks records by id; the cursor lets a failed pass resume where it stopped.
    push_cursor = models.BigIntegerField(default=0)
    push_pass_started_at = models.DateTimeField(null=True, blank=True)
    # Records changed after the start of the last complete pass are pushed again.
    pushed_until = models.DateTimeField(null=True, blank=True)
    # Argilla's dataset.last_activity_at at the last complete pull: unchanged means no new answers.
    pulled_activity_at = models.DateTimeField(null=True, blank=True)
    pulled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("Argilla dataset link")
        verbose_name_plural = _("Argilla dataset links")

    def __str__(self) -> str:
        return f"{self.campaign} → {self.dataset_id}"


class ArgillaAccount(models.Model):
    """An Argilla user and the Somos user its answers belong to."""

    argilla_user_id = models.UUIDField(unique=True)
    username = models.CharField(_("Argilla username"), max_length=200, unique=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="argilla_accounts"
    )
    # Created for answers of an Argilla user nobody in Somos is known to be yet.
    placeholder = models.BooleanField(default=False)
    # Created by Somos so that answers given here count in Argilla too.
    created_by_somos = models.BooleanField(default=False)
    workspace_ids = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("Argilla account")
        verbose_name_plural = _("Argilla accounts")

    def __str__(self) -> str:
        return self.username


class ArgillaSyncRun(models.Model):
    """One sync of a campaign with Argilla, kept with its counts and errors."""

    class Status(models.TextChoices):
        RUNNING = "running", _("Running")
        SUCCEEDED = "succeeded", _("Succeeded")
        FAILED = "failed", _("Failed")

    class Trigger(models.TextChoices):
        COMMAND = "command", _("Command")
        SCHEDULE = "schedule", _("Schedule")
        ORGANIZER = "organizer", _("Organizer")

    campaign = models.ForeignKey(
        "campaigns.Campaign", on_delete=models.CASCADE, related_name="argilla_sync_runs"
    )
    trigger = models.CharField(_("started by"), max_length=12, choices=Trigger.choices)
    push = models.BooleanField(_("push"), default=True)
    pull = models.BooleanField(_("pull"), default=True)
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.RUNNING
    )
    records_pushed = models.PositiveIntegerField(_("records pushed"), default=0)
    responses_pushed = models.PositiveIntegerField(_("answers pushed"), default=0)
    responses_pulled = models.PositiveIntegerField(_("answers pulled"), default=0)
    responses_withdrawn = models.PositiveIntegerField(_("answers withdrawn"), default=0)
    errors = models.JSONField(_("errors"), default=list, blank=True)
    started_at = models.DateTimeField(auto_now_add=True)
    heartbeat_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-started_at", "-id"]
        verbose_name = _("Argilla sync run")
        verbose_name_plural = _("Argilla sync runs")
        constraints = [
            # The lock: the database refuses a second running run of one campaign.
            models.UniqueConstraint(
                fields=["campaign"],
                condition=models.Q(status="running"),
                name="argilla_sync_one_running_per_campaign",
            )
        ]

    def __str__(self) -> str:
        return f"{self.campaign} {self.started_at:%Y-%m-%d %H:%M} {self.status}"


class ArgillaWebhook(models.Model):
    """A webhook Somos registered in Argilla, with the secret that signs its deliveries."""

    argilla_id = models.UUIDField(unique=True)
    url = models.URLField(max_length=500)
    secret = models.CharField(max_length=200)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.url


class WebhookDelivery(models.Model):
    """A webhook message received from Argilla, kept by id so a replay changes nothing."""

    class Status(models.TextChoices):
        APPLIED = "applied", _("Applied")
        IGNORED = "ignored", _("Ignored")

    message_id = models.CharField(max_length=100, unique=True)
    event = models.CharField(max_length=40)
    status = models.CharField(max_length=12, choices=Status.choices)
    detail = models.CharField(max_length=500, blank=True)
    received_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("webhook delivery")
        verbose_name_plural = _("webhook deliveries")

    def __str__(self) -> str:
        return f"{self.event} {self.message_id}"


class ArgillaResponseSeen(models.Model):
    """The Argilla time of the version an answer was last brought here from.

    An answer pulled from Argilla gets Somos's clock in `updated_at`, which is later than the
    Argilla edit it copies; comparing an incoming Argilla version with this time instead keeps
    a late or out-of-order webhook from being mistaken for the newer answer.
    """

    response = models.OneToOneField(
        "annotation.Response", on_delete=models.CASCADE, primary_key=True, related_name="+"
    )
    argilla_updated_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.response_id} @ {self.argilla_updated_at:%Y-%m-%d %H:%M:%S}"
