"""bench/load.py at CI size: no errors, viewers hear the submits, nothing is left behind."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg
import redis

ROOT = Path(__file__).resolve().parents[2]
FINAL = re.compile(
    r"^users=(?P<users>\d+) requests_per_s=(?P<rate>[\d.]+) p95_ms=(?P<p95>[\d.]+)"
    r" errors=(?P<errors>\d+) capacity_users=(?P<capacity>\d+)$",
    re.MULTILINE,
)
SETTINGS_VARIABLES = {
    "DATABASE_URL",
    "REDIS_URL",
    "SECRET_KEY",
    "ALLOWED_HOSTS",
    "DJANGO_SETTINGS_MODULE",
}
VIEWERS = re.compile(r"viewers: (?P<connected>\d+) connected, (?P<updated>\d+) got updates")


def _with_path(url: str, path: str) -> str:
    """Return the URL on the same server with another database."""
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=path))


def test_load_ci_mix_runs_clean_and_viewers_get_updates():
    dsn = _with_path(os.environ["DATABASE_URL"], "/somos_load_ci_bench")
    redis_url = _with_path(os.environ["REDIS_URL"], "/10")
    with redis.Redis.from_url(redis_url) as client:
        keys_before = set(client.scan_iter(count=1000))
    # The script sets the production settings itself; the suite's own switches (a bigger
    # pool, its database) must not leak into the servers it measures.
    environment = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("SOMOS_", "BENCH_")) and key not in SETTINGS_VARIABLES
    }

    command = [
        sys.executable, "bench/load.py",
        "--volunteers", "10", "--visitors", "5", "--viewers", "20",
        "--seconds", "10", "--annotate-every", "2", "--no-ramp", "--records", "2000",
        "--dsn", dsn, "--redis", redis_url,
    ]  # fmt: skip

    completed = subprocess.run(
        command,
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=240,
    )

    output = completed.stdout + completed.stderr
    assert completed.returncode == 0, output
    final = FINAL.search(completed.stdout.strip().splitlines()[-1])
    assert final is not None, output
    assert int(final["users"]) == 35
    assert int(final["errors"]) == 0, output
    assert float(final["rate"]) > 0
    assert int(final["capacity"]) in {0, 35}
    viewers = VIEWERS.search(completed.stdout)
    assert viewers is not None, output
    assert (int(viewers["connected"]), int(viewers["updated"])) == (20, 20), output
    assert "lost=0 doubled=0 counters_ok=1" in completed.stdout
    with psycopg.connect(dsn) as conn:
        left = conn.execute(
            "SELECT (SELECT count(*) FROM campaigns_campaign),"
            " (SELECT count(*) FROM auth_user), (SELECT count(*) FROM django_session)"
        ).fetchone()
    assert left == (0, 0, 0)
    with redis.Redis.from_url(redis_url) as client:
        assert set(client.scan_iter(count=1000)) <= keys_before
