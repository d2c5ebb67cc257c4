"""Pull: answers given in Argilla reach Somos by webhook and by reconciliation; ours go there."""

from __future__ import annotations

import time

import pytest

from annotation.argilla.models import ArgillaDatasetLink, ArgillaSyncRun, WebhookDelivery
from annotation.argilla.sync import argilla_sync
from annotation.models import Response
from annotation.services import response_submit
from annotation.tasks import argilla_reconcile_all_task
from campaigns.models import Record
from dashboards.models import CampaignCounter
from tests.argilla.conftest import hf_volunteer, wait_for
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db(transaction=True)


def _counter(campaign) -> CampaignCounter:
    return CampaignCounter.objects.get(campaign=campaign)


def test_webhook_brings_an_argilla_answer_into_somos_counters_within_5_s(
    linked_campaign, live_server, argilla_on, annotator, capsys
):
    argilla_on.ARGILLA_WEBHOOK_URL = f"{live_server.url}/argilla/webhook/"
    argilla_sync(campaign=linked_campaign, push=True, pull=False)
    link = ArgillaDatasetLink.objects.get(campaign=linked_campaign)
    volunteer = hf_volunteer("ana-webhook")
    _user, as_ana = annotator(link.workspace_id, username="ana-webhook")
    record = Record.objects.filter(campaign=linked_campaign).order_by("id").first()

    latencies = []
    for attempt, verdict in enumerate(["correct", "wrong"]):
        started = time.monotonic()
        as_ana.answer(record.argilla_id, {"verdict": verdict})
        wait_for(
            lambda v=verdict: Response.objects.filter(
                record=record, user=volunteer, values__verdict=v
            ).exists(),
            timeout=5,
        )
        latencies.append(time.monotonic() - started)
        if attempt == 0:
            assert _counter(linked_campaign).responses_submitted == 1
    with capsys.disabled():
        print(
            f"\nwebhook latency (Argilla API submit → Somos counter): {latencies[0]:.3f} s, "
            f"edit: {latencies[1]:.3f} s"
        )
    answer = Response.objects.get(record=record, user=volunteer)
    assert answer.origin == Response.Origin.ARGILLA
    assert answer.revisions.count() == 1
    assert _counter(linked_campaign).responses_submitted == 1
    assert WebhookDelivery.objects.filter(status=WebhookDelivery.Status.APPLIED).exists()
    assert max(latencies) < 5


def test_reconciliation_brings_answers_in_without_webhooks(
    linked_campaign, annotator, argilla_owner, capsys, settings
):
    argilla_sync(campaign=linked_campaign, push=True, pull=False)
    link = ArgillaDatasetLink.objects.get(campaign=linked_campaign)
    records = list(Record.objects.filter(campaign=linked_campaign).order_by("id")[:3])
    _user, as_luis = annotator(link.workspace_id, username="luis-recon")
    for record in records:
        as_luis.answer(record.argilla_id, {"verdict": "correct"})
    time.sleep(0.5)  # the webhook is off: nothing may arrive by itself
    assert _counter(linked_campaign).responses_submitted == 0

    started = time.monotonic()
    argilla_reconcile_all_task()
    took = time.monotonic() - started
    with capsys.disabled():
        print(f"\none reconciliation run (25 records, 3 new answers): {took:.3f} s")

    assert _counter(linked_campaign).responses_submitted == 3
    beat = settings.CELERY_BEAT_SCHEDULE["argilla-reconcile"]
    assert (beat["task"], beat["schedule"]) == (argilla_reconcile_all_task.name, 30)
    run = ArgillaSyncRun.objects.filter(campaign=linked_campaign).first()
    assert (run.status, run.responses_pulled) == (ArgillaSyncRun.Status.SUCCEEDED, 3)
    argilla_reconcile_all_task()
    assert _counter(linked_campaign).responses_submitted == 3  # nothing doubles
    assert ArgillaSyncRun.objects.filter(campaign=linked_campaign).first().responses_pulled == 0


def test_answers_given_in_somos_count_in_argilla_as_their_authors(linked_campaign, argilla_owner):
    argilla_sync(campaign=linked_campaign, push=True, pull=False)
    link = ArgillaDatasetLink.objects.get(campaign=linked_campaign)
    record = Record.objects.filter(campaign=linked_campaign).order_by("id").first()
    first, second = UserFactory(), hf_volunteer("bea-somos")

    response_submit(record=record, user=first, values={"verdict": "correct"})
    response_submit(record=record, user=second, values={"verdict": "minor_fixes"})

    item = argilla_owner.get(f"/api/v1/records/{record.argilla_id}", include="responses")
    assert sorted(r["values"]["verdict"]["value"] for r in item["responses"]) == [
        "correct",
        "minor_fixes",
    ]
    assert item["status"] == "completed"  # Argilla's overlap agrees with ours
    names = {
        argilla_owner.get(f"/api/v1/users/{r['user_id']}")["username"] for r in item["responses"]
    }
    assert names == {f"somos-{first.pk}", "bea-somos"}
    progress = argilla_owner.get(f"/api/v1/datasets/{link.dataset_id}/progress")
    assert progress["completed"] == 1
    # A reconciliation afterwards finds both sides equal.
    run = argilla_sync(campaign=linked_campaign, push=False, pull=True)
    assert (run.responses_pulled, run.responses_pushed) == (0, 0)
