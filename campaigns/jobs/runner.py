"""Hand a job to whatever runs jobs here (settings.SOMOS_JOBS_RUNNER).

It knows nothing of what a job does: services passes the functions that run and recover jobs,
and the Celery task is sent by name (campaigns.tasks imports services, not the other way).
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable

from django.conf import settings
from django.db import close_old_connections, connection, transaction

logger = logging.getLogger(__name__)

JOB_RUN_TASK = "campaigns.tasks.job_run_task"


def job_dispatch(
    job_id: int, *, run: Callable[[int], object], recover: Callable[[], object]
) -> None:
    """Run the job: now (inline), or once the caller's transaction commits (thread, celery)."""
    runner = settings.SOMOS_JOBS_RUNNER
    if runner == "inline":
        run(job_id)
    elif runner == "thread":
        transaction.on_commit(lambda: _thread_runner(run, recover).put(job_id))
    else:
        from celery import current_app

        transaction.on_commit(lambda: current_app.send_task(JOB_RUN_TASK, args=[job_id]))


class _ThreadRunner:
    """One worker thread in this process, running queued jobs one at a time.

    The embedded default's worker: the request answers at once, as with Celery. One at a
    time, as on a one-process Celery worker: SQLite takes one writer anyway.
    """

    def __init__(self, run: Callable[[int], object], recover: Callable[[], object]) -> None:
        self._run = run
        self._recover = recover
        self._queue: queue.Queue[int | None] = queue.Queue()
        self._thread = threading.Thread(target=self._work, daemon=True, name="somos-jobs")
        self._thread.start()
        # A job a stopped process was running is run again (or failed) by this one.
        self.put(None)

    def put(self, job_id: int | None) -> None:
        self._queue.put(job_id)

    def _work(self) -> None:
        while True:
            job_id = self._queue.get()
            try:
                close_old_connections()
                if job_id is None:
                    self._recover()
                else:
                    self._run(job_id)
            except Exception:
                logger.exception("the job runner failed on job %s", job_id)
            finally:
                connection.close()
                self._queue.task_done()


_runner: _ThreadRunner | None = None
_runner_lock = threading.Lock()


def _thread_runner(run: Callable[[int], object], recover: Callable[[], object]) -> _ThreadRunner:
    global _runner
    with _runner_lock:
        if _runner is None:
            _runner = _ThreadRunner(run, recover)
        return _runner


def thread_runner_idle(timeout: float = 60.0) -> bool:
    """Wait until the thread runner has nothing queued (for tests and the demo); True if so."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if _runner is None or _runner._queue.unfinished_tasks == 0:
            return True
        time.sleep(0.05)
    return False
