"""Real Celery workers for tests: separate processes on the test database and the test broker.

Test modules take the fixtures by name: `worker_start = celery_worker.worker_start`, and so on.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import redis
from django.conf import settings
from django.db import connection

from somos_site.celery import app as celery_app

ROOT = Path(__file__).resolve().parents[2]
# Seconds before Redis hands an unacknowledged message to another worker (1 h in production).
VISIBILITY_TIMEOUT = 4


class Worker:
    """One `celery worker` (a parent and one pool process) in a process group of its own."""

    def __init__(self, log: Path, *, visibility_timeout: int = VISIBILITY_TIMEOUT) -> None:
        db = connection.settings_dict
        password = f":{db['PASSWORD']}" if db["PASSWORD"] else ""
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "somos_site.settings",
            # The test database, which the tests' rows are committed to (transaction=True).
            "DATABASE_URL": (
                f"postgres://{db['USER']}{password}@{db['HOST']}:{db['PORT']}/{db['NAME']}"
            ),
            "REDIS_URL": settings.CELERY_BROKER_URL,
            "ARGILLA_API_URL": settings.ARGILLA_API_URL,
            "ARGILLA_API_KEY": settings.ARGILLA_API_KEY,
            "ARGILLA_WEBHOOK_URL": settings.ARGILLA_WEBHOOK_URL,
            "SOMOS_CELERY_EAGER": "false",
            "SOMOS_CELERY_VISIBILITY_TIMEOUT": str(visibility_timeout),
            "SOMOS_DB_POOL_MIN": "1",
            "SOMOS_DB_POOL_MAX": "4",
        }
        self.log = log
        self._log_file = log.open("ab")
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "somos_site",
                "worker",
                "--concurrency=1",
                "--loglevel=INFO",
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
                f"--hostname=test-{uuid.uuid4().hex[:8]}@%h",
            ],
            cwd=ROOT,
            env=env,
            stdout=self._log_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def pool_processes(self) -> list[int]:
        """Return the pids of the worker's pool processes (its children)."""
        children = []
        for status in Path("/proc").glob("[0-9]*/status"):
            try:
                text = status.read_text()
            except OSError:
                continue
            if f"\nPPid:\t{self.process.pid}\n" in text:
                children.append(int(status.parent.name))
        return children

    def kill(self) -> None:
        """Kill the parent and its pool processes at once, as a lost machine would."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)
        self._log_file.close()

    def assert_alive(self) -> None:
        assert self.process.poll() is None, f"the worker exited: {self.log_tail()}"

    def log_tail(self) -> str:
        return self.log.read_text(errors="replace")[-4000:]


@pytest.fixture
def broker() -> Iterator[redis.Redis]:
    """The test broker's Redis DB, without Celery messages left by another run."""
    client = redis.Redis.from_url(settings.CELERY_BROKER_URL)

    def forget_messages() -> None:
        for pattern in ("celery*", "unacked*", "_kombu.*"):
            for key in client.scan_iter(pattern):
                client.delete(key)

    forget_messages()
    yield client
    forget_messages()


@pytest.fixture
def tasks_to_broker(broker) -> Iterator[None]:
    """Send tasks through the broker to the workers (the test settings run them in process)."""
    eager = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = False
    yield
    celery_app.conf.task_always_eager = eager


@pytest.fixture
def worker_start(tmp_path) -> Iterator[Callable[..., Worker]]:
    """Start Celery workers on demand; kill whichever are still running at the end."""
    started: list[Worker] = []

    def start(**options: int) -> Worker:
        worker = Worker(tmp_path / f"worker-{len(started) + 1}.log", **options)
        started.append(worker)
        return worker

    yield start
    for worker in started:
        if worker.process.returncode is None:
            worker.kill()
