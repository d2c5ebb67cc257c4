"""The annotate page's script: one JSON post saves the answer and brings the next record."""

from __future__ import annotations

import pytest
from django.contrib.messages import get_messages
from django.test import Client
from django.urls import reverse

from annotation.assignment import next_record_for
from annotation.models import Lease, Response
from annotation.services import response_save_draft
from campaigns.models import Campaign, Record
from dashboards.models import CampaignCounter, ContributorCounter
from guides.services import guide_version_publish
from tests.factories import UserFactory, arc_campaign_build

pytestmark = pytest.mark.django_db

JSON = {"HTTP_ACCEPT": "application/json"}


def _answer_url(campaign: Campaign, record: Record) -> str:
    return reverse("annotate_record", args=[campaign.slug, record.pk])


def _held(client: Client, campaign: Campaign, user) -> Record:
    """The record the annotate page shows the volunteer (and leases to them)."""
    client.force_login(user)
    page = client.get(reverse("annotate", args=[campaign.slug]))
    assert page.status_code == 200
    return page.context["record"]


def test_answer_json_submit_returns_the_next_record(client, arc_campaign, volunteer):
    record = _held(client, arc_campaign, volunteer)
    answer = client.post(
        _answer_url(arc_campaign, record), {"action": "submit", "verdict": "correct"}, **JSON
    )
    assert answer.status_code == 200
    told = answer.json()
    assert told["message"] == "¡Gracias! Se ha guardado tu respuesta."
    assert told["level"] == "success"
    following = told["record"]
    assert following["id"] != record.pk
    assert following["url"] == _answer_url(arc_campaign, Record(pk=following["id"]))
    assert following["counts"].startswith("Has validado 1 registro")
    assert following["shown_at"]
    fresh = Record.objects.get(pk=following["id"])
    assert [piece["translation"] for piece in following["pieces"]] == [
        piece["translation"] for piece in fresh.fields
    ]
    # The question's correction box starts from the machine translation.
    assert following["pieces"][0]["question"] == "question_corrected"
    assert following["pieces"][0]["corrected"] == fresh.fields[0]["translation"]
    assert following["values"] == {}
    badges = [piece["correct_answer"] for piece in following["pieces"]]
    assert badges.count("Respuesta correcta") == 1 and badges.count(None) == len(badges) - 1
    assert Response.objects.get(record=record, user=volunteer).status == Response.Status.SUBMITTED
    # The next record is held for the volunteer, as the page would hold it.
    assert Lease.objects.filter(record_id=following["id"], user=volunteer).exists()
    assert not Lease.objects.filter(record=record, user=volunteer).exists()
    # Shown in place: nothing waits in the session for the next page.
    assert list(get_messages(answer.wsgi_request)) == []


def test_answer_json_submit_twice_changes_nothing(client, arc_campaign, volunteer):
    record = _held(client, arc_campaign, volunteer)
    url = _answer_url(arc_campaign, record)
    first = client.post(url, {"action": "submit", "verdict": "correct"}, **JSON)
    # A retried request (the answer arrived, the reply did not) is answered the same way.
    again = client.post(url, {"action": "submit", "verdict": "correct"}, **JSON)
    assert first.status_code == again.status_code == 200
    assert again.json()["record"]["id"] == first.json()["record"]["id"]
    assert Response.objects.filter(record=record).count() == 1
    assert CampaignCounter.objects.get(campaign=arc_campaign).responses_submitted == 1
    assert ContributorCounter.objects.get(campaign=arc_campaign, user=volunteer).submitted == 1


def test_answer_json_names_each_bad_field_and_saves_nothing(client, arc_campaign, volunteer):
    record = _held(client, arc_campaign, volunteer)
    url = _answer_url(arc_campaign, record)
    missing = client.post(url, {"action": "submit"}, **JSON)
    assert missing.status_code == 400
    assert set(missing.json()["errors"]) == {"verdict"}
    assert missing.json()["message"] == "Revisa los campos marcados."
    wrong = client.post(url, {"action": "submit", "verdict": "maybe"}, **JSON)
    assert wrong.status_code == 400 and set(wrong.json()["errors"]) == {"verdict"}
    unknown = client.post(url, {"action": "delete", "verdict": "correct"}, **JSON)
    assert unknown.status_code == 400 and set(unknown.json()["errors"]) == {"action"}
    assert not Response.objects.filter(record=record).exists()
    assert CampaignCounter.objects.get(campaign=arc_campaign).responses_submitted == 0


def test_answer_json_needs_the_csrf_token(arc_campaign, volunteer):
    client = Client(enforce_csrf_checks=True)
    record = _held(client, arc_campaign, volunteer)
    url = _answer_url(arc_campaign, record)
    refused = client.post(url, {"action": "submit", "verdict": "correct"}, **JSON)
    assert refused.status_code == 403
    assert not Response.objects.filter(record=record).exists()
    # The page's script sends the token from the form in the X-CSRFToken header.
    token = client.cookies["csrftoken"].value
    taken = client.post(
        url, {"action": "submit", "verdict": "correct"}, HTTP_X_CSRFTOKEN=token, **JSON
    )
    assert taken.status_code == 200
    assert Response.objects.filter(record=record, user=volunteer).exists()


def test_answer_json_refuses_records_not_handed_out(client, arc_campaign, volunteer):
    other = UserFactory()
    theirs = _held(client, arc_campaign, other)
    client.force_login(volunteer)
    never_offered = arc_campaign.records.exclude(pk=theirs.pk).order_by("-id").first()
    for record in (theirs, never_offered):
        answer = client.post(
            _answer_url(arc_campaign, record), {"action": "submit", "verdict": "correct"}, **JSON
        )
        assert answer.status_code == 404
    # A record of another campaign, under this campaign's address.
    elsewhere = arc_campaign_build(slug="arc-otro")
    mine = _held(client, elsewhere, volunteer)
    answer = client.post(
        _answer_url(arc_campaign, mine), {"action": "submit", "verdict": "correct"}, **JSON
    )
    assert answer.status_code == 404
    assert not Response.objects.filter(user=volunteer).exists()


def test_answer_json_signed_out_or_hidden_campaign_is_refused(client, arc_campaign, volunteer):
    record = next_record_for(campaign=arc_campaign, user=volunteer)
    url = _answer_url(arc_campaign, record)
    signed_out = client.post(url, {"action": "submit", "verdict": "correct"}, **JSON)
    assert signed_out.status_code == 302
    assert signed_out["Location"].startswith(reverse("account_login"))
    hidden = arc_campaign_build(slug="arc-cerrado", public=False)
    held = next_record_for(campaign=hidden, user=volunteer)
    client.force_login(volunteer)
    answer = client.post(
        _answer_url(hidden, held), {"action": "submit", "verdict": "correct"}, **JSON
    )
    assert answer.status_code == 404
    assert not Response.objects.exists()


def test_answer_json_skip_brings_another_and_draft_stays(client, arc_campaign, volunteer):
    record = _held(client, arc_campaign, volunteer)
    url = _answer_url(arc_campaign, record)
    draft = client.post(
        url, {"action": "draft", "question_corrected": "Una pregunta a medias"}, **JSON
    )
    assert draft.status_code == 200
    assert "record" not in draft.json() and draft.json()["message"].startswith("Borrador")
    assert Response.objects.get(record=record, user=volunteer).status == Response.Status.DRAFT
    skipped = client.post(url, {"action": "skip"}, **JSON)
    assert skipped.json()["level"] == "info"
    assert skipped.json()["record"]["id"] != record.pk
    assert Response.objects.get(record=record).status == Response.Status.DISCARDED


def test_answer_json_brings_back_a_draft_with_its_values(client, arc_campaign, volunteer):
    held = _held(client, arc_campaign, volunteer)
    drafted = arc_campaign.records.exclude(pk=held.pk).order_by("-id").first()
    response_save_draft(
        record=drafted,
        user=volunteer,
        values={"verdict": "minor_fixes", "question_corrected": "Una pregunta a medias"},
    )
    told = client.post(
        _answer_url(arc_campaign, held), {"action": "submit", "verdict": "correct"}, **JSON
    ).json()
    # Unfinished work comes back first, with what was typed.
    assert told["record"]["id"] == drafted.pk
    assert told["record"]["values"] == {"verdict": "minor_fixes"}
    assert told["record"]["pieces"][0]["corrected"] == "Una pregunta a medias"


def test_answer_json_last_record_sends_to_the_done_page(client, arc_campaign, volunteer):
    record = _held(client, arc_campaign, volunteer)
    arc_campaign.records.exclude(pk=record.pk).delete()
    answer = client.post(
        _answer_url(arc_campaign, record), {"action": "submit", "verdict": "correct"}, **JSON
    )
    assert answer.json() == {"redirect": reverse("annotate", args=[arc_campaign.slug])}
    done = client.get(answer.json()["redirect"])
    assert "¡Gracias! Se ha guardado tu respuesta." in done.content.decode()
    assert "No te queda nada por aquí" in done.content.decode()


def test_answer_json_guide_changed_keeps_a_draft_and_sends_to_the_guide(
    client, arc_campaign, volunteer, guide, organizer
):
    record = next_record_for(campaign=arc_campaign, user=volunteer)
    client.force_login(volunteer)
    guide_version_publish(guide=guide, body="## Reglas\n\nDos.", user=organizer)
    answer = client.post(
        _answer_url(arc_campaign, record), {"action": "submit", "verdict": "correct"}, **JSON
    )
    assert answer.status_code == 200
    assert answer.json()["redirect"].startswith(reverse("guide", args=[arc_campaign.slug]))
    assert Response.objects.get(record=record, user=volunteer).status == Response.Status.DRAFT
    shown = [str(message) for message in get_messages(answer.wsgi_request)]
    assert any(text.startswith("La guía ha cambiado") for text in shown)
