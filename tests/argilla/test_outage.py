"""Argilla stopped mid-sync and started again: the failed run is recorded, the next resumes."""

from __future__ import annotations

import pytest

from annotation.argilla import gateway
from annotation.argilla.models import ArgillaDatasetLink, ArgillaSyncRun
from annotation.argilla.sync import argilla_sync
from annotation.tasks import argilla_sync_task
from campaigns.models import Record
from dashboards.models import CampaignCounter
from tests.argilla.conftest import wait_for
from tests.faults import celery_worker

pytestmark = pytest.mark.django_db(transaction=True)

# A real Celery worker, taken by name from the fault tests' fixtures.
broker = celery_worker.broker
tasks_to_broker = celery_worker.tasks_to_broker
worker_start = celery_worker.worker_start


@pytest.fixture(autouse=True)
def _argilla_back_up(argilla_server):
    """Whatever happens in a test, the next one finds Argilla running."""
    yield
    if argilla_server._server is None:
        argilla_server.start()


def _more_records(campaign, total: int) -> None:
    """Copy the campaign's records until it has `total` (3 bulk requests' worth)."""
    originals = list(Record.objects.filter(campaign=campaign).order_by("id"))
    copies = [
        Record(
            campaign=campaign,
            external_id=f"{original.external_id}-copy{n}",
            fields=original.fields,
            source_row=original.source_row,
            metadata=original.metadata,
        )
        for n in range(total // len(originals) + 1)
        for original in originals
    ]
    Record.objects.bulk_create(copies[: total - len(originals)])


def test_argilla_stopped_mid_push_and_restarted_loses_nothing_doubles_nothing(
    linked_campaign, argilla_server, argilla_owner, monkeypatch
):
    _more_records(linked_campaign, 600)
    upsert = gateway.records_upsert
    calls = []

    def upsert_then_stop(**kwargs):
        result = upsert(**kwargs)
        calls.append(len(kwargs["records"]))
        if len(calls) == 1:
            argilla_server.stop_server()  # Argilla goes down after the first batch
        return result

    monkeypatch.setattr(gateway, "records_upsert", upsert_then_stop)
    with pytest.raises(gateway.ArgillaUnavailable):
        argilla_sync(campaign=linked_campaign, push=True, pull=False)

    failed = ArgillaSyncRun.objects.get(campaign=linked_campaign)
    assert failed.status == ArgillaSyncRun.Status.FAILED
    assert failed.records_pushed == gateway.PUSH_BATCH
    assert failed.errors and failed.finished_at
    link = ArgillaDatasetLink.objects.get(campaign=linked_campaign)
    assert link.push_cursor > 0
    sent = Record.objects.filter(campaign=linked_campaign, argilla_id__isnull=False)
    assert sent.count() == gateway.PUSH_BATCH

    argilla_server.start()
    resumed = argilla_sync(campaign=linked_campaign, push=True, pull=True)

    assert resumed.status == ArgillaSyncRun.Status.SUCCEEDED
    assert resumed.records_pushed == 600 - gateway.PUSH_BATCH  # only what was not sent
    records = argilla_owner.records(link.dataset_id)
    assert len(records) == 600
    assert len({r["external_id"] for r in records}) == 600
    assert not Record.objects.filter(campaign=linked_campaign, argilla_id__isnull=True).exists()


def test_answers_survive_an_argilla_outage_during_reconciliation(
    linked_campaign, argilla_server, annotator
):
    argilla_sync(campaign=linked_campaign, push=True, pull=False)
    link = ArgillaDatasetLink.objects.get(campaign=linked_campaign)
    _user, as_ines = annotator(link.workspace_id, username="ines-outage")
    for record in Record.objects.filter(campaign=linked_campaign).order_by("id")[:4]:
        as_ines.answer(record.argilla_id, {"verdict": "correct"})

    argilla_server.stop_server()
    with pytest.raises(gateway.ArgillaUnavailable):
        argilla_sync(campaign=linked_campaign, push=False, pull=True)
    assert CampaignCounter.objects.get(campaign=linked_campaign).responses_submitted == 0

    argilla_server.start()
    argilla_sync(campaign=linked_campaign, push=False, pull=True)
    argilla_sync(campaign=linked_campaign, push=True, pull=True)

    assert CampaignCounter.objects.get(campaign=linked_campaign).responses_submitted == 4
    statuses = list(
        ArgillaSyncRun.objects.filter(campaign=linked_campaign)
        .order_by("started_at", "id")
        .values_list("status", "responses_pulled")
    )
    assert statuses == [("succeeded", 0), ("failed", 0), ("succeeded", 4), ("succeeded", 0)]


def test_sync_task_resumes_by_itself_after_argilla_stops_mid_push(
    linked_campaign, argilla_server, argilla_owner, broker, worker_start, tasks_to_broker
):
    _more_records(linked_campaign, 600)
    argilla_sync_task.delay(linked_campaign.pk, trigger=ArgillaSyncRun.Trigger.SCHEDULE)
    # Long enough that Redis never hands the retry, held until its countdown, out twice.
    worker = worker_start(visibility_timeout=600)
    runs = ArgillaSyncRun.objects.filter(campaign=linked_campaign)

    def pushed_a_batch() -> bool:
        worker.assert_alive()
        return runs.filter(
            status=ArgillaSyncRun.Status.RUNNING, records_pushed__gte=gateway.PUSH_BATCH
        ).exists()

    wait_for(pushed_a_batch, timeout=180)
    argilla_server.stop_server()
    wait_for(lambda: runs.filter(status=ArgillaSyncRun.Status.FAILED).exists(), timeout=60)
    argilla_server.start()
    # Nobody starts the sync again: the task retries with backoff until a run gets through.
    wait_for(
        lambda: runs.filter(status=ArgillaSyncRun.Status.SUCCEEDED).exists(), timeout=240, every=0.5
    )

    history = list(runs.order_by("id").values_list("status", "records_pushed"))
    *failed, (last_status, _pushed) = history
    assert last_status == ArgillaSyncRun.Status.SUCCEEDED, worker.log_tail()
    assert failed and {status for status, _pushed in failed} == {ArgillaSyncRun.Status.FAILED}
    assert failed[0][1] >= gateway.PUSH_BATCH
    assert sum(pushed for _status, pushed in history) == 600  # each record sent once
    link = ArgillaDatasetLink.objects.get(campaign=linked_campaign)
    records = argilla_owner.records(link.dataset_id)
    assert len({r["external_id"] for r in records}) == len(records) == 600
    assert not Record.objects.filter(campaign=linked_campaign, argilla_id__isnull=True).exists()
    wait_for(lambda: broker.hlen("unacked") == 0 and broker.llen("celery") == 0, timeout=10)
