"""The organizers' sync list and button, and the volunteers' Argilla account page."""

from __future__ import annotations

import uuid

import pytest
from django.template.loader import render_to_string
from django.test import RequestFactory

from annotation.argilla.models import ArgillaAnswerProblem, ArgillaSyncRun
from campaigns.models import Campaign, Job
from campaigns.services import campaign_status_change

pytestmark = pytest.mark.django_db


def test_sync_list_shows_runs_with_counts_and_errors(arc_campaign, organizer):
    arc_campaign.argilla_workspace, arc_campaign.argilla_dataset = "ws", "arc"
    ArgillaSyncRun.objects.create(
        campaign=arc_campaign,
        trigger="schedule",
        status="failed",
        records_pushed=500,
        errors=["Argilla is down <b>now</b>"],
    )
    request = RequestFactory().get("/")
    request.user = organizer

    html = render_to_string(
        "annotation/_argilla_sync.html", {"campaign": arc_campaign}, request=request
    )

    assert "500" in html
    assert "Argilla is down &lt;b&gt;now&lt;/b&gt;" in html
    assert f"/organize/{arc_campaign.slug}/argilla-sync/" in html


def test_only_organizers_may_start_a_sync(client, arc_campaign, organizer, volunteer):
    client.force_login(volunteer)
    assert client.post(f"/organize/{arc_campaign.slug}/argilla-sync/").status_code == 404
    client.force_login(organizer)
    response = client.post(f"/organize/{arc_campaign.slug}/argilla-sync/")
    assert response.status_code == 302
    assert not ArgillaSyncRun.objects.exists()  # not linked to Argilla: nothing to run


def test_annotator_page_needs_sign_in_and_says_when_argilla_is_off(client, volunteer):
    assert client.get("/argilla/annotator/").status_code == 302
    client.force_login(volunteer)
    response = client.get("/argilla/annotator/")
    assert response.status_code == 200
    assert response.context["argilla_on"] is False


def test_sync_now_on_a_campaign_that_is_not_active_only_pushes(
    client, arc_campaign, organizer, settings
):
    # Nothing answers on port 9: the job runs (inline in the tests) and fails on Argilla,
    # having asked for a push only.
    settings.ARGILLA_API_URL, settings.ARGILLA_API_KEY = "http://127.0.0.1:9", "key"
    arc_campaign.argilla_workspace, arc_campaign.argilla_dataset = "ws", "arc"
    arc_campaign.save(update_fields=["argilla_workspace", "argilla_dataset"])
    campaign_status_change(campaign=arc_campaign, status=Campaign.Status.PAUSED)
    client.force_login(organizer)

    response = client.post(f"/organize/{arc_campaign.slug}/argilla-sync/")

    assert response.status_code == 302
    job = Job.objects.get(campaign=arc_campaign, kind=Job.Kind.ARGILLA_SYNC)
    assert job.created_by == organizer
    assert job.parameters["pull"] is False
    assert job.status == Job.Status.FAILED
    run = ArgillaSyncRun.objects.get(campaign=arc_campaign)
    assert (run.push, run.pull, run.trigger) == (True, False, "organizer")


def test_sync_panel_lists_pending_and_partly_applied_answers(arc_campaign, organizer):
    arc_campaign.argilla_workspace, arc_campaign.argilla_dataset = "ws", "arc"
    first, second = arc_campaign.records.order_by("id")[:2]
    for record, kind, detail in [
        (first, ArgillaAnswerProblem.Kind.PENDING, "verdict: <i>Choose</i> one"),
        (second, ArgillaAnswerProblem.Kind.PARTIAL, "«option_e_corrected» left out"),
    ]:
        ArgillaAnswerProblem.objects.create(
            campaign=arc_campaign,
            record=record,
            argilla_user_id=uuid.uuid4(),
            who="ana",
            kind=kind,
            detail=detail,
        )
    request = RequestFactory().get("/")
    request.user = organizer

    html = render_to_string(
        "annotation/_argilla_sync.html", {"campaign": arc_campaign}, request=request
    )

    pending, partial = html.split('id="argilla-partial-title"')
    assert first.external_id in pending and "verdict: &lt;i&gt;Choose&lt;/i&gt; one" in pending
    assert second.external_id in partial and "option_e_corrected" in partial
