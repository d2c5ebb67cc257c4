"""Withdrawing an answer: it stops counting, its record is offered again, consensus follows."""

from __future__ import annotations

import pytest

from annotation.consensus.services import consensus_decide
from annotation.models import Consensus, Response
from annotation.recount import counters_recompute
from annotation.services import response_submit, response_withdraw
from campaigns.models import Record
from dashboards.models import CampaignCounter, CampaignDay, ContributorCounter
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def record(arc_campaign):
    return arc_campaign.records.order_by("id").first()


def _counter(campaign) -> CampaignCounter:
    return CampaignCounter.objects.get(campaign=campaign)


def test_response_withdraw_of_a_validated_record_undoes_its_consensus_and_counts(
    arc_campaign, record
):
    first, second = UserFactory(), UserFactory()
    response_submit(record=record, user=first, values={"verdict": "correct"})
    response_submit(record=record, user=second, values={"verdict": "correct"})
    counter = _counter(arc_campaign)
    assert (counter.records_completed, counter.records_validated) == (1, 1)
    assert ContributorCounter.objects.get(user=first).agreement_checks == 1

    assert response_withdraw(record=record, user=second)

    record.refresh_from_db()
    assert (record.status, record.submitted_count) == (Record.Status.PENDING, 1)
    assert not Consensus.objects.filter(record=record).exists()
    counter.refresh_from_db()
    assert (counter.records_completed, counter.records_validated) == (0, 0)
    assert (counter.responses_submitted, counter.contributors) == (1, 1)
    assert ContributorCounter.objects.get(user=first).agreement_checks == 0
    assert ContributorCounter.objects.get(user=second).submitted == 0
    assert (
        sum(CampaignDay.objects.filter(campaign=arc_campaign).values_list("submitted", flat=True))
        == 1
    )
    withdrawn = Response.objects.get(record=record, user=second)
    assert withdrawn.status == Response.Status.DRAFT and withdrawn.values == {"verdict": "correct"}
    assert withdrawn.revisions.get().status == Response.Status.SUBMITTED
    assert counters_recompute(campaign=arc_campaign).clean


def test_response_withdraw_above_the_overlap_settles_again_from_the_answers_left(
    arc_campaign, record
):
    first, second, third = UserFactory(), UserFactory(), UserFactory()
    response_submit(record=record, user=first, values={"verdict": "correct"})
    response_submit(record=record, user=second, values={"verdict": "wrong"})
    record.refresh_from_db()
    assert record.status == Record.Status.DISPUTED
    # A third answer past the overlap (2) breaks the tie; taking the dissenting one back keeps
    # the record settled, now unanimously.
    response_submit(record=record, user=third, values={"verdict": "correct"})
    record.refresh_from_db()
    assert record.status == Record.Status.VALIDATED

    assert response_withdraw(record=record, user=second)

    record.refresh_from_db()
    assert record.status == Record.Status.VALIDATED
    assert record.consensus.agreement == 1.0
    counter = _counter(arc_campaign)
    assert (counter.records_validated, counter.records_disputed) == (1, 0)
    assert ContributorCounter.objects.get(user=second).agreement_checks == 0
    assert counters_recompute(campaign=arc_campaign).clean


def test_response_withdraw_leaves_a_reviewers_decision_as_it_is(arc_campaign, record):
    first, second, reviewer = UserFactory(), UserFactory(), UserFactory()
    response_submit(record=record, user=first, values={"verdict": "correct"})
    response_submit(record=record, user=second, values={"verdict": "wrong"})
    pieces = {piece["name"]: piece["translation"] for piece in record.fields}
    consensus_decide(record=record, reviewer=reviewer, verdict="correct", pieces=pieces)

    assert response_withdraw(record=record, user=second)

    record.refresh_from_db()
    assert record.status == Record.Status.VALIDATED and record.consensus.reviewed
    assert _counter(arc_campaign).records_validated == 1
    assert counters_recompute(campaign=arc_campaign).clean


def test_response_withdraw_twice_changes_nothing_the_second_time(arc_campaign, record):
    volunteer = UserFactory()
    response_submit(record=record, user=volunteer, values={"verdict": "correct"})
    assert response_withdraw(record=record, user=volunteer)
    assert not response_withdraw(record=record, user=volunteer)
    assert _counter(arc_campaign).responses_submitted == 0


def test_response_withdrawn_then_sent_again_counts_on_its_new_day(arc_campaign, record):
    volunteer = UserFactory()
    response_submit(record=record, user=volunteer, values={"verdict": "correct"})
    response_withdraw(record=record, user=volunteer)
    response_submit(record=record, user=volunteer, values={"verdict": "correct"})
    answer = Response.objects.get(record=record, user=volunteer)
    assert answer.status == Response.Status.SUBMITTED and answer.first_submitted_at is not None
    assert _counter(arc_campaign).responses_submitted == 1
    assert counters_recompute(campaign=arc_campaign).clean
