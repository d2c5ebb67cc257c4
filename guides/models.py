from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Guide(models.Model):
    campaign = models.OneToOneField(
        "campaigns.Campaign", on_delete=models.CASCADE, related_name="guide"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("guide")
        verbose_name_plural = _("guides")

    def __str__(self) -> str:
        return str(self.campaign)


class GuideVersion(models.Model):
    """A guide text; a draft until published, then frozen and readable forever."""

    guide = models.ForeignKey(Guide, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField(_("version"))
    body = models.TextField(_("guide (Markdown)"))
    video_url = models.URLField(_("video URL"), blank=True)
    changelog = models.TextField(_("what changed"), blank=True)
    important = models.BooleanField(
        _("important"), default=False, help_text=_("Volunteers must acknowledge it again.")
    )
    published_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["guide", "-number"]
        verbose_name = _("guide version")
        verbose_name_plural = _("guide versions")
        constraints = [
            models.UniqueConstraint(fields=["guide", "number"], name="guide_version_unique")
        ]

    def __str__(self) -> str:
        return f"{self.guide} v{self.number}"


class Acknowledgement(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="guide_acknowledgements"
    )
    version = models.ForeignKey(
        GuideVersion, on_delete=models.CASCADE, related_name="acknowledgements"
    )
    acknowledged_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "version"], name="acknowledgement_unique")
        ]

    def __str__(self) -> str:
        return f"{self.user_id} ✓ {self.version}"


class GuideQuestion(models.Model):
    """A volunteer's question or flag about the guide, and the organizers' answer."""

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        ANSWERED = "answered", _("Answered")
        RESOLVED = "resolved", _("Resolved")

    guide = models.ForeignKey(Guide, on_delete=models.CASCADE, related_name="questions")
    version = models.ForeignKey(
        GuideVersion, on_delete=models.SET_NULL, null=True, blank=True, related_name="questions"
    )
    section = models.CharField(_("section"), max_length=120, blank=True)
    record = models.ForeignKey(
        "campaigns.Record", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    asked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="guide_questions"
    )
    text = models.TextField(_("question"))
    answer = models.TextField(_("answer"), blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.OPEN
    )
    in_faq = models.BooleanField(_("in the FAQ"), default=False)
    answer_seen = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    answered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("guide question")
        verbose_name_plural = _("guide questions")

    def __str__(self) -> str:
        return self.text[:60]
