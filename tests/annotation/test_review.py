"""Review pages: who may use them, answers side by side, the decision recorded and final;
the organizers' agreement page."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import translation

from annotation.services import response_submit
from campaigns.models import Record
from dashboards.models import CampaignCounter
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def reviewer(arc_campaign):
    user = UserFactory()
    arc_campaign.reviewers.add(user)
    return user


@pytest.fixture
def disputed(arc_campaign):
    """A record whose two answers disagree on the question's translation."""
    record = arc_campaign.records.order_by("id").first()
    response_submit(
        record=record,
        user=UserFactory(),
        values={"verdict": "minor_fixes", "question_corrected": "Primera corrección"},
    )
    response_submit(
        record=record,
        user=UserFactory(),
        values={"verdict": "minor_fixes", "question_corrected": "Segunda corrección"},
    )
    record.refresh_from_db()
    assert record.status == Record.Status.DISPUTED
    return record


def _queue(campaign):
    return reverse("campaign_review_queue", args=[campaign.slug])


def _record_url(record):
    return reverse("campaign_review_record", args=[record.campaign.slug, record.pk])


def test_review_queue_is_for_reviewers_organizers_and_staff(
    client, arc_campaign, disputed, reviewer, organizer, volunteer
):
    assert client.get(_queue(arc_campaign)).status_code == 302
    client.force_login(volunteer)
    assert client.get(_queue(arc_campaign)).status_code == 404
    assert client.get(_record_url(disputed)).status_code == 404
    assert client.post(_record_url(disputed), {"verdict": "correct"}).status_code == 404
    staff = UserFactory(is_staff=True)
    for user in (reviewer, organizer, staff):
        client.force_login(user)
        page = client.get(_queue(arc_campaign))
        assert page.status_code == 200
        assert disputed.external_id in page.content.decode()


def test_review_record_shows_every_answer_side_by_side(client, disputed, reviewer):
    client.force_login(reviewer)
    page = client.get(_record_url(disputed)).content.decode()
    assert "Primera corrección" in page and "Segunda corrección" in page
    assert disputed.fields[0]["source"] in page
    assert 'value="__custom__"' in page


def test_review_record_names_both_languages_in_the_visitors_language(client, disputed, reviewer):
    client.force_login(reviewer)
    # The override puts the thread's language back after the middleware switched it.
    with translation.override(None):
        page = client.get(_record_url(disputed), HTTP_ACCEPT_LANGUAGE="ca").content.decode()
    # Catalan, as the visitor's browser asks: not Django's English names.
    assert "Original (Anglès)" in page and "(Espanyol)" in page
    assert f'<td lang="en">{disputed.fields[0]["source"]}</td>' in page


def test_review_decision_is_recorded_and_final(client, arc_campaign, disputed, reviewer):
    client.force_login(reviewer)
    data = {f"piece-{piece['name']}": piece["translation"] for piece in disputed.fields[1:]}
    data.update(
        {
            "verdict": "minor_fixes",
            "piece-question": "__custom__",
            "piece-question-custom": "Corrección del revisor",
            "note": "Ninguna de las dos era exacta.",
        }
    )
    response = client.post(_record_url(disputed), data)
    assert response.status_code == 302
    disputed.refresh_from_db()
    consensus = disputed.consensus
    assert disputed.status == Record.Status.VALIDATED
    assert consensus.reviewed and consensus.decided_by == reviewer
    assert consensus.pieces["question"] == "Corrección del revisor"
    assert consensus.note == "Ninguna de las dos era exacta."
    assert CampaignCounter.objects.get(campaign=arc_campaign).records_disputed == 0

    data["piece-question"] = "Primera corrección"
    client.post(_record_url(disputed), data)
    consensus.refresh_from_db()
    assert consensus.pieces["question"] == "Corrección del revisor"
    assert "Corrección del revisor" in client.get(_record_url(disputed)).content.decode()


def test_review_decision_with_a_missing_piece_changes_nothing(client, disputed, reviewer):
    client.force_login(reviewer)
    response = client.post(_record_url(disputed), {"verdict": "minor_fixes"})
    assert response.status_code == 302
    disputed.refresh_from_db()
    assert disputed.status == Record.Status.DISPUTED
    assert not disputed.consensus.reviewed


def test_agreement_page_is_for_organizers_only(client, arc_campaign, disputed, reviewer, organizer):
    url = reverse("campaign_agreement", args=[arc_campaign.slug])
    client.force_login(reviewer)
    assert client.get(url).status_code == 404
    client.force_login(organizer)
    assert client.get(url).status_code == 200


@pytest.mark.parametrize("answers", [0, 1, 2])
def test_review_and_agreement_pages_with_no_one_or_two_answers(
    client, arc_campaign, organizer, answers
):
    record = arc_campaign.records.order_by("id").first()
    for _ in range(answers):
        response_submit(record=record, user=UserFactory(), values={"verdict": "correct"})
    client.force_login(organizer)
    assert client.get(_queue(arc_campaign)).status_code == 200
    assert client.get(_record_url(record)).status_code == 200
    agreement = reverse("campaign_agreement", args=[arc_campaign.slug])
    assert client.get(agreement).status_code == 200
