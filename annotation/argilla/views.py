"""Argilla pages: the webhook endpoint, organizers' sync button, volunteers' annotator account."""

from __future__ import annotations

import logging

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from annotation.argilla import gateway
from annotation.argilla.users import NoArgillaWorkspace, argilla_annotator_request
from annotation.argilla.webhooks import webhook_receive
from annotation.tasks import argilla_response_push_task
from campaigns.access import organizer_required
from campaigns.jobs.services import job_start
from campaigns.models import Campaign, Job

logger = logging.getLogger(__name__)

MAX_WEBHOOK_BODY = 2 * 2**20


@csrf_exempt
@require_POST
def webhook(request: HttpRequest) -> HttpResponse:
    """Anyone may call it; only deliveries signed with Somos's webhook secret do anything."""
    if _declared_length(request) > MAX_WEBHOOK_BODY:
        return JsonResponse({"detail": "too large"}, status=413)
    # At most one byte past the cap, so that a body without a declared length stops there.
    body = request.read(MAX_WEBHOOK_BODY + 1)
    if len(body) > MAX_WEBHOOK_BODY:
        return JsonResponse({"detail": "too large"}, status=413)
    headers = {name.lower(): value for name, value in request.headers.items()}
    outcome = webhook_receive(body=body, headers=headers)
    if outcome.push_response_id is not None:
        _push_later(outcome.push_response_id)
    return JsonResponse({"detail": outcome.detail}, status=outcome.status_code)


def _push_later(response_id: int) -> None:
    try:
        argilla_response_push_task.delay(response_id)
    except Exception:
        # With the broker down the webhook still succeeds; the periodic reconciliation
        # sends the newer answer to Argilla later.
        logger.warning("could not queue sending response %s to Argilla", response_id, exc_info=True)


def _declared_length(request: HttpRequest) -> int:
    try:
        return int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return 0


@require_POST
@organizer_required
def sync_start(request: HttpRequest, campaign: Campaign) -> HttpResponse:
    """Organizers of the campaign: queue a full sync now."""
    if not gateway.campaign_is_linked(campaign):
        messages.error(request, _("Set the campaign's Argilla workspace and dataset first."))
        return redirect("campaign_manage", slug=campaign.slug)
    # Answers are pulled only into an active campaign (`sync_argilla --force` overrides it).
    active = campaign.status == Campaign.Status.ACTIVE
    job = job_start(
        kind=Job.Kind.ARGILLA_SYNC,
        user=request.user,
        campaign=campaign,
        parameters={"pull": active},
    )
    if job.status == Job.Status.FAILED:
        messages.error(request, _("The sync with Argilla failed; see the list of runs."))
    elif active:
        messages.success(request, _("The sync with Argilla has started."))
    else:
        messages.success(
            request,
            _(
                "Records are being sent to Argilla. Answers given there are brought in"
                " once the campaign is active."
            ),
        )
    return redirect("campaign_manage", slug=campaign.slug)


@require_http_methods(["GET", "POST"])
@login_required
def annotator(request: HttpRequest) -> HttpResponse:
    """Signed-in volunteers: ask for an Argilla annotator account; see it once."""
    access = None
    if request.method == "POST" and gateway.configured():
        try:
            access = argilla_annotator_request(user=request.user)
        except NoArgillaWorkspace as exc:
            messages.error(request, str(exc))
        except (gateway.ArgillaUnavailable, gateway.ArgillaRejected):
            messages.error(request, _("Argilla is not answering right now. Try again later."))
    return render(
        request,
        "annotation/argilla_annotator.html",
        {"access": access, "argilla_on": gateway.configured()},
    )
