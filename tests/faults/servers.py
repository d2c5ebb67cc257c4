"""Private PostgreSQL, Redis and Somos processes that a fault test may stop and start at will.

The machine's shared PostgreSQL (5432) and Redis (6379) serve other people and runs, so a
fault test never touches them: it starts its own cluster and redis-server on free loopback
ports in a temporary directory, and throws them away afterwards.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import psycopg
import redis

ROOT = Path(__file__).resolve().parents[2]
READY_TIMEOUT_S = 60.0


def free_port() -> int:
    """Return a loopback port that is free now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _postgres_bindir() -> Path:
    """Find initdb and pg_ctl: SOMOS_PG_BINDIR, Debian's newest version, else the PATH."""
    if configured := os.environ.get("SOMOS_PG_BINDIR"):
        return Path(configured)
    versions = sorted(
        Path("/usr/lib/postgresql").glob("*/bin/pg_ctl"),
        key=lambda path: int(path.parent.parent.name) if path.parent.parent.name.isdigit() else 0,
    )
    if versions:
        return versions[-1].parent
    found = shutil.which("pg_ctl")
    if found is None:
        raise RuntimeError("pg_ctl not found: install PostgreSQL or set SOMOS_PG_BINDIR")
    return Path(found).resolve().parent


def _end(process: subprocess.Popen | None) -> None:
    """Stop a process this module started: TERM to its group, then KILL if it lingers."""
    if process is None or process.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)


class PrivatePostgres:
    """A throwaway PostgreSQL cluster on a free port, trusting local connections."""

    def __init__(self) -> None:
        self.bindir = _postgres_bindir()
        self.home = Path(tempfile.mkdtemp(prefix="somos-faults-pg-"))
        self.data = self.home / "data"
        self.log = self.home / "postgres.log"
        self.port = free_port()
        # initdb refuses to run as root: then the cluster belongs to the postgres account.
        self._as = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        if self._as:
            shutil.chown(self.home, user="postgres")
        self._running = False
        atexit.register(self.cleanup)
        self._run(
            "initdb", "-D", str(self.data), "-U", "postgres", "--auth=trust",
            "--encoding=UTF8", "--locale=C.UTF-8", "--no-sync",
        )  # fmt: skip

    def _run(self, program: str, *args: str) -> None:
        # Output goes to a file: a pipe would be held open by the postmaster pg_ctl leaves.
        with (self.home / "commands.log").open("ab") as output:
            completed = subprocess.run(
                [*self._as, str(self.bindir / program), *args],
                stdout=output,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                timeout=120,
                check=False,
            )
        if completed.returncode:
            raise RuntimeError(f"{program} {' '.join(args)} failed:\n{self.log_tail()}")

    def url(self, database: str = "postgres") -> str:
        """Return the connection URL of a database in this cluster."""
        return f"postgres://postgres@127.0.0.1:{self.port}/{database}"

    def start(self) -> None:
        """Start the cluster and return once it takes connections."""
        options = (
            f"-c port={self.port} -c listen_addresses=127.0.0.1"
            f" -c unix_socket_directories={self.home}"
        )
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.log), "-o", options, "-w", "start")
        self._running = True

    def stop(self, mode: str = "fast") -> None:
        """Stop the cluster; "fast" ends every session, as a restart by an operator does."""
        self._run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "stop")
        self._running = False

    def restart(self, *, down_seconds: float = 0.0) -> None:
        """Do what `pg_ctl restart -m fast` does, staying down a moment in between."""
        self.stop("fast")
        time.sleep(down_seconds)
        self.start()

    def database_create(self, name: str) -> str:
        """Create a database and return its URL."""
        with psycopg.connect(self.url(), autocommit=True) as connection:
            connection.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def log_tail(self, characters: int = 4000) -> str:
        text = ""
        for path in (self.home / "commands.log", self.log):
            if path.exists():
                text += path.read_text(errors="replace")
        return text[-characters:]

    def cleanup(self) -> None:
        """Stop the cluster at once if running and delete its files."""
        if self._running:
            with contextlib.suppress(Exception):
                self.stop("immediate")
        shutil.rmtree(self.home, ignore_errors=True)


class PrivateRedis:
    """A throwaway redis-server on a free port, without persistence."""

    def __init__(self) -> None:
        self.home = Path(tempfile.mkdtemp(prefix="somos-faults-redis-"))
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self._process: subprocess.Popen | None = None
        atexit.register(self.cleanup)

    def start(self) -> None:
        """Start redis-server (again, on the same port) and return once it answers."""
        with (self.home / "redis.log").open("ab") as output:
            self._process = subprocess.Popen(
                [
                    "redis-server", "--port", str(self.port), "--bind", "127.0.0.1",
                    "--save", "", "--appendonly", "no", "--dir", str(self.home),
                ],
                stdout=output,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )  # fmt: skip
        client = redis.Redis(host="127.0.0.1", port=self.port, socket_connect_timeout=1)
        deadline = time.monotonic() + READY_TIMEOUT_S
        while True:
            if self._process.poll() is not None:
                raise RuntimeError(f"redis-server exited:\n{self.log_tail()}")
            with contextlib.suppress(redis.ConnectionError):
                if client.ping():
                    client.close()
                    return
            if time.monotonic() > deadline:
                raise RuntimeError(f"redis-server not ready:\n{self.log_tail()}")
            time.sleep(0.05)

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def stop(self) -> None:
        """Stop redis-server; having no persistence, it comes back empty."""
        _end(self._process)
        self._process = None

    def log_tail(self, characters: int = 4000) -> str:
        path = self.home / "redis.log"
        return path.read_text(errors="replace")[-characters:] if path.exists() else ""

    def cleanup(self) -> None:
        self.stop()
        shutil.rmtree(self.home, ignore_errors=True)


def somos_environment(*, database_url: str, redis_url: str, **extra: str) -> dict[str, str]:
    """Return the production environment of a Somos process on these services."""
    environment = {
        key: value
        for key, value in os.environ.items()
        if key not in {"DEBUG", "DJANGO_SETTINGS_MODULE", "DJANGO_ALLOW_ASYNC_UNSAFE"}
    }
    environment.update(
        DJANGO_SETTINGS_MODULE="somos_site.settings",
        DATABASE_URL=database_url,
        REDIS_URL=redis_url,
        SECRET_KEY="faults-only-secret-key-" + "0123456789abcdef" * 3,
        ALLOWED_HOSTS="127.0.0.1,localhost",
        SOMOS_HTTPS="false",
        SOMOS_STATIC_MANIFEST="false",
        LOG_LEVEL="WARNING",
        PYTHONPATH=str(ROOT),
    )
    environment.update(extra)
    return environment


def somos_command(environment: dict[str, str], *args: str) -> str:
    """Run `python -m <args>` in a Somos process with this environment; return its stdout."""
    completed = subprocess.run(
        [sys.executable, "-m", *args],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    if completed.returncode:
        raise RuntimeError(f"{' '.join(args)} failed:\n{completed.stdout}\n{completed.stderr}")
    return completed.stdout


class SomosServer:
    """The Somos ASGI site under uvicorn, as production runs it, in its own process."""

    def __init__(self, environment: dict[str, str]) -> None:
        self.environment = environment
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.home = Path(tempfile.mkdtemp(prefix="somos-faults-web-"))
        self.log = self.home / "uvicorn.log"
        self._process: subprocess.Popen | None = None
        atexit.register(self.cleanup)

    def start(self) -> None:
        """Start uvicorn (one worker, as the image runs each) once the login page answers."""
        uvicorn = str(Path(sys.executable).with_name("uvicorn"))
        with self.log.open("ab") as output:
            self._process = subprocess.Popen(
                [uvicorn, "--host", "127.0.0.1", "--port", str(self.port), "--loop", "uvloop",
                 "--http", "httptools", "--no-access-log", "somos_site.asgi:application"],
                cwd=ROOT,
                env=self.environment,
                stdout=output,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )  # fmt: skip
        deadline = time.monotonic() + READY_TIMEOUT_S
        while True:
            if self._process.poll() is not None:
                raise RuntimeError(f"uvicorn exited:\n{self.log_tail()}")
            with contextlib.suppress(httpx.TransportError):
                if httpx.get(f"{self.url}/accounts/login/", timeout=2).status_code == 200:
                    return
            if time.monotonic() > deadline:
                raise RuntimeError(f"uvicorn not ready:\n{self.log_tail()}")
            time.sleep(0.2)

    def stop(self) -> None:
        _end(self._process)
        self._process = None

    def log_text(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    def log_tail(self, characters: int = 6000) -> str:
        return self.log_text()[-characters:]

    def cleanup(self) -> None:
        self.stop()
        shutil.rmtree(self.home, ignore_errors=True)
