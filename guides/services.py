"""Writes on guides: versions, acknowledgements, questions."""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from guides.models import Guide, GuideVersion


@transaction.atomic
def guide_version_publish(
    *,
    guide: Guide,
    body: str,
    changelog: str = "",
    video_url: str = "",
    important: bool = False,
    user: AbstractBaseUser | None = None,
) -> GuideVersion:
    """Publish a new version of the guide, numbered after the last one."""
    Guide.objects.select_for_update().filter(pk=guide.pk).first()
    last = guide.versions.aggregate(last=Max("number"))["last"] or 0
    return GuideVersion.objects.create(
        guide=guide,
        number=last + 1,
        body=body,
        changelog=changelog,
        video_url=video_url,
        important=important,
        published_at=timezone.now(),
        created_by=user,
    )
