"""Volunteer pages: join, annotate, my contributions."""

from __future__ import annotations

import time
from datetime import UTC, datetime

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core import signing
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from annotation.assignment import next_record_for
from annotation.selectors import (
    annotation_context,
    contributions_for,
    other_active_campaigns,
    volunteer_record,
    volunteer_submitted_count,
)
from annotation.services import (
    AnnotationClosed,
    campaign_join,
    response_save_draft,
    response_skip,
    response_submit,
)
from annotation.validation import ResponseInvalid
from campaigns.access import may_see
from campaigns.models import Campaign, Record
from campaigns.selectors import active_campaign, campaign_questions
from guides.selectors import must_acknowledge
from somos_site.ratelimit import rate_limited

_SHOWN_AT_SALT = "annotation.shown-at"
ACTIONS = ("submit", "draft", "skip")


def _active_campaign(slug: str, user) -> Campaign:
    # A campaign without a public dashboard is a closed run: only its organizers and staff
    # take part, and everyone else never learns it exists, as on its other pages.
    campaign = active_campaign(slug)
    if campaign is None or not may_see(user, campaign):
        raise Http404
    return campaign


@require_POST
@login_required
def join(request: HttpRequest, slug: str) -> HttpResponse:
    """Signed-in users: join an active campaign."""
    campaign = _active_campaign(slug, request.user)
    try:
        campaign_join(campaign=campaign, user=request.user)
    except AnnotationClosed as closed:
        messages.error(request, str(closed))
        return redirect("campaign_detail", slug=slug)
    return redirect("annotate", slug=slug)


def _guide_first(request: HttpRequest, campaign: Campaign) -> HttpResponse | None:
    """Send the volunteer to the guide when they must (re)acknowledge it before annotating."""
    if not must_acknowledge(campaign=campaign, user=request.user):
        return None
    messages.info(request, _("Please read the annotation guide before you start."))
    target = reverse("guide", args=[campaign.slug])
    return redirect(f"{target}?{urlencode({'next': request.get_full_path()})}")


@require_GET
@login_required
def annotate_next(request: HttpRequest, slug: str) -> HttpResponse:
    """Signed-in users: the next record this volunteer should answer."""
    campaign = _active_campaign(slug, request.user)
    # Joining is idempotent; the session spares the query on every next record.
    joined = f"joined:{campaign.pk}"
    if not request.session.get(joined):
        campaign_join(campaign=campaign, user=request.user)
        request.session[joined] = True
    if guide_redirect := _guide_first(request, campaign):
        return guide_redirect
    record = next_record_for(campaign=campaign, user=request.user)
    if record is None:
        return render(
            request,
            "annotation/done.html",
            {
                "campaign": campaign,
                "submitted": volunteer_submitted_count(campaign=campaign, user=request.user),
                "others": other_active_campaigns(campaign=campaign, user=request.user),
            },
        )
    return _annotate_page(request, campaign, record)


@require_http_methods(["GET", "POST"])
@login_required
@rate_limited("annotation_submit")
def annotate_record(request: HttpRequest, slug: str, record_id: int) -> HttpResponse:
    """The volunteer who holds or answered this record: show it, or take their answer."""
    campaign = _active_campaign(slug, request.user)
    record = volunteer_record(campaign=campaign, record_id=record_id, user=request.user)
    if record is None:
        raise Http404
    if request.method == "GET":
        return _guide_first(request, campaign) or _annotate_page(request, campaign, record)

    action = request.POST.get("action")
    values = _values_from(request, campaign)
    if action not in ACTIONS:
        # Nothing is saved; the page comes back with what was typed, as for a bad field.
        return _annotate_page(
            request, campaign, record, values=values, errors={"action": _("Unknown action.")}
        )
    if action == "submit" and must_acknowledge(campaign=campaign, user=request.user):
        # The guide changed under the volunteer: keep their work, show them what changed.
        action = "draft"
        messages.warning(
            request, _("The guide changed: your answer is kept as a draft until you read it.")
        )
    try:
        if action == "submit":
            response_submit(
                record=record,
                user=request.user,
                values=values,
                started_at=_shown_at(request.POST.get("shown_at", "")),
            )
            messages.success(request, _("Thank you! Your answer was saved."))
        elif action == "draft":
            response_save_draft(record=record, user=request.user, values=values)
            messages.success(request, _("Draft saved. You can finish it later."))
            return _guide_first(request, campaign) or redirect(
                "annotate_record", slug=slug, record_id=record.pk
            )
        else:
            response_skip(record=record, user=request.user)
            messages.info(request, _("Skipped. Here is another one."))
    except ResponseInvalid as invalid:
        return _annotate_page(request, campaign, record, values=values, errors=invalid.errors)
    except AnnotationClosed as closed:
        messages.error(request, str(closed))
        return redirect("campaign_detail", slug=slug)
    return redirect("annotate", slug=slug)


def _values_from(request: HttpRequest, campaign: Campaign) -> dict[str, object]:
    values: dict[str, object] = {}
    for question in campaign_questions(campaign):
        if question.kind == question.Kind.MULTI_LABEL:
            chosen = request.POST.getlist(question.name)
            if chosen:
                values[question.name] = chosen
        elif question.name in request.POST:
            values[question.name] = request.POST[question.name]
    return values


def _shown_at(token: str) -> datetime | None:
    # Signed when the page was rendered, so the answer's duration cannot be forged.
    try:
        shown = signing.loads(token, salt=_SHOWN_AT_SALT, max_age=24 * 3600)
        return datetime.fromtimestamp(float(shown), UTC)
    except (signing.BadSignature, ValueError, TypeError):
        return None


def _annotate_page(
    request: HttpRequest,
    campaign: Campaign,
    record: Record,
    *,
    values: dict | None = None,
    errors: dict | None = None,
) -> HttpResponse:
    context = annotation_context(campaign=campaign, record=record, user=request.user, values=values)
    context.update(errors=errors or {}, shown_at=signing.dumps(time.time(), salt=_SHOWN_AT_SALT))
    return render(request, "annotation/annotate.html", context, status=400 if errors else 200)


@require_GET
@login_required
def my_contributions(request: HttpRequest) -> HttpResponse:
    """The signed-in volunteer: their counts, milestones and recent answers."""
    context = contributions_for(user=request.user)
    context["argilla_enabled"] = bool(settings.ARGILLA_API_URL)
    return render(request, "annotation/contributions.html", context)
