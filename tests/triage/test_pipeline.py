"""A long import's triage in a forked worker: the same results as checking in process."""

from __future__ import annotations

import os
from concurrent.futures import ProcessPoolExecutor

import pytest

from campaigns import record_writer
from campaigns.importers.sources import Source
from campaigns.models import Record
from campaigns.services import campaign_create, records_import
from campaigns.triage import pipeline
from campaigns.triage.checks import record_triage, records_triage
from tests.triage.broken import broken_records, broken_rows_files


def _batches(size: int) -> list[list[tuple[str, list]]]:
    records = [item for seed in range(4) for item in broken_records(seed, 40, 10)[0]]
    return [records[start : start + size] for start in range(0, len(records), size)]


def _exit_at_once(*args: object) -> None:
    os._exit(3)


def _triaged(batches, **kwargs):
    return list(
        pipeline.batches_triaged(
            batches,
            lambda batch: [[(p.name, p.source, p.translation) for p in item[1]] for item in batch],
            source_language="en",
            target_language="es",
            **kwargs,
        )
    )


def test_batches_triaged_in_a_worker_match_records_triage(monkeypatch):
    forked = []
    real_pool = pipeline._worker_pool
    monkeypatch.setattr(pipeline, "_worker_pool", lambda: forked.append(1) or real_pool())
    batches = _batches(10)
    assert len(batches) > pipeline.BATCHES_BEFORE_WORKER + pipeline.BATCHES_AHEAD

    triaged = _triaged(batches)

    assert forked == [1]
    assert [batch for batch, _ in triaged] == batches
    for batch, triages in triaged:
        assert triages == records_triage(pieces for _, pieces in batch)
    assert any(triage.flags for _, triages in triaged for triage in triages)


def test_batches_triaged_checks_in_process_when_the_worker_dies(monkeypatch):
    # The forked worker inherits this patch and exits at once: every batch handed to it
    # comes back broken and is checked here instead.
    monkeypatch.setattr(pipeline, "_triage_sent", _exit_at_once)
    batches = _batches(10)

    triaged = _triaged(batches)

    for batch, triages in triaged:
        assert triages == records_triage(pieces for _, pieces in batch)


def test_batches_triaged_checks_in_process_where_it_may_not_fork(monkeypatch):
    monkeypatch.setattr(pipeline, "_worker_pool", lambda: None)
    batches = _batches(7)
    triaged = _triaged(batches)
    assert [triages for _, triages in triaged] == [
        records_triage(pieces for _, pieces in batch) for batch in batches
    ]


@pytest.mark.django_db
def test_records_import_stores_the_worker_triage(monkeypatch, tmp_path):
    # Small batches, so that an import of 50 records reaches the worker.
    monkeypatch.setattr(record_writer, "BATCH_SIZE", 4)
    english, spanish, broken = broken_rows_files(tmp_path, 3, 50, 8)
    campaign = campaign_create(slug="worker-triage", name="Triage", preset="okapi_mmlu")

    records_import(campaign=campaign, source=Source(english), translation=Source(spanish))

    stored = {
        record.external_id: (record.suspicion, record.triage_flags)
        for record in Record.objects.filter(campaign=campaign)
    }
    expected = {
        external_id: record_triage(pieces) for external_id, pieces in broken_records(3, 50, 8)[0]
    }
    assert set(stored) == set(expected)
    for external_id, triage in expected.items():
        assert stored[external_id] == (
            triage.score,
            [flag.as_json() for flag in triage.flags],
        ), external_id
    assert broken <= {external_id for external_id, (score, _) in stored.items() if score > 0}


class _RefusingPool(ProcessPoolExecutor):
    def submit(self, *args, **kwargs):
        raise AssertionError("daemonic processes are not allowed to have children")


def test_batches_triaged_checks_in_process_when_the_worker_cannot_start(monkeypatch):
    monkeypatch.setattr(pipeline, "_worker_pool", lambda: _RefusingPool(max_workers=1))
    batches = _batches(10)
    triaged = _triaged(batches)
    assert [triages for _, triages in triaged] == [
        records_triage(pieces for _, pieces in batch) for batch in batches
    ]
