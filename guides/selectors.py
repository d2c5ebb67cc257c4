"""Reads the guide pages, the annotate page and organizers share."""

from __future__ import annotations

import difflib
from dataclasses import dataclass

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Count, Q

from annotation.models import Response
from campaigns.models import Campaign, Record
from guides.models import Acknowledgement, Guide, GuideQuestion, GuideVersion
from guides.rendering import RenderedGuide, guide_render
from somos_site.cache import local_first_forget, local_first_get, local_first_set

# Every annotate request asks which guide version is current and whether this volunteer has
# read it; published versions never change, so both answers are cached until a publish.
CACHE_SECONDS = 600


def guide_of(campaign: Campaign) -> Guide:
    """Return the campaign's guide, creating the empty one older campaigns may lack."""
    guide, _created = Guide.objects.get_or_create(campaign=campaign)
    return guide


def published_versions(guide: Guide):
    """Every published version, newest first."""
    return guide.versions.filter(published_at__isnull=False).order_by("-number")


def current_version(guide: Guide) -> GuideVersion | None:
    """The newest published version."""
    return published_versions(guide).first()


@dataclass(frozen=True)
class AcknowledgementNeed:
    needed: bool
    version: GuideVersion | None
    last_acknowledged: GuideVersion | None
    changes: list[GuideVersion]


def acknowledgement_needed(*, guide: Guide, user: AbstractBaseUser) -> AcknowledgementNeed:
    """Say whether the volunteer must (re)read the guide before annotating, and what changed.

    The first annotation needs an acknowledgement of the current version; after that only a
    version marked important asks again. Unimportant versions are shown, never required.
    """
    current = current_version(guide)
    if current is None:
        return AcknowledgementNeed(False, None, None, [])
    last = (
        GuideVersion.objects.filter(guide=guide, acknowledgements__user=user)
        .order_by("-number")
        .first()
    )
    since = published_versions(guide).filter(number__gt=last.number) if last else []
    changes = list(since)
    needed = last is None or any(version.important for version in changes)
    return AcknowledgementNeed(needed, current, last, changes)


@dataclass(frozen=True)
class DiffLine:
    kind: str  # "same", "added", "removed"
    text: str


def version_diff(older: GuideVersion, newer: GuideVersion) -> list[DiffLine]:
    """Line-by-line differences between two versions' Markdown."""
    lines = []
    for line in difflib.ndiff(older.body.splitlines(), newer.body.splitlines()):
        marker, text = line[:2], line[2:]
        if marker == "? ":
            continue
        kind = {"+ ": "added", "- ": "removed"}.get(marker, "same")
        lines.append(DiffLine(kind, text))
    return lines


def faq(guide: Guide):
    """Answered questions promoted to the FAQ, newest first."""
    return guide.questions.filter(in_faq=True).exclude(answer="").order_by("-answered_at")


def questions_of(*, guide: Guide, user: AbstractBaseUser):
    """The volunteer's own questions on this guide."""
    return guide.questions.filter(asked_by=user).select_related("record").order_by("-created_at")


def inbox(*, guide: Guide, status: str | None = None):
    """Questions for organizers, open ones first."""
    questions = guide.questions.select_related("asked_by", "record", "version")
    if status:
        questions = questions.filter(status=status)
    return questions.order_by("status", "-created_at")


def unseen_answers_count(*, user: AbstractBaseUser) -> int:
    """How many answers to the user's questions they have not read yet."""
    return GuideQuestion.objects.filter(asked_by=user, answer_seen=False).exclude(answer="").count()


@dataclass(frozen=True)
class VersionStats:
    version: GuideVersion
    questions: int
    records_answered: int
    records_disputed: int

    @property
    def disputed_percent(self) -> int | None:
        if not self.records_answered:
            return None
        return round(100 * self.records_disputed / self.records_answered)


def version_stats(*, guide: Guide) -> list[VersionStats]:
    """Per version: questions asked and the share of disputed records answered under it."""
    versions = list(published_versions(guide).annotate(asked=Count("questions", distinct=True)))
    stats = []
    for version in versions:
        records = Response.objects.filter(
            guide_version=version, status=Response.Status.SUBMITTED
        ).values("record_id")
        answered = Record.objects.filter(pk__in=records).aggregate(
            total=Count("id"), disputed=Count("id", filter=Q(status=Record.Status.DISPUTED))
        )
        stats.append(VersionStats(version, version.asked, answered["total"], answered["disputed"]))
    return stats


def has_acknowledged(*, user: AbstractBaseUser, version: GuideVersion) -> bool:
    """Say whether the user acknowledged this exact version."""
    return Acknowledgement.objects.filter(user=user, version=version).exists()


def _current_key(campaign_id: int) -> str:
    return f"somos:guide-current:{campaign_id}"


def current_version_of(campaign: Campaign) -> GuideVersion | None:
    """The campaign guide's newest published version (cached until the next publish)."""
    cached = local_first_get(_current_key(campaign.pk))
    if cached is not None:
        return cached or None
    version = (
        GuideVersion.objects.filter(guide__campaign=campaign, published_at__isnull=False)
        .order_by("-number")
        .first()
    )
    local_first_set(_current_key(campaign.pk), version or False, CACHE_SECONDS)
    return version


def guide_cache_forget(*, campaign_id: int) -> None:
    """Drop what is cached about the campaign's current guide version."""
    local_first_forget(_current_key(campaign_id))


def _acknowledged_key(version: GuideVersion, user: AbstractBaseUser) -> str:
    return f"somos:guide-read:{version.pk}:{user.pk}"


def must_acknowledge(*, campaign: Campaign, user: AbstractBaseUser) -> bool:
    """Say, cheaply, whether the volunteer must (re)read the guide before annotating."""
    version = current_version_of(campaign)
    if version is None:
        return False
    key = _acknowledged_key(version, user)
    needed = local_first_get(key)
    if needed is None:
        guide = Guide(pk=version.guide_id, campaign_id=campaign.pk)
        needed = acknowledgement_needed(guide=guide, user=user).needed
        # "Read" never turns back for this version; "not read yet" does, in whichever
        # process takes the acknowledgement, so only the first is kept locally.
        local_first_set(key, needed, CACHE_SECONDS, locally=not needed)
    return needed


def acknowledgement_cache_forget(*, version: GuideVersion, user: AbstractBaseUser) -> None:
    """Forget whether this volunteer must read this version (they just did)."""
    local_first_forget(_acknowledged_key(version, user))


def rendered_version(version: GuideVersion) -> RenderedGuide:
    """A published version's HTML, rendered once."""
    key = f"somos:guide-html:{version.pk}"
    rendered = local_first_get(key)
    if rendered is None:
        rendered = guide_render(version.body)
        local_first_set(key, rendered, CACHE_SECONDS)
    return rendered
