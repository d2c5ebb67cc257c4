"""The organizers' sync list and button, and the volunteers' Argilla account page."""

from __future__ import annotations

import pytest
from django.template.loader import render_to_string
from django.test import RequestFactory

from annotation.argilla.models import ArgillaSyncRun

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
