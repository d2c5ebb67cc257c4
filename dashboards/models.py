"""Counters written in the same transaction as the responses that change them."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class CampaignCounter(models.Model):
    campaign = models.OneToOneField(
        "campaigns.Campaign", on_delete=models.CASCADE, related_name="counter", primary_key=True
    )
    records_total = models.PositiveIntegerField(default=0)
    records_completed = models.PositiveIntegerField(default=0)
    records_validated = models.PositiveIntegerField(default=0)
    records_disputed = models.PositiveIntegerField(default=0)
    responses_submitted = models.PositiveIntegerField(default=0)
    corrections = models.PositiveIntegerField(default=0)
    contributors = models.PositiveIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("campaign counter")
        verbose_name_plural = _("campaign counters")

    def __str__(self) -> str:
        return str(self.campaign)

    @property
    def percent_completed(self) -> int:
        if not self.records_total:
            return 0
        return int(100 * self.records_completed / self.records_total)


class ContributorCounter(models.Model):
    campaign = models.ForeignKey(
        "campaigns.Campaign", on_delete=models.CASCADE, related_name="contributor_counters"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="contributor_counters"
    )
    submitted = models.PositiveIntegerField(default=0)
    corrections = models.PositiveIntegerField(default=0)
    agreements = models.PositiveIntegerField(default=0)
    agreement_checks = models.PositiveIntegerField(default=0)
    first_submitted_at = models.DateTimeField(null=True, blank=True)
    last_submitted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("contributor counter")
        verbose_name_plural = _("contributor counters")
        constraints = [
            models.UniqueConstraint(fields=["campaign", "user"], name="contributor_counter_unique")
        ]
        indexes = [
            # Matches the ranking's order: most answers, then who got there first.
            models.Index(
                fields=["campaign", "-submitted", "last_submitted_at", "user"],
                name="contributor_rank_idx",
            )
        ]

    def __str__(self) -> str:
        return f"{self.campaign_id}/{self.user_id}: {self.submitted}"


class CampaignDay(models.Model):
    """Submitted answers per campaign and day, for pace and daily charts."""

    campaign = models.ForeignKey(
        "campaigns.Campaign", on_delete=models.CASCADE, related_name="days"
    )
    day = models.DateField()
    submitted = models.PositiveIntegerField(default=0)
    corrections = models.IntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["campaign", "day"], name="campaign_day_unique")
        ]

    def __str__(self) -> str:
        return f"{self.campaign_id} {self.day}: {self.submitted}"


class ContributorDay(models.Model):
    """Submitted answers per contributor and day, for 7- and 30-day rankings."""

    campaign = models.ForeignKey(
        "campaigns.Campaign", on_delete=models.CASCADE, related_name="contributor_days"
    )
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    submitted = models.PositiveIntegerField(default=0)
    corrections = models.IntegerField(default=0)
    last_submitted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["campaign", "user", "day"], name="contributor_day_unique"
            )
        ]
        # Covering: a window's ranking reads the index alone.
        indexes = [
            models.Index(
                fields=["campaign", "day"],
                include=["user", "submitted", "corrections", "last_submitted_at"],
                name="contributor_day_window_idx",
            )
        ]

    def __str__(self) -> str:
        return f"{self.campaign_id}/{self.user_id} {self.day}: {self.submitted}"
