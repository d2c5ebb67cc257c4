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
    # Parts of answers left out so that the rest could be applied (corrections of pieces a
    # record lacks): applied, but the organizers should know.
    warnings = models.JSONField(_("warnings"), default=list, blank=True)
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
        # The answer could not be applied; an ArgillaAnswerProblem keeps it for the next pull.
        PENDING = "pending", _("Pending")

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


class ArgillaAnswerDeletion(models.Model):
    """The Argilla time up to which a volunteer's answer to a record was deleted in Argilla.

    Argilla retries webhooks for a while and delivers them in any order: a copy of a version
    older than this time is a late delivery of an answer that no longer exists, and must not
    come back. A newer version (answered again there) applies as usual. Kept as long as
    webhook deliveries are (webhooks.DELIVERY_KEEP).
    """

    record = models.ForeignKey("campaigns.Record", on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    deleted_at = models.DateTimeField()
    noted_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["record", "user"], name="argilla_deletion_one_per_answer"
            )
        ]

    def __str__(self) -> str:
        return f"{self.record_id}/{self.user_id} deleted @ {self.deleted_at:%Y-%m-%d %H:%M:%S}"


class ArgillaAnswerProblemQuerySet(models.QuerySet):
    def pending(self) -> ArgillaAnswerProblemQuerySet:
        """Answers not applied yet, oldest first."""
        return (
            self.filter(kind=ArgillaAnswerProblem.Kind.PENDING)
            .select_related("record")
            .order_by("first_seen_at", "id")
        )

    def partial(self) -> ArgillaAnswerProblemQuerySet:
        """Answers applied without some of their values, latest first."""
        return (
            self.filter(kind=ArgillaAnswerProblem.Kind.PARTIAL)
            .select_related("record")
            .order_by("-seen_at", "-id")
        )


class ArgillaAnswerProblem(models.Model):
    """An Argilla answer Somos could not take whole, kept in view until it is.

    One per (record, Argilla user). A pending one was not applied at all (its values do not
    fit the campaign's questions, or the campaign takes no answers now): every pull tries it
    again, even when the dataset looks quiet, and it goes away once the answer applies or is
    gone from Argilla. A partial one was applied without the values it could not hold (the
    correction of a piece the record lacks); it goes away when a later version applies whole.
    """

    class Kind(models.TextChoices):
        PENDING = "pending", _("Not applied yet")
        PARTIAL = "partial", _("Applied in part")

    campaign = models.ForeignKey(
        "campaigns.Campaign", on_delete=models.CASCADE, related_name="argilla_answer_problems"
    )
    record = models.ForeignKey("campaigns.Record", on_delete=models.CASCADE, related_name="+")
    argilla_user_id = models.UUIDField()
    # Whose answer, as organizers know them (kept as text: a placeholder may be claimed later).
    who = models.CharField(_("annotator"), max_length=200)
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)
    detail = models.CharField(_("detail"), max_length=1000)
    # Argilla's time of the answer's version that had the problem.
    argilla_updated_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(_("attempts"), default=1)
    first_seen_at = models.DateTimeField(_("first seen"), auto_now_add=True)
    seen_at = models.DateTimeField(_("last seen"), auto_now=True)

    objects = ArgillaAnswerProblemQuerySet.as_manager()

    class Meta:
        verbose_name = _("Argilla answer problem")
        verbose_name_plural = _("Argilla answer problems")
        constraints = [
            models.UniqueConstraint(
                fields=["record", "argilla_user_id"], name="argilla_problem_one_per_answer"
            )
        ]
        indexes = [models.Index(fields=["campaign", "kind"], name="argilla_problem_kind_idx")]

    def __str__(self) -> str:
        return f"{self.record_id}/{self.argilla_user_id}: {self.kind}"
