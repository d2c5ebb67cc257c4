"""Reads the guide pages, the annotate page and organizers share."""

from __future__ import annotations

import difflib
from dataclasses import dataclass

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Count

from campaigns.models import Campaign
from guides.models import Acknowledgement, Guide, GuideVersion
from guides.rendering import RenderedGuide, guide_render
from somos_site.cache import cached, forget

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
    questions = guide.questions.select_related("asked_by__profile", "record", "version")
    if status:
        questions = questions.filter(status=status)
    return questions.order_by("status", "-created_at")


def questions_per_version(*, guide: Guide) -> list[tuple[GuideVersion, int]]:
    """Every published version with how many questions were asked against it, newest first."""
    versions = published_versions(guide).annotate(asked=Count("questions", distinct=True))
    return [(version, version.asked) for version in versions]


def has_acknowledged(*, user: AbstractBaseUser, version: GuideVersion) -> bool:
    """Say whether the user acknowledged this exact version."""
    return Acknowledgement.objects.filter(user=user, version=version).exists()


def _current_key(campaign_id: int) -> str:
    return f"guide-current:{campaign_id}"


def current_version_of(campaign: Campaign) -> GuideVersion | None:
    """The campaign guide's newest published version (cached until the next publish)."""
    return cached(
        _current_key(campaign.pk),
        lambda: (
            GuideVersion.objects.filter(guide__campaign=campaign, published_at__isnull=False)
            .order_by("-number")
            .first()
        ),
        timeout=CACHE_SECONDS,
    )


def guide_cache_forget(*, campaign_id: int, version_id: int | None = None) -> None:
    """Forget the campaign's current guide version (and a version's HTML) once it commits."""
    keys = [_current_key(campaign_id)]
    if version_id is not None:
        keys.append(_html_key(version_id))
    forget(*keys)


def _acknowledged_key(version: GuideVersion, user: AbstractBaseUser) -> str:
    return f"guide-read:{version.pk}:{user.pk}"


def must_acknowledge(*, campaign: Campaign, user: AbstractBaseUser) -> bool:
    """Say, cheaply, whether the volunteer must (re)read the guide before annotating."""
    version = current_version_of(campaign)
    if version is None:
        return False

    def needed() -> bool:
        guide = Guide(pk=version.guide_id, campaign_id=campaign.pk)
        return acknowledgement_needed(guide=guide, user=user).needed

    # "Read" never turns back for this version; "not read yet" does, in whichever process
    # takes the acknowledgement, so only the first is kept in this process.
    return cached(
        _acknowledged_key(version, user),
        needed,
        timeout=CACHE_SECONDS,
        local=lambda must: not must,
    )


def acknowledgement_cache_forget(*, version: GuideVersion, user: AbstractBaseUser) -> None:
    """Forget whether this volunteer must read this version (they just did)."""
    forget(_acknowledged_key(version, user))


def _html_key(version_id: int) -> str:
    return f"guide-html:{version_id}"


def rendered_version(version: GuideVersion) -> RenderedGuide:
    """A published version's HTML, rendered once."""
    return cached(_html_key(version.pk), lambda: guide_render(version.body), timeout=CACHE_SECONDS)
