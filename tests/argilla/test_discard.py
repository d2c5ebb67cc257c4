"""A discard in Argilla takes back the answer it is newer than, as a withdrawal does."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from annotation.argilla.answers import Applied, response_apply
from annotation.argilla.gateway import ArgillaResponse
from annotation.argilla.models import ArgillaDatasetLink
from annotation.argilla.sync import argilla_sync
from annotation.models import Consensus, Response
from annotation.recount import counters_recompute
from annotation.services import response_submit
from campaigns.models import Record
from dashboards.models import CampaignCounter, ContributorCounter
from tests.argilla.conftest import hf_volunteer
from tests.factories import UserFactory

T0 = datetime(2026, 1, 5, 10, 0, tzinfo=UTC)


def _argilla(user_id, status: str, at: datetime, **values) -> ArgillaResponse:
    return ArgillaResponse(
        user_id=user_id, username="", status=status, values=values, updated_at=at
    )


def _submitted(campaign) -> int:
    return CampaignCounter.objects.get(campaign=campaign).responses_submitted


@pytest.fixture
def record(arc_campaign):
    return arc_campaign.records.order_by("id").first()


@pytest.mark.django_db
def test_an_argilla_discard_takes_back_the_argilla_answer_and_resettles_the_record(
    arc_campaign, record
):
    first, volunteer, who = UserFactory(), UserFactory(), uuid.uuid4()
    response_submit(record=record, user=first, values={"verdict": "correct"})
    applied = response_apply(
        record=record, user=volunteer, incoming=_argilla(who, "submitted", T0, verdict="correct")
    )
    assert applied.outcome == Applied.APPLIED
    record.refresh_from_db()
    assert record.status == Record.Status.VALIDATED
    assert ContributorCounter.objects.get(user=first).agreement_checks == 1

    discarded = response_apply(
        record=record, user=volunteer, incoming=_argilla(who, "discarded", T0 + timedelta(1))
    )

    assert discarded.outcome == Applied.APPLIED
    answer = Response.objects.get(record=record, user=volunteer)
    assert (answer.status, answer.origin) == (Response.Status.DISCARDED, Response.Origin.ARGILLA)
    assert answer.revisions.get().values == {"verdict": "correct"}
    record.refresh_from_db()
    assert (record.status, record.submitted_count) == (Record.Status.PENDING, 1)
    assert not Consensus.objects.filter(record=record).exists()
    assert ContributorCounter.objects.get(user=first).agreement_checks == 0
    assert _submitted(arc_campaign) == 1
    assert counters_recompute(campaign=arc_campaign).clean

    # The same discard again, or a late copy of the submitted version, changes nothing.
    again = _argilla(who, "discarded", T0 + timedelta(1))
    assert response_apply(record=record, user=volunteer, incoming=again).outcome == Applied.SAME
    late = _argilla(who, "submitted", T0, verdict="correct")
    assert response_apply(record=record, user=volunteer, incoming=late).outcome == Applied.SAME
    assert Response.objects.get(record=record, user=volunteer).status == "discarded"


@pytest.mark.django_db
def test_a_somos_answer_newer_than_the_argilla_discard_wins(arc_campaign, record):
    volunteer, who = UserFactory(), uuid.uuid4()
    response_submit(record=record, user=volunteer, values={"verdict": "correct"})
    before = Response.objects.get(record=record, user=volunteer).updated_at

    outcome = response_apply(
        record=record,
        user=volunteer,
        incoming=_argilla(who, "discarded", before - timedelta(seconds=1)),
    ).outcome

    assert outcome == Applied.SOMOS_NEWER  # the sync writes ours back to Argilla
    assert Response.objects.get(record=record, user=volunteer).status == "submitted"
    assert _submitted(arc_campaign) == 1


@pytest.mark.django_db
def test_an_argilla_discard_newer_than_the_somos_answer_wins(arc_campaign, record):
    volunteer, who = UserFactory(), uuid.uuid4()
    response_submit(record=record, user=volunteer, values={"verdict": "correct"})
    before = Response.objects.get(record=record, user=volunteer).updated_at

    outcome = response_apply(
        record=record,
        user=volunteer,
        incoming=_argilla(who, "discarded", before + timedelta(seconds=1)),
    ).outcome

    assert outcome == Applied.APPLIED
    answer = Response.objects.get(record=record, user=volunteer)
    assert answer.status == "discarded"
    assert answer.revisions.get().origin == Response.Origin.WEB
    assert _submitted(arc_campaign) == 0
    assert counters_recompute(campaign=arc_campaign).clean


@pytest.mark.django_db(transaction=True)
def test_a_record_discarded_in_argilla_after_submitting_stops_counting_after_one_pull(
    linked_campaign, annotator, argilla_owner
):
    argilla_sync(campaign=linked_campaign, push=True, pull=False)
    link = ArgillaDatasetLink.objects.get(campaign=linked_campaign)
    record = Record.objects.filter(campaign=linked_campaign).order_by("id").first()
    rosa = hf_volunteer("rosa-discard")
    _user, as_rosa = annotator(link.workspace_id, username="rosa-discard")
    as_rosa.answer(record.argilla_id, {"verdict": "correct"})
    argilla_sync(campaign=linked_campaign, push=False, pull=True)
    assert _submitted(linked_campaign) == 1

    as_rosa.answer(record.argilla_id, {"verdict": "correct"}, status="discarded")
    run = argilla_sync(campaign=linked_campaign, push=False, pull=True)

    assert (run.responses_pulled, run.responses_pushed) == (1, 0)  # not sent back as newer
    answer = Response.objects.get(record=record, user=rosa)
    assert answer.status == Response.Status.DISCARDED
    assert answer.revisions.get().status == Response.Status.SUBMITTED
    assert _submitted(linked_campaign) == 0
    item = argilla_owner.get(f"/api/v1/records/{record.argilla_id}", include="responses")
    assert [r["status"] for r in item["responses"]] == ["discarded"]
    again = argilla_sync(campaign=linked_campaign, push=False, pull=True)
    assert (again.responses_pulled, again.responses_pushed) == (0, 0)
    assert counters_recompute(campaign=linked_campaign).clean
