"""Counters equal what the responses say, whatever the workload; drift is reported and mended."""

from __future__ import annotations

import random

import pytest
from django.core.management import call_command

from annotation.assignment import next_record_for
from annotation.recount import counters_recompute
from annotation.services import response_save_draft, response_skip, response_submit
from dashboards.models import CampaignCounter
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_counters_show_zero_drift_after_a_random_workload(arc_campaign):
    chooser = random.Random(600)
    volunteers = [UserFactory() for _ in range(6)]
    for _step in range(120):
        user = chooser.choice(volunteers)
        record = next_record_for(campaign=arc_campaign, user=user)
        if record is None:
            continue
        action = chooser.random()
        translation = record.fields[0]["translation"]
        if action < 0.55:
            response_submit(record=record, user=user, values={"verdict": "correct"})
        elif action < 0.75:
            values = {"verdict": "minor_fixes", "question_corrected": translation + " ok"}
            response_submit(record=record, user=user, values=values)
            if chooser.random() < 0.5:
                # An edit back to the machine translation takes the correction away.
                response_submit(record=record, user=user, values={"verdict": "correct"})
        elif action < 0.9:
            response_save_draft(record=record, user=user, values={"verdict": "wrong"})
        else:
            response_skip(record=record, user=user)
    counter = CampaignCounter.objects.get(campaign=arc_campaign)
    assert counter.responses_submitted > 40
    assert counters_recompute(campaign=arc_campaign).differences == []


def test_counters_drift_is_reported_and_fixed(arc_campaign, volunteer, capsys):
    record = arc_campaign.records.first()
    response_submit(record=record, user=volunteer, values={"verdict": "correct"})
    CampaignCounter.objects.filter(campaign=arc_campaign).update(responses_submitted=7)
    call_command("recompute_counters", "--slug", arc_campaign.slug, "--locale", "en")
    assert "campaign responses_submitted: stored 7, true 1" in capsys.readouterr().out
    call_command("recompute_counters", "--slug", arc_campaign.slug, "--fix")
    assert counters_recompute(campaign=arc_campaign).clean
    assert CampaignCounter.objects.get(campaign=arc_campaign).responses_submitted == 1
