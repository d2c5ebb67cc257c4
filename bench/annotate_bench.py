"""Measure next record + submit over HTTP with N volunteers against several ASGI workers.

Usage: python bench/annotate_bench.py [--volunteers 50] [--workers 4] [--flow json|form]
       [--seconds 30] [--saturation-seconds 15] [--records 20000] [--dsn postgres://...]
       [--redis redis://...]

Builds its own world on a scratch PostgreSQL database and Redis DB: an active ARC campaign
of synthetic records (imported through records_import from JSONL in the okapi_arc layout)
with a published guide, and N volunteers who acknowledged it, logged in through sessions
written directly so no password hashing is measured. Starts W uvicorn (or daphne) processes on
loopback with the production settings and spreads the volunteers over them, each with its
own HTTP client and cookie jar. One action is what the annotate page's script does: POST the
answer asking for JSON, which saves it and brings the next record (the page is loaded once,
at the start); `--flow form` is a browser without script: GET the annotate page + POST the
form (expect 302). Phase 1: every volunteer acts once a second; phase 2: no pause, for the
saturation throughput. Then the database is checked against what the clients were told.
Ends with one line of name=value figures; deletes its campaign, volunteers and sessions.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from lean_http import LeanClient, LeanHTTPError
from scratch import database_create, say, text

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_DSN = "postgres://postgres@127.0.0.1:5432/somos_annotate_bench"
DEFAULT_REDIS = "redis://127.0.0.1:6379/13"
SLUG = "bench-annotate"
USER_PREFIX = "bench-annotate-"
BUDGET_P95_MS = 50.0
BENCH_TABLES = (
    "campaigns_record",
    "annotation_response",
    "annotation_responserevision",
    "annotation_lease",
    "annotation_participation",
    "dashboards_contributorcounter",
    "dashboards_contributorday",
    "campaigns_consensus",
    "auth_user",
    "django_session",
)
READY_TIMEOUT_S = 60.0
WORDS_EN = ["which", "energy", "cell", "planet", "water", "force", "light", "plant", "heat"]
WORDS_ES = ["cuál", "energía", "célula", "planeta", "agua", "fuerza", "luz", "planta", "calor"]


def files_write(*, directory: Path, rows: int) -> tuple[Path, Path]:
    """Write N English ARC-Challenge rows and their Okapi Spanish rows; return both paths."""
    english = directory / "arc_en.jsonl"
    spanish = directory / "okapi_arc_es.jsonl"
    with english.open("w", encoding="utf-8") as en, spanish.open("w", encoding="utf-8") as es:
        for number in range(rows):
            identifier = f"Bench_{number:07d}"
            answer = "ABCD"[number % 4]
            en.write(
                json.dumps(
                    {
                        "id": identifier,
                        "question": f"Question {number}: {text(WORDS_EN, number, 22)}?",
                        "choices": {
                            "text": [f"{text(WORDS_EN, number + k, 6)} {k}" for k in range(4)],
                            "label": list("ABCD"),
                        },
                        "answerKey": answer,
                    }
                )
                + "\n"
            )
            es.write(
                json.dumps(
                    {
                        "id": f"ARC-Challenge/validation/{identifier}",
                        "answer": answer,
                        "instruction": f"¿Pregunta {number}: {text(WORDS_ES, number, 22)}?",
                        **{
                            f"option_{letter}": f"{text(WORDS_ES, number + k, 6)} {k}"
                            for k, letter in enumerate("abcd")
                        },
                    },
                    ensure_ascii=False,
                )
                + "\n"
            )
    return english, spanish


def server_environment(*, dsn: str, redis: str) -> dict[str, str]:
    """Return the production environment the servers and this process run with."""
    environment = {
        key: value
        for key, value in os.environ.items()
        if key not in {"DEBUG", "DJANGO_SETTINGS_MODULE"}
    }
    environment.update(
        DJANGO_SETTINGS_MODULE="somos_site.settings",
        DATABASE_URL=dsn,
        REDIS_URL=redis,
        SECRET_KEY="bench-only-annotate-secret-key-" + "0123456789abcdef" * 3,
        ALLOWED_HOSTS="127.0.0.1,localhost",
        SOMOS_HTTPS="false",
        SOMOS_STATIC_MANIFEST="false",
        LOG_LEVEL="WARNING",
        # The no-pause phase is a script by design; the submit limit is for scripts.
        SOMOS_RATE_LIMIT_SUBMIT="",
        PYTHONPATH=str(ROOT),
    )
    return environment


# How the servers reach PostgreSQL: the settings as they are, or with one change on top.
DATABASE_MODES = {
    "production": "",
    "no-persistent": 'DATABASES["default"]["CONN_MAX_AGE"] = 0\n',
    "pool": (
        'DATABASES["default"]["CONN_MAX_AGE"] = 0\n'
        'DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {"min_size": 4, "max_size": 16}\n'
    ),
}


def settings_overlay(*, mode: str, directory: Path) -> dict[str, str]:
    """Return the environment that runs the servers with this database mode."""
    if not DATABASE_MODES[mode]:
        return {}
    module = directory / "annotate_bench_settings.py"
    module.write_text(
        "from somos_site.settings import *  # noqa: F403\n\n" + DATABASE_MODES[mode],
        encoding="utf-8",
    )
    return {
        "DJANGO_SETTINGS_MODULE": module.stem,
        "PYTHONPATH": f"{directory}{os.pathsep}{ROOT}",
    }


def django_setup(environment: dict[str, str]) -> None:
    """Use the servers' settings in this process too, then set Django up."""
    os.environ.pop("DEBUG", None)
    os.environ.update(environment)
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def world_clear(session_keys: list[str] | None = None) -> None:
    """Delete the benchmark campaign (records and answers with it), volunteers and sessions."""
    from django.contrib.auth import get_user_model
    from django.contrib.sessions.models import Session

    from campaigns.models import Campaign

    Campaign.objects.filter(slug=SLUG).delete()
    get_user_model().objects.filter(username__startswith=USER_PREFIX).delete()
    if session_keys:
        Session.objects.filter(session_key__in=session_keys).delete()


def world_build(*, records: int, volunteers: int, overlap: int) -> list[tuple[int, str]]:
    """Create the active campaign, its guide and the volunteers; return (user id, session)."""
    from django.conf import settings
    from django.contrib.auth import (
        BACKEND_SESSION_KEY,
        HASH_SESSION_KEY,
        SESSION_KEY,
        get_user_model,
    )
    from django.contrib.sessions.backends.db import SessionStore
    from django.db import connection

    from campaigns.importers.sources import Source
    from campaigns.models import Campaign
    from campaigns.services import campaign_create, campaign_status_change, records_import
    from guides.services import guide_acknowledge, guide_version_publish

    with tempfile.TemporaryDirectory(prefix="somos-annotate-bench-") as directory:
        english, spanish = files_write(directory=Path(directory), rows=records)
        started = time.perf_counter()
        campaign = campaign_create(
            slug=SLUG, name="Annotate bench", preset="okapi_arc", overlap=overlap
        )
        records_import(campaign=campaign, source=Source(english), translation=Source(spanish))
        say(f"imported {records} records in {time.perf_counter() - started:.1f} s")
    with connection.cursor() as cursor:
        # Steady state before measuring: the last run's deleted rows vacuumed and the fresh
        # ones analysed now, and the import's WAL checkpointed, rather than autovacuum and a
        # checkpoint landing in the middle of the measured phase.
        for table in BENCH_TABLES:
            cursor.execute(f"VACUUM ANALYZE {table}")
        cursor.execute("CHECKPOINT")
    campaign = campaign_status_change(campaign=campaign, status=Campaign.Status.ACTIVE)
    version = guide_version_publish(guide=campaign.guide, body="# Guía\n\nLee con calma.")

    user_model = get_user_model()
    users = []
    for number in range(volunteers):
        user = user_model(username=f"{USER_PREFIX}{number:04d}", email="")
        user.set_unusable_password()
        users.append(user)
    user_model.objects.bulk_create(users)
    logged_in = []
    for user in user_model.objects.filter(username__startswith=USER_PREFIX).order_by("pk"):
        guide_acknowledge(user=user, version=version)
        session = SessionStore()
        session[SESSION_KEY] = str(user.pk)
        session[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[0]
        session[HASH_SESSION_KEY] = user.get_session_auth_hash()
        session.create()
        logged_in.append((user.pk, session.session_key))
    say(f"created {volunteers} volunteers with sessions; guide v{version.number} acknowledged")
    return logged_in


def free_ports(count: int) -> list[int]:
    """Return loopback ports that are free now."""
    sockets = []
    try:
        for _ in range(count):
            probe = socket.socket()
            probe.bind(("127.0.0.1", 0))
            sockets.append(probe)
        return [probe.getsockname()[1] for probe in sockets]
    finally:
        for probe in sockets:
            probe.close()


@dataclass
class Server:
    port: int
    process: subprocess.Popen
    log: Path


def server_command(server: str, port: int) -> list[str]:
    """The command line of one ASGI worker on this port."""
    if server == "uvicorn":
        return [
            str(Path(sys.executable).with_name("uvicorn")),
            "--host", "127.0.0.1", "--port", str(port), "--no-access-log",
            # As in production: clients idle for seconds between actions keep their
            # connection, instead of racing uvicorn's 5 s default close.
            "--timeout-keep-alive", "75",
            "--loop", "uvloop", "--http", "httptools", "somos_site.asgi:application",
        ]  # fmt: skip
    daphne = str(Path(sys.executable).with_name("daphne"))
    return [daphne, "-v", "0", "-b", "127.0.0.1", "-p", str(port), "somos_site.asgi:application"]


def servers_start(
    *, ports: list[int], environment: dict[str, str], logs: Path, server: str = "uvicorn"
) -> list[Server]:
    """Start one ASGI process per port and wait until each answers."""
    servers = []
    for port in ports:
        log = logs / f"{server}-{port}.log"
        with log.open("wb") as output:
            process = subprocess.Popen(
                server_command(server, port),
                cwd=ROOT,
                env=environment,
                stdout=output,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        servers.append(Server(port=port, process=process, log=log))
    deadline = time.monotonic() + READY_TIMEOUT_S
    for server in servers:
        while True:
            if server.process.poll() is not None:
                raise SystemExit(f"worker on {server.port} exited:\n{server.log.read_text()}")
            try:
                answer = httpx.get(f"http://127.0.0.1:{server.port}/accounts/login/", timeout=2)
                if answer.status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise SystemExit(f"worker on {server.port} not ready:\n{server.log.read_text()}")
            time.sleep(0.2)
    say(f"{len(servers)} ASGI workers ready on ports {', '.join(map(str, ports))}")
    return servers


def cpu_seconds(pids: list[int]) -> float:
    """Return the CPU time (user + system) the processes have used so far."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in pids:
        with contextlib.suppress(OSError):
            # The command name may hold spaces; the fields after its ")" are fixed.
            fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
            total += int(fields[11]) + int(fields[12])
    return total / ticks


def servers_stop(servers: list[Server]) -> None:
    """Stop the server processes this script started: TERM, then KILL if they linger."""
    for server in servers:
        if server.process.poll() is None:
            server.process.send_signal(signal.SIGTERM)
    for server in servers:
        try:
            server.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.process.kill()
            server.process.wait(timeout=10)


def servers_tracebacks_say(servers: list[Server]) -> None:
    """Print the first traceback each server logged: worth seeing even when the run passed."""
    for server in servers:
        logged = server.log.read_text(errors="replace")
        if "Traceback" in logged:
            first = logged[logged.index("Traceback") :].splitlines()[:60]
            say(f"worker on {server.port} logged (first traceback):")
            say("\n".join(first))


_RECORD = re.compile(r'<form method="post" action="/campaigns/[^/]+/annotate/(\d+)/"')
_CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
_SHOWN_AT = re.compile(r'name="shown_at" value="([^"]+)"')


class ActionFailed(Exception):
    """The server answered something a volunteer's browser would not expect."""


@dataclass
class Samples:
    pair_ms: list[float] = field(default_factory=list)
    next_ms: list[float] = field(default_factory=list)
    submit_ms: list[float] = field(default_factory=list)
    errors: Counter[str] = field(default_factory=Counter)
    server_cpu_s: float = 0.0
    client_cpu_s: float = 0.0

    def add(self, next_ms: float, submit_ms: float) -> None:
        """Keep one action's timings (next_ms is 0 when no page was loaded for it)."""
        if next_ms:
            self.next_ms.append(next_ms)
        self.submit_ms.append(submit_ms)
        self.pair_ms.append(next_ms + submit_ms)


@dataclass
class Volunteer:
    user_id: int
    client: LeanClient
    annotate_path: str
    flow: str = "json"
    actions: int = 0
    done: bool = False
    # The record on screen (id, shown_at) and the page's CSRF token, between json actions.
    record: tuple[int, str] | None = None
    token: str = ""

    async def act(self, samples: Samples, acknowledged: list[tuple[int, int]]) -> None:
        """Answer the record on screen, getting the annotate page first when none is.

        The json flow is the page's script: one POST answers and brings the next record.
        The form flow is a browser without script: GET the page, POST the form, expect 302.
        """
        next_ms = 0.0
        if self.record is None or self.flow == "form":
            started = time.perf_counter()
            page = await self.client.get(self.annotate_path)
            next_ms = (time.perf_counter() - started) * 1000
            if page.status_code != 200:
                raise ActionFailed(f"GET annotate: {page.status_code}")
            record = _RECORD.search(page.text)
            if record is None:
                self.done = True
                return
            token, shown_at = _CSRF.search(page.text), _SHOWN_AT.search(page.text)
            if token is None or shown_at is None:
                raise ActionFailed("annotate page without csrf token or shown_at")
            self.record, self.token = (int(record[1]), shown_at[1]), token[1]
        record_id, shown_at = self.record
        self.actions += 1
        data = {
            "csrfmiddlewaretoken": self.token,
            "shown_at": shown_at,
            "verdict": "correct",
            "action": "submit",
        }
        if self.actions % 5 == 0:
            # Every fifth answer fixes the question, as volunteers do now and then.
            data.update(verdict="minor_fixes", question_corrected=f"Pregunta corregida {record_id}")
        url = f"{self.annotate_path}{record_id}/"
        started = time.perf_counter()
        if self.flow == "form":
            answer = await self.client.post(url, data=data)
            submit_ms = (time.perf_counter() - started) * 1000
            if answer.status_code != 302 or answer.headers.get("location") != self.annotate_path:
                raise ActionFailed(
                    f"POST submit: {answer.status_code} {answer.headers.get('location')}"
                )
        else:
            answer = await self.client.post(
                url,
                data=data,
                headers={"Accept": "application/json", "X-CSRFToken": self.token},
            )
            submit_ms = (time.perf_counter() - started) * 1000
            self.record = None
            if answer.status_code != 200 or not answer.headers.get("content-type", "").startswith(
                "application/json"
            ):
                raise ActionFailed(f"POST submit (json): {answer.status_code}")
            told = answer.json()
            if "record" in told:
                self.record = (told["record"]["id"], told["record"]["shown_at"])
            elif told.get("redirect") != self.annotate_path:
                # Only the done page may follow an answer: nothing else is left to show.
                raise ActionFailed(f"POST submit (json): sent to {told.get('redirect')}")
        acknowledged.append((record_id, self.user_id))
        samples.add(next_ms, submit_ms)


async def act_safely(
    volunteer: Volunteer, samples: Samples, acknowledged: list[tuple[int, int]]
) -> None:
    """Act once, counting a failure instead of stopping the volunteer."""
    try:
        await volunteer.act(samples, acknowledged)
    except (ActionFailed, LeanHTTPError, httpx.HTTPError) as error:
        samples.errors[str(error) or type(error).__name__] += 1


def percentile(values: list[float], share: float) -> float:
    """Return the nearest-rank percentile of the values (0 when empty)."""
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(share * len(ordered)) - 1))]


def latency_line(name: str, values: list[float]) -> str:
    """Return p50/p95/p99/max of one kind of timing."""
    return (
        f"  {name:<7} p50={percentile(values, 0.50):6.1f} ms  p95={percentile(values, 0.95):6.1f}"
        f" ms  p99={percentile(values, 0.99):6.1f} ms  max={max(values, default=0):6.1f} ms"
    )


def cpu_line(samples: Samples) -> str:
    """Return the CPU the servers and this client spent per action."""
    actions = max(1, len(samples.pair_ms))
    return (
        f"  cpu per action: servers {samples.server_cpu_s * 1000 / actions:.1f} ms,"
        f" client {samples.client_cpu_s * 1000 / actions:.1f} ms"
    )


async def progress_report(samples: Samples, started: float, label: str) -> None:
    """Print the actions done and the latest latencies every five seconds."""
    seen = 0
    while True:
        await asyncio.sleep(5)
        window = samples.pair_ms[seen:]
        seen = len(samples.pair_ms)
        say(
            f"  {label} {time.perf_counter() - started:4.0f} s: {seen} actions,"
            f" last 5 s p50={percentile(window, 0.5):.1f} ms p95={percentile(window, 0.95):.1f}"
            f" ms, errors={sum(samples.errors.values())}"
        )


async def paced(
    volunteers: list[Volunteer], seconds: float, acknowledged: list[tuple[int, int]]
) -> Samples:
    """Every volunteer acts once a second, start times spread over the first second."""
    samples = Samples()
    loop = asyncio.get_running_loop()
    start = loop.time()
    end = start + seconds

    async def run(volunteer: Volunteer, offset: float) -> None:
        due = start + offset
        while not volunteer.done:
            await asyncio.sleep(max(0.0, due - loop.time()))
            if loop.time() >= end:
                return
            await act_safely(volunteer, samples, acknowledged)
            # One action a second; a late volunteer starts again at once, without a burst.
            due = max(due + 1.0, loop.time())

    reporter = asyncio.create_task(progress_report(samples, time.perf_counter(), "paced"))
    try:
        count = len(volunteers)
        await asyncio.gather(*(run(v, n / count) for n, v in enumerate(volunteers)))
    finally:
        reporter.cancel()
    return samples


async def saturated(
    volunteers: list[Volunteer], seconds: float, acknowledged: list[tuple[int, int]]
) -> tuple[Samples, float]:
    """Every volunteer acts back to back; return the timings and the elapsed seconds."""
    samples = Samples()
    started = time.perf_counter()
    end = started + seconds

    async def run(volunteer: Volunteer) -> None:
        while not volunteer.done and time.perf_counter() < end:
            await act_safely(volunteer, samples, acknowledged)

    reporter = asyncio.create_task(progress_report(samples, started, "saturated"))
    try:
        await asyncio.gather(*(run(v) for v in volunteers))
    finally:
        reporter.cancel()
    return samples, time.perf_counter() - started


async def drive(
    *,
    logged_in: list[tuple[int, str]],
    ports: list[int],
    pids: list[int],
    seconds: float,
    saturation_seconds: float,
    flow: str,
) -> tuple[Samples, Samples, float, list[tuple[int, int]]]:
    """Run the warm-up and both phases; return their timings and the acknowledged submits."""
    from django.conf import settings

    annotate_path = f"/campaigns/{SLUG}/annotate/"
    acknowledged: list[tuple[int, int]] = []
    async with contextlib.AsyncExitStack() as stack:
        volunteers = []
        for number, (user_id, session_key) in enumerate(logged_in):
            client = LeanClient(
                f"http://127.0.0.1:{ports[number % len(ports)]}",
                cookies={settings.SESSION_COOKIE_NAME: session_key},
                timeout=30,
            )
            volunteers.append(
                Volunteer(
                    user_id, await stack.enter_async_context(client), annotate_path, flow=flow
                )
            )

        say("warming up: one action per volunteer, not measured")
        warm = Samples()
        await asyncio.gather(*(act_safely(v, warm, acknowledged) for v in volunteers))
        for message, times in warm.errors.items():
            say(f"  warm-up error x{times}: {message}")

        say(
            f"phase 1: {len(volunteers)} volunteers, one next + submit each per second"
            f" ({flow} flow), {seconds:.0f} s"
        )
        cpu = cpu_seconds(pids), time.process_time()
        paced_samples = await paced(volunteers, seconds, acknowledged)
        paced_samples.server_cpu_s = cpu_seconds(pids) - cpu[0]
        paced_samples.client_cpu_s = time.process_time() - cpu[1]
        # Failures are failures, measured or not.
        paced_samples.errors.update(warm.errors)
        say(f"phase 2: no pause, {saturation_seconds:.0f} s")
        cpu = cpu_seconds(pids), time.process_time()
        saturated_samples, elapsed = await saturated(volunteers, saturation_seconds, acknowledged)
        saturated_samples.server_cpu_s = cpu_seconds(pids) - cpu[0]
        saturated_samples.client_cpu_s = time.process_time() - cpu[1]
    return paced_samples, saturated_samples, elapsed, acknowledged


@dataclass
class Check:
    lost: int
    doubled: int
    unacknowledged: int
    problems: list[str]


def database_check(acknowledged: list[tuple[int, int]]) -> Check:
    """Compare the rows and counters with the submits the clients saw acknowledged."""
    from django.db.models import Count, Sum

    from annotation.models import Response
    from campaigns.models import Campaign
    from dashboards.models import CampaignCounter, ContributorCounter

    campaign = Campaign.objects.get(slug=SLUG)
    submitted = Response.objects.filter(campaign=campaign, status=Response.Status.SUBMITTED)
    rows = set(submitted.values_list("record_id", "user_id"))
    told = Counter(acknowledged)
    problems = []
    lost = len(told.keys() - rows)
    # A pair acknowledged twice is a record handed out again after its answer; one row
    # per (record, user) is a constraint, so a doubled answer shows up here or as overlap.
    doubled = sum(times - 1 for times in told.values())
    per_record = dict(submitted.values_list("record_id").annotate(n=Count("pk")))
    for record_id, count, overlap in campaign.records.values_list(
        "pk", "submitted_count", "campaign__overlap"
    ):
        answers = per_record.get(record_id, 0)
        doubled += max(0, answers - overlap)
        if count != answers:
            problems.append(f"record {record_id}: submitted_count={count}, rows={answers}")
    counter = CampaignCounter.objects.get(campaign=campaign)
    completed = campaign.records.filter(submitted_count__gte=campaign.overlap).count()
    per_user = {
        row["user"]: (row["n"], row["fixes"])
        for row in submitted.values("user").annotate(n=Count("pk"), fixes=Sum("corrections"))
    }
    expected = {
        "responses_submitted": len(rows),
        "records_completed": completed,
        "contributors": len(per_user),
        "corrections": sum(fixes for _n, fixes in per_user.values()),
    }
    for name, value in expected.items():
        if getattr(counter, name) != value:
            problems.append(f"campaign counter {name}={getattr(counter, name)}, rows say {value}")
    for contributor in ContributorCounter.objects.filter(campaign=campaign, submitted__gt=0):
        if per_user.get(contributor.user_id) != (contributor.submitted, contributor.corrections):
            problems.append(
                f"contributor {contributor.user_id}: counter"
                f" {(contributor.submitted, contributor.corrections)},"
                f" rows {per_user.get(contributor.user_id)}"
            )
    say(
        f"database: {len(rows)} submitted responses, {len(acknowledged)} acknowledged submits,"
        f" {completed} records completed; counter says {counter.responses_submitted} responses"
    )
    return Check(
        lost=lost, doubled=doubled, unacknowledged=len(rows - told.keys()), problems=problems
    )


def interrupt(signum: int, frame: object) -> None:
    """Turn a TERM into the KeyboardInterrupt that Ctrl-C raises."""
    raise KeyboardInterrupt


def main() -> None:
    """Run the benchmark and print its figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--volunteers", type=int, default=50)
    # Two per core on the 2-core reference machine, as the Dockerfile runs.
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument(
        "--server",
        choices=["daphne", "uvicorn"],
        default="uvicorn",
        help="the ASGI server (uvicorn, as in production)",
    )
    parser.add_argument(
        "--flow",
        choices=["json", "form"],
        default="json",
        help="json: the page's script, one POST per answer bringing the next record (default);"
        " form: a browser without script, GET the page then POST the form (302)",
    )
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--saturation-seconds", type=float, default=15)
    parser.add_argument("--records", type=int, default=20_000)
    parser.add_argument("--overlap", type=int, default=2)
    parser.add_argument(
        "--database",
        choices=sorted(DATABASE_MODES),
        default="production",
        help="the servers' database connections: settings as they are, or one change on top",
    )
    parser.add_argument("--dsn", default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_DSN))
    parser.add_argument("--redis", default=os.environ.get("BENCH_REDIS_URL", DEFAULT_REDIS))
    args = parser.parse_args()
    database_create(args.dsn)
    environment = server_environment(dsn=args.dsn, redis=args.redis)
    django_setup(environment)
    from django.core.management import call_command

    say("migrating the benchmark database")
    call_command("migrate", verbosity=0)
    world_clear()
    servers: list[Server] = []
    logged_in: list[tuple[int, str]] = []
    # A TERM stops the run through the same cleanup as Ctrl-C or an error.
    signal.signal(signal.SIGTERM, interrupt)
    try:
        logged_in = world_build(
            records=args.records, volunteers=args.volunteers, overlap=args.overlap
        )
        with tempfile.TemporaryDirectory(prefix="somos-daphne-") as logs:
            overlay = settings_overlay(mode=args.database, directory=Path(logs))
            say(f"database connections: {args.database} {DATABASE_MODES[args.database]!r}")
            servers = servers_start(
                ports=free_ports(args.workers),
                environment={**environment, **overlay},
                logs=Path(logs),
                server=args.server,
            )
            try:
                paced_samples, saturated_samples, elapsed, acknowledged = asyncio.run(
                    drive(
                        logged_in=logged_in,
                        ports=[server.port for server in servers],
                        pids=[server.process.pid for server in servers],
                        seconds=args.seconds,
                        saturation_seconds=args.saturation_seconds,
                        flow=args.flow,
                    )
                )
            finally:
                servers_stop(servers)
                servers_tracebacks_say(servers)

        say(f"phase 1 ({len(paced_samples.pair_ms)} actions, paced at 1/s per volunteer):")
        for name, values in (
            ("pair", paced_samples.pair_ms),
            ("next", paced_samples.next_ms),
            ("submit", paced_samples.submit_ms),
        ):
            # In the json flow a page is loaded only when none is on screen: say how often.
            say(f"{latency_line(name, values)}  n={len(values)}")
        say(cpu_line(paced_samples))
        submits_per_s = len(saturated_samples.pair_ms) / elapsed
        say(
            f"phase 2: {len(saturated_samples.pair_ms)} submits in {elapsed:.1f} s"
            f" = {submits_per_s:.0f} submits/s"
        )
        say(latency_line("pair", saturated_samples.pair_ms))
        say(cpu_line(saturated_samples))
        errors = paced_samples.errors + saturated_samples.errors
        for message, times in errors.most_common(5):
            say(f"  error x{times}: {message}")
        check = database_check(acknowledged)
        for problem in check.problems[:20]:
            say(f"  MISMATCH {problem}")
        p95 = percentile(paced_samples.pair_ms, 0.95)
        # The servers' CPU per answer while paced: what the issue's "CPU per action" means.
        cpu_ms_per_action = paced_samples.server_cpu_s * 1000 / max(1, len(paced_samples.pair_ms))
        verdict = "within" if p95 <= BUDGET_P95_MS else "OVER"
        say(f"budget: p95 of next + submit {p95:.1f} ms, {verdict} {BUDGET_P95_MS:.0f} ms")
        if check.unacknowledged:
            say(f"  {check.unacknowledged} answers stored without the client seeing the answer")
    finally:
        say("deleting the benchmark campaign, volunteers and sessions")
        world_clear([session_key for _user, session_key in logged_in])

    print(
        f"volunteers={args.volunteers} workers={args.workers} server={args.server}"
        f" database={args.database}"
        f" p50_ms={percentile(paced_samples.pair_ms, 0.5):.1f} p95_ms={p95:.1f}"
        f" p99_ms={percentile(paced_samples.pair_ms, 0.99):.1f}"
        f" max_submits_per_s={submits_per_s:.0f} errors={sum(errors.values())}"
        f" lost={check.lost} doubled={check.doubled} counters_ok={int(not check.problems)}"
        f" flow={args.flow} cpu_ms_per_action={cpu_ms_per_action:.1f}",
        flush=True,
    )
    if check.lost or check.doubled or check.problems or errors:
        sys.exit(1)


if __name__ == "__main__":
    main()
