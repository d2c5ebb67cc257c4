"""Time the campaign dashboard at scale: counter reads, JSON endpoints and live updates.

Usage: python bench/dashboard_bench.py [--responses 1000000] [--volunteers 5000] [--submits 50]
                                       [--rebuild] [--explain] [--dsn postgres://...]

Builds (or reuses) one active, public campaign on a scratch PostgreSQL database: N/2 records
with overlap 2 each answered twice, a few thousand fresh records left to annotate, N
submitted responses from V volunteers with a long-tailed share each, and the counter and
daily rows those responses imply, the bulk of it written with COPY. Then times, warm, the progress +
top-50 read the live snapshot makes, the 7- and 30-day rankings, the JSON endpoints through
a daphne process on loopback, and how long a submit through the HTML annotate flow takes to
reach a websocket viewer. Ends with one line of name=value figures.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import numpy as np
from lean_ws import WebSocketClient
from scratch import database_create, django_setup, say

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_DSN = "postgres://postgres@127.0.0.1:5432/somos_dashboard_bench"
DEFAULT_REDIS = "redis://127.0.0.1:6379/8"
SLUG = "bench-dashboard"
OVERLAP = 2
# Fresh records (no answer yet) kept for the live volunteer; topped up when a run uses them.
PENDING_RECORDS = 2000
HISTORY_DAYS = 60
# A volunteer's share falls off as 1/rank**0.8 (top 5,000 of 1M: ~43k answers, tail ~50),
# and a volunteer answers about this many records on each day they come back.
ZIPF_EXPONENT = 0.8
ANSWERS_PER_DAY = 40
PRIVATE_SHARE = 0.05
UNNAMED_SHARE = 0.2
DAY_US = 86_400_000_000
COPY_CHUNK = 100_000
HTTP_TIMEOUT_S = 10.0
SERVER_START_S = 30.0
LIVE_TIMEOUT_S = 5.0
WARMUP_SUBMITS = 2
BUDGET_PROGRESS_MS = 20.0
BUDGET_LIVE_MS = 1000.0
VERDICTS = (
    ('{"verdict":"correct"}', 0),
    ('{"verdict":"minor_fixes","question_corrected":"Pregunta corregida por la voluntaria"}', 1),
    ('{"verdict":"wrong"}', 0),
)
VERDICT_WEIGHTS = (0.85, 0.10, 0.05)
VARIETIES = ("peninsular", "mexicano", "rioplatense", "andino", "caribeno", "chileno")
COUNTRIES = ("ES", "MX", "AR", "PE", "CO", "CL", "VE", "EC", "US", "GQ")
FORM_ACTION = re.compile(r'action="(/campaigns/[^"/]+/annotate/\d+/)" id="annotate-form"')
CSRF_INPUT = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
SHOWN_AT_INPUT = re.compile(r'name="shown_at" value="([^"]+)"')


def summary(samples: list[float]) -> tuple[float, float]:
    """Return the median and 95th percentile of samples."""
    if len(samples) == 1:
        return samples[0], samples[0]
    return statistics.median(samples), statistics.quantiles(samples, n=20, method="inclusive")[-1]


def describe(label: str, samples: list[float]) -> tuple[float, float]:
    """Print median, p95 and max of millisecond samples; return median and p95."""
    median, p95 = summary(samples)
    say(
        f"  {label}: median {median:.2f} ms, p95 {p95:.2f} ms, max {max(samples):.2f} ms"
        f" ({len(samples)} runs)"
    )
    return median, p95


def timed(action: Callable[[], object], *, repeat: int, warmup: int = 10) -> list[float]:
    """Run action warmup times untimed, then repeat times; return milliseconds per run."""
    for _ in range(warmup):
        action()
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        action()
        samples.append((time.perf_counter() - started) * 1000)
    return samples


def build_marker(*, responses: int, volunteers: int) -> str:
    """Return the campaign description that says which data set the database holds."""
    return f"dashboard bench: responses={responses} volunteers={volunteers} overlap={OVERLAP}"


def copy_lines(*, table: str, columns: str, lines: Iterable[str]) -> int:
    """COPY tab-separated text lines into table; return how many were written."""
    from django.db import connection

    written = 0
    with (
        connection.cursor() as cursor,
        cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy,
    ):
        batch: list[str] = []
        for line in lines:
            batch.append(line)
            if len(batch) == 10_000:
                copy.write("".join(batch))
                written += len(batch)
                batch.clear()
        if batch:
            copy.write("".join(batch))
            written += len(batch)
    return written


def timestamps(values_us: np.ndarray) -> list[str]:
    """Format microseconds since the epoch as PostgreSQL timestamptz text."""
    return np.datetime_as_string(values_us.astype("datetime64[us]"), timezone="UTC").tolist()


def volunteer_counts(*, responses: int, volunteers: int, cap: int) -> np.ndarray:
    """Split responses over volunteers by 1/rank**s, nobody above cap answers."""
    weights = 1.0 / np.arange(1, volunteers + 1) ** ZIPF_EXPONENT
    counts = np.minimum(np.floor(responses * weights / weights.sum()).astype(np.int64), cap)
    short = responses - int(counts.sum())
    while short > 0:
        # Rounding left a few answers over: one more each for the busiest with room.
        room = np.flatnonzero(counts < cap)[:short]
        if room.size == 0:
            raise SystemExit("too few volunteers for that many responses at overlap 2")
        counts[room] += 1
        short -= room.size
    return counts


def answer_times(*, counts: np.ndarray, now_us: int, rng: np.random.Generator) -> np.ndarray:
    """Give each volunteer's answers times on a few days of the history, user by user."""
    chunks = []
    for count in counts.tolist():
        if not count:
            continue
        active = min(HISTORY_DAYS, max(1, -(-count // ANSWERS_PER_DAY)))
        days = rng.choice(HISTORY_DAYS, size=active, replace=False)
        chunks.append(days[rng.integers(0, active, size=count)])
    day_offsets = np.concatenate(chunks).astype(np.int64)
    return now_us - day_offsets * DAY_US - rng.integers(0, DAY_US, size=day_offsets.size)


def record_template() -> list[str]:
    """Return an MMLU-like record's fields JSON split where the record's number goes."""
    options = (
        ("a", "gravity", "la gravedad"),
        ("b", "friction", "la fricción"),
        ("c", "magnetism", "el magnetismo"),
        ("d", "inertia", "la inercia"),
    )
    fields = [
        {
            "name": "question",
            "source": "Question #: which force keeps a planet in its orbit?",
            "translation": "Pregunta #: ¿qué fuerza mantiene a un planeta en órbita?",
        },
        *(
            {"name": f"option_{letter}", "source": f"{english} #", "translation": f"{spanish} #"}
            for letter, english, spanish in options
        ),
    ]
    # Joining the pieces with the number is much faster than a json.dumps per record.
    return json.dumps(fields, ensure_ascii=False, separators=(",", ":")).split("#")


RECORD_COLUMNS = (
    "campaign_id, external_id, fields, source_row, metadata, suspicion, triage_flags, status,"
    " submitted_count, created_at, updated_at"
)


def records_copy(*, campaign_id: int, first: int, statuses: Iterable[tuple[str, int]]) -> int:
    """COPY records numbered from first with the given (status, submitted_count) pairs."""
    from django.utils import timezone

    now = timezone.now().isoformat()
    pieces = record_template()
    return copy_lines(
        table="campaigns_record",
        columns=RECORD_COLUMNS,
        lines=(
            f'{campaign_id}\tbench/{number}\t{str(number).join(pieces)}\t{{"row":{number}}}'
            f'\t{{"answer":"A"}}\t0\t[]\t{status}\t{count}\t{now}\t{now}\n'
            for number, (status, count) in enumerate(statuses, start=first)
        ),
    )


def dataset_build(*, responses: int, volunteers: int, seed: int) -> None:
    """Flush the scratch database and COPY a campaign with consistent counters into it."""
    from django.contrib.auth.hashers import make_password
    from django.contrib.auth.models import User
    from django.core.management import call_command
    from django.db import DatabaseError, connection, transaction
    from django.utils import timezone

    from campaigns.models import Campaign
    from campaigns.services import campaign_create, campaign_status_change
    from dashboards.models import CampaignCounter
    from somos_site.accounts.models import Profile

    if volunteers < 2 or responses < OVERLAP:
        raise SystemExit("need at least 2 volunteers and 2 responses")
    rng = np.random.default_rng(seed)
    full = responses // OVERLAP
    # An odd N leaves one record with a single answer (still pending).
    remainder = responses - full * OVERLAP
    clock = time.perf_counter()

    def step(message: str) -> None:
        say(f"  {message} ({time.perf_counter() - clock:.1f} s)")

    say("flushing the scratch database")
    call_command("flush", interactive=False, verbosity=0)
    now = timezone.now()
    now_us = int(now.timestamp() * 1_000_000)

    counts = volunteer_counts(responses=responses, volunteers=volunteers, cap=full)
    slot_user = np.repeat(np.arange(volunteers), counts)
    times = answer_times(counts=counts, now_us=now_us, rng=rng)
    kinds = rng.choice(len(VERDICTS), size=responses, p=VERDICT_WEIGHTS)
    corrections = np.array([fixes for _, fixes in VERDICTS], dtype=np.int64)[kinds]
    durations = rng.integers(8_000, 120_000, size=responses)
    step(f"generated {responses} answers: busiest volunteer {counts[0]}, least {counts[-1]}")

    with transaction.atomic():
        campaign = campaign_create(
            slug=SLUG, name="Dashboard bench (MMLU)", preset="okapi_mmlu", overlap=OVERLAP
        )
        campaign = campaign_status_change(campaign=campaign, status=Campaign.Status.ACTIVE)

        # Few rows, and a table other work keeps adding columns to: the ORM writes these.
        private = rng.random(volunteers) < PRIVATE_SHARE
        unnamed = rng.random(volunteers) < UNNAMED_SHARE
        unusable = make_password(None)
        users = User.objects.bulk_create(
            [
                User(
                    username=f"volunteer{n:05d}@bench.somos.test",
                    email=f"volunteer{n:05d}@bench.somos.test",
                    password=unusable,
                    date_joined=now,
                )
                for n in range(volunteers)
            ],
            batch_size=2000,
        )
        Profile.objects.bulk_create(
            [
                Profile(
                    user=user,
                    display_name="" if unnamed[n] else f"Voluntaria {n}",
                    country=COUNTRIES[n % len(COUNTRIES)],
                    spanish_variety=VARIETIES[n % len(VARIETIES)],
                    public_ranking=not private[n],
                )
                for n, user in enumerate(users)
            ],
            batch_size=2000,
        )
        user_ids = np.array([user.pk for user in users], dtype=np.int64)
        step(f"created {volunteers} volunteers and their profiles")

        statuses = [("completed", OVERLAP)] * full
        statuses += [("pending", remainder)] * bool(remainder)
        statuses += [("pending", 0)] * PENDING_RECORDS
        records_copy(campaign_id=campaign.pk, first=0, statuses=statuses)
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT id FROM campaigns_record WHERE campaign_id = %s ORDER BY id LIMIT %s",
                [campaign.pk, full + remainder],
            )
            record_ids = np.array([row[0] for row in cursor.fetchall()], dtype=np.int64)
        step(f"copied {len(statuses)} records ({full} answered {OVERLAP} times)")

        # Slots are sorted by volunteer; record i takes slots i and i + full. Nobody holds more
        # than `full` slots, so the two answers of a record always come from two people.
        slot_record = np.empty(responses, dtype=np.int64)
        slot_record[: full * OVERLAP] = np.tile(record_ids[:full], OVERLAP)
        slot_record[full * OVERLAP :] = record_ids[full:]
        verdict_json = [text for text, _ in VERDICTS]
        user_variety = [VARIETIES[n % len(VARIETIES)] for n in range(volunteers)]
        written = 0
        for start in range(0, responses, COPY_CHUNK):
            stop = min(start + COPY_CHUNK, responses)
            at = timestamps(times[start:stop])
            began = timestamps(times[start:stop] - durations[start:stop] * 1000)
            written += copy_lines(
                table="annotation_response",
                columns='"values", status, origin, corrections, annotator_variety, started_at,'
                " submitted_at, first_submitted_at, duration_ms, revision, created_at,"
                " updated_at, campaign_id, record_id, user_id",
                lines=(
                    f"{verdict_json[kind]}\tsubmitted\tweb\t{fixes}\t{user_variety[user]}"
                    f"\t{start_at}\t{when}\t{when}\t{duration}\t1\t{when}\t{when}"
                    f"\t{campaign.pk}\t{record}\t{user_ids[user]}\n"
                    for kind, fixes, user, start_at, when, duration, record in zip(
                        kinds[start:stop].tolist(),
                        corrections[start:stop].tolist(),
                        slot_user[start:stop].tolist(),
                        began,
                        at,
                        durations[start:stop].tolist(),
                        slot_record[start:stop].tolist(),
                        strict=True,
                    )
                ),
            )
            step(f"copied {written} responses")

        active = np.flatnonzero(counts)
        starts = np.concatenate(([0], np.cumsum(counts[active])[:-1]))
        first_at = timestamps(np.minimum.reduceat(times, starts))
        last_at = timestamps(np.maximum.reduceat(times, starts))
        fixed = np.add.reduceat(corrections, starts).tolist()
        copy_lines(
            table="dashboards_contributorcounter",
            columns="submitted, corrections, agreements, agreement_checks, first_submitted_at,"
            " last_submitted_at, campaign_id, user_id",
            lines=(
                f"{counts[user]}\t{fixed[n]}\t0\t0\t{first_at[n]}\t{last_at[n]}"
                f"\t{campaign.pk}\t{user_ids[user]}\n"
                for n, user in enumerate(active.tolist())
            ),
        )
        copy_lines(
            table="annotation_participation",
            columns="joined_at, campaign_id, user_id",
            lines=(
                f"{first_at[n]}\t{campaign.pk}\t{user_ids[user]}\n"
                for n, user in enumerate(active.tolist())
            ),
        )

        # Days are UTC dates (TIME_ZONE is UTC), as the counter services date them.
        day = times // DAY_US
        keys = slot_user.astype(np.int64) * 1_000_000 + day
        person_days, inverse, per_person_day = np.unique(
            keys, return_inverse=True, return_counts=True
        )
        fixed_per_person_day = np.bincount(inverse, weights=corrections).astype(np.int64)
        last_per_person_day = np.zeros(person_days.size, dtype=np.int64)
        np.maximum.at(last_per_person_day, inverse, times)
        day_text = np.datetime_as_string((person_days % 1_000_000).astype("datetime64[D]"))
        copy_lines(
            table="dashboards_contributorday",
            columns="day, submitted, corrections, last_submitted_at, campaign_id, user_id",
            lines=(
                f"{on}\t{submitted}\t{fixes}\t{last}\t{campaign.pk}\t{user_ids[user]}\n"
                for on, submitted, fixes, last, user in zip(
                    day_text.tolist(),
                    per_person_day.tolist(),
                    fixed_per_person_day.tolist(),
                    timestamps(last_per_person_day),
                    (person_days // 1_000_000).tolist(),
                    strict=True,
                )
            ),
        )
        days, day_inverse, per_day = np.unique(day, return_inverse=True, return_counts=True)
        fixed_per_day = np.bincount(day_inverse, weights=corrections).astype(np.int64)
        copy_lines(
            table="dashboards_campaignday",
            columns="day, submitted, corrections, campaign_id",
            lines=(
                f"{on}\t{submitted}\t{fixes}\t{campaign.pk}\n"
                for on, submitted, fixes in zip(
                    np.datetime_as_string(days.astype("datetime64[D]")).tolist(),
                    per_day.tolist(),
                    fixed_per_day.tolist(),
                    strict=True,
                )
            ),
        )
        CampaignCounter.objects.filter(campaign=campaign).update(
            records_total=len(statuses),
            records_completed=full,
            responses_submitted=responses,
            corrections=int(corrections.sum()),
            contributors=int(active.size),
        )
        step(
            f"copied {active.size} contributor counters, {person_days.size} contributor days,"
            f" {days.size} campaign days"
        )
        # Written last: a build cut short leaves no marker, so the next run rebuilds.
        Campaign.objects.filter(pk=campaign.pk).update(
            description=build_marker(responses=responses, volunteers=volunteers)
        )
    step("committed")
    with connection.cursor() as cursor:
        for table in (
            "auth_user",
            "accounts_profile",
            "campaigns_record",
            "annotation_response",
            "annotation_participation",
            "dashboards_contributorcounter",
            "dashboards_contributorday",
            "dashboards_campaignday",
            "dashboards_campaigncounter",
        ):
            # Fresh statistics and visibility maps, as a long-running database would have.
            cursor.execute(f"VACUUM ANALYZE {table}")
        # Write the build's dirty pages out now rather than during the timings (needs
        # superuser or pg_checkpoint; without them the timings just share the disk).
        with contextlib.suppress(DatabaseError):
            cursor.execute("CHECKPOINT")
    step("vacuumed, analysed and checkpointed")


def pending_top_up(*, campaign, needed: int) -> None:
    """Make sure the live volunteer finds at least `needed` records nobody has answered."""
    from django.db import transaction
    from django.db.models import F

    from campaigns.models import Record
    from dashboards.models import CampaignCounter

    fresh = Record.objects.filter(campaign=campaign, submitted_count=0).count()
    if fresh >= needed:
        return
    with transaction.atomic():
        first = Record.objects.filter(campaign=campaign).count()
        added = records_copy(
            campaign_id=campaign.pk,
            first=first,
            statuses=[("pending", 0)] * max(needed, PENDING_RECORDS),
        )
        CampaignCounter.objects.filter(campaign=campaign).update(
            records_total=F("records_total") + added
        )
    say(f"added {added} fresh records for the live volunteer")


def explain(action: Callable[[], object]) -> None:
    """Print EXPLAIN ANALYZE for every query action runs."""
    from django.db import connection

    captured: list[tuple[str, object]] = []

    def capture(execute, query, params, many, context):
        captured.append((query, params))
        return execute(query, params, many, context)

    with connection.execute_wrapper(capture):
        action()
    with connection.cursor() as cursor:
        for query, params in captured:
            cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + query, params)
            say("    " + query[:160] + ("…" if len(query) > 160 else ""))
            for (line,) in cursor.fetchall():
                say("      " + line)


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def server_start(*, port: int, log_path: Path) -> subprocess.Popen:
    """Start daphne on 127.0.0.1:port with this process's environment; wait until it answers."""
    log = log_path.open("w")
    process = subprocess.Popen(
        [
            str(Path(sys.executable).parent / "daphne"),
            "-b",
            "127.0.0.1",
            "-p",
            str(port),
            "-v",
            "0",
            "somos_site.asgi:application",
        ],
        cwd=ROOT,
        env=os.environ.copy(),
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    log.close()
    deadline = time.monotonic() + SERVER_START_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"daphne exited with {process.returncode}: {log_path.read_text()}")
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(f"http://127.0.0.1:{port}/api/campaigns/{SLUG}/progress").is_success:
                return process
        time.sleep(0.2)
    server_stop(process)
    raise RuntimeError(f"daphne did not answer within {SERVER_START_S:.0f} s")


def server_stop(process: subprocess.Popen) -> None:
    """Stop the daphne process this script started."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


def http_timings(*, port: int) -> float:
    """Time the JSON endpoints cold and warm over HTTP; return the cold progress p95."""
    from django.core.cache import cache

    results: dict[str, float] = {}
    with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=HTTP_TIMEOUT_S) as client:
        for name, path, key, repeat in (
            ("progress", "/progress", f"somos:api:progress:{SLUG}", 300),
            ("ranking all", "/ranking?window=all", f"somos:api:ranking:{SLUG}:all", 200),
            ("ranking 7d", "/ranking?window=7d", f"somos:api:ranking:{SLUG}:7d", 100),
            ("ranking 30d", "/ranking?window=30d", f"somos:api:ranking:{SLUG}:30d", 100),
        ):
            url = f"/api/campaigns/{SLUG}{path}"
            samples: list[float] = []
            for run in range(10 + repeat):
                # The endpoints cache their JSON for 2 s: drop it so every GET builds it.
                cache.delete(key)
                started = time.perf_counter()
                client.get(url).raise_for_status()
                if run >= 10:
                    samples.append((time.perf_counter() - started) * 1000)
            _, results[name] = describe(f"GET {path} cold (uncached)", samples)
            warm = timed(lambda url=url: client.get(url).raise_for_status(), repeat=repeat)
            describe(f"GET {path} warm (cached ≤ 2 s)", warm)
        page = timed(
            lambda: client.get(f"/campaigns/{SLUG}/dashboard/").raise_for_status(),
            repeat=20,
            warmup=2,
        )
        describe("GET dashboard page (not budgeted)", page)
    return results["progress"]


@dataclass
class LiveFigures:
    """Milliseconds from each counted submit to the viewer, and what went wrong."""

    after_response: list[float] = field(default_factory=list)
    after_request: list[float] = field(default_factory=list)
    missed: int = 0
    drops: int = 0


async def live_latencies(
    *, port: int, session_key: str, baseline: int, submits: int, seed: int
) -> LiveFigures:
    """Submit through the HTML flow and time each until a websocket viewer sees it.

    Times run from each POST's response (and, for information, from its request) to the
    first message counting it; warm-up submits are left out.
    """
    base = f"http://127.0.0.1:{port}"
    path = f"/ws/campaigns/{SLUG}/progress/"
    figures = LiveFigures()
    viewer = await WebSocketClient.connect(host="127.0.0.1", port=port, path=path, origin=base)
    seen: list[tuple[float, int]] = []
    arrived = asyncio.Condition()

    async def listen() -> None:
        nonlocal viewer
        while True:
            try:
                message = await viewer.receive()
            except (OSError, asyncio.IncompleteReadError):
                message = None
            if message is None:
                # The server dropped the viewer: reconnect at once, as live.js does after
                # 1 s; a change broadcast meanwhile is lost and its submit counts as missed.
                figures.drops += 1
                viewer = await WebSocketClient.connect(
                    host="127.0.0.1", port=port, path=path, origin=base
                )
                continue
            async with arrived:
                seen.append((time.perf_counter(), json.loads(message)["responses_submitted"]))
                arrived.notify_all()

    listener = asyncio.create_task(listen())
    pause = random.Random(seed)
    try:
        async with httpx.AsyncClient(
            base_url=base, cookies={"sessionid": session_key}, timeout=HTTP_TIMEOUT_S
        ) as volunteer:
            for number in range(WARMUP_SUBMITS + submits):
                page = await volunteer.get(f"/campaigns/{SLUG}/annotate/")
                page.raise_for_status()
                action, csrf, shown_at = (
                    pattern.search(page.text)
                    for pattern in (FORM_ACTION, CSRF_INPUT, SHOWN_AT_INPUT)
                )
                if not (action and csrf and shown_at):
                    raise RuntimeError("the annotate page has no record form")
                expected = baseline + number + 1
                sent = time.perf_counter()
                answer = await volunteer.post(
                    action[1],
                    data={
                        "csrfmiddlewaretoken": csrf[1],
                        "shown_at": shown_at[1],
                        "verdict": "correct",
                        "action": "submit",
                    },
                )
                answered = time.perf_counter()
                if answer.status_code != 302 or "/annotate/" not in answer.headers["location"]:
                    raise RuntimeError(f"submit answered {answer.status_code}")
                if answer.headers["location"].rstrip("/").endswith(action[1].rstrip("/")):
                    raise RuntimeError("submit was refused (redirected back to the record)")
                async with arrived:
                    try:
                        await asyncio.wait_for(
                            arrived.wait_for(lambda want=expected: any(n >= want for _, n in seen)),
                            LIVE_TIMEOUT_S,
                        )
                        shown = next(at for at, n in seen if n >= expected)
                    except TimeoutError:
                        if listener.done():
                            raise RuntimeError("the websocket viewer could not reconnect") from (
                                listener.exception()
                            )
                        shown = None
                if number < WARMUP_SUBMITS:
                    continue
                if shown is None:
                    figures.missed += 1
                    shown = answered + LIVE_TIMEOUT_S
                # The broadcast can beat the redirect home: the viewer then had it first.
                figures.after_response.append(max(0.0, shown - answered) * 1000)
                figures.after_request.append((shown - sent) * 1000)
                if (number - WARMUP_SUBMITS + 1) % 10 == 0:
                    say(
                        f"  {number - WARMUP_SUBMITS + 1}/{submits} submits,"
                        f" last {figures.after_response[-1]:.0f} ms after the response"
                    )
                # A volunteer's pace: the next submit 0.3–0.5 s after this one, so the
                # 0.2 s coalescing window never folds two submits into one message.
                gap = pause.uniform(0.3, 0.5) - (time.perf_counter() - answered)
                if gap > 0:
                    await asyncio.sleep(gap)
    finally:
        listener.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await listener
        await viewer.close()
    return figures


def live_volunteer_session() -> str:
    """Return a session key signed in as the live volunteer (created on first use)."""
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.auth.models import User
    from django.contrib.sessions.backends.db import SessionStore

    from somos_site.accounts.models import Profile

    user, created = User.objects.get_or_create(
        username="live@bench.somos.test", defaults={"email": "live@bench.somos.test"}
    )
    if created:
        user.set_unusable_password()
        user.save(update_fields=["password"])
    Profile.objects.get_or_create(user=user, defaults={"display_name": "Bench live"})
    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[0]
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.create()
    return session.session_key


def main() -> None:
    """Build or reuse the data set, run every measurement and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--responses", type=int, default=1_000_000)
    parser.add_argument("--volunteers", type=int, default=5_000)
    parser.add_argument("--submits", type=int, default=50)
    parser.add_argument("--rebuild", action="store_true", help="build even if the data exists")
    parser.add_argument("--explain", action="store_true", help="print EXPLAIN ANALYZE plans")
    parser.add_argument("--seed", type=int, default=600)
    parser.add_argument("--dsn", default=DEFAULT_DSN)
    parser.add_argument("--redis", default=DEFAULT_REDIS)
    args = parser.parse_args()
    if args.submits < 1:
        parser.error("--submits must be at least 1")

    database_create(args.dsn)
    django_setup(args.dsn, REDIS_URL=args.redis, LOG_LEVEL="WARNING")
    from django.core.cache import cache
    from django.core.management import call_command

    from campaigns.models import Campaign
    from dashboards.live import _dirty_key, _lock_key
    from dashboards.models import CampaignCounter, ContributorDay
    from dashboards.selectors import campaign_progress, ranking_for_campaign

    say("migrating the scratch database")
    call_command("migrate", verbosity=0)
    marker = build_marker(responses=args.responses, volunteers=args.volunteers)
    if args.rebuild or not Campaign.objects.filter(slug=SLUG, description=marker).exists():
        say(f"building {args.responses} responses from {args.volunteers} volunteers")
        started = time.perf_counter()
        dataset_build(responses=args.responses, volunteers=args.volunteers, seed=args.seed)
        say(f"build: {time.perf_counter() - started:.1f} s (setup, not part of any budget)")
    else:
        say(f"reusing the data set already built ({marker}); --rebuild to start over")
    campaign = Campaign.objects.get(slug=SLUG)
    counter = CampaignCounter.objects.get(campaign=campaign)
    say(
        f"campaign {SLUG}: {counter.records_total} records, {counter.responses_submitted}"
        f" responses, {counter.contributors} contributors;"
        f" {ContributorDay.objects.filter(campaign=campaign).count()} contributor-day rows"
    )
    # Only this script's keys (a stale flush lock would hold back live messages for 10 s):
    # the Redis database may be shared.
    cache.delete_many(
        [
            _dirty_key(campaign.pk),
            _lock_key(campaign.pk),
            f"somos:api:progress:{SLUG}",
            *(f"somos:api:ranking:{SLUG}:{window}" for window in ("all", "7d", "30d")),
        ]
    )

    say("in process, warm: progress + top 50 (what every live message reads)")

    def progress_top50() -> None:
        campaign_progress(campaign=campaign)
        ranking_for_campaign(campaign=campaign, limit=50)

    _, progress_top50_p95 = describe(
        "campaign_progress + ranking_for_campaign(limit=50)", timed(progress_top50, repeat=500)
    )
    for window in ("7d", "30d"):
        describe(
            f"ranking_for_campaign(window={window}, limit=50)",
            timed(
                lambda window=window: ranking_for_campaign(
                    campaign=campaign, window=window, limit=50
                ),
                repeat=100,
            ),
        )
    if args.explain or progress_top50_p95 > BUDGET_PROGRESS_MS:
        say("  query plans:")
        explain(progress_top50)
        for window in ("7d", "30d"):
            explain(
                lambda window=window: ranking_for_campaign(
                    campaign=campaign, window=window, limit=50
                )
            )

    pending_top_up(campaign=campaign, needed=WARMUP_SUBMITS + args.submits + 10)
    session_key = live_volunteer_session()
    port = free_port()
    with tempfile.TemporaryDirectory(prefix="somos-dashboard-bench-") as directory:
        log_path = Path(directory) / "daphne.log"
        say(f"starting daphne on 127.0.0.1:{port}")
        server = server_start(port=port, log_path=log_path)
        try:
            say("over HTTP (one daphne process, keep-alive client)")
            progress_json_p95 = http_timings(port=port)
            baseline = CampaignCounter.objects.get(campaign=campaign).responses_submitted
            say(
                f"live: {WARMUP_SUBMITS} warm-up + {args.submits} submits through the annotate"
                " form, one websocket viewer"
            )
            live = asyncio.run(
                live_latencies(
                    port=port,
                    session_key=session_key,
                    baseline=baseline,
                    submits=args.submits,
                    seed=args.seed,
                )
            )
        except BaseException:
            say(f"daphne log:\n{log_path.read_text()[-4000:]}")
            raise
        finally:
            say("stopping daphne")
            server_stop(server)
    describe("submit response → websocket message", live.after_response)
    describe("submit request → websocket message (info)", live.after_request)
    live_p95 = summary(live.after_response)[1]
    if live.missed:
        say(f"  {live.missed} submits never reached the viewer within {LIVE_TIMEOUT_S:.0f} s")
    if live.drops:
        say(f"  the server closed the viewer's websocket {live.drops} times (it reconnected)")
    for label, value, budget in (
        ("progress + top 50", progress_top50_p95, BUDGET_PROGRESS_MS),
        ("submit → viewer p95", live_p95, BUDGET_LIVE_MS),
    ):
        verdict = "within" if value <= budget else "OVER"
        say(f"budget {label}: {value:.1f} ms, {verdict} {budget:.0f} ms")

    print(
        f"responses={args.responses} progress_top50_ms={progress_top50_p95:.2f}"
        f" progress_json_ms={progress_json_p95:.2f} live_p95_ms={live_p95:.0f}",
        flush=True,
    )


if __name__ == "__main__":
    main()
