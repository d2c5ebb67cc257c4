"""A Celery worker killed mid-sync: the task runs again and the sync ends as if it ran once.

Real `celery worker` processes on the test database and the test Redis broker run
`argilla_sync_task` against the real Argilla test server; the test kills them with SIGKILL
while they push a campaign of hundreds of records.
"""

from __future__ import annotations

import json
import os
import signal
import time
from pathlib import Path

import pytest
import redis
from django.db.models import Q

from annotation.argilla import gateway
from annotation.argilla.models import ArgillaDatasetLink, ArgillaSyncRun
from annotation.argilla.sync import argilla_sync
from annotation.models import Response
from annotation.recount import counters_recompute
from annotation.services import response_submit
from annotation.tasks import argilla_sync_task
from campaigns.importers.sources import Source
from campaigns.models import Campaign, Record
from campaigns.samples import SAMPLE_DATA
from campaigns.services import records_import
from dashboards.models import CampaignCounter
from tests.argilla import conftest as argilla_fixtures
from tests.argilla.conftest import ArgillaAs, wait_for
from tests.factories import UserFactory
from tests.faults import celery_worker
from tests.faults.celery_worker import VISIBILITY_TIMEOUT, Worker

pytestmark = [pytest.mark.faults, pytest.mark.django_db(transaction=True)]

# Fixtures taken by name from the modules that define them.
annotator = argilla_fixtures.annotator
argilla_on = argilla_fixtures.argilla_on
argilla_owner = argilla_fixtures.argilla_owner
argilla_server = argilla_fixtures.argilla_server
linked_campaign = argilla_fixtures.linked_campaign
broker = celery_worker.broker
tasks_to_broker = celery_worker.tasks_to_broker
worker_start = celery_worker.worker_start

# Three bulk requests (Argilla takes seconds over each): the sync is killed after the first.
RECORDS = 600
ARGILLA_ANSWERS = 4
WEB_ANSWERS = 3


@pytest.fixture(scope="module", autouse=True)
def _argilla_server_stopped_at_exit(request):
    # Run without tests/argilla/, whose conftest would otherwise stop the server it started.
    request.config.add_cleanup(lambda: [server.cleanup() for server in argilla_fixtures._SERVER])


def _arc_files(folder: Path, total: int) -> tuple[Source, Source]:
    """Write ARC source and translation files of `total` records: the samples, then copies."""
    sources = [
        json.loads(line)
        for line in (SAMPLE_DATA / "arc_challenge_validation_en.jsonl").read_text().splitlines()
    ]
    translations = {
        row["id"].rsplit("/", 1)[-1]: row
        for row in map(
            json.loads,
            (SAMPLE_DATA / "okapi_arc_challenge_validation_es.jsonl").read_text().splitlines(),
        )
    }
    source_lines, translation_lines = [], []
    for n in range(total):
        original = sources[n % len(sources)]
        copy_id = original["id"] if n < len(sources) else f"{original['id']}-copy{n}"
        source_lines.append(json.dumps({**original, "id": copy_id}))
        translation = translations[original["id"]]
        translation_lines.append(
            json.dumps({**translation, "id": f"ARC-Challenge/validation/{copy_id}"})
        )
    source_path, translation_path = folder / "arc_en.jsonl", folder / "arc_es.jsonl"
    source_path.write_text("\n".join(source_lines) + "\n")
    translation_path.write_text("\n".join(translation_lines) + "\n")
    return Source(path=source_path), Source(path=translation_path)


@pytest.fixture
def grown_campaign(linked_campaign, annotator, tmp_path) -> Campaign:
    """A linked campaign in mid-life, with a sync of hundreds of records and answers due.

    Its first 25 records are in Argilla with answers given there; then RECORDS - 25 records
    are imported and answered on the web, neither in Argilla yet.
    """
    argilla_sync(campaign=linked_campaign, push=True, pull=False)
    link = ArgillaDatasetLink.objects.get(campaign=linked_campaign)
    _user, as_annotator = annotator(link.workspace_id)
    for record in Record.objects.filter(campaign=linked_campaign).order_by("id")[:ARGILLA_ANSWERS]:
        as_annotator.answer(record.argilla_id, {"verdict": "correct"})
    source, translation = _arc_files(tmp_path, RECORDS)
    records_import(campaign=linked_campaign, source=source, translation=translation)
    volunteer = UserFactory()
    new_records = Record.objects.filter(campaign=linked_campaign, argilla_id__isnull=True)
    for record in new_records.order_by("id")[:WEB_ANSWERS]:
        response_submit(record=record, user=volunteer, values={"verdict": "correct"})
    assert Record.objects.filter(campaign=linked_campaign).count() == RECORDS
    return linked_campaign


def _pending_push(campaign: Campaign) -> int:
    """Return how many records the next push has to send."""
    link = ArgillaDatasetLink.objects.get(campaign=campaign)
    return Record.objects.filter(
        Q(argilla_id__isnull=True) | Q(updated_at__gt=link.pushed_until), campaign=campaign
    ).count()


def _run_mid_push(campaign: Campaign, worker: Worker) -> ArgillaSyncRun:
    """Wait until the worker's run has committed its first bulk request, and return it."""

    def mid_push() -> ArgillaSyncRun | None:
        worker.assert_alive()
        return ArgillaSyncRun.objects.filter(
            campaign=campaign,
            trigger=ArgillaSyncRun.Trigger.SCHEDULE,
            status=ArgillaSyncRun.Status.RUNNING,
            records_pushed__gte=gateway.PUSH_BATCH,
        ).first()

    run, _waited = wait_for(mid_push, timeout=180, every=0.05)
    return run


def _rerun_finished(killed: ArgillaSyncRun, worker: Worker) -> None:
    """Wait until a run started after the killed one has finished."""

    def finished() -> bool:
        worker.assert_alive()
        return (
            ArgillaSyncRun.objects.filter(campaign_id=killed.campaign_id, pk__gt=killed.pk)
            .exclude(status=ArgillaSyncRun.Status.RUNNING)
            .exists()
        )

    wait_for(finished, timeout=300, every=0.2)


def _assert_synced_once(
    *, campaign: Campaign, pending: int, broker: redis.Redis, owner: ArgillaAs, worker: Worker
) -> None:
    """Check the campaign ended as one uninterrupted sync would have left it."""
    runs = list(
        ArgillaSyncRun.objects.filter(campaign=campaign, trigger=ArgillaSyncRun.Trigger.SCHEDULE)
        .order_by("id")
        .values("status", "errors", "records_pushed", "responses_pulled", "responses_pushed")
    )
    assert len(runs) == 2, runs
    killed, rerun = runs
    # The killed run is closed by the rerun, which carried on from the killed run's cursor.
    assert killed["status"] == ArgillaSyncRun.Status.FAILED
    assert killed["errors"] == ["abandoned"]
    assert gateway.PUSH_BATCH <= killed["records_pushed"] < pending
    assert killed["responses_pulled"] == killed["responses_pushed"] == 0
    assert rerun["status"] == ArgillaSyncRun.Status.SUCCEEDED, worker.log_tail()
    assert killed["records_pushed"] + rerun["records_pushed"] == pending
    assert rerun["responses_pulled"] == ARGILLA_ANSWERS
    assert rerun["responses_pushed"] == WEB_ANSWERS

    # Argilla holds every record once, and each answer once.
    link = ArgillaDatasetLink.objects.get(campaign=campaign)
    records = owner.records(link.dataset_id)
    ours = dict(Record.objects.filter(campaign=campaign).values_list("external_id", "argilla_id"))
    assert len(records) == RECORDS
    assert {r["external_id"]: r["id"] for r in records} == {
        external_id: str(argilla_id) for external_id, argilla_id in ours.items()
    }
    answers = [(r["id"], a["user_id"]) for r in records for a in r["responses"] or []]
    assert len(answers) == len(set(answers)) == ARGILLA_ANSWERS + WEB_ANSWERS

    # Somos holds each answer once, and its counters agree with the rows.
    responses = Response.objects.filter(campaign=campaign, status=Response.Status.SUBMITTED)
    assert responses.filter(origin=Response.Origin.ARGILLA).count() == ARGILLA_ANSWERS
    assert responses.filter(origin=Response.Origin.WEB).count() == WEB_ANSWERS
    counter = CampaignCounter.objects.get(campaign=campaign)
    assert counter.records_total == RECORDS
    assert counter.responses_submitted == ARGILLA_ANSWERS + WEB_ANSWERS
    assert counter.contributors == 2
    assert counters_recompute(campaign=campaign).differences == []

    # The message was acknowledged: nothing will run it a third time.
    wait_for(lambda: broker.hlen("unacked") == 0 and broker.llen("celery") == 0, timeout=10)


def test_sync_task_killed_with_its_worker_reruns_on_a_new_worker_as_if_run_once(
    grown_campaign, argilla_owner, broker, worker_start, tasks_to_broker
):
    pending = _pending_push(grown_campaign)
    argilla_sync_task.delay(grown_campaign.pk, trigger=ArgillaSyncRun.Trigger.SCHEDULE)
    first = worker_start()
    killed = _run_mid_push(grown_campaign, first)

    first.kill()
    # The message stays unacknowledged in Redis; after the visibility timeout, counted from
    # its delivery (before the run started), a worker that starts takes it up again.
    time.sleep(max(0.0, killed.started_at.timestamp() + VISIBILITY_TIMEOUT + 1 - time.time()))
    second = worker_start()
    _rerun_finished(killed, second)

    _assert_synced_once(
        campaign=grown_campaign,
        pending=pending,
        broker=broker,
        owner=argilla_owner,
        worker=second,
    )


def test_sync_task_whose_pool_process_is_killed_reruns_at_once_as_if_run_once(
    grown_campaign, argilla_owner, broker, worker_start, tasks_to_broker
):
    pending = _pending_push(grown_campaign)
    argilla_sync_task.delay(grown_campaign.pk, trigger=ArgillaSyncRun.Trigger.SCHEDULE)
    worker = worker_start()
    killed = _run_mid_push(grown_campaign, worker)
    (pool_process,) = worker.pool_processes()

    os.kill(pool_process, signal.SIGKILL)  # what the kernel's OOM killer does
    # The parent sees its pool process die and puts the message back on the queue.
    _rerun_finished(killed, worker)

    worker.assert_alive()
    _assert_synced_once(
        campaign=grown_campaign,
        pending=pending,
        broker=broker,
        owner=argilla_owner,
        worker=worker,
    )
