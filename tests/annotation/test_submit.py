"""Submitting, editing, drafting and skipping answers; counters move with them."""

from __future__ import annotations

import pytest
from django.urls import reverse

from annotation.assignment import next_record_for
from annotation.models import Lease, Response, ResponseRevision
from annotation.services import (
    AnnotationClosed,
    response_save_draft,
    response_skip,
    response_submit,
)
from annotation.validation import ResponseInvalid
from campaigns.models import Campaign, Record
from campaigns.services import campaign_status_change
from dashboards.models import CampaignCounter, ContributorCounter
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def _correct() -> dict:
    return {"verdict": "correct"}


def test_response_submit_counts_once_and_completes_at_overlap(arc_campaign):
    record = arc_campaign.records.order_by("id").first()
    first, second = UserFactory(), UserFactory()
    response_submit(record=record, user=first, values=_correct())
    record.refresh_from_db()
    assert (record.submitted_count, record.status) == (1, Record.Status.PENDING)
    response_submit(record=record, user=second, values=_correct())
    record.refresh_from_db()
    # Completing the record settles it at once: two "correct" answers validate it.
    assert (record.submitted_count, record.status) == (2, Record.Status.VALIDATED)
    counter = CampaignCounter.objects.get(campaign=arc_campaign)
    assert (counter.responses_submitted, counter.records_completed, counter.contributors) == (
        2,
        1,
        2,
    )


def test_response_submit_and_skip_lease_the_next_record_with_the_answer(arc_campaign, volunteer):
    record = next_record_for(campaign=arc_campaign, user=volunteer)
    outcome = response_submit(
        record=record, user=volunteer, values=_correct(), assigned_only=True, lease_next=True
    )
    following = outcome.next_record
    assert following is not None and following.pk != record.pk
    # Leased to the volunteer, so the page may show it, and offered again on a reload.
    assert Lease.objects.filter(record=following, user=volunteer).exists()
    assert not Lease.objects.filter(record=record).exists()
    assert next_record_for(campaign=arc_campaign, user=volunteer).pk == following.pk
    skipped = response_skip(record=following, user=volunteer, assigned_only=True, lease_next=True)
    assert skipped.next_record is not None
    assert skipped.next_record.pk not in (record.pk, following.pk)


def test_response_submit_leases_nothing_while_a_draft_waits(arc_campaign, volunteer):
    drafted = next_record_for(campaign=arc_campaign, user=volunteer)
    response_save_draft(record=drafted, user=volunteer, values=_correct(), assigned_only=True)
    other = arc_campaign.records.exclude(pk=drafted.pk).order_by("id").first()
    outcome = response_submit(record=other, user=volunteer, values=_correct(), lease_next=True)
    # The draft comes back first; that is next_record_for's to find.
    assert outcome.next_record is None
    assert next_record_for(campaign=arc_campaign, user=volunteer).pk == drafted.pk


def test_response_submit_twice_changes_nothing(arc_campaign, volunteer):
    record = arc_campaign.records.first()
    first = response_submit(record=record, user=volunteer, values=_correct())
    again = response_submit(record=record, user=volunteer, values=_correct())
    assert first.changed and not again.changed
    assert Response.objects.filter(record=record).count() == 1
    assert ContributorCounter.objects.get(campaign=arc_campaign, user=volunteer).submitted == 1
    assert CampaignCounter.objects.get(campaign=arc_campaign).responses_submitted == 1


def test_response_edit_keeps_the_earlier_answer_and_counts_corrections(arc_campaign, volunteer):
    record = arc_campaign.records.first()
    translation = record.fields[0]["translation"]
    response_submit(record=record, user=volunteer, values=_correct())
    response_submit(
        record=record,
        user=volunteer,
        values={"verdict": "minor_fixes", "question_corrected": translation + " (revisado)"},
    )
    response = Response.objects.get(record=record, user=volunteer)
    assert response.revision == 2 and response.corrections == 1
    (earlier,) = ResponseRevision.objects.filter(response=response)
    assert earlier.values == {"verdict": "correct"}
    record.refresh_from_db()
    assert record.submitted_count == 1
    contributor = ContributorCounter.objects.get(campaign=arc_campaign, user=volunteer)
    assert (contributor.submitted, contributor.corrections) == (1, 1)
    assert CampaignCounter.objects.get(campaign=arc_campaign).corrections == 1


def test_response_unchanged_prefill_is_not_a_correction(arc_campaign, volunteer):
    record = arc_campaign.records.first()
    values = {"verdict": "correct", "question_corrected": record.fields[0]["translation"] + "\n"}
    outcome = response_submit(record=record, user=volunteer, values=values)
    assert outcome.response.corrections == 0


def test_response_submit_rejects_bad_values_naming_the_field(arc_campaign, volunteer):
    record = arc_campaign.records.first()
    with pytest.raises(ResponseInvalid) as invalid:
        response_submit(record=record, user=volunteer, values={"verdict": "maybe", "nope": "x"})
    assert set(invalid.value.errors) == {"verdict", "nope"}
    with pytest.raises(ResponseInvalid) as missing:
        response_submit(record=record, user=volunteer, values={})
    assert "verdict" in missing.value.errors
    with pytest.raises(ResponseInvalid) as no_piece:
        response_submit(
            record=record, user=volunteer, values={**_correct(), "option_e_corrected": "x"}
        )
    assert "option_e_corrected" in no_piece.value.errors
    assert not Response.objects.exists()
    assert CampaignCounter.objects.get(campaign=arc_campaign).responses_submitted == 0


def test_response_draft_never_counts_and_skip_is_not_offered_again(arc_campaign, volunteer):
    first = next_record_for(campaign=arc_campaign, user=volunteer)
    response_save_draft(record=first, user=volunteer, values={"question_corrected": "a medias"})
    assert next_record_for(campaign=arc_campaign, user=volunteer) == first
    assert CampaignCounter.objects.get(campaign=arc_campaign).responses_submitted == 0
    response_skip(record=first, user=volunteer)
    assert next_record_for(campaign=arc_campaign, user=volunteer) != first
    assert not ContributorCounter.objects.filter(user=volunteer, submitted__gt=0).exists()


def test_response_submitted_is_not_turned_back_into_a_draft(arc_campaign, volunteer):
    record = arc_campaign.records.first()
    response_submit(record=record, user=volunteer, values=_correct())
    response_save_draft(record=record, user=volunteer, values={"verdict": "wrong"})
    response = Response.objects.get(record=record, user=volunteer)
    assert (response.status, response.values) == (Response.Status.SUBMITTED, _correct())


def test_response_refused_while_the_campaign_is_paused(arc_campaign, volunteer):
    campaign_status_change(campaign=arc_campaign, status=Campaign.Status.PAUSED)
    with pytest.raises(AnnotationClosed):
        response_submit(record=arc_campaign.records.first(), user=volunteer, values=_correct())


def test_annotate_view_flow_submit_and_field_errors(client, arc_campaign, volunteer):
    client.force_login(volunteer)
    page = client.get(reverse("annotate", args=[arc_campaign.slug]))
    record = page.context["record"]
    url = reverse("annotate_record", args=[arc_campaign.slug, record.pk])
    bad = client.post(url, {"action": "submit"})
    assert bad.status_code == 400
    assert "verdict" in bad.context["errors"]
    good = client.post(url, {"action": "submit", "verdict": "correct"})
    assert good.status_code == 302
    assert Response.objects.get(record=record, user=volunteer).status == Response.Status.SUBMITTED
    retried = client.post(url, {"action": "submit", "verdict": "correct"})
    assert retried.status_code == 302
    assert CampaignCounter.objects.get(campaign=arc_campaign).responses_submitted == 1


def test_annotate_view_refuses_records_not_handed_out(client, arc_campaign, volunteer):
    client.force_login(volunteer)
    record = arc_campaign.records.last()
    url = reverse("annotate_record", args=[arc_campaign.slug, record.pk])
    assert client.post(url, {"action": "submit", "verdict": "correct"}).status_code == 404
    assert not Response.objects.exists()


def test_annotate_page_escapes_record_text(client, arc_campaign, volunteer):
    # The record offered first: the most suspect translation.
    record = arc_campaign.records.order_by("-suspicion", "id").first()
    record.fields[0]["translation"] = '<script>alert("x")</script> 🦙 ' + "largo " * 400
    record.save()
    client.force_login(volunteer)
    page = client.get(reverse("annotate", args=[arc_campaign.slug])).content.decode()
    assert "<script>alert" not in page
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; 🦙" in page


def test_my_contributions_shows_counts_and_milestone(client, arc_campaign, volunteer):
    for record in arc_campaign.records.all()[:3]:
        response_submit(record=record, user=volunteer, values=_correct())
    client.force_login(volunteer)
    page = client.get(reverse("my_contributions"))
    assert page.context["total_submitted"] == 3
    assert page.context["to_next_milestone"] == 47
    assert "ARC test" in page.content.decode()


def test_annotate_view_sees_a_status_change_once_it_commits(
    client, arc_campaign, volunteer, django_capture_on_commit_callbacks
):
    # The annotate views keep the campaign in a short-lived cache; a change must not wait.
    client.force_login(volunteer)
    url = reverse("annotate", args=[arc_campaign.slug])
    assert client.get(url).status_code in (200, 302)
    with django_capture_on_commit_callbacks(execute=True):
        campaign_status_change(campaign=arc_campaign, status=Campaign.Status.PAUSED)
    assert client.get(url).status_code == 404


def test_annotate_view_follows_a_campaign_recreated_under_the_same_slug(
    client, arc_campaign, volunteer, django_capture_on_commit_callbacks
):
    client.force_login(volunteer)
    url = reverse("annotate", args=[arc_campaign.slug])
    assert client.get(url).status_code in (200, 302)
    slug = arc_campaign.slug
    with django_capture_on_commit_callbacks(execute=True):
        Campaign.objects.filter(slug=slug).delete()
    assert client.get(url).status_code == 404


def test_annotate_view_unknown_action_is_refused_keeping_the_typed_text(
    client, arc_campaign, volunteer
):
    client.force_login(volunteer)
    record = next_record_for(campaign=arc_campaign, user=volunteer)
    url = reverse("annotate_record", args=[arc_campaign.slug, record.pk])
    answer = client.post(url, {"action": "delete", "verdict": "correct"})
    assert answer.status_code == 400
    # Spanish is the site's default language.
    assert "Acción desconocida." in answer.content.decode()
    assert not Response.objects.filter(record=record, user=volunteer).exists()
