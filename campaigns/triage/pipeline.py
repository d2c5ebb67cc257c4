"""Triage a long import's batches in a second process while the import reads and writes.

The checks cost about as much as reading a record, and an import runs on one core while the
machine has at least two (PostgreSQL, which takes the COPY, leaves half of the second one
idle). So past its first batches an import hands each batch's pieces to a forked worker
and goes on reading; it takes the scores back two batches later, in order. Short imports,
and processes that may not fork (a daemonic worker, a platform without fork), check every
batch where they are. Either way the results are those of `records_triage`.
"""

from __future__ import annotations

import logging
import multiprocessing
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from itertools import islice
from typing import TypeVar

from campaigns.triage.checks import Flag, Piece, Triage, records_triage
from campaigns.triage.columns import PieceColumns, columns_triage

logger = logging.getLogger(__name__)
Batch = TypeVar("Batch")
# Batches checked here before a worker is worth forking (a fork takes ~50 ms).
BATCHES_BEFORE_WORKER = 3
# Batches handed over and not yet taken back: enough to keep the worker busy.
BATCHES_AHEAD = 2

_CLEAN = Triage(0.0, ())
_PieceRow = tuple[str, str, str]
_Pieces = list[list[_PieceRow]] | PieceColumns
# A clean record travels back as None; a flagged one as its score and flags' fields.
_Sent = tuple[float, list[tuple[str, str, float, dict[str, str]]]] | None


def batches_triaged(
    batches: Iterable[Batch],
    pieces_of: Callable[[Batch], _Pieces],
    *,
    source_language: str,
    target_language: str,
) -> Iterator[tuple[Batch, list[Triage]]]:
    """Yield each batch with its records' triage, in order.

    `pieces_of` gives a batch's pieces: by record, as lists of (name, source, translation),
    or by column.
    """

    def here(batch: Batch) -> list[Triage]:
        return _triage_here(pieces_of(batch), source_language, target_language)

    iterator = iter(batches)
    for batch in islice(iterator, BATCHES_BEFORE_WORKER):
        yield batch, here(batch)
    pool = _worker_pool()
    if pool is None:
        for batch in iterator:
            yield batch, here(batch)
        return
    with pool:
        pending: deque[tuple[Batch, Future | None]] = deque()
        handing_over = True
        for batch in iterator:
            future = None
            if handing_over:
                future = _submitted(pool, pieces_of(batch), source_language, target_language)
                # A worker that cannot start (a daemonic process after all) will not later.
                handing_over = future is not None
            pending.append((batch, future))
            if len(pending) > BATCHES_AHEAD:
                done, sent = pending.popleft()
                yield done, _taken(sent) or here(done)
        while pending:
            done, sent = pending.popleft()
            yield done, _taken(sent) or here(done)


def _triage_here(pieces: _Pieces, source: str, target: str) -> list[Triage]:
    if isinstance(pieces, PieceColumns):
        return columns_triage(pieces, source_language=source, target_language=target)
    return records_triage(
        ([Piece(*row) for row in record] for record in pieces),
        source_language=source,
        target_language=target,
    )


def _worker_pool() -> ProcessPoolExecutor | None:
    if "fork" not in multiprocessing.get_all_start_methods():
        return None
    if multiprocessing.current_process().daemon:
        # Celery's prefork children are daemonic, and daemonic processes may not fork.
        return None
    # Fork, not spawn: the child has the checks and the language model loaded already, and
    # touches nothing but the pieces it is sent (it ends with os._exit: no finaliser of the
    # parent's database connection runs in it).
    return ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("fork"))


def _submitted(
    pool: ProcessPoolExecutor, pieces: _Pieces, source: str, target: str
) -> Future | None:
    try:
        return pool.submit(_triage_sent, pieces, source, target)
    except Exception:
        logger.warning("triage worker did not start; checking in process", exc_info=True)
        return None


def _taken(sent: Future | None) -> list[Triage] | None:
    """The batch's triage from the worker, or None to check it here (never sent, or failed)."""
    if sent is None:
        return None
    try:
        return [_received(result) for result in sent.result()]
    except Exception:
        # A worker that died or could not be sent the batch: it is checked here instead
        # (and a fault of the checks themselves is raised here, where it can be read).
        logger.warning("triage worker failed; checking the batch in process", exc_info=True)
        return None


def _triage_sent(pieces: _Pieces, source: str, target: str) -> list[_Sent]:
    """In the worker: triage records sent by record or by column."""
    triages = _triage_here(pieces, source, target)
    return [
        None
        if not triage.flags
        else (triage.score, [(f.piece, f.check, f.weight, f.detail) for f in triage.flags])
        for triage in triages
    ]


def _received(sent: _Sent) -> Triage:
    if sent is None:
        return _CLEAN
    score, flags = sent
    return Triage(score, tuple(Flag(*flag) for flag in flags))
