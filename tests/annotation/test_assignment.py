"""Assignment: fewest answers first, leases, overlap, nothing left."""

from __future__ import annotations

import pytest

from annotation.assignment import next_record_for
from annotation.models import Lease
from annotation.services import response_submit
from campaigns.importers.sources import Source
from campaigns.models import Campaign
from campaigns.samples import SAMPLE_DATA as SAMPLES
from campaigns.services import (
    campaign_create,
    campaign_settings_update,
    campaign_status_change,
    records_import,
)
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_next_record_prefers_records_with_fewest_answers(arc_campaign):
    # Without triage every record is equally suspect: fewest answers first, then by id.
    campaign = campaign_settings_update(campaign=arc_campaign, triage_first=False)
    first_volunteer, second_volunteer = UserFactory(), UserFactory()
    first = next_record_for(campaign=campaign, user=first_volunteer)
    response_submit(record=first, user=first_volunteer, values={"verdict": "correct"})
    offered = next_record_for(campaign=campaign, user=second_volunteer)
    assert offered.submitted_count == 0 and offered != first


def test_next_record_answers_the_most_suspect_record_up_to_its_overlap_first(arc_campaign):
    suspect = arc_campaign.records.order_by("-suspicion", "id").first()
    assert suspect.suspicion > 0, "the shipped ARC sample has one suspect translation"
    first_volunteer, second_volunteer, third = UserFactory(), UserFactory(), UserFactory()
    assert next_record_for(campaign=arc_campaign, user=first_volunteer) == suspect
    response_submit(record=suspect, user=first_volunteer, values={"verdict": "correct"})
    assert next_record_for(campaign=arc_campaign, user=second_volunteer) == suspect
    response_submit(record=suspect, user=second_volunteer, values={"verdict": "correct"})
    assert next_record_for(campaign=arc_campaign, user=third) != suspect


def test_next_record_is_stable_across_reloads(arc_campaign, volunteer):
    first = next_record_for(campaign=arc_campaign, user=volunteer)
    assert next_record_for(campaign=arc_campaign, user=volunteer) == first
    assert Lease.objects.filter(user=volunteer).count() == 1


def test_next_record_never_hands_out_a_leased_last_slot(organizer):
    campaign = campaign_create(slug="one", name="One", preset="okapi_arc", organizers=[organizer])
    records_import(
        campaign=campaign,
        source=Source(path=SAMPLES / "arc_challenge_validation_en.jsonl"),
        translation=Source(path=SAMPLES / "okapi_arc_challenge_validation_es.jsonl"),
    )
    campaign.records.exclude(pk=campaign.records.order_by("id").first().pk).delete()
    campaign.overlap = 1
    campaign.save()
    campaign = campaign_status_change(campaign=campaign, status=Campaign.Status.ACTIVE)
    first, second = UserFactory(), UserFactory()
    assert next_record_for(campaign=campaign, user=first) is not None
    assert next_record_for(campaign=campaign, user=second) is None


def test_next_record_returns_none_when_everything_is_answered(arc_campaign, volunteer):
    for record in arc_campaign.records.all():
        response_submit(record=record, user=volunteer, values={"verdict": "correct"})
    assert next_record_for(campaign=arc_campaign, user=volunteer) is None
