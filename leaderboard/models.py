"""The leaderboard dataset registry: evaluation datasets, their versions, what campaigns feed."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from leaderboard.vocabulary import domain_name, task_name


class LeaderboardDataset(models.Model):
    """An evaluation dataset of the Spanish LLM leaderboard."""

    name = models.CharField(_("name"), max_length=120, unique=True)
    slug = models.SlugField(_("slug"), max_length=120, unique=True)
    description = models.TextField(_("description"), blank=True)
    languages = models.JSONField(_("languages"), default=list)
    domain = models.CharField(_("domain"), max_length=80, blank=True)
    task = models.CharField(_("task"), max_length=120, blank=True)
    donor = models.CharField(_("donor or source"), max_length=200, blank=True)
    license = models.CharField(_("license"), max_length=80, blank=True)
    hf_repo = models.CharField(_("Hugging Face repository"), max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        # The table keeps the name it had when the registry lived in campaigns.
        db_table = "campaigns_leaderboarddataset"
        ordering = ["name"]
        verbose_name = _("leaderboard dataset")
        verbose_name_plural = _("leaderboard datasets")

    def __str__(self) -> str:
        return self.name

    @property
    def domain_label(self) -> str:
        """The domain as the visitor's language names it."""
        return domain_name(self.domain)

    @property
    def task_label(self) -> str:
        """The task as the visitor's language names it."""
        return task_name(self.task)


class LeaderboardDatasetVersion(models.Model):
    """One published version of a leaderboard dataset (an export of a campaign)."""

    dataset = models.ForeignKey(
        LeaderboardDataset, on_delete=models.CASCADE, related_name="versions"
    )
    number = models.PositiveIntegerField(_("version"))
    campaign = models.ForeignKey(
        "campaigns.Campaign", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    records = models.PositiveIntegerField(_("records"), default=0)
    # Coverage at export time: how much of the campaign the community had validated.
    records_validated = models.PositiveIntegerField(_("records validated"), default=0)
    records_total = models.PositiveIntegerField(_("records in the campaign"), default=0)
    include = models.CharField(_("records included"), max_length=12, default="validated")
    location = models.CharField(_("location"), max_length=500, blank=True)
    notes = models.TextField(_("notes"), blank=True)
    # Shown in the public registry. Publishing to it is staff's decision: an organizer's
    # export is a proposal until staff publish it.
    published = models.BooleanField(_("published"), default=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "campaigns_leaderboarddatasetversion"
        ordering = ["dataset", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["dataset", "number"], name="leaderboard_version_unique")
        ]

    def __str__(self) -> str:
        return f"{self.dataset} v{self.number}"

    @property
    def coverage(self) -> float:
        """Return the share of the campaign's records that were validated."""
        return self.records_validated / self.records_total if self.records_total else 0.0


class CampaignTarget(models.Model):
    """The leaderboard dataset whose new versions a campaign's exports become."""

    campaign = models.OneToOneField(
        "campaigns.Campaign",
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="leaderboard_target",
    )
    dataset = models.ForeignKey(
        LeaderboardDataset,
        on_delete=models.CASCADE,
        related_name="targets",
        verbose_name=_("leaderboard dataset"),
    )

    class Meta:
        verbose_name = _("campaign's leaderboard dataset")
        verbose_name_plural = _("campaigns' leaderboard datasets")

    def __str__(self) -> str:
        return f"{self.campaign_id} → {self.dataset}"
