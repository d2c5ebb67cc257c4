"""Start and stop a real argilla-server 2.8.0 (and its rq worker) on loopback for tests and bench.

The server runs from `.venv-argilla/` (made by scripts/argilla_server.sh), on SQLite in a
temporary home, with the machine's Redis (its own DB number) and the SQL search engine of this
folder instead of Elasticsearch.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[3]
SERVER_PYTHON = ROOT / ".venv-argilla" / "bin" / "python"
LAUNCHER = Path(__file__).with_name("launch.py")
REDIS = os.environ.get("ARGILLA_TEST_REDIS", "127.0.0.1:6379")
# Argilla's queue names are fixed, so two test servers on one Redis DB would take each
# other's webhook jobs: each server claims a DB of its own: 9, else the next free one.
REDIS_DBS = (9, 11, 12, 13)
REDIS_LOCK = "somos:argilla-test-server"
OWNER_API_KEY = "somos-test-owner-api-key"
OWNER_PASSWORD = "somos-test-owner-password"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class ArgillaTestServer:
    """One argilla-server and one worker; stop() and start() again keep the data."""

    def __init__(self) -> None:
        if not SERVER_PYTHON.exists():
            raise RuntimeError(
                f"{SERVER_PYTHON} is missing: run `bash scripts/argilla_server.sh` first"
            )
        self.home = Path(tempfile.mkdtemp(prefix="argilla-test-"))
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.api_key = OWNER_API_KEY
        self._server: subprocess.Popen | None = None
        self._worker: subprocess.Popen | None = None
        self._redis_db = self._redis_claim()
        self.redis_url = f"redis://{REDIS}/{self._redis_db}"

    def _redis_claim(self) -> int:
        import redis

        for db in REDIS_DBS:
            client = redis.Redis.from_url(f"redis://{REDIS}/{db}")
            if client.set(REDIS_LOCK, str(self.home), nx=True, ex=3600):
                # Jobs left by a run that died would go to webhooks that no longer exist.
                for key in client.scan_iter("rq:*"):
                    client.delete(key)
                return db
        raise RuntimeError(f"Redis DBs {REDIS_DBS} at {REDIS} are all taken by Argilla tests")

    def _redis_release(self) -> None:
        import redis

        client = redis.Redis.from_url(self.redis_url)
        if client.get(REDIS_LOCK) == str(self.home).encode():
            client.delete(REDIS_LOCK)

    def _env(self) -> dict[str, str]:
        env = {
            key: value
            for key, value in os.environ.items()
            if not key.startswith(("ARGILLA_", "DJANGO_", "DATABASE_URL"))
        }
        env.update(
            ARGILLA_HOME_PATH=str(self.home),
            ARGILLA_SEARCH_ENGINE="sql",
            ARGILLA_REDIS_URL=self.redis_url,
            HF_HUB_DISABLE_TELEMETRY="1",
            HF_HUB_OFFLINE="1",
            ARGILLA_ENABLE_SHARE_YOUR_PROGRESS="false",
        )
        return env

    def start(self, timeout: float = 60.0) -> None:
        """Start the server and the worker; return once the API answers."""
        self.launch()
        self.wait_ready(timeout)

    def launch(self) -> None:
        """Start the server and the worker processes without waiting for them."""
        log = open(self.home / "server.log", "ab")  # noqa: SIM115 (lives as long as the process)
        self._server = subprocess.Popen(
            [
                str(SERVER_PYTHON),
                str(LAUNCHER),
                "serve",
                "--port",
                str(self.port),
                "--api-key",
                self.api_key,
                "--password",
                OWNER_PASSWORD,
            ],
            env=self._env(),
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        if self._worker is None or self._worker.poll() is not None:
            worker_log = open(self.home / "worker.log", "ab")  # noqa: SIM115
            self._worker = subprocess.Popen(
                [str(SERVER_PYTHON), str(LAUNCHER), "worker"],
                env=self._env(),
                stdout=worker_log,
                stderr=subprocess.STDOUT,
            )

    def wait_ready(self, timeout: float = 60.0) -> None:
        """Return once the API answers; stop everything if it does not in time."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._server.poll() is not None:
                raise RuntimeError(f"argilla-server exited: {self.log_tail()}")
            try:
                response = httpx.get(
                    f"{self.url}/api/v1/me", headers={"X-Argilla-Api-Key": self.api_key}, timeout=2
                )
                if response.status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"argilla-server did not start in {timeout} s: {self.log_tail()}")

    def stop_server(self) -> None:
        """Stop the API server only (the worker and the data stay)."""
        _end(self._server)
        self._server = None

    def stop(self) -> None:
        """Stop server and worker."""
        _end(self._server)
        _end(self._worker)
        self._server = self._worker = None

    def cleanup(self) -> None:
        self.stop()
        self._redis_release()
        # ARGILLA_TEST_KEEP=1 keeps the server's home (database and logs) to look into.
        if not os.environ.get("ARGILLA_TEST_KEEP"):
            shutil.rmtree(self.home, ignore_errors=True)

    def log_tail(self) -> str:
        path = self.home / "server.log"
        return path.read_text(errors="replace")[-3000:] if path.exists() else ""


def _end(process: subprocess.Popen | None) -> None:
    if process is None or process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=10)
