"""Drive a realistic mix of volunteers, visitors and live viewers against ASGI workers.

Usage: python bench/load.py [--volunteers 200] [--visitors 50] [--viewers 500] [--seconds 60]
       [--workers 4] [--server uvicorn|daphne] [--annotate-every 5] [--browse-every 3]
       [--no-ramp] [--ramp-steps 5] [--ramp-seconds 20] [--budget-ms 200] [--records 20000]
       [--overlap 2] [--seed 1] [--dsn postgres://...] [--redis redis://...]

Builds annotate_bench's world (an active ARC campaign with a published guide, volunteers
logged in through sessions written directly) on its own scratch PostgreSQL database and Redis
DB, starts W ASGI workers with the production settings and drives, from one event loop:
volunteers who each GET the annotate page and POST a submit every N s (first one at a random
moment); visitors who each GET one public page every few seconds (home with its campaign
list, campaign, guide, dashboard, overview, progress and ranking JSON, the stylesheet); and
viewers who hold a websocket to the campaign's live progress and count its updates. Phase 1
runs the mix for --seconds. Phase 2 scales the whole mix by 1.5 every --ramp-seconds while
the p95 of every HTTP request stays within 200 ms with no errors (or down by 1.5 until it
does, if phase 1 did not); capacity is the largest level within. Ends with
`users=.. requests_per_s=.. p95_ms=.. errors=.. capacity_users=..` for phase 1, and
deletes its campaign, volunteers, sessions and Redis keys.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import math
import os
import random
import re
import signal
import subprocess
import sys
import tempfile
import time
from bisect import bisect_left
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import uvloop
from annotate_bench import (
    SLUG,
    Samples,
    Volunteer,
    act_safely,
    cpu_seconds,
    database_check,
    django_setup,
    free_ports,
    interrupt,
    latency_line,
    percentile,
    server_environment,
    servers_start,
    servers_stop,
    servers_tracebacks_say,
    world_build,
    world_clear,
)
from lean_http import LeanClient, LeanHTTPError
from lean_ws import WebSocketClient
from scratch import database_create, say

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_DSN = "postgres://postgres@127.0.0.1:5432/somos_load_bench"
DEFAULT_REDIS = "redis://127.0.0.1:6379/11"
BUDGET_P95_MS = 200.0
RAMP_FACTOR = 1.5
# Time after the last request for the broadcasts it caused to reach the viewers.
DELIVERY_GRACE_S = 1.0
# Submits per phase whose delivery to every viewer is timed: enough for a p95, cheap to sort.
DELAY_SAMPLES = 200
CONNECT_BATCH = 50
# Volunteers acting for the first time together, unmeasured, before a level.
WARM_UP_BATCH = 25
# The options the Dockerfile gives uvicorn beyond annotate_bench's command line, through
# uvicorn's environment variables: websocket messages go uncompressed.
DOCKERFILE_OPTIONS = {"UVICORN_WS_PER_MESSAGE_DEFLATE": "false"}
ANNOTATE_PATH = f"/campaigns/{SLUG}/annotate/"
_SUBMITTED = re.compile(r'"responses_submitted": ?(\d+)')
_STYLESHEET = re.compile(r'<link rel="stylesheet" href="([^"]+)"')


@dataclass(frozen=True)
class Mix:
    volunteers: int
    visitors: int
    viewers: int

    @property
    def users(self) -> int:
        """Count every kind of user."""
        return self.volunteers + self.visitors + self.viewers

    def scaled(self, factor: float) -> Mix:
        """Return the mix with every kind of user multiplied, keeping at least one of each."""
        return Mix(
            *(
                max(1, round(count * factor)) if count else 0
                for count in (self.volunteers, self.visitors, self.viewers)
            )
        )

    def __str__(self) -> str:
        return (
            f"{self.users} users ({self.volunteers} volunteers, {self.visitors} visitors,"
            f" {self.viewers} viewers)"
        )


def visitor_pages(stylesheet: str) -> list[tuple[str, str, int]]:
    """The public pages a visitor opens, as (kind, path, weight)."""
    return [
        ("home", "/", 3),
        ("campaign", f"/campaigns/{SLUG}/", 3),
        ("dashboard", f"/campaigns/{SLUG}/dashboard/", 2),
        ("overview", "/dashboard/", 1),
        ("progress", f"/api/campaigns/{SLUG}/progress", 2),
        ("ranking", f"/api/campaigns/{SLUG}/ranking", 2),
        ("guide", f"/campaigns/{SLUG}/guide/", 1),
        ("css", stylesheet, 2),
    ]


class Viewer:
    """One browser tab on the live dashboard: a websocket that only listens."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.path = f"/ws/campaigns/{SLUG}/progress/"
        # Channels checks the Origin against ALLOWED_HOSTS, as a browser would send it.
        self.origin = f"http://127.0.0.1:{port}"
        self.socket: WebSocketClient | None = None
        self.task: asyncio.Task | None = None
        # (perf_counter, responses_submitted) of every update after the opening snapshot.
        self.received: list[tuple[float, int]] = []
        self.closing = False
        self.failure: str | None = None
        self.failure_reported = False

    async def open(self) -> float:
        """Connect, wait for the snapshot sent on connect, start listening; return the ms."""
        started = time.perf_counter()
        async with asyncio.timeout(30):
            self.socket = await WebSocketClient.connect(
                host="127.0.0.1", port=self.port, path=self.path, origin=self.origin
            )
            snapshot = await self.socket.receive()
        if snapshot is None or not _SUBMITTED.search(snapshot):
            raise ValueError("no snapshot with responses_submitted")
        self.task = asyncio.create_task(self.listen())
        return (time.perf_counter() - started) * 1000

    async def listen(self) -> None:
        """Keep the time and count of every update until the socket closes."""
        try:
            while (message := await self.socket.receive()) is not None:
                found = _SUBMITTED.search(message)
                self.received.append((time.perf_counter(), int(found[1]) if found else -1))
        except (OSError, asyncio.IncompleteReadError) as error:
            if not self.closing:
                self.failure = f"websocket lost: {error!r}"
            return
        if not self.closing:
            self.failure = "websocket closed by the server"

    async def close(self) -> None:
        """Leave the page."""
        self.closing = True
        if self.socket is not None:
            await self.socket.close()
        if self.task is not None:
            self.task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self.task


@dataclass
class Level:
    """What one run of a mix measured."""

    mix: Mix
    budget_ms: float
    volunteer: Samples = field(default_factory=Samples)
    pages: dict[str, list[float]] = field(default_factory=dict)
    errors: Counter[str] = field(default_factory=Counter)
    connect_ms: list[float] = field(default_factory=list)
    acked_at: list[float] = field(default_factory=list)
    elapsed_s: float = 0.0
    # What the volunteers would have done had every page come back at once.
    annotations_due: float = 0.0
    updates: int = 0
    viewers_updated: int = 0
    delays_ms: list[float] = field(default_factory=list)
    missed: int = 0
    server_cpu_s: float = 0.0
    client_cpu_s: float = 0.0
    machine_busy: float = 0.0

    def latencies(self) -> list[float]:
        """Every HTTP request's milliseconds."""
        every = self.volunteer.next_ms + self.volunteer.submit_ms
        for values in self.pages.values():
            every += values
        return every

    def error_count(self) -> int:
        """Count every failure: requests, sockets, records running out."""
        return sum(self.errors.values()) + sum(self.volunteer.errors.values())

    def p95(self) -> float:
        """Return the p95 of every HTTP request."""
        return percentile(self.latencies(), 0.95)

    def requests_per_s(self) -> float:
        """Return the HTTP requests completed per second."""
        return len(self.latencies()) / self.elapsed_s if self.elapsed_s else 0.0

    def within(self) -> bool:
        """Say whether the level held: no error, p95 within the budget."""
        return self.error_count() == 0 and self.p95() <= self.budget_ms


def machine_ticks() -> tuple[int, int]:
    """Return the machine's (busy, total) CPU ticks so far, every core and process."""
    fields = [int(value) for value in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = fields[3] + fields[4]
    return sum(fields) - idle, sum(fields)


class Run:
    """The users, their clients and sockets, reused from one level to the next."""

    def __init__(
        self,
        *,
        ports: list[int],
        pids: list[int],
        logged_in: list[tuple[int, str]],
        session_cookie: str,
        stack: contextlib.AsyncExitStack,
        rng: random.Random,
        budget_ms: float,
    ) -> None:
        self.ports = ports
        self.pids = pids
        self.logged_in = logged_in
        self.session_cookie = session_cookie
        self.stack = stack
        self.rng = rng
        self.budget_ms = budget_ms
        self.volunteer_pool: list[Volunteer] = []
        self.warmed = 0
        self.visitor_pool: list[LeanClient] = []
        self.viewers: list[Viewer] = []
        self.acknowledged: list[tuple[int, int]] = []
        self.pages: list[tuple[str, str, int]] = []
        self.pending_errors: Counter[str] = Counter()

    async def client(self, number: int, cookies: dict[str, str] | None = None) -> LeanClient:
        """Return a client with its own connection to the worker this user belongs to."""
        client = LeanClient(
            f"http://127.0.0.1:{self.ports[number % len(self.ports)]}", cookies=cookies, timeout=30
        )
        return await self.stack.enter_async_context(client)

    async def volunteers(self, count: int) -> list[Volunteer]:
        """Return the first count volunteers, each logged in with its own client."""
        if count > len(self.logged_in):
            raise SystemExit(f"only {len(self.logged_in)} volunteers were created, {count} asked")
        while len(self.volunteer_pool) < count:
            user_id, session_key = self.logged_in[len(self.volunteer_pool)]
            client = await self.client(
                len(self.volunteer_pool), cookies={self.session_cookie: session_key}
            )
            self.volunteer_pool.append(Volunteer(user_id, client, ANNOTATE_PATH))
        return self.volunteer_pool[:count]

    async def volunteers_warmed(self, count: int) -> list[Volunteer]:
        """Return the first count volunteers, each of them having acted once, unmeasured.

        As annotate_bench does: a first action also joins the campaign and checks the guide,
        which belongs to a launch, not to the steady state a level measures. A ramp level's
        new volunteers too, a few dozen at a time, as people arriving.
        """
        pool = await self.volunteers(count)
        warm = Samples()
        for start in range(self.warmed, count, WARM_UP_BATCH):
            batch = pool[start : start + WARM_UP_BATCH]
            await asyncio.gather(*(act_safely(v, warm, self.acknowledged) for v in batch))
        self.warmed = max(self.warmed, count)
        # Failures are failures, measured or not.
        self.pending_errors.update(warm.errors)
        return pool

    async def visitors(self, count: int) -> list[LeanClient]:
        """Return the first count anonymous visitors' clients."""
        while len(self.visitor_pool) < count:
            self.visitor_pool.append(await self.client(len(self.visitor_pool)))
        return self.visitor_pool[:count]

    async def viewers_resize(self, count: int) -> list[float]:
        """Open or close sockets until count viewers watch; return the new ones' connect ms."""
        while len(self.viewers) > count:
            await self.viewers.pop().close()
        connect_ms = []
        while len(self.viewers) < count:
            batch = [
                Viewer(self.ports[number % len(self.ports)])
                for number in range(
                    len(self.viewers), min(count, len(self.viewers) + CONNECT_BATCH)
                )
            ]
            # A few dozen at a time, as a crowd arriving rather than one instant burst.
            results = await asyncio.gather(
                *(viewer.open() for viewer in batch), return_exceptions=True
            )
            for viewer, result in zip(batch, results, strict=True):
                if isinstance(result, BaseException):
                    self.pending_errors[f"websocket connect: {result!r}"[:160]] += 1
                    await viewer.close()
                    # A page that could not connect still counts as a viewer; it just hears
                    # nothing, which the "got updates" figure then shows.
                else:
                    connect_ms.append(result)
                self.viewers.append(viewer)
        return connect_ms

    async def close_viewers(self) -> None:
        """Close every socket."""
        await asyncio.gather(*(viewer.close() for viewer in self.viewers))
        self.viewers.clear()


async def warm_up(run: Run, *, volunteers: int) -> None:
    """Open every page once per worker and let the volunteers act once, unmeasured."""
    stylesheet = "/static/somos/somos.css"
    for port in run.ports:
        async with LeanClient(f"http://127.0.0.1:{port}", timeout=30) as client:
            found = _STYLESHEET.search((await client.get("/")).text)
            if found:
                stylesheet = found[1]
            for kind, path, _weight in visitor_pages(stylesheet):
                answer = await client.get(path)
                if answer.status_code != 200:
                    run.pending_errors[f"warm-up GET {kind}: {answer.status_code}"] += 1
    run.pages = visitor_pages(stylesheet)
    await run.volunteers_warmed(volunteers)


def responses_submitted() -> int:
    """Read the campaign's submitted-answers counter."""
    from dashboards.models import CampaignCounter

    return CampaignCounter.objects.get(campaign__slug=SLUG).responses_submitted


def update_delays(
    *, level: Level, baseline: int, viewers: list[Viewer], since: float, until: float
) -> None:
    """Count the updates viewers got and time sampled submits until they reached each viewer.

    The k-th submit acknowledged in the level is taken as seen by the first update whose
    responses_submitted reaches baseline + k; one that arrived before the 302 counts as 0.
    """
    step = max(1, math.ceil(len(level.acked_at) / DELAY_SAMPLES))
    sampled = list(enumerate(level.acked_at))[::step]
    for viewer in viewers:
        times: list[float] = []
        highest: list[int] = []
        top = -1
        in_level = 0
        for received_at, count in viewer.received:
            if received_at > until:
                break
            # Counts only grow, but two broadcasts may cross on the way: keep the running top.
            top = max(top, count)
            times.append(received_at)
            highest.append(top)
            in_level += received_at >= since
        level.updates += in_level
        level.viewers_updated += in_level > 0
        for index, acked_at in sampled:
            position = bisect_left(highest, baseline + index + 1)
            if position == len(highest):
                level.missed += 1
            else:
                level.delays_ms.append(max(0.0, times[position] - acked_at) * 1000)


async def progress_report(level: Level, started: float, label: str) -> None:
    """Print the requests done and the latest latencies every five seconds."""
    seen: dict[int, int] = {}
    while True:
        await asyncio.sleep(5)
        window: list[float] = []
        for values in (level.volunteer.next_ms, level.volunteer.submit_ms, *level.pages.values()):
            window += values[seen.get(id(values), 0) :]
            seen[id(values)] = len(values)
        say(
            f"  {label} {time.perf_counter() - started:4.0f} s: {len(level.latencies())} requests,"
            f" last 5 s p50={percentile(window, 0.5):.1f} ms p95={percentile(window, 0.95):.1f}"
            f" ms, errors={level.error_count()}"
        )


async def volunteer_loop(
    *, run: Run, level: Level, volunteer: Volunteer, start: float, end: float, every: float
) -> None:
    """Annotate one record every `every` seconds, the first at a random moment."""
    loop = asyncio.get_running_loop()
    due = start + run.rng.uniform(0, every)
    while True:
        # Wake at the end at the latest, so the level stops on time.
        await asyncio.sleep(max(0.0, min(due, end) - loop.time()))
        if loop.time() >= end:
            return
        acknowledged = len(run.acknowledged)
        await act_safely(volunteer, level.volunteer, run.acknowledged)
        if len(run.acknowledged) > acknowledged:
            level.acked_at.append(time.perf_counter())
        if volunteer.done:
            # Running out of records would quietly lighten the load: say so instead.
            level.errors["no record left to annotate"] += 1
            return
        # A late volunteer goes again at once, without catching up in a burst.
        due = max(due + every, loop.time())


async def visitor_loop(
    *, run: Run, level: Level, client: LeanClient, start: float, end: float, every: float
) -> None:
    """Open one public page every few seconds, the first at a random moment."""
    loop = asyncio.get_running_loop()
    kinds = [(kind, path) for kind, path, _weight in run.pages]
    weights = [weight for _kind, _path, weight in run.pages]
    due = start + run.rng.uniform(0, every)
    while True:
        # Wake at the end at the latest, so the level stops on time.
        await asyncio.sleep(max(0.0, min(due, end) - loop.time()))
        if loop.time() >= end:
            return
        kind, path = run.rng.choices(kinds, weights)[0]
        if kind == "ranking":
            path = f"{path}?window={run.rng.choice(['all', '7d', '30d'])}"
        started = time.perf_counter()
        try:
            answer = await client.get(path)
        except LeanHTTPError as error:
            level.errors[f"GET {kind}: {error!r}"[:160]] += 1
        else:
            if answer.status_code == 200:
                level.pages.setdefault(kind, []).append((time.perf_counter() - started) * 1000)
            else:
                level.errors[f"GET {kind}: {answer.status_code}"] += 1
        due = max(due + every * run.rng.uniform(0.5, 1.5), loop.time())


async def level_run(
    *, run: Run, mix: Mix, seconds: float, annotate_every: float, browse_every: float, label: str
) -> Level:
    """Run the mix for the given seconds and return what it measured."""
    from asgiref.sync import sync_to_async

    say(f"{label}: {mix}, {seconds:.0f} s")
    level = Level(
        mix=mix, budget_ms=run.budget_ms, annotations_due=mix.volunteers * seconds / annotate_every
    )
    level.connect_ms = await run.viewers_resize(mix.viewers)
    volunteers = await run.volunteers_warmed(mix.volunteers)
    level.errors.update(run.pending_errors)
    run.pending_errors.clear()
    viewers = run.viewers[: mix.viewers]
    visitors = await run.visitors(mix.visitors)
    # Nothing is in flight between levels, so the counter is where this level starts from.
    baseline = await sync_to_async(responses_submitted)()

    loop = asyncio.get_running_loop()
    start = loop.time()
    end = start + seconds
    cpu = cpu_seconds(run.pids), time.process_time(), machine_ticks()
    started = time.perf_counter()
    reporter = asyncio.create_task(progress_report(level, started, label))
    try:
        await asyncio.gather(
            *(
                volunteer_loop(
                    run=run, level=level, volunteer=v, start=start, end=end, every=annotate_every
                )
                for v in volunteers
            ),
            *(
                visitor_loop(
                    run=run, level=level, client=c, start=start, end=end, every=browse_every
                )
                for c in visitors
            ),
        )
    finally:
        reporter.cancel()
    level.elapsed_s = time.perf_counter() - started
    level.server_cpu_s = cpu_seconds(run.pids) - cpu[0]
    level.client_cpu_s = time.process_time() - cpu[1]
    busy, total = machine_ticks()
    level.machine_busy = (busy - cpu[2][0]) / max(1, total - cpu[2][1])
    await asyncio.sleep(DELIVERY_GRACE_S)
    update_delays(
        level=level,
        baseline=baseline,
        viewers=viewers,
        since=started,
        until=time.perf_counter(),
    )
    for viewer in viewers:
        if viewer.failure and not viewer.failure_reported:
            level.errors[viewer.failure[:160]] += 1
            viewer.failure_reported = True
    level_report(level, label)
    return level


def level_report(level: Level, label: str) -> None:
    """Print a level's latencies per kind, its viewers, CPU and errors."""
    requests = len(level.latencies())
    say(
        f"{label} done: {requests} requests in {level.elapsed_s:.1f} s"
        f" = {level.requests_per_s():.1f}/s, {len(level.acked_at)} annotations"
        f" of {level.annotations_due:.0f} due"
    )
    say(latency_line("all".ljust(9), level.latencies()))
    for kind, values in (
        ("next", level.volunteer.next_ms),
        ("submit", level.volunteer.submit_ms),
        *sorted(level.pages.items()),
    ):
        say(f"{latency_line(kind.ljust(9), values)}  n={len(values)}")
    if level.connect_ms:
        say(f"{latency_line('ws open'.ljust(9), level.connect_ms)}  n={len(level.connect_ms)}")
    viewers = level.mix.viewers
    say(
        f"  viewers: {viewers} connected, {level.viewers_updated} got updates,"
        f" {level.updates} updates ({level.updates / max(1, viewers):.1f} each);"
        f" submit→update p50={percentile(level.delays_ms, 0.5):.0f} ms"
        f" p95={percentile(level.delays_ms, 0.95):.0f} ms, {level.missed} not seen"
    )
    say(
        f"  cpu per request: servers {level.server_cpu_s * 1000 / max(1, requests):.1f} ms,"
        f" load generator {level.client_cpu_s * 1000 / max(1, requests):.1f} ms"
        f" ({level.client_cpu_s / max(level.elapsed_s, 0.001):.0%} of a core);"
        f" machine {level.machine_busy:.0%} busy"
    )
    errors = level.errors + level.volunteer.errors
    for message, times in errors.most_common(5):
        say(f"  error x{times}: {message}")
    verdict = "within" if level.within() else "OVER"
    say(
        f"  p95 {level.p95():.1f} ms, errors {level.error_count()}:"
        f" {verdict} the {level.budget_ms:.0f} ms budget"
    )


async def ramp(*, run: Run, base: Mix, first: Level, steps: int, **timing: float) -> int:
    """Scale the mix step by step from phase 1; return the most users that stayed within."""
    if first.within():
        capacity = base.users
        for step in range(1, steps + 1):
            level = await level_run(
                run=run, mix=base.scaled(RAMP_FACTOR**step), label=f"ramp {step}", **timing
            )
            if not level.within():
                return capacity
            capacity = level.mix.users
        say(f"ramp stopped after {steps} steps: capacity is at least {capacity} users")
        return capacity
    # Phase 1 was already over: step down until a level holds, so the figure still says
    # how many users this setup serves.
    for step in range(1, steps + 1):
        mix = base.scaled(RAMP_FACTOR**-step)
        level = await level_run(run=run, mix=mix, label=f"ramp -{step}", **timing)
        if level.within():
            return mix.users
        if mix.users <= 3:
            break
    return 0


async def drive(
    *,
    args: argparse.Namespace,
    base: Mix,
    ports: list[int],
    pids: list[int],
    logged_in: list[tuple[int, str]],
    acknowledged: list[tuple[int, int]],
) -> tuple[Level, int]:
    """Warm up, run phase 1 and the ramp; return phase 1 and the capacity."""
    from django.conf import settings

    async with contextlib.AsyncExitStack() as stack:
        run = Run(
            ports=ports,
            pids=pids,
            logged_in=logged_in,
            session_cookie=settings.SESSION_COOKIE_NAME,
            stack=stack,
            rng=random.Random(args.seed),
            budget_ms=args.budget_ms,
        )
        run.acknowledged = acknowledged
        try:
            say("warming up: every page once per worker and one action per volunteer, not measured")
            await warm_up(run, volunteers=base.volunteers)
            timing = {"annotate_every": args.annotate_every, "browse_every": args.browse_every}
            first = await level_run(
                run=run, mix=base, seconds=args.seconds, label="phase 1", **timing
            )
            capacity = (
                await ramp(
                    run=run,
                    base=base,
                    first=first,
                    steps=args.ramp_steps,
                    seconds=args.ramp_seconds,
                    **timing,
                )
                if args.ramp
                else (base.users if first.within() else 0)
            )
        finally:
            await run.close_viewers()
    return first, capacity


def static_collect(*, directory: Path, environment: dict[str, str]) -> dict[str, str]:
    """Collect the static files as the image does; return the environment that serves them.

    Symlinks rather than copies: the tree is tens of megabytes, and WhiteNoise serves a
    linked file as it serves a copied one.
    """
    module = directory / "load_bench_settings.py"
    module.write_text(
        "from somos_site.settings import *  # noqa: F403\n\n"
        f"STATIC_ROOT = {str(directory / 'static')!r}\n",
        encoding="utf-8",
    )
    overlay = {
        "DJANGO_SETTINGS_MODULE": module.stem,
        "PYTHONPATH": f"{directory}{os.pathsep}{ROOT}",
    }
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "--link", "-v", "0"],
        cwd=ROOT,
        env={**environment, **overlay},
        check=True,
    )
    say(f"collected the static files in {time.perf_counter() - started:.1f} s")
    return overlay


def redis_keys(url: str) -> set[bytes]:
    """Return every key in the Redis DB."""
    import redis

    with redis.Redis.from_url(url) as client:
        return set(client.scan_iter(count=1000))


def redis_clear(url: str, kept: set[bytes]) -> None:
    """Delete the keys made since kept was read: cache, sessions, channel layer, whatever."""
    import redis

    with redis.Redis.from_url(url) as client:
        made = [key for key in client.scan_iter(count=1000) if key not in kept]
        for offset in range(0, len(made), 1000):
            client.delete(*made[offset : offset + 1000])
    say(f"deleted {len(made)} Redis keys")


def main() -> None:
    """Run the load and print its figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--volunteers", type=int, default=200)
    parser.add_argument("--visitors", type=int, default=50)
    parser.add_argument("--viewers", type=int, default=500)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument(
        "--server",
        choices=["daphne", "uvicorn"],
        default="uvicorn",
        help="the ASGI server (uvicorn, as the Dockerfile runs)",
    )
    parser.add_argument("--annotate-every", type=float, default=5, help="seconds per annotation")
    parser.add_argument("--browse-every", type=float, default=3, help="seconds per page, mean")
    parser.add_argument("--no-ramp", dest="ramp", action="store_false")
    parser.add_argument("--ramp-steps", type=int, default=5)
    parser.add_argument("--ramp-seconds", type=float, default=20)
    parser.add_argument("--records", type=int, default=20_000)
    parser.add_argument("--overlap", type=int, default=2)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--budget-ms", type=float, default=BUDGET_P95_MS, help="the p95 a level may reach"
    )
    parser.add_argument("--dsn", default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_DSN))
    parser.add_argument("--redis", default=os.environ.get("BENCH_REDIS_URL", DEFAULT_REDIS))
    args = parser.parse_args()
    base = Mix(args.volunteers, args.visitors, args.viewers)
    # Every level's volunteers exist before the first request: making them mid-run would
    # load the database between levels for nothing the site does.
    most = math.ceil(base.volunteers * RAMP_FACTOR**args.ramp_steps) if args.ramp else 0
    database_create(args.dsn)
    environment = server_environment(dsn=args.dsn, redis=args.redis)
    django_setup(environment)
    from django.core.management import call_command

    say("migrating the benchmark database")
    call_command("migrate", verbosity=0)
    world_clear()
    # The cache and the channel layer write keys no one can list in advance: keep the rest.
    kept = redis_keys(args.redis)
    servers = []
    logged_in: list[tuple[int, str]] = []
    acknowledged: list[tuple[int, int]] = []
    signal.signal(signal.SIGTERM, interrupt)
    try:
        logged_in = world_build(
            records=args.records, volunteers=max(base.volunteers, most), overlap=args.overlap
        )
        with tempfile.TemporaryDirectory(prefix="somos-load-") as logs:
            servers = servers_start(
                ports=free_ports(args.workers),
                environment={
                    **environment,
                    **static_collect(directory=Path(logs), environment=environment),
                    **DOCKERFILE_OPTIONS,
                },
                logs=Path(logs),
                server=args.server,
            )
            say(f"server: {args.server} x {args.workers}")
            try:
                first, capacity = uvloop.run(
                    drive(
                        args=args,
                        base=base,
                        ports=[server.port for server in servers],
                        pids=[server.process.pid for server in servers],
                        logged_in=logged_in,
                        acknowledged=acknowledged,
                    )
                )
            finally:
                servers_stop(servers)
                servers_tracebacks_say(servers)
        check = database_check(acknowledged)
        for problem in check.problems[:20]:
            say(f"  MISMATCH {problem}")
        say(
            f"database: lost={check.lost} doubled={check.doubled}"
            f" counters_ok={int(not check.problems)}"
        )
    finally:
        say("deleting the benchmark campaign, volunteers, sessions and Redis keys")
        world_clear([session_key for _user, session_key in logged_in])
        redis_clear(args.redis, kept)

    errors = first.error_count()
    print(
        f"users={base.users} requests_per_s={first.requests_per_s():.1f}"
        f" p95_ms={first.p95():.1f} errors={errors} capacity_users={capacity}",
        flush=True,
    )
    if errors or check.lost or check.doubled or check.problems:
        sys.exit(1)


if __name__ == "__main__":
    main()
