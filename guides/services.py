"""Writes on guides: drafts and versions, acknowledgements, questions and answers."""

from __future__ import annotations

import logging

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Max
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import override

from campaigns.models import Campaign, Record
from guides.models import Acknowledgement, Guide, GuideQuestion, GuideVersion
from guides.selectors import acknowledgement_cache_forget
from somos_site.accounts.models import Profile

logger = logging.getLogger(__name__)


class GuideNotReady(ValueError):
    """There is nothing to publish, or the draft is empty."""


def guide_create(*, campaign: Campaign) -> Guide:
    """Give the campaign its (empty) guide."""
    guide, _created = Guide.objects.get_or_create(campaign=campaign)
    return guide


def _next_number(guide: Guide) -> int:
    return (guide.versions.aggregate(last=Max("number"))["last"] or 0) + 1


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
    """Publish a new version of the guide straight away, numbered after the last one."""
    Guide.objects.select_for_update().filter(pk=guide.pk).first()
    guide.versions.filter(published_at__isnull=True).delete()
    return GuideVersion.objects.create(
        guide=guide,
        number=_next_number(guide),
        body=body,
        changelog=changelog,
        video_url=video_url,
        important=important,
        published_at=timezone.now(),
        created_by=user,
    )


@transaction.atomic
def guide_draft_save(
    *,
    guide: Guide,
    body: str,
    changelog: str,
    video_url: str,
    important: bool,
    user: AbstractBaseUser,
) -> GuideVersion:
    """Keep the organizers' work in progress: one draft per guide, invisible to volunteers."""
    Guide.objects.select_for_update().filter(pk=guide.pk).first()
    draft = guide.versions.filter(published_at__isnull=True).first()
    if draft is None:
        draft = GuideVersion(guide=guide, number=_next_number(guide), created_by=user)
    draft.body = body
    draft.changelog = changelog
    draft.video_url = video_url
    draft.important = important
    draft.save()
    return draft


@transaction.atomic
def guide_draft_publish(*, guide: Guide) -> GuideVersion:
    """Publish the draft as the guide's new current version."""
    draft = guide.versions.select_for_update().filter(published_at__isnull=True).first()
    if draft is None or not draft.body.strip():
        raise GuideNotReady(_("Write the guide before publishing it."))
    draft.published_at = timezone.now()
    draft.save(update_fields=["published_at"])
    return draft


def guide_acknowledge(*, user: AbstractBaseUser, version: GuideVersion) -> Acknowledgement:
    """Record that the volunteer read this version (again is fine)."""
    acknowledgement, _created = Acknowledgement.objects.get_or_create(user=user, version=version)
    acknowledgement_cache_forget(version=version, user=user)
    return acknowledgement


@transaction.atomic
def question_ask(
    *,
    guide: Guide,
    user: AbstractBaseUser,
    text: str,
    section: str = "",
    record: Record | None = None,
) -> GuideQuestion:
    """File a volunteer's question or flag about the guide, against its current version.

    Idempotent: the same question from the same person, still open, is the one already filed
    (a double click, or a form sent again after a lost answer, files it once).
    """
    text = text.strip()
    if not text:
        raise ValueError(_("Write your question."))
    asked = {
        "guide": guide,
        "asked_by": user,
        "text": text[:5000],
        "section": section[:120],
        "record": record
        if record is not None and record.campaign_id == guide.campaign_id
        else None,
    }
    # Two copies of one submit wait for each other here, so the second finds the first.
    Guide.objects.select_for_update().filter(pk=guide.pk).first()
    filed = GuideQuestion.objects.filter(**asked, status=GuideQuestion.Status.OPEN).first()
    if filed is not None:
        return filed
    version = guide.versions.filter(published_at__isnull=False).order_by("-number").first()
    return GuideQuestion.objects.create(**asked, version=version)


@transaction.atomic
def question_answer(
    *, question: GuideQuestion, user: AbstractBaseUser, answer: str, resolve: bool = False
) -> GuideQuestion:
    """Answer a question and tell the asker, here and by e-mail if they opted in."""
    answer = answer.strip()
    if not answer:
        raise ValueError(_("Write an answer."))
    question.answer = answer
    question.answered_by = user
    question.answered_at = timezone.now()
    question.status = GuideQuestion.Status.RESOLVED if resolve else GuideQuestion.Status.ANSWERED
    question.answer_seen = False
    question.save()
    transaction.on_commit(lambda: _email_asker(question.pk))
    return question


def question_resolve(*, question: GuideQuestion) -> GuideQuestion:
    """Close a question."""
    question.status = GuideQuestion.Status.RESOLVED
    question.save(update_fields=["status"])
    return question


def question_promote_to_faq(*, question: GuideQuestion) -> GuideQuestion:
    """Show the answered question in the guide's FAQ."""
    if not question.answer:
        raise ValueError(_("Answer the question before adding it to the FAQ."))
    question.in_faq = True
    question.save(update_fields=["in_faq"])
    return question


@transaction.atomic
def question_promote_to_draft(*, question: GuideQuestion, user: AbstractBaseUser) -> GuideVersion:
    """Append the question and its answer to the guide's draft, starting one if needed."""
    if not question.answer:
        raise ValueError(_("Answer the question before adding it to the guide."))
    guide = question.guide
    draft = guide.versions.filter(published_at__isnull=True).first()
    current = guide.versions.filter(published_at__isnull=False).order_by("-number").first()
    base = draft or current
    body = (base.body if base else "").rstrip()
    addition = f"\n\n### {question.text.strip()}\n\n{question.answer.strip()}\n"
    return guide_draft_save(
        guide=guide,
        body=body + addition,
        changelog=(draft.changelog if draft else ""),
        video_url=(base.video_url if base else ""),
        important=(draft.important if draft else False),
        user=user,
    )


def questions_mark_seen(*, user: AbstractBaseUser, guide: Guide) -> int:
    """Mark the answers the asker has now seen."""
    return (
        GuideQuestion.objects.filter(guide=guide, asked_by=user, answer_seen=False)
        .exclude(answer="")
        .update(answer_seen=True)
    )


def _email_asker(question_id: int) -> None:
    question = GuideQuestion.objects.select_related("asked_by", "guide__campaign").get(
        pk=question_id
    )
    profile = Profile.objects.filter(user=question.asked_by).first()
    if profile is None or not profile.email_notifications or not question.asked_by.email:
        return
    campaign = question.guide.campaign
    try:
        with override(settings.LANGUAGE_CODE):
            send_mail(
                subject=_("Your question about %(campaign)s was answered")
                % {"campaign": campaign.name},
                message=_(
                    "You asked:\n%(question)s\n\nThe answer:\n%(answer)s\n\n"
                    "See it in the guide: %(path)s"
                )
                % {
                    "question": question.text,
                    "answer": question.answer,
                    "path": reverse("guide", args=[campaign.slug]),
                },
                from_email=None,
                recipient_list=[question.asked_by.email],
            )
    except OSError:
        # The answer is on the site either way; mail is a courtesy.
        logger.warning("could not e-mail the answer to question %s", question_id, exc_info=True)
