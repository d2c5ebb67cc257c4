"""`make run`'s site (SQLite, no Redis, no Celery worker) takes a 200,000-row import by the API
and runs it in the background: 202 at once, progress while it runs, every record in the end."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.campaigns.files import mmlu_pair_write
from tests.faults.servers import somos_command
from tests.jobs.api_import import import_posted, job_watched

ROOT = Path(__file__).resolve().parents[2]
ROWS = 200_000
# What make run leaves out of the environment to be embedded (and what the suite sets).
PRODUCTION_ONLY = (
    "DATABASE_URL",
    "REDIS_URL",
    "SECRET_KEY",
    "ALLOWED_HOSTS",
    "SOMOS_JOBS_RUNNER",
    "DJANGO_SETTINGS_MODULE",
)


@pytest.fixture
def embedded_site(tmp_path) -> Iterator[tuple[str, str]]:
    """make run's site on a fresh SQLite file; yield its address and an organizer's API token."""
    env = {key: value for key, value in os.environ.items() if key not in PRODUCTION_ONLY}
    env["SOMOS_SQLITE_PATH"] = str(tmp_path / "db.sqlite3")
    env["SOMOS_MEDIA_ROOT"] = str(tmp_path / "media")
    somos_command(env, "manage", "migrate", "--noinput")
    somos_command(
        env,
        "manage",
        "shell",
        "-c",
        "from django.contrib.auth import get_user_model; get_user_model().objects.create_user("
        "username='organizer', email='organizer@example.org', password='x', is_staff=True)",
    )
    printed = somos_command(env, "manage", "api_token", "--email", "organizer@example.org")
    token = printed.strip().splitlines()[-1]
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "somos_site.asgi:application", "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=(tmp_path / "server.log").open("wb"),
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            httpx.get(base + "/", timeout=2)
            break
        except httpx.TransportError:
            assert server.poll() is None, (tmp_path / "server.log").read_text()
            assert time.monotonic() < deadline, "the embedded site did not start"
            time.sleep(0.2)
    yield base, token
    server.terminate()
    try:
        server.wait(timeout=30)
    except subprocess.TimeoutExpired:
        # A job still running in the server's thread may hold its shutdown up.
        server.kill()
        server.wait(timeout=10)


def test_a_200k_import_by_the_api_answers_at_once_and_reports_progress(embedded_site, tmp_path):
    base, token = embedded_site
    english, spanish = mmlu_pair_write(tmp_path, ROWS)
    api = httpx.Client(
        base_url=base + "/api/v1", headers={"Authorization": f"Bearer {token}"}, timeout=120
    )
    created = api.post(
        "/campaigns",
        json={"slug": "mmlu-api", "name": "MMLU API", "preset": "okapi_mmlu", "overlap": 2},
    )
    assert created.status_code == 201, created.text

    job, upload_to_answer = import_posted(api, "mmlu-api", english, spanish)
    assert upload_to_answer < 2
    job, seen = job_watched(api, job)

    assert job["status"] == "succeeded", job
    rising = [done for done in seen if 0 < done < ROWS]
    assert len(rising) >= 3, seen
    assert rising == sorted(rising)
    assert api.get("/campaigns/mmlu-api").json()["records"] == ROWS
