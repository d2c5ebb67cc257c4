"""Who may see, organize and review what: one place for the campaign permission rules."""

from __future__ import annotations

from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404
from django.shortcuts import get_object_or_404

from campaigns.models import Campaign, Job


def may_see(user, campaign: Campaign) -> bool:
    """Anyone for a public campaign past its draft; its organizers and staff for any other.

    The one rule every page, feed and chart of a campaign asks (a private campaign is a closed
    run: only its organizers and staff see it or take part). Lists of campaigns for everyone
    start from public_campaigns(), the same rule as a query.
    """
    return visible_to_everyone(campaign) or can_organize(user, campaign)


def visible_to_everyone(campaign: Campaign) -> bool:
    """Say whether anyone at all, signed in or not, may see the campaign: public, past its draft."""
    return campaign.is_public and campaign.status != Campaign.Status.DRAFT


def on_no_public_page_yet(campaign: Campaign, *, created: bool) -> bool:
    """Say whether a campaign just saved cannot be on any page kept for everyone yet.

    So it is when it was just created as a draft or hidden: its pages' kept copies need no
    forgetting (and naming those pages would load every view of the site into a command).
    """
    return created and not visible_to_everyone(campaign)


def public_campaigns() -> QuerySet[Campaign]:
    """The campaigns anyone may see: public ones past their draft."""
    return Campaign.objects.filter(is_public=True).exclude(status=Campaign.Status.DRAFT)


def can_create_campaigns(user) -> bool:
    """Staff, and people staff gave the "add campaign" permission."""
    return user.is_authenticated and (user.is_staff or user.has_perm("campaigns.add_campaign"))


def can_organize(user, campaign: Campaign) -> bool:
    """Staff, and the campaign's own organizers."""
    if not getattr(user, "is_authenticated", False):
        return False
    return user.is_staff or campaign.organizers.filter(pk=user.pk).exists()


def organizer_required(view):
    """Load the campaign named by `slug` for its organizers; 404 for everyone else."""

    @login_required
    @wraps(view)
    def wrapper(request, slug: str, *args, **kwargs):
        campaign = get_object_or_404(Campaign, slug=slug)
        if not can_organize(request.user, campaign):
            # Not revealing whether a private draft exists.
            raise Http404
        return view(request, campaign, *args, **kwargs)

    return wrapper


def can_watch_job(user, job: Job) -> bool:
    """Who started it, staff, and the organizers of its campaign: see it, cancel it."""
    if not getattr(user, "is_authenticated", False):
        return False
    if user.is_staff or job.created_by_id == user.pk:
        return True
    return job.campaign is not None and can_organize(user, job.campaign)


def job_watcher_required(view):
    """Load the job named by `job_id` for those who may watch it; 404 for everyone else."""

    @login_required
    @wraps(view)
    def wrapper(request, job_id: int, *args, **kwargs):
        job = get_object_or_404(Job.objects.select_related("campaign"), pk=job_id)
        if not can_watch_job(request.user, job):
            raise Http404
        return view(request, job, *args, **kwargs)

    return wrapper


def creator_required(view):
    """Allow only those who may create campaigns."""

    @login_required
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not can_create_campaigns(request.user):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapper


def can_review(user, campaign: Campaign) -> bool:
    """Staff, the campaign's organizers and its reviewers."""
    if not user.is_authenticated:
        return False
    return (
        user.is_staff
        or campaign.organizers.filter(pk=user.pk).exists()
        or campaign.reviewers.filter(pk=user.pk).exists()
    )


def reviewer_required(view):
    """Load the campaign named by `slug` for those who review it; 404 for everyone else."""

    @login_required
    @wraps(view)
    def wrapper(request, slug: str, *args, **kwargs):
        campaign = get_object_or_404(Campaign, slug=slug)
        if not can_review(request.user, campaign):
            raise Http404
        return view(request, campaign, *args, **kwargs)

    return wrapper
