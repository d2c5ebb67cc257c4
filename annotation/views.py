"""Volunteer pages: join, annotate, my contributions."""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, datetime

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import AbstractBaseUser
from django.contrib.humanize.templatetags.humanize import intcomma
from django.core import signing
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from annotation.assignment import next_record_for
from annotation.selectors import (
    annotation_context,
    annotation_next,
    contributions_for,
    other_active_campaigns,
    volunteer_record,
    volunteer_submitted_count,
)
from annotation.services import (
    AnnotationClosed,
    NotAssigned,
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
# The piece the page keeps as a <template> for its script: every part there, all empty.
_PIECE_BLANK = {"question": {"name": ""}}


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
    return redirect(_guide_url(request, campaign))


def _guide_url(request: HttpRequest, campaign: Campaign, back: str | None = None) -> str:
    """The guide, with a word on why, and the way back (this page unless told)."""
    messages.info(request, _("Please read the annotation guide before you start."))
    target = reverse("guide", args=[campaign.slug])
    return f"{target}?{urlencode({'next': back or request.get_full_path()})}"


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
    """The volunteer who holds or answered this record: show it, or take their answer.

    A post that asks for JSON (the annotate page's script) is answered with the next record
    to show in place, so that each answer costs the browser one request; a plain form post
    (no script) is answered with a redirect, as always.
    """
    campaign = _active_campaign(slug, request.user)
    if request.method == "GET":
        record = _volunteer_record_or_404(request, campaign, record_id)
        return _guide_first(request, campaign) or _annotate_page(request, campaign, record)

    as_json = request.get_preferred_type(["text/html", "application/json"]) == "application/json"
    values = _values_from(request, campaign)
    try:
        # The write itself checks that the record is this volunteer's, under its lock.
        answered = _answer_take(
            request, campaign, Record(pk=record_id, campaign=campaign), values, lease_next=as_json
        )
    except NotAssigned:
        raise Http404 from None
    except ResponseInvalid as invalid:
        if as_json:
            return JsonResponse(
                {"message": _("Please check the marked fields."), "errors": invalid.errors},
                status=400,
            )
        record = _volunteer_record_or_404(request, campaign, record_id)
        return _annotate_page(request, campaign, record, values=values, errors=invalid.errors)
    except AnnotationClosed as closed:
        messages.error(request, str(closed))
        return _go(as_json, reverse("campaign_detail", args=[slug]))
    if answered.guide_changed:
        # The answer is kept as a draft: off to the guide, with what happened said there.
        messages.warning(
            request, _("The guide changed: your answer is kept as a draft until you read it.")
        )
        messages.add_message(request, answered.level, answered.message)
        return _go(as_json, _guide_url(request, campaign))
    if as_json:
        return _answered_json(request, campaign, answered)
    messages.add_message(request, answered.level, answered.message)
    if answered.action == "draft":
        return redirect("annotate_record", slug=slug, record_id=record_id)
    return redirect("annotate", slug=slug)


def _volunteer_record_or_404(request: HttpRequest, campaign: Campaign, record_id: int) -> Record:
    record = volunteer_record(campaign=campaign, record_id=record_id, user=request.user)
    if record is None:
        raise Http404
    return record


@dataclass(frozen=True)
class _Answered:
    """What became of a posted answer: the action taken and what to tell the volunteer."""

    action: str
    message: str
    level: int
    guide_changed: bool = False
    # Leased with the answer, for the page's script; None: look for one now.
    next_record: Record | None = None


def _answer_take(
    request: HttpRequest,
    campaign: Campaign,
    record: Record,
    values: dict[str, object],
    *,
    lease_next: bool,
) -> _Answered:
    """Save the posted answer (submit, draft or skip) to a record handed to this volunteer.

    lease_next: lease the next record in the same transaction (the page's script shows it).
    Raises NotAssigned (the record is not theirs), ResponseInvalid or AnnotationClosed.
    """
    action = request.POST.get("action")
    if action not in ACTIONS:
        # Nothing is saved; the page comes back with what was typed, as for a bad field.
        if volunteer_record(campaign=campaign, record_id=record.pk, user=request.user) is None:
            raise NotAssigned(record.pk)
        raise ResponseInvalid({"action": _("Unknown action.")})
    guide_changed = action == "submit" and must_acknowledge(campaign=campaign, user=request.user)
    if guide_changed:
        # The guide changed under the volunteer: keep their work, show them what changed.
        action = "draft"
    if action == "submit":
        outcome = response_submit(
            record=record,
            user=request.user,
            values=values,
            started_at=_shown_at(request.POST.get("shown_at", "")),
            assigned_only=True,
            lease_next=lease_next,
        )
        return _Answered(
            action,
            _("Thank you! Your answer was saved."),
            messages.SUCCESS,
            next_record=outcome.next_record,
        )
    if action == "draft":
        response_save_draft(record=record, user=request.user, values=values, assigned_only=True)
        return _Answered(
            action, _("Draft saved. You can finish it later."), messages.SUCCESS, guide_changed
        )
    outcome = response_skip(
        record=record, user=request.user, assigned_only=True, lease_next=lease_next
    )
    return _Answered(
        action,
        _("Skipped. Here is another one."),
        messages.INFO,
        next_record=outcome.next_record,
    )


def _answered_json(request: HttpRequest, campaign: Campaign, answered: _Answered) -> JsonResponse:
    """Say what was saved and hand over the next record, or where to go when none is left."""
    message = {"message": answered.message, "level": messages.DEFAULT_TAGS[answered.level]}
    if answered.action == "draft":
        return JsonResponse(message)
    annotate = reverse("annotate", args=[campaign.slug])
    if must_acknowledge(campaign=campaign, user=request.user):
        # The guide changed after a skip: read it first, as the next page would ask.
        messages.add_message(request, answered.level, answered.message)
        return JsonResponse({"redirect": _guide_url(request, campaign, back=annotate)})
    following = answered.next_record or next_record_for(campaign=campaign, user=request.user)
    if following is None:
        # The done page says what is left to do; the thanks go with it.
        messages.add_message(request, answered.level, answered.message)
        return JsonResponse({"redirect": annotate})
    return JsonResponse({**message, "record": _record_json(campaign, following, request.user)})


def _record_json(campaign: Campaign, record: Record, user: AbstractBaseUser) -> dict:
    """The record as the annotate page's script fills it in (annotation/static/annotate.js)."""
    shown = annotation_next(campaign=campaign, record=record, user=user)
    progress = shown["progress"]
    counts = ngettext(
        "You have validated %(counter)s record",
        "You have validated %(counter)s records",
        shown["my_submitted"],
    ) % {"counter": shown["my_submitted"]}
    completed = _("%(done)s of %(total)s records completed") % {
        "done": intcomma(progress["records_completed"]),
        "total": intcomma(progress["records_total"]),
    }
    return {
        "id": record.pk,
        "url": reverse("annotate_record", args=[campaign.slug, record.pk]),
        "external_id": record.external_id,
        "shown_at": signing.dumps(time.time(), salt=_SHOWN_AT_SALT),
        "counts": f"{counts} · {completed}",
        "reasons": shown["record_reasons"],
        "pieces": [
            {
                "label": piece["label"],
                "source": piece["source"],
                "translation": piece["translation"],
                # The badge's text, as the page's pieces carry it (None: not the answer).
                "correct_answer": _("Correct answer") if piece["is_correct_answer"] else None,
                "reasons": piece["reasons"],
                "question": piece["question"].name if piece["question"] else None,
                "corrected": piece["corrected"],
            }
            for piece in shown["pieces"]
        ],
        "values": {
            item["question"].name: item["value"]
            for item in shown["general_questions"]
            if item["value"] is not None
        },
    }


def _go(as_json: bool, url: str) -> HttpResponse:
    """Send the browser to url: a redirect for a form, a JSON answer for the page's script."""
    return JsonResponse({"redirect": url}) if as_json else redirect(url)


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
    context.update(
        errors=errors or {},
        shown_at=signing.dumps(time.time(), salt=_SHOWN_AT_SALT),
        piece_blank=_PIECE_BLANK,
    )
    return render(request, "annotation/annotate.html", context, status=400 if errors else 200)


@require_GET
@login_required
def my_contributions(request: HttpRequest) -> HttpResponse:
    """The signed-in volunteer: their counts, milestones and recent answers."""
    context = contributions_for(user=request.user)
    context["argilla_enabled"] = bool(settings.ARGILLA_API_URL)
    return render(request, "annotation/contributions.html", context)
