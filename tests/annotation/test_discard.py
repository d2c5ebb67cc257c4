"""Discarding a submitted answer settles its record exactly as if it had never been given."""

from __future__ import annotations

import pytest

from annotation.models import Consensus, Response
from annotation.recount import counters_recompute
from annotation.services import (
    AnnotationClosed,
    response_discard,
    response_skip,
    response_submit,
)
from campaigns.models import Campaign, Record
from campaigns.services import campaign_status_change
from dashboards.models import CampaignCounter, CampaignDay, ContributorCounter, ContributorDay
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def record(arc_campaign):
    return arc_campaign.records.order_by("id").first()


def _state(campaign, record, *, without) -> dict:
    """Everything an answer moves, leaving out the rows of `without`, who may keep empty ones."""
    record.refresh_from_db()
    consensus = Consensus.objects.filter(record=record).first()
    counter = CampaignCounter.objects.get(campaign=campaign)
    return {
        "record": (record.status, record.submitted_count),
        "consensus": consensus
        and (consensus.verdict, consensus.pieces, consensus.agreement, consensus.status),
        "campaign": [
            getattr(counter, name)
            for name in (
                "records_completed",
                "records_validated",
                "records_disputed",
                "responses_submitted",
                "corrections",
                "contributors",
            )
        ],
        "days": sorted(
            (day.day, day.submitted, day.corrections)
            for day in CampaignDay.objects.filter(campaign=campaign)
            if day.submitted or day.corrections
        ),
        "contributors": sorted(
            (row.user_id, row.submitted, row.corrections, row.agreements, row.agreement_checks)
            for row in ContributorCounter.objects.filter(campaign=campaign).exclude(user=without)
        ),
        "contributor_days": sorted(
            (row.user_id, row.day, row.submitted, row.corrections)
            for row in ContributorDay.objects.filter(campaign=campaign).exclude(user=without)
        ),
    }


def _nothing_left_of(campaign, user) -> None:
    counter = ContributorCounter.objects.filter(campaign=campaign, user=user).first()
    if counter is not None:
        figures = (counter.submitted, counter.corrections, counter.agreements)
        assert (*figures, counter.agreement_checks) == (0, 0, 0, 0)
    days = ContributorDay.objects.filter(campaign=campaign, user=user)
    assert all(day.submitted == day.corrections == 0 for day in days)


@pytest.mark.parametrize(
    "before",
    [
        pytest.param([], id="the only answer"),
        pytest.param(["correct"], id="the answer that completed the record"),
        pytest.param(["correct", "wrong"], id="the answer that broke a tie"),
    ],
)
def test_response_discard_of_a_submitted_answer_is_as_if_it_was_never_given(
    arc_campaign, record, before
):
    for verdict in before:
        response_submit(record=record, user=UserFactory(), values={"verdict": verdict})
    volunteer = UserFactory()
    untouched = _state(arc_campaign, record, without=volunteer)
    answer = {"verdict": "minor_fixes", "question_corrected": "Una pregunta mejor."}
    response_submit(record=record, user=volunteer, values=answer)
    assert _state(arc_campaign, record, without=volunteer) != untouched

    outcome = response_discard(record=record, user=volunteer, origin=Response.Origin.ARGILLA)

    assert outcome.changed
    assert _state(arc_campaign, record, without=volunteer) == untouched
    _nothing_left_of(arc_campaign, volunteer)
    discarded = Response.objects.get(record=record, user=volunteer)
    assert (discarded.status, discarded.values, discarded.corrections) == ("discarded", {}, 0)
    assert discarded.origin == Response.Origin.ARGILLA
    kept = discarded.revisions.get()
    assert (kept.status, kept.values, kept.origin) == ("submitted", answer, "web")
    assert counters_recompute(campaign=arc_campaign).clean


def test_response_discard_then_submitted_again_counts_once_more(arc_campaign, record):
    volunteer = UserFactory()
    response_submit(record=record, user=volunteer, values={"verdict": "correct"})
    response_discard(record=record, user=volunteer)
    assert not response_discard(record=record, user=volunteer).changed  # already discarded

    response_submit(record=record, user=volunteer, values={"verdict": "correct"})

    assert CampaignCounter.objects.get(campaign=arc_campaign).responses_submitted == 1
    record.refresh_from_db()
    assert record.submitted_count == 1
    assert Response.objects.get(record=record, user=volunteer).revisions.count() == 2
    assert counters_recompute(campaign=arc_campaign).clean


def test_response_discard_without_a_submitted_answer_is_a_skip(arc_campaign, record):
    volunteer, other = UserFactory(), UserFactory()
    discarded = response_discard(record=record, user=volunteer).response
    skipped = response_skip(record=record, user=other).response
    assert (discarded.status, discarded.values) == (skipped.status, skipped.values)
    assert CampaignCounter.objects.get(campaign=arc_campaign).responses_submitted == 0


def test_response_skip_still_never_replaces_a_submitted_answer(arc_campaign, record):
    volunteer = UserFactory()
    response_submit(record=record, user=volunteer, values={"verdict": "correct"})
    assert not response_skip(record=record, user=volunteer).changed
    assert Response.objects.get(record=record, user=volunteer).status == "submitted"


def test_response_discard_is_refused_on_a_paused_campaign_unless_told(arc_campaign, record):
    volunteer = UserFactory()
    response_submit(record=record, user=volunteer, values={"verdict": "correct"})
    campaign_status_change(campaign=arc_campaign, status=Campaign.Status.PAUSED)
    record = Record.objects.get(pk=record.pk)

    with pytest.raises(AnnotationClosed):
        response_discard(record=record, user=volunteer)
    assert response_discard(record=record, user=volunteer, inactive_ok=True).changed
    assert CampaignCounter.objects.get(campaign=arc_campaign).responses_submitted == 0
