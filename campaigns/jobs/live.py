"""A running job's progress, heartbeat and cancel flag, kept in the cache.

The work runs in its own transaction (an import is all or nothing), so nothing it writes to its
row shows before it ends: the progress goes through the cache, which every web process reads
(Redis in production; in the embedded default the job runs in the web process itself).
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

from django.core.cache import cache

# How often a running job says it is alive, and how long the word lasts.
HEARTBEAT_EVERY_S = 5.0
HEARTBEAT_TTL_S = 15


@dataclass(frozen=True, slots=True)
class LiveProgress:
    done: int
    total: int | None
    # Rows per second since the job started, and the seconds left at that pace.
    rate: float | None
    seconds_left: float | None


def _key(job_id: int, what: str) -> str:
    return f"somos:job:{job_id}:{what}"


def progress_store(job_id: int, *, done: int, total: int | None, started: float) -> None:
    """Keep the job's latest progress (started: the time.time() the work began)."""
    cache.set(_key(job_id, "progress"), (done, total, started, time.time()), timeout=24 * 3600)


def progress_read(job_id: int) -> LiveProgress | None:
    """Return the job's latest progress, or None before its first report."""
    stored = cache.get(_key(job_id, "progress"))
    if stored is None:
        return None
    done, total, started, at = stored
    elapsed = at - started
    rate = done / elapsed if elapsed > 0 and done else None
    left = (total - done) / rate if rate and total is not None and total >= done else None
    return LiveProgress(done=done, total=total, rate=rate, seconds_left=left)


def progress_forget(job_id: int) -> None:
    cache.delete_many([_key(job_id, "progress"), _key(job_id, "cancel")])


def cancel_request(job_id: int) -> None:
    cache.set(_key(job_id, "cancel"), 1, timeout=24 * 3600)


def cancel_requested(job_id: int) -> bool:
    return bool(cache.get(_key(job_id, "cancel")))


def alive(job_id: int) -> bool:
    """True while some worker runs the job and said so within HEARTBEAT_TTL_S."""
    return bool(cache.get(_key(job_id, "alive")))


class Heartbeat:
    """Say every HEARTBEAT_EVERY_S that the job runs, from a thread, while the work goes on.

    A thread rather than the progress calls: some steps (a COPY, a consensus pass) report
    nothing for a while and must not look dead.
    """

    def __init__(self, job_id: int) -> None:
        self.job_id = job_id
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._beat, daemon=True, name=f"job-{job_id}")

    def __enter__(self) -> Heartbeat:
        cache.set(_key(self.job_id, "alive"), 1, timeout=HEARTBEAT_TTL_S)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        cache.delete(_key(self.job_id, "alive"))

    def _beat(self) -> None:
        while not self._stop.wait(HEARTBEAT_EVERY_S):
            cache.set(_key(self.job_id, "alive"), 1, timeout=HEARTBEAT_TTL_S)
